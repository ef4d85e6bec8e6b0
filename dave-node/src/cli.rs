//! Command-line interface: the subcommands and their flags (issue 6).
//!
//! Every parse error, unknown flag included, is reported by clap in one line and exits with
//! status 2, the same code the binary uses for every other kind of bad input.

use std::net::SocketAddr;
use std::path::PathBuf;
use std::time::Duration;

use clap::{Args, Parser, Subcommand, ValueEnum};
use dave_core::config::Config;

use crate::error::AppError;

/// A Dave node over UDP, and one-shot clients for it.
#[derive(Debug, Parser)]
#[command(name = "dave-node", version, about)]
pub struct Cli {
    /// What to do.
    #[command(subcommand)]
    pub command: Command,
}

/// The subcommands.
#[derive(Debug, Subcommand)]
pub enum Command {
    /// Write a new Ed25519 secret key (hex seed, mode 0600) and print its public key.
    Keygen(KeygenArgs),
    /// Run a node until SIGINT or SIGTERM.
    Run(RunArgs),
    /// Write a record through the network and exit (0 when written to replicas, 1 when to none
    /// or to fewer than --min-replicas).
    Put(PutArgs),
    /// Read a record from the network: exit 0 found, 1 not found, 2 bad input.
    Get(GetArgs),
    /// Measure GETs one node serves per second over loopback, and its CPU time per GET.
    Bench(BenchArgs),
}

/// `dave-node keygen`.
#[derive(Debug, Args)]
pub struct KeygenArgs {
    /// Where to write the key.
    #[arg(long, default_value = "dave-node.key")]
    pub out: PathBuf,
    /// Replace an existing file.
    #[arg(long)]
    pub force: bool,
}

/// Protocol settings shared by every subcommand that runs a node.
#[derive(Clone, Debug, Args)]
pub struct ProtocolArgs {
    /// Proof-of-work bits a record must carry to be accepted (MIN_WORK, docs/protocol.md §11).
    #[arg(long, default_value_t = 16)]
    pub min_work: u32,
    /// Divide the periodic protocol intervals (pings, activation, deactivation, drop, address
    /// discovery, republish, challenges) by this factor, for tests and experiments on one
    /// machine; lookup and query timeouts stay as specified. 1 is the specification.
    #[arg(long, default_value_t = 1, value_parser = clap::value_parser!(u32).range(1..=1000))]
    pub time_scale: u32,
    /// A local cluster (one machine or one private network): loopback, private and
    /// link-local addresses are exempt from the network-group limits (docs/protocol.md §5),
    /// which would otherwise cap every table at a few peers of the one shared /24. Public
    /// addresses keep every limit.
    #[arg(long)]
    pub local: bool,
}

/// `dave-node run`.
#[derive(Debug, Args)]
pub struct RunArgs {
    /// Address and port to bind.
    #[arg(long)]
    pub listen: SocketAddr,
    /// Edge (bootstrap) peer; repeat for several.
    #[arg(long)]
    pub edge: Vec<SocketAddr>,
    /// The node's key file (see `keygen`).
    #[arg(long)]
    pub key: PathBuf,
    /// Backup log of the node's store; created if missing.
    #[arg(long)]
    pub backup: Option<PathBuf>,
    /// Bytes one of the 256 store shards may hold (SHARD_CAPACITY).
    #[arg(long, default_value_t = 4 * 1024 * 1024)]
    pub shard_capacity: u64,
    /// Longest time a backup entry waits for fsync, in milliseconds.
    #[arg(long, default_value_t = 1000)]
    pub sync_every_ms: u64,
    /// Seconds between status lines in the log (fractions allowed).
    #[arg(long, default_value = "10", value_parser = parse_seconds)]
    pub status_every: Duration,
    /// Serve Prometheus metrics at http://ADDR/metrics (e.g. 127.0.0.1:9464); off by default.
    #[arg(long, value_name = "ADDR")]
    pub metrics: Option<SocketAddr>,
    /// Threads that verify incoming records' signatures ahead of the node (0: the node's
    /// thread verifies them itself). Default: one per core, none on a single core.
    #[arg(long, value_name = "N", value_parser = clap::value_parser!(u16).range(0..=256))]
    pub verify_workers: Option<u16>,
    /// Protocol settings.
    #[command(flatten)]
    pub protocol: ProtocolArgs,
}

