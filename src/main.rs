//! The `rdbscope` binary: parse arguments, run a subcommand, map the result
//! to an exit code (0 success, 1 rule violations, 2 errors).

mod cli;

use std::process::ExitCode;

use clap::Parser;

fn main() -> ExitCode {
    // A password in a source URL is taken out before anything can print
    // or store the URL.
    let mut argv: Vec<std::ffi::OsString> = std::env::args_os().collect();
    let mut redacted = false;
    for a in &mut argv {
        let Some(s) = a.to_str() else { continue };
        let mut one = [s.to_string()];
        match rdbscope::input::live::redact_args(&mut one) {
            Ok(found) if !found.is_empty() => {
                let [r] = one;
                *a = r.into();
                redacted = true;
            }
            Ok(_) => {}
            Err(e) => {
                cli::say(e);
                return ExitCode::from(cli::EXIT_ERROR);
            }
        }
    }
    if redacted {
        cli::say(
            "warning: a password in a URL is seen by other users of this machine (ps): \
             put it in REDISCLI_AUTH or use --askpass",
        );
    }
    let args = cli::Cli::parse_from(argv);
    let mut result = cli::run(args);
    rdbscope::input::live::discard_unfinished();
    if matches!(result, Ok(0 | 1)) && rdbscope::input::live::save_incomplete() {
        cli::say(
            "--save-to: not written: the server's transfer did not reach the end of its RDB \
             (it announced more bytes than the dump holds, or stopped early)",
        );
        result = Ok(cli::EXIT_ERROR);
    }
    match result {
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
