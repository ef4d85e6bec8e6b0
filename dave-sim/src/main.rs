//! The `dave-sim` binary: see `dave_sim::cli`.

fn main() -> std::process::ExitCode {
    dave_sim::huge_pages::restart_with_huge_pages();
    dave_sim::cli::main()
}
