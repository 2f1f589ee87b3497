//! Command-line interface: one module per subcommand; each only parses its
//! arguments and calls the library.

mod bigkeys;
mod check;
mod diff;
mod doctor;
mod dump;
mod expiry;
mod html;
mod keys;
mod live;
mod merge;
mod prefixes;
mod report;
mod scan;
mod shared;
mod verify;

use clap::{Parser, Subcommand};

pub const EXIT_OK: u8 = 0;
pub const EXIT_VIOLATIONS: u8 = 1;
pub const EXIT_ERROR: u8 = 2;

const AFTER_HELP: &str = "\
Inputs: a dump file, `-` for stdin, a gzip/zstd/LZ4-compressed dump (detected
by content), an AOF with an RDB preamble, or a multi-part AOF directory or
manifest (its base RDB is read), or a live server: redis://[USER@]HOST[:PORT],
rediss://… (TLS), unix://[USER@]/PATH. rdbscope reads a live server as a replica
does: the server forks and saves (BGSAVE; or streams it, with
repl-diskless-sync) and buffers its writes for the copy meanwhile; it shows a
replica in INFO replication until the RDB is sent. Read from a replica, not a
busy primary. Nothing is written to disk (unless --save-to); the password
comes from REDISCLI_AUTH or --askpass.

Exit codes:
  0  success: every file decoded and its checksum matched (or none was stored)
  1  `check` found rule violations
  2  an input could not be read or decoded, a checksum mismatched, or the
     arguments were invalid";

/// Analyze Redis and Valkey RDB snapshot files offline.
///
/// rdbscope reads dumps written by Redis 1.x–8.x and Valkey 7.2–9.x from a
/// copy on disk, or straight from a server as a short-lived replica.
#[derive(Parser)]
#[command(name = "rdbscope", version, after_help = AFTER_HELP)]
pub struct Cli {
    #[command(subcommand)]
    command: Command,
    #[command(flatten)]
    live: live::LiveArgs,
}

#[derive(Subcommand)]
enum Command {
    Verify(verify::Args),
    Dump(dump::Args),
    Keys(Box<keys::Args>),
    Report(Box<report::Args>),
    Bigkeys(Box<bigkeys::Args>),
    Prefixes(Box<prefixes::Args>),
    Expiry(Box<expiry::Args>),
    Check(Box<check::Args>),
    Diff(Box<diff::Args>),
    Doctor(Box<doctor::Args>),
    Merge(Box<merge::Args>),
    Html(Box<html::Args>),
}

/// The live-source options checked before any server is contacted.
fn check_live_options(cli: &mut Cli) -> anyhow::Result<()> {
    use rdbscope::input::live::SourceUrl;
    let save_to = cli.live.save_to().map(std::path::Path::to_path_buf);
    let tls = cli.live.tls_options();
    let Some(files) = cli.command.files_mut() else {
        if save_to.is_some() {
            anyhow::bail!("--save-to is for the commands that read dumps, not diff or merge");
        }
        return Ok(());
    };
    let urls: Vec<SourceUrl> = files
        .iter()
        .filter_map(|f| SourceUrl::parse(f))
        .collect::<Result<_, _>>()
        .map_err(|e| anyhow::anyhow!(e))?;
    let mut seen = std::collections::HashSet::new();
    if let Some(twice) = urls.iter().find(|u| !seen.insert(u.display())) {
        anyhow::bail!(
            "{} is given twice: each server is read once",
            twice.display()
        );
    }
    if cli.live.askpass() && urls.is_empty() {
        anyhow::bail!(
            "--askpass is for live sources (redis://, rediss://, unix://): none is given"
        );
    }
    if tls && !urls.iter().any(SourceUrl::is_tls) {
        anyhow::bail!(
            "--cacert, --cert, --key and --insecure are for rediss:// sources: none is given"
        );
    }
    if let Some(path) = save_to {
        rdbscope::input::live::check_save_to(&path).map_err(|e| anyhow::anyhow!(e))?;
        if urls.len() != 1 {
            anyhow::bail!(
                "--save-to keeps the dump of one live server: give one redis://, rediss:// or \
                 unix:// input ({} given)",
                urls.len()
            );
        }
        if files.iter().any(|f| std::path::Path::new(f) == path) {
            anyhow::bail!("--save-to {} is also an input", path.display());
        }
    }
    Ok(())
}

