//! The bounded candidate list of PROTOCOL.md §5: addresses heard of but not yet verified.
//!
//! Candidates come from PING senders, verified AUTH PONGs and GET_ACK referrals. The list holds
//! at most MAX_CANDIDATES; a newcomer to a full list replaces a random entry, so an attacker
//! cannot pin the list by arriving first. Decision (not in the spec): at most GROUP_LIMIT_TABLE
//! candidates of one network group, so a flood from one /24 cannot flush every honest candidate.

use std::net::SocketAddr;

use crate::addr::NetworkGroup;
use crate::time::Time;

use super::PendingPing;

/// An address waiting for its AUTH PONG.
#[derive(Clone, Debug)]
pub(crate) struct Candidate {
    pub addr: SocketAddr,
    pub group: NetworkGroup,
    /// The AUTH PING sent to it, if any.
    pub ping: Option<PendingPing>,
    /// When it was heard of.
    pub added: Time,
}

/// The candidate list.
#[derive(Debug, Default)]
pub(crate) struct Candidates {
    list: Vec<Candidate>,
}

/// What happened to an offered candidate.
#[derive(Debug, PartialEq, Eq)]
pub(crate) enum Offer {
    /// Added to the list (possibly replacing a random entry).
    Added,
    /// Already listed.
    Known,
    /// Its network group already has its share of the list.
    GroupFull,
}

impl Candidates {
    #[cfg(test)]
    pub(crate) fn len(&self) -> usize {
        self.list.len()
    }

    pub(crate) fn iter(&self) -> impl Iterator<Item = &Candidate> {
        self.list.iter()
    }

    pub(crate) fn position(&self, addr: &SocketAddr) -> Option<usize> {
        self.list.iter().position(|c| c.addr == *addr)
    }

    pub(crate) fn get_mut(&mut self, addr: &SocketAddr) -> Option<&mut Candidate> {
        self.list.iter_mut().find(|c| c.addr == *addr)
    }

    /// Offers an address; `random` picks the entry replaced when the list is full.
    pub(crate) fn offer(
        &mut self,
        candidate: Candidate,
        capacity: usize,
        group_limit: usize,
        random: u64,
    ) -> Offer {
        if self.position(&candidate.addr).is_some() {
            return Offer::Known;
        }
        if self
            .list
            .iter()
            .filter(|c| c.group == candidate.group)
            .count()
            >= group_limit
        {
            return Offer::GroupFull;
        }
        if capacity == 0 {
            return Offer::GroupFull;
        }
        if self.list.len() >= capacity {
            let victim = (random % self.list.len() as u64) as usize;
            self.list[victim] = candidate;
        } else {
            self.list.push(candidate);
        }
        Offer::Added
    }

    /// Removes a candidate, returning it.
    pub(crate) fn remove(&mut self, addr: &SocketAddr) -> Option<Candidate> {
        let pos = self.position(addr)?;
        Some(self.list.swap_remove(pos))
    }

    /// Drops candidates whose AUTH PING went unanswered for `validity`, or that were never
    /// pinged for that long.
    pub(crate) fn expire(&mut self, now: Time, validity: std::time::Duration) -> usize {
        let before = self.list.len();
        self.list.retain(|c| {
            let since = c.ping.as_ref().map_or(c.added, |p| p.sent);
            now.saturating_duration_since(since) < validity
        });
        before - self.list.len()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn cand(last: u8, net: u8) -> Candidate {
        let addr: SocketAddr = format!("10.0.{net}.{last}:1000").parse().unwrap();
        Candidate {
            addr,
            group: crate::addr::network_group(&addr),
            ping: None,
            added: Time::ZERO,
        }
    }

    #[test]
    fn bounded_random_replacement_and_group_cap() {
        let mut c = Candidates::default();
        for net in 0..10 {
            assert_eq!(c.offer(cand(1, net), 4, 2, net as u64), Offer::Added);
        }
        assert_eq!(c.len(), 4);
        assert_eq!(c.offer(cand(1, 9), 4, 2, 0), Offer::Known);
        let mut c = Candidates::default();
        assert_eq!(c.offer(cand(1, 0), 10, 2, 0), Offer::Added);
        assert_eq!(c.offer(cand(2, 0), 10, 2, 0), Offer::Added);
        assert_eq!(c.offer(cand(3, 0), 10, 2, 0), Offer::GroupFull);
    }

    #[test]
    fn expiry_removes_unanswered() {
        let mut c = Candidates::default();
        c.offer(cand(1, 0), 10, 2, 0);
        assert_eq!(
            c.expire(Time::from_millis(4000), std::time::Duration::from_secs(5)),
            0
        );
        assert_eq!(
            c.expire(Time::from_millis(5000), std::time::Duration::from_secs(5)),
            1
        );
        assert!(c.remove(&cand(1, 0).addr).is_none());
    }
}
