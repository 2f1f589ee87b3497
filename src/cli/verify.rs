//! `rdbscope verify`.

use std::io::Write;

use clap::ValueEnum;
use rdbscope::input::Input;
use rdbscope::output::verify::{FileInfo, json_value, text_line};
use rdbscope::verify::verify;

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
pub struct Args {
    /// Dump files (`-` for stdin).
    #[arg(required = true, value_name = "FILE")]
    files: Vec<String>,
    /// Output format.
    #[arg(long, value_enum, default_value = "text")]
    format: Format,
}

pub fn run(args: Args) -> anyhow::Result<u8> {
    let stdout = std::io::stdout();
    let mut out = stdout.lock();
    let mut code = EXIT_OK;
    for file in &args.files {
        let (wrapper, result) = match Input::open(file) {
            Ok(input) => (input.wrapper.as_str(), Ok(verify(input.rdb()))),
            Err(e) => ("none", Err(e)),
        };
        let info = FileInfo { file, wrapper };
        match result {
            Ok(v) => {
                if !v.is_valid() {
                    code = EXIT_ERROR;
                }
                match args.format {
                    Format::Text => writeln!(out, "{}", text_line(&info, &v))?,
                    Format::Json => writeln!(out, "{}", json_value(&info, &v))?,
                }
            }
            Err(e) => {
                code = EXIT_ERROR;
                match args.format {
                    Format::Text => writeln!(out, "{file}: FAILED, cannot read: {e}")?,
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