impl Command {
    /// The dump files a command reads (`None`: it reads reports).
    fn files_mut(&mut self) -> Option<&mut Vec<String>> {
        Some(match self {
            Command::Verify(a) => &mut a.files,
            Command::Dump(a) => &mut a.files,
            Command::Keys(a) => &mut a.files,
            Command::Report(a) => &mut a.files,
            Command::Bigkeys(a) => &mut a.files,
            Command::Prefixes(a) => &mut a.files,
            Command::Expiry(a) => &mut a.files,
            Command::Check(a) => &mut a.files,
            Command::Doctor(a) => &mut a.files,
            Command::Diff(_) | Command::Merge(_) | Command::Html(_) => return None,
        })
    }
}

pub fn run(mut cli: Cli) -> anyhow::Result<u8> {
    check_live_options(&mut cli)?;
    let cli_save_to_given = cli.live.save_to().is_some();
    if let Some(read) = cli.live.install()? {
        // `--cluster`: each address stands for the nodes of its cluster.
        let Some(files) = cli.command.files_mut() else {
            anyhow::bail!("--cluster is for the commands that read dumps, not diff or merge");
        };
        if cli_save_to_given {
            anyhow::bail!(
                "--save-to keeps the dump of one live server, and --cluster reads several: \
                 give the node's address without --cluster"
            );
        }
        let mut nodes: Vec<String> = Vec::new();
        for f in files.iter() {
            let more = rdbscope::input::live::cluster_nodes(f, read)
                .map_err(|e| anyhow::anyhow!("{}: {e}", rdbscope::escape::terminal(f)))?;
            // Seeds of the same cluster name the same nodes: each is read once.
            for n in more {
                if !nodes.contains(&n) {
                    nodes.push(n);
                }
            }
        }
        *files = nodes;
    }
    match cli.command {
        Command::Verify(a) => verify::run(a),
        Command::Dump(a) => dump::run(a),
        Command::Keys(a) => keys::run(*a),
        Command::Report(a) => report::run(*a),
        Command::Bigkeys(a) => bigkeys::run(*a),
        Command::Prefixes(a) => prefixes::run(*a),
        Command::Expiry(a) => expiry::run(*a),
        Command::Check(a) => check::run(*a),
        Command::Diff(a) => diff::run(*a),
        Command::Doctor(a) => doctor::run(*a),
        Command::Merge(a) => merge::run(*a),
        Command::Html(a) => html::run(*a),
    }
}

/// Prints a message on stderr, terminal-safe (messages may quote keys and
/// AUX values from a dump). Only the first line starts with `rdbscope:`;
/// any further line (a TOML error's excerpt, a line break inside a dump's
/// AUX value) is indented, so no input can forge a message line of its own.
pub fn say(msg: impl std::fmt::Display) {
    use std::io::Write as _;
    // A server's words may echo a password: never printed.
    let msg = rdbscope::input::live::scrub(&msg.to_string());
    let text = rdbscope::escape::terminal_lines(&msg).replace('\n', "\n  ");
    // A closed stderr (`2>&1 | head`) is no reason to panic.
    let _ = writeln!(std::io::stderr(), "rdbscope: {text}");
}

/// A closed stdout (`rdbscope dump x | head`) is not an error.
pub fn is_broken_pipe(e: &anyhow::Error) -> bool {
    let broken = |io: &std::io::Error| io.kind() == std::io::ErrorKind::BrokenPipe;
    e.chain().any(|c| {
        c.downcast_ref::<std::io::Error>().is_some_and(broken)
            || c.downcast_ref::<rdbscope::Error>()
                .and_then(rdbscope::Error::io_error)
                .is_some_and(broken)
    })
}