/// Options of the short-lived client node behind `put` and `get`. The client runs read-only
/// (docs/protocol.md §5): the nodes it asks answer it but never take it into their tables.
#[derive(Clone, Debug, Args)]
pub struct ClientArgs {
    /// Edge to join through; repeat (or separate with commas) for several: the client starts
    /// as soon as one of them answers.
    #[arg(long, value_delimiter = ',')]
    pub edge: Vec<SocketAddr>,
    /// Local address to bind (port 0 picks a free port).
    #[arg(long, default_value = "0.0.0.0:0")]
    pub listen: SocketAddr,
    /// Give up after this many seconds (fractions allowed).
    #[arg(long, default_value = "10", value_parser = parse_seconds)]
    pub timeout: Duration,
    /// Protocol settings.
    #[command(flatten)]
    pub protocol: ProtocolArgs,
}

/// `dave-node put`.
#[derive(Debug, Args)]
pub struct PutArgs {
    /// The writer's key file.
    #[arg(long)]
    pub key: PathBuf,
    /// Proof-of-work bits to mine (at least the network's MIN_WORK).
    #[arg(long)]
    pub work: Option<u32>,
    /// Fail (exit 1) when fewer than this many of the REPLICAS closest nodes were written to.
    /// Without it, fewer is a warning and any replica counts as written.
    #[arg(long, value_parser = clap::value_parser!(u32).range(1..))]
    pub min_replicas: Option<u32>,
    /// Record key (1..=255 bytes).
    pub record_key: String,
    /// Record value.
    pub value: String,
    /// Client options.
    #[command(flatten)]
    pub client: ClientArgs,
}

/// `dave-node get`.
#[derive(Debug, Args)]
pub struct GetArgs {
    /// Owner's public key, 64 hex characters.
    pub pubkey: String,
    /// Record key.
    pub record_key: String,
    /// Client options.
    #[command(flatten)]
    pub client: ClientArgs,
}

impl RunArgs {
    /// Verification workers: the flag, or [`crate::verify::default_workers`].
    pub fn verify_workers(&self) -> usize {
        self.verify_workers
            .map_or_else(crate::verify::default_workers, usize::from)
    }

    /// The node configuration of `run`: the protocol flags plus the store size, checked with
    /// [`Config::validate`] so that a setting that cannot work is refused (exit 2) up front.
    pub fn config(&self) -> Result<Config, AppError> {
        let mut config = self.protocol.config();
        config.shard_capacity = self.shard_capacity;
        checked(config)
    }
}

impl ClientArgs {
    /// The configuration of the client node: the protocol flags, read-only, checked.
    pub fn config(&self) -> Result<Config, AppError> {
        let mut config = self.protocol.config();
        config.read_only = true;
        checked(config)
    }
}

/// Refuses a configuration that fails [`Config::validate`], naming the flag behind the field.
fn checked(config: Config) -> Result<Config, AppError> {
    config.validate().map_err(|e| {
        let flag = match e.field {
            "min_work" => "--min-work",
            "shard_capacity" => "--shard-capacity",
            _ => "--time-scale",
        };
        AppError::BadArgument(format!("{flag}: {e}"))
    })?;
    Ok(config)
}

/// What `dave-node bench` measures.
#[derive(Clone, Copy, Debug, PartialEq, Eq, ValueEnum)]
pub enum BenchMode {
    /// GETs answered per second from a preloaded store.
    Get,
    /// Distinct, validly signed PUTs accepted (stored) per second.
    Put,
}

