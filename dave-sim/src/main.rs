//! The `dave-sim` binary: see `dave_sim::cli`.

fn main() -> std::process::ExitCode {
    dave_sim::cli::main()
}
