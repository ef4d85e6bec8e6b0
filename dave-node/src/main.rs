//! `dave-node`: run a Dave node over UDP, or put/get one record through the network.
//! See `dave-node --help` and the crate docs; exit codes are listed in `error.rs`.

use std::io::IsTerminal;
use std::process::ExitCode;

use clap::Parser;
use tracing_subscriber::EnvFilter;

use dave_node::cli::{Cli, Command};
use dave_node::error::AppError;
use dave_node::{bench, client, keyfile, run};

fn main() -> ExitCode {
    let cli = match Cli::try_parse() {
        Ok(cli) => cli,
        // A usage error: one line naming the problem, exit 2 (clap's own text adds usage and tips
        // over several lines; `--help` for those).
        Err(e) if e.use_stderr() => {
            let text = e.to_string();
            let first = text.lines().next().unwrap_or("invalid arguments");
            eprintln!(
                "dave-node: {} (see --help)",
                first.trim_start_matches("error: ")
            );
            return ExitCode::from(2);
        }
        // --help and --version print to stdout and exit 0.
        Err(e) => e.exit(),
    };
    tracing_subscriber::fmt()
        .with_env_filter(
            EnvFilter::try_from_default_env().unwrap_or_else(|_| EnvFilter::new("info")),
        )
        .with_writer(std::io::stderr)
        .with_ansi(std::io::stderr().is_terminal())
        .init();
    match dispatch(cli.command) {
        Ok(code) => ExitCode::from(code),
        Err(e) => {
            eprintln!("dave-node: {e}");
            ExitCode::from(e.exit_code())
        }
    }
}

/// Runs a subcommand; returns the exit code of a normal end.
fn dispatch(command: Command) -> Result<u8, AppError> {
    match command {
        Command::Keygen(args) => {
            let key = keyfile::generate()?;
            keyfile::write(&args.out, &key, args.force)?;
            println!("{}", hex::encode(key.verifying_key().to_bytes()));
            Ok(0)
        }
        Command::Run(args) => run::run(&args).map(|()| 0),
        Command::Put(args) => client::put(&args),
        Command::Get(args) => client::get(&args),
        Command::Bench(args) => bench::run(&args).map(|()| 0),
    }
}
