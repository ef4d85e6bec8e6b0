//! The node configuration a scenario asks for: the spec defaults (docs/protocol.md §11) with the
//! scenario's `nodes.config` overrides, checked by [`dave_core::config::Config::validate`] when
//! the scenario is loaded, so that a constant that cannot work (a zero period, a decay out of
//! (0, 1]) is a scenario error naming its field rather than a run that never ends.

use dave_core::config::Config;

use super::types::ConfigOverrides;

impl ConfigOverrides {
    /// The spec defaults with these overrides applied.
    pub fn to_config(&self) -> Config {
        let mut c = Config::default();
        macro_rules! set {
            ($($field:ident),*) => { $( if let Some(v) = self.$field { c.$field = v.into(); } )* };
        }
        macro_rules! set_usize {
            ($($field:ident),*) => { $( if let Some(v) = self.$field { c.$field = v as usize; } )* };
        }
        macro_rules! set_duration {
            ($($field:ident),*) => { $( if let Some(v) = self.$field { c.$field = v.as_std(); } )* };
        }
        set!(min_work, shard_capacity, entry_overhead, lookup_budget);
        set_usize!(
            anchors,
            replicas,
            alpha,
            referrals,
            k,
            group_limit,
            group_limit_table,
            npeer_limit,
            max_candidates
        );
        set_duration!(
            max_clock_skew,
            ttl,
            lookup_timeout,
            challenge_every,
            challenge_min,
            ping_every,
            reauth_every,
            activate_after,
            deactivate_after,
            drop_after,
            addr_every,
            republish_every
        );
        for (field, value) in [
            (&mut c.test_before_evict, self.test_before_evict),
            (&mut c.challenges, self.challenges),
            (&mut c.anti_amplification, self.anti_amplification),
        ] {
            if let Some(v) = value {
                *field = v;
            }
        }
        if self.group_limits == Some(false) {
            c.group_limit = 0;
            c.group_limit_table = 0;
        }
        if let Some(p) = self.reliability_decay {
            c.reliability_decay = p.0;
        }
        if let Some(p) = self.reliability_min {
            c.reliability_min = p.0;
        }
        c
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn defence_switches_reach_the_node_config() {
        let defaults = ConfigOverrides::default().to_config();
        assert_eq!(defaults, Config::default());
        let off: ConfigOverrides = serde_json::from_str(
            r#"{"group_limits": false, "group_limit": 2, "test_before_evict": false,
                "challenges": false, "anti_amplification": false, "anchors": 0}"#,
        )
        .expect("overrides");
        let c = off.to_config();
        assert_eq!((c.group_limit, c.group_limit_table), (0, 0));
        assert!(!c.test_before_evict && !c.challenges && !c.anti_amplification);
        assert_eq!(c.anchors, 0);
        let on: ConfigOverrides =
            serde_json::from_str(r#"{"group_limits": true}"#).expect("overrides");
        assert_eq!(on.to_config(), Config::default());
    }
}
