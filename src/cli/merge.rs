//! `rdbscope merge`.

use rdbscope::output::report::{report_json, report_text};
use rdbscope::report::doc::ReportDoc;

use super::scan::Format;

/// Combine partial reports into one: the report of all their dumps.
///
/// Each input is a `rdbscope report --format json --mergeable` document
/// (one per dump, node or executor). The output is the document a single
/// `rdbscope report` over all those dumps prints, in the order given:
/// the same totals, top lists, prefixes, expiry clusters, doctor findings
/// and slots, for any grouping of the inputs (merge results made with
/// --mergeable can be merged again). The reports must be made with the
/// same rdbscope version and the same options (target, allocator,
/// --config, filters, prefix settings, --top, --no-doctor, --slots,
/// --maxmemory, and --cluster-nodes for all or none): anything else is
/// refused (exit 2), naming what differs. The same dump in two reports
/// is told as `report` tells a dump given twice. Files are listed by the
/// path each report read them from: report each node's dump by a path
/// that names the node (node1.rdb, or /backups/node1/dump.rdb).
///
/// Expiry clusters are named from what each report kept: the first key
/// segments behind each expiry second. A dump with more than 2 million
/// distinct (second, segment) pairs keeps too much to carry (as do merged
/// reports with more than 33 million); the merged clusters are then listed
/// without names, and stderr says so. Memory follows the size of the
/// reports read.
#[derive(clap::Args)]
#[command(after_help = "Examples:
  rdbscope report node1.rdb --format json --mergeable -o node1.json
  rdbscope report node2.rdb --format json --mergeable -o node2.json
  rdbscope merge node1.json node2.json
  rdbscope merge node*.json --format json -o cluster.json
  rdbscope merge eu.json us.json --format json --mergeable -o fleet.json")]
pub struct Args {
    /// Report documents made with `--mergeable` (`-` for stdin).
    #[arg(required = true, value_name = "REPORT")]
    reports: Vec<String>,
    /// Output format [default: from -o's name (.json, .html), else text]
    #[arg(long, value_enum)]
    format: Option<Format>,
    /// Write to FILE instead of stdout.
    #[arg(short, long, value_name = "FILE")]
    output: Option<String>,
    /// Put the merged state in the JSON too, so this result can be merged
    /// again.
    #[arg(long)]
    mergeable: bool,
}

/// A report with its state is a few MB to a few hundred (a merge of many
/// dumps' expiry labels); past this it is not one.
const MAX_REPORT: u64 = 1 << 30;

/// A dump (plain or compressed) named where a report goes: say what the
/// command reads and how to make it (`make`: the command line, for the
/// file's `name`).
fn not_a_dump(name: &str, reads: &str, make: impl Fn(&str) -> String) -> anyhow::Result<()> {
    use std::io::Read;
    let mut head = [0u8; 6];
    let n = std::fs::File::open(name)
        .and_then(|mut f| f.read(&mut head))
        .unwrap_or(0);
    let head = &head[..n];
    let what = if head.starts_with(b"REDIS") || head.starts_with(b"VALKEY") {
        "a dump"
    } else if [
        &[0x1f, 0x8b][..],
        &[0x28, 0xb5, 0x2f, 0xfd],
        &[0x04, 0x22, 0x4d, 0x18],
    ]
    .iter()
    .any(|m| head.starts_with(m))
    {
        "compressed (gzip, zstd or LZ4), not a report JSON"
    } else {
        return Ok(());
    };
    anyhow::bail!("{name} is {what}: {reads}; if it is a dump, {}", make(name))
}

/// A saved document's text (`-`: stdin), at most [`MAX_REPORT`], without
/// a byte-order mark; a dump named instead is refused as
/// [`not_a_dump`] says.
pub(super) fn read_text(
    name: &str,
    reads: &str,
    make: impl Fn(&str) -> String,
) -> anyhow::Result<String> {
    let text = if name == "-" {
        use std::io::Read;
        let max = MAX_REPORT;
        let mut bytes = Vec::new();
        std::io::stdin()
            .lock()
            .take(max + 1)
            .read_to_end(&mut bytes)?;
        if bytes.len() as u64 > max {
            anyhow::bail!("-: larger than {} MiB: not a report", max >> 20);
        }
        String::from_utf8(bytes).map_err(|_| anyhow::anyhow!("-: not text (invalid UTF-8)"))?
    } else {
        not_a_dump(name, reads, make)?;
        super::check::read_capped(std::path::Path::new(name), "report", MAX_REPORT)?
    };
    Ok(match text.strip_prefix('\u{feff}') {
        Some(rest) => rest.to_string(),
        None => text,
    })
}

fn read(name: &str) -> anyhow::Result<ReportDoc> {
    let make = |name: &str| {
        format!(
            "make its report with `rdbscope report {name} --format json --mergeable -o FILE` and name that"
        )
    };
    Ok(ReportDoc::from_json(
        &read_text(name, "merge reads reports", make)?,
        name,
    )?)
}

pub fn run(args: Args) -> anyhow::Result<u8> {
    super::shared::inputs_once(&args.reports)?;
    super::shared::check_output(args.output.as_deref(), &args.reports)?;
    let format = Format::pick(args.format, args.output.as_deref(), "merge")?;
    if args.mergeable && format != Format::Json {
        anyhow::bail!("--mergeable goes with --format json");
    }
    let mut docs = Vec::with_capacity(args.reports.len());
    for name in &args.reports {
        docs.push((name.clone(), read(name)?));
    }
    let merged = rdbscope::merge::merge(docs, args.mergeable)?;
    for n in &merged.notes {
        super::say(format!("warning: {n}"));
    }
    let doc = merged.doc;
    let mut out = super::shared::output(args.output.as_deref(), &args.reports)?;
    use std::io::Write;
    match format {
        Format::Text => {
            out.write_all(rdbscope::escape::terminal_lines(&report_text(&doc)).as_bytes())?
        }
        Format::Json => writeln!(out, "{}", report_json(&doc))?,
        Format::Html => out.write_all(rdbscope::output::html::report_page(&doc).as_bytes())?,
    }
    out.flush()?;
    Ok(super::EXIT_OK)
}
