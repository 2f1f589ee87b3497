//! `rdbscope verify`.

use std::io::{IsTerminal, Write};

use clap::ValueEnum;
use rdbscope::escape::terminal;
use rdbscope::input::Input;
use rdbscope::output::verify::{FileInfo, json_value, text_line};
use rdbscope::verify::verify_with_progress;

use super::{EXIT_ERROR, EXIT_OK};

#[derive(Clone, Copy, ValueEnum)]
enum Format {
    Text,
    Json,
}

/// Decode every record of each dump and check its CRC-64.
///
/// Prints one line per file: RDB version and family, the server that wrote
/// it (AUX redis-ver / valkey-ver), the number of keys and the checksum
/// status. A damaged file reports the absolute byte offset where decoding
/// stopped, with the db and key being read. Exits 0 when every file is
/// valid, 2 otherwise (a checksum mismatch is invalid).
///
/// With --format json, prints one JSON object per file per line with
/// `file`, `valid`, `rdb_version`, `family` (redis|valkey), `producer`,
/// `producer_version`, `keys`, `expires`, `by_type`, `dbs`, `checksum`
/// (ok|mismatch|absent), `warnings`, `error` (null or {offset, message,
/// db, key}) and `aux` (the AUX fields).
#[derive(clap::Args)]
#[command(after_help = "Examples:
  rdbscope verify dump.rdb
  rdbscope verify backups/*.rdb --format json
  rdbscope verify dump.rdb.zst appendonlydir")]
pub struct Args {
    /// Dump files (`-` for stdin), or live servers (redis://HOST:PORT, rediss://, unix:///PATH; see `rdbscope --help`).
    #[arg(required = true, value_name = "FILE")]
    pub(super) files: Vec<String>,
    /// Output format.
    #[arg(long, value_enum, default_value = "text")]
    format: Format,
    /// Write to FILE instead of stdout.
    #[arg(short, long, value_name = "FILE")]
    output: Option<String>,
    /// No progress bar (shown on stderr when it is a terminal).
    #[arg(long)]
    quiet: bool,
}

pub fn run(args: Args) -> anyhow::Result<u8> {
    super::shared::stdin_once(&args.files)?;
    let mut out = super::shared::output(args.output.as_deref(), &args.files)?;
    let mut code = EXIT_OK;
    let show = !args.quiet && std::io::stderr().is_terminal();
    for file in &args.files {
        let (wrapper, result) = match Input::open(file) {
            Ok(input) => {
                let data = input.feed();
                let bar = show.then(|| super::shared::progress_bar_for(file, data));
                let tick = |pos: u64| {
                    if let Some(b) = &bar {
                        super::shared::tick_bar(b, data, pos);
                    }
                };
                let mut v = verify_with_progress(data, &tick);
                v.warnings.extend(input.notes.iter().cloned());
                if let Some(b) = bar {
                    b.finish_and_clear();
                }
                (input.wrapper.as_str(), Ok(v))
            }
            Err(e) => ("none", Err(e)),
        };
        let info = FileInfo { file, wrapper };
        match result {
            Ok(v) => {
                if !v.is_valid() {
                    code = EXIT_ERROR;
                }
                match args.format {
                    Format::Text => writeln!(out, "{}", terminal(&text_line(&info, &v)))?,
                    Format::Json => writeln!(out, "{}", json_value(&info, &v))?,
                }
            }
            Err(e) => {
                code = EXIT_ERROR;
                match args.format {
                    Format::Text => writeln!(
                        out,
                        "{}",
                        terminal(&format!("{file}: FAILED, cannot read: {e}"))
                    )?,
                    Format::Json => {
                        let v = serde_json::json!({"file": file, "valid": false, "error": {"offset": null, "message": format!("cannot read: {e}")}});
                        writeln!(out, "{v}")?
                    }
                }
            }
        }
    }
    out.flush()?;
    Ok(code)
}