/// `dave-node bench`.
#[derive(Debug, Args)]
pub struct BenchArgs {
    /// What to measure.
    #[arg(long, value_enum, default_value_t = BenchMode::Get)]
    pub mode: BenchMode,
    /// Seconds to measure (fractions allowed); a PUT run ends sooner when its records run out.
    #[arg(long, default_value = "5", value_parser = parse_seconds)]
    pub seconds: Duration,
    /// GET: records stored in the served node (GETs cycle over them). PUT: records signed and
    /// mined before the measurement, each PUT once.
    #[arg(long, default_value_t = 1000)]
    pub records: usize,
    /// Verification workers of the served node; a comma-separated list runs the measurement
    /// once per entry against a fresh node (e.g. `0,1,2`).
    #[arg(long, value_name = "N,...", value_delimiter = ',', default_value = "0",
          value_parser = clap::value_parser!(u16).range(0..=256))]
    pub verify_workers: Vec<u16>,
    /// Bytes of each record's value.
    #[arg(long, default_value_t = 100)]
    pub value_bytes: usize,
    /// Requests (GETs, or PUTs not yet stored) kept in flight by each load generator.
    #[arg(long, default_value_t = 64)]
    pub in_flight: usize,
    /// Load-generator threads, each with its own socket and its own window of `--in-flight`
    /// GETs (more than one when a single client thread cannot keep the node busy).
    #[arg(long, default_value_t = 1, value_parser = clap::value_parser!(u16).range(1..=64))]
    pub clients: u16,
}

impl ProtocolArgs {
    /// The node configuration these flags describe, starting from the §11 defaults.
    ///
    /// `--time-scale` divides the periodic intervals (pings, activation and deactivation, drop,
    /// address discovery, republish, challenges) but not the timeouts that measure the network
    /// itself (lookup and query timeouts, the challenge floor): a fast test clock must not make
    /// a loaded machine's ordinary latency look like loss.
    pub fn config(&self) -> Config {
        let mut config = Config {
            min_work: self.min_work,
            local: self.local,
            ..Config::default()
        };
        let scale = self.time_scale.max(1);
        for interval in [
            &mut config.ping_every,
            &mut config.reauth_every,
            &mut config.activate_after,
            &mut config.deactivate_after,
            &mut config.drop_after,
            &mut config.addr_every,
            &mut config.republish_every,
            &mut config.challenge_every,
        ] {
            *interval /= scale;
        }
        config
    }
}

/// Parses a number of seconds: finite, above zero, at most one day (so that no later arithmetic
/// on it can overflow, and NaN or a negative value is a clear error rather than a panic).
fn parse_seconds(text: &str) -> Result<Duration, String> {
    let secs: f64 = text
        .parse()
        .map_err(|_| format!("{text:?} is not a number of seconds"))?;
    if !(secs > 0.0 && secs <= 86_400.0) {
        return Err(format!(
            "{text:?} must be above 0 and at most 86400 seconds"
        ));
    }
    Ok(Duration::from_secs_f64(secs))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn seconds_must_be_finite_positive_and_bounded() {
        assert_eq!(parse_seconds("0.25"), Ok(Duration::from_millis(250)));
        assert_eq!(parse_seconds("10"), Ok(Duration::from_secs(10)));
        for bad in ["0", "-1", "nan", "inf", "1e300", "soon", ""] {
            assert!(parse_seconds(bad).is_err(), "{bad}");
        }
    }

    #[test]
    fn time_scale_divides_intervals_but_not_network_timeouts() {
        let args = ProtocolArgs {
            min_work: 8,
            time_scale: 10,
            local: false,
        };
        let config = args.config();
        let spec = Config::default();
        assert_eq!(config.min_work, 8);
        assert_eq!(config.ping_every, spec.ping_every / 10);
        assert_eq!(config.activate_after, spec.activate_after / 10);
        assert_eq!(config.challenge_every, spec.challenge_every / 10);
        assert_eq!(config.lookup_timeout, spec.lookup_timeout);
        assert_eq!(config.query_timeout, spec.query_timeout);
        assert_eq!(config.challenge_min, spec.challenge_min);
    }

    #[test]
    fn local_lifts_group_limits_only_when_asked() {
        let parse = |extra: &[&str]| {
            let mut argv = vec![
                "dave-node",
                "run",
                "--listen",
                "127.0.0.1:4000",
                "--key",
                "k",
            ];
            argv.extend_from_slice(extra);
            match Cli::try_parse_from(argv).map(|c| c.command) {
                Ok(Command::Run(run)) => run.config().map(|c| c.local).ok(),
                _ => None,
            }
        };
        assert_eq!(parse(&[]), Some(false));
        assert_eq!(parse(&["--local"]), Some(true));
    }
}
