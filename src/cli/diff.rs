//! `rdbscope diff`.

use rdbscope::report::Sections;
use rdbscope::report::doc::ReportDoc;

use super::scan::{PrefixArgs, ScanOpts, TopArgs};

/// What changed between two dumps, or a dump and a saved report.
///
/// Keys and estimated memory by type and by prefix (before, after, change;
/// new and vanished prefixes), keys without TTL, and the keys that grew
/// most among the biggest.
///
/// OLD may be a dump or a saved `rdbscope report --format json` (`-` reads
/// either from stdin), so a repository can keep a small JSON baseline
/// instead of a dump. Totals are exactly those of `rdbscope report` on each
/// side. Two sides made with different profiles, allocators, --config,
/// filters or prefix settings are refused (exit 2) unless
/// --allow-profile-mismatch is given: comparing them would measure the
/// settings, not the data.
#[derive(clap::Args)]
#[command(after_help = "Examples:
  rdbscope diff yesterday.rdb today.rdb
  rdbscope diff ci/baseline.json dump.rdb --format json
  rdbscope report dump.rdb --format json | rdbscope diff - new.rdb")]
pub struct Args {
    /// The earlier dump, or a saved `report --format json`.
    #[arg(value_name = "OLD")]
    old: String,
    /// The later dump (or report JSON).
    #[arg(value_name = "NEW")]
    new: String,
    /// Compare sides made with different settings anyway (the output says so).
    #[arg(long)]
    allow_profile_mismatch: bool,
    #[command(flatten)]
    top: TopArgs,
    #[command(flatten)]
    opts: ScanOpts,
    #[command(flatten)]
    prefixes: PrefixArgs,
}

/// A side as a report document: a saved one, or a dump reported now.
pub(super) fn side(
    name: &str,
    a: &rdbscope::analysis::Analysis,
    opts: &ScanOpts,
) -> anyhow::Result<ReportDoc> {
    match rdbscope::input::Input::open(name) {
        Ok(input) if input.is_json() => {
            let max = super::check::MAX_TEXT_FILE;
            let (head, _) = input.feed().wait(max);
            if head.len() as u64 > max {
                input.feed().stop();
                anyhow::bail!(
                    "{name}: a JSON larger than {} MiB is not a report",
                    max >> 20
                );
            }
            let text = std::str::from_utf8(input.bytes())
                .map_err(|_| anyhow::anyhow!("{name}: not a report JSON (invalid UTF-8)"))?;
            Ok(ReportDoc::from_json(text, name)?)
        }
        Ok(input) => {
            let doc = opts.run_input(a, name, input)?;
            super::shared::say_file_warnings(&doc);
            Ok(doc)
        }
        Err(e) => Err(rdbscope::Error::from(e).in_file(name).into()),
    }
}

fn opts_output(o: &ScanOpts) -> Option<&std::path::Path> {
    o.output.as_deref().map(std::path::Path::new)
}

pub fn run(args: Args) -> anyhow::Result<u8> {
    super::shared::stdin_once([&args.old, &args.new])?;
    super::shared::not_an_input(
        opts_output(&args.opts),
        [&args.old, &args.new].map(|f| std::path::Path::new(f.as_str())),
    )?;
    let show = args.top.top;
    let opts = args.opts;
    // Compare many rows so both sides list the same keys; show `--top`.
    // diff compares reports; the doctor's findings are not part of it.
    let sections = Sections {
        doctor: false,
        ..Sections::ALL
    };
    // A wrong -o name fails before the two scans.
    opts.format()?;
    let a = opts.analysis(show.max(500), &args.prefixes, sections)?;
    let old = side(&args.old, &a, &opts)?;
    let new = side(&args.new, &a, &opts)?;
    let m = rdbscope::diff::mismatches(&old, &new);
    if !m.is_empty() && !args.allow_profile_mismatch {
        anyhow::bail!(
            "the two sides were made with other settings ({}); {}",
            m.join("; "),
            rdbscope::diff::mismatch_remedy(&m, "them")
        );
    }
    // Dump times (AUX ctime, seconds): the newest of each side's files.
    let dumped = |d: &ReportDoc| d.files.iter().filter_map(|f| f.ctime).max();
    if let (Some(o), Some(n)) = (dumped(&old), dumped(&new))
        && o > n
    {
        super::say(format!(
            "warning: OLD was dumped after NEW ({} vs {}): the changes are read backwards; \
             swap them if that is not meant",
            rdbscope::units::rfc3339_ms(o.saturating_mul(1000)),
            rdbscope::units::rfc3339_ms(n.saturating_mul(1000))
        ));
    }
    let d = rdbscope::diff::diff(&old, &new, show, &m);
    opts.emit(
        || rdbscope::output::diff::diff_text(&d),
        || rdbscope::output::diff::diff_json(&d),
        || rdbscope::output::html::diff_page(&d),
    )
}
