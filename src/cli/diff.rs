//! `rdbscope diff`.

use anyhow::Context;
use rdbscope::output::report::report_json;
use serde_json::Value;

use super::scan::ScanOpts;

/// What changed between two dumps, or a dump and a saved report.
///
/// Keys and estimated memory by type and by prefix (before, after, change; new and vanished prefixes), keys
/// without TTL, and the keys that grew most among the biggest.
///
/// OLD may be a dump or a saved `rdbscope report --format json`, so a
/// repository can keep a small JSON baseline instead of a dump. Totals are
/// exactly those of `rdbscope report` on each side.
#[derive(clap::Args)]
pub struct Args {
    /// The earlier dump, or a saved `report --format json`.
    #[arg(value_name = "OLD")]
    old: String,
    /// The later dump (or report JSON).
    #[arg(value_name = "NEW")]
    new: String,
    #[command(flatten)]
    opts: ScanOpts,
}

/// A side as a report document.
fn side(name: &str, opts: &ScanOpts) -> anyhow::Result<Value> {
    if name != "-" {
        let mut head = [0u8; 1];
        let n = std::fs::File::open(name)
            .and_then(|mut f| std::io::Read::read(&mut f, &mut head))
            .with_context(|| format!("{name}: cannot read"))?;
        if n == 1 && head[0] == b'{' {
            let text =
                std::fs::read_to_string(name).with_context(|| format!("{name}: cannot read"))?;
            let v: Value = serde_json::from_str(&text)
                .with_context(|| format!("{name}: not a report JSON"))?;
            if v["schema_version"].as_u64() != Some(1) || v["summary"].is_null() {
                anyhow::bail!(
                    "{name}: not an `rdbscope report --format json` document (schema_version 1)"
                );
            }
            return Ok(v);
        }
    }
    Ok(report_json(&opts.run(&[name.to_string()])?))
}

pub fn run(args: Args) -> anyhow::Result<u8> {
    let show = args.opts.top;
    let mut opts = args.opts;
    // Compare many rows so both sides list the same prefixes and keys; show `--top`.
    opts.top = opts.top.max(500);
    let old = side(&args.old, &opts)?;
    let new = side(&args.new, &opts)?;
    let d = rdbscope::diff::diff(&old, &new, show);
    super::scan::emit(opts.format, || rdbscope::diff::text(&d), || d.clone())?;
    Ok(super::EXIT_OK)
}
