//! The `rdbscope` binary: parse arguments, run a subcommand, map the result
//! to an exit code (0 success, 1 rule violations, 2 errors).

mod cli;

use std::process::ExitCode;

use clap::Parser;

fn main() -> ExitCode {
    let args = cli::Cli::parse();
    match cli::run(args) {
        Ok(code) => ExitCode::from(code),
        Err(e) => {
            if cli::is_broken_pipe(&e) {
                return ExitCode::SUCCESS;
            }
            cli::say(format!("{e:#}"));
            ExitCode::from(cli::EXIT_ERROR)
        }
    }
}
