//! `rdbscope html`.

use rdbscope::diff::DiffDoc;
use rdbscope::output::html::{diff_page, report_page};
use rdbscope::report::doc::ReportDoc;

/// Draw a saved report or diff as one self-contained HTML page.
///
/// Reads a `report --format json` document (from `report`, or merged by
/// `rdbscope merge`), or a `diff --format json` document, and writes the
/// page that `--format html` writes: the dump's facts and predicted
/// used_memory, the doctor's findings, a treemap of memory by prefix
/// (click to zoom), types and encodings, per-type distributions, the expiry
/// timeline with its clusters, and sortable, filterable tables of the big,
/// hot and cold keys (for a diff: what grew). Everything is inline: the
/// page makes no request and works offline, from file:// or as a CI
/// artifact. No dump is read again.
#[derive(clap::Args)]
#[command(after_help = "Examples:
  rdbscope report dump.rdb --format html -o report.html      (straight from a dump)
  rdbscope report dump.rdb --format json -o report.json
  rdbscope html report.json -o report.html
  rdbscope merge node*.json --format json -o cluster.json && rdbscope html cluster.json -o cluster.html
  rdbscope diff baseline.json dump.rdb --format json | rdbscope html - -o diff.html")]
pub struct Args {
    /// A report or diff document (JSON; `-` for stdin).
    #[arg(value_name = "DOCUMENT")]
    document: String,
    /// Write to FILE instead of stdout.
    #[arg(short, long, value_name = "FILE")]
    output: Option<String>,
}

pub fn run(args: Args) -> anyhow::Result<u8> {
    let inputs = [args.document.clone()];
    super::shared::check_output(args.output.as_deref(), &inputs)?;
    let text = super::merge::read_text(
        &args.document,
        "html draws a saved report or diff",
        |name| format!("draw it with `rdbscope report {name} --format html -o FILE`"),
    )?;
    let page = if is_diff(&text) {
        diff_page(&DiffDoc::from_json(&text, &args.document)?)
    } else {
        // A mergeable document's state is not drawn.
        let mut doc = ReportDoc::from_json(&text, &args.document)?;
        doc.state = None;
        report_page(&doc)
    };
    let mut out = super::shared::output(args.output.as_deref(), &inputs)?;
    use std::io::Write;
    out.write_all(page.as_bytes())?;
    out.flush()?;
    Ok(super::EXIT_OK)
}

/// A diff document has `old`, `new` and `total` at its top.
fn is_diff(text: &str) -> bool {
    #[derive(serde::Deserialize)]
    struct Probe {
        old: Option<serde::de::IgnoredAny>,
        new: Option<serde::de::IgnoredAny>,
        total: Option<serde::de::IgnoredAny>,
    }
    matches!(
        serde_json::from_str::<Probe>(text),
        Ok(Probe {
            old: Some(_),
            new: Some(_),
            total: Some(_)
        })
    )
}
