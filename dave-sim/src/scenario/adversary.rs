//! The `adversaries` section (SIMULATOR.md §"Scenario file"): attacker groups, each with its
//! size, its own addresses packed into a number of /24 and /16 prefixes, a start time and one
//! behaviour with the parameters of that behaviour.
//!
//! Decision: the behaviour is an externally tagged enum, `"behaviour": { "eclipse": { … } }`,
//! like every other choice of the format (`latency`, `popularity`, `faults`). It keeps each
//! behaviour's parameters in a struct of their own that rejects unknown fields, with exact
//! error positions; an internally tagged `"behaviour": "eclipse"` beside the parameters would
//! need `#[serde(flatten)]`, which disables `deny_unknown_fields`.

use schemars::JsonSchema;
use serde::{Deserialize, Serialize};

use super::duration::SimDuration;
use super::values::Probability;

/// One attacker group: `addresses` hosts, each at an address of its own.
#[derive(Debug, Clone, Deserialize, Serialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct AdversarySpec {
    /// What the group does, with its parameters.
    pub behaviour: Behaviour,
    /// Number of attacker hosts (one address each).
    pub addresses: u32,
    /// Number of /24 prefixes the group's addresses are packed into (default: one per address).
    #[serde(default)]
    pub ipv4_24s: Option<u32>,
    /// Number of /16 prefixes the /24s are dealt into (default: one per /24).
    #[serde(default)]
    pub ipv4_16s: Option<u32>,
    /// When the group's hosts start (they are down before).
    #[serde(default)]
    pub start: SimDuration,
}

/// An attacker behaviour and its parameters.
#[derive(Debug, Clone, Deserialize, Serialize, JsonSchema)]
#[serde(rename_all = "snake_case", deny_unknown_fields)]
pub enum Behaviour {
    /// Flood victims' tables from many addresses (Heilman et al. 2015, Marcus et al. 2018).
    Eclipse(EclipseSpec),
    /// Identities ground close to target records, which they accept and never serve.
    Sybil(SybilSpec),
    /// Storage liars: accept PUTs and keep only a fraction of them.
    Liar(LiarSpec),
    /// PUT floods with bad, too little or minimal proof-of-work.
    Spammer(SpammerSpec),
    /// Advertise fake, unroutable or attacker addresses in AUTH PONGs and referrals.
    Poisoner(PoisonerSpec),
    /// Spoof victims' addresses so that others answer the victims.
    Reflector(ReflectorSpec),
}

impl Behaviour {
    /// The behaviour's name as the scenario spells it.
    pub fn name(&self) -> &'static str {
        match self {
            Behaviour::Eclipse(_) => "eclipse",
            Behaviour::Sybil(_) => "sybil",
            Behaviour::Liar(_) => "liar",
            Behaviour::Spammer(_) => "spammer",
            Behaviour::Poisoner(_) => "poisoner",
            Behaviour::Reflector(_) => "reflector",
        }
    }
}

/// Eclipse: every attacker handshakes with the victims, keeps pinging them, lists only
/// attacker addresses in its AUTH PONGs and refers only attacker addresses to their lookups.
#[derive(Debug, Clone, Deserialize, Serialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct EclipseSpec {
    /// Number of victims: honest non-seed nodes picked at random (the group's own stream).
    #[serde(default = "one")]
    pub victims: u32,
    /// Interval between two AUTH PINGs of one attacker to each victim.
    #[serde(default = "default_eclipse_ping_every")]
    pub ping_every: SimDuration,
    /// Restart every victim from its backup while the attackers flood (the restart variant).
    #[serde(default)]
    pub force_victim_restart: bool,
    /// How long after `start` the victims are restarted (with `force_victim_restart`).
    #[serde(default = "default_restart_after")]
    pub restart_after: SimDuration,
}

fn one() -> u32 {
    1
}
fn default_eclipse_ping_every() -> SimDuration {
    SimDuration::from_secs(10)
}
fn default_restart_after() -> SimDuration {
    SimDuration::from_secs(60)
}

/// Sybil: identities ground until their NodeIds sit closest to target records.
#[derive(Debug, Clone, Deserialize, Serialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct SybilSpec {
    /// Number of records targeted.
    #[serde(default = "one")]
    pub targets: u32,
    /// Key pairs an attacker host may generate while grinding its identity.
    #[serde(default = "default_identities")]
    pub identities: u32,
}

fn default_identities() -> u32 {
    1000
}

/// Storage liar: accepts PUTs and keeps only the fraction `keep` (0 drops all).
#[derive(Debug, Clone, Deserialize, Serialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct LiarSpec {
    /// Fraction of accepted records kept and served.
    #[serde(default)]
    pub keep: Probability,
}

/// What a spammer's PUTs carry.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Deserialize, Serialize, JsonSchema)]
#[serde(rename_all = "snake_case")]
pub enum SpamMode {
    /// Valid work, invalid signature.
    BadSignature,
    /// Work below the nodes' MIN_WORK.
    LowWork,
    /// Exactly MIN_WORK, valid: the cheapest spam a node must accept.
    #[default]
    MinimalWork,
}

/// Spammer: floods PUTs.
#[derive(Debug, Clone, Deserialize, Serialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct SpammerSpec {
    /// PUTs per second of each spammer host.
    #[serde(default = "default_rate")]
    pub rate: f64,
    /// What the PUTs carry.
    #[serde(default)]
    pub mode: SpamMode,
    /// Distinct record keys each spammer cycles through.
    #[serde(default = "default_distinct_keys")]
    pub distinct_keys: u32,
}

fn default_rate() -> f64 {
    1.0
}
fn default_distinct_keys() -> u32 {
    1000
}

/// Poisoner: what it advertises in AUTH PONGs and not-found referrals.
#[derive(Debug, Clone, Deserialize, Serialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct PoisonerSpec {
    /// Share of advertised addresses that belong to no host (fake, routable-looking).
    #[serde(default = "default_fake")]
    pub fake: Probability,
    /// Share that are unroutable (port 0, unspecified, multicast).
    #[serde(default = "default_unroutable")]
    pub unroutable: Probability,
    /// Interval between two AUTH PINGs of one poisoner to each honest node it knows.
    #[serde(default = "default_poison_ping_every")]
    pub ping_every: SimDuration,
    /// Honest nodes each poisoner introduces itself to (random, its own stream).
    #[serde(default = "default_contacts")]
    pub contacts: u32,
}

fn default_fake() -> Probability {
    Probability(0.5)
}
fn default_unroutable() -> Probability {
    Probability(0.25)
}
fn default_poison_ping_every() -> SimDuration {
    SimDuration::from_secs(10)
}
fn default_contacts() -> u32 {
    20
}

/// Reflector: spoofs victims' addresses.
#[derive(Debug, Clone, Deserialize, Serialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct ReflectorSpec {
    /// Number of victims (honest nodes picked at random).
    #[serde(default = "one")]
    pub victims: u32,
    /// Spoofed datagrams per second of each reflector host.
    #[serde(default = "default_rate")]
    pub rate: f64,
}
