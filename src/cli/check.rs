//! `rdbscope check`.

use std::path::PathBuf;

use anyhow::Context;
use rdbscope::check::rules::Rules;
use rdbscope::check::{CheckAcc, Compiled, evaluate};
use rdbscope::output::check;
use rdbscope::report::Sections;
use rdbscope::report::doc::ReportDoc;

use super::scan::{PrefixArgs, ScanOpts, TopArgs};
use super::{EXIT_OK, EXIT_VIOLATIONS};

/// Gate a CI job on key hygiene: rules from a TOML file.
///
/// The rules run over one or more dumps (a checked-in fixture, a nightly
/// BGSAVE).
///
/// Rules (at least one): max_key_bytes = "10MB"; max_elements = 100000;
/// require_ttl = ["session:*", "cart:*"]; [max_prefix_bytes] "cache:*" =
/// "2GB"; max_no_ttl_share = 0.5; max_expiry_cluster_keys = 10000 (keys
/// expiring within the same second); baseline = "baseline.json" (a saved
/// `rdbscope report --format json`, relative to the rules file) with
/// max_growth = "10%" (total and every prefix) and max_new_prefix_bytes =
/// "1MB" (prefixes the baseline does not have); [allowed_encodings]
/// "user:*" = ["listpack"]; max_doctor_severity = "warning" (no critical
/// `doctor` finding) and max_savings = "100MB" (Σ the savings of the
/// doctor's findings, default doctor settings). Sizes: B, KB, MB, GB, TB (powers of 1000) or
/// KiB, MiB, GiB, TiB. Memory is the estimate of `MEMORY USAGE` on the
/// target.
///
/// A glob that matches no key fails its rule (a typo such as "sesion:*"
/// must not pass); write { pattern = "tmp:*", allow_empty = true } in
/// require_ttl, { max = "2GB", allow_empty = true } in max_prefix_bytes or
/// { encodings = [...], allow_empty = true } in allowed_encodings where
/// that is expected. A baseline made with another profile, allocator,
/// --config, filters or prefix settings is refused (exit 2) unless
/// --allow-profile-mismatch is given.
///
/// Exit codes: 0 every rule holds; 1 a rule failed (each failing rule is
/// listed with its worst offenders and a count); 2 unreadable input, an
/// invalid or empty rules file (with its line), an incomparable baseline
/// or bad arguments.
#[derive(clap::Args)]
#[command(after_help = "Examples:
  rdbscope check dump.rdb --rules ci/rules.toml
  rdbscope check dump.rdb --rules ci/rules.toml --junit rdbscope-junit.xml
  rdbscope check node1.rdb node2.rdb --rules rules.toml --format json --offenders 50")]
pub struct Args {
    /// Dump files (`-` for stdin), or live servers (redis://HOST:PORT, rediss://, unix:///PATH; see `rdbscope --help`); several files are checked as one.
    #[arg(required = true, value_name = "FILE")]
    pub(super) files: Vec<String>,
    /// The rules file (TOML).
    #[arg(long, value_name = "FILE")]
    rules: PathBuf,
    /// Also write a JUnit XML report (one test case per rule) to FILE.
    #[arg(long, value_name = "FILE")]
    junit: Option<PathBuf>,
    /// Offending keys named per failing rule (the count covers all).
    #[arg(long, default_value_t = 10, value_name = "N")]
    offenders: usize,
    /// Compare with a baseline made with other settings anyway (the
    /// output says so).
    #[arg(long)]
    allow_profile_mismatch: bool,
    #[command(flatten)]
    opts: ScanOpts,
    #[command(flatten)]
    prefixes: PrefixArgs,
}

/// Rules files and baselines are small: anything larger is not one.
pub const MAX_TEXT_FILE: u64 = 256 << 20;

/// A rules file is a few KB (even 10,000 globs are well under 1 MiB).
const MAX_RULES_FILE: u64 = 4 << 20;

/// Reads a small text file (rules, a baseline), refusing huge ones.
pub fn read_small(path: &std::path::Path, what: &str) -> anyhow::Result<String> {
    read_capped(path, what, MAX_TEXT_FILE)
}

pub fn read_capped(path: &std::path::Path, what: &str, max: u64) -> anyhow::Result<String> {
    use std::io::Read;
    let f = std::fs::File::open(path)
        .with_context(|| format!("cannot read {what} {}", path.display()))?;
    let mut bytes = Vec::new();
    let n = f
        .take(max + 1)
        .read_to_end(&mut bytes)
        .with_context(|| format!("cannot read {what} {}", path.display()))?;
    if n as u64 > max {
        anyhow::bail!(
            "{what} {} is larger than {} MiB: not a {what}",
            path.display(),
            max >> 20
        );
    }
    if bytes.starts_with(b"REDIS") || bytes.starts_with(b"VALKEY") {
        anyhow::bail!(
            "{what} {} is a dump, not a {what}: save a report of it with \
             `rdbscope report DUMP --format json -o FILE` and name that",
            path.display()
        );
    }
    String::from_utf8(bytes)
        .map_err(|_| anyhow::anyhow!("{what} {} is not text (invalid UTF-8)", path.display()))
}

pub fn run(args: Args) -> anyhow::Result<u8> {
    if args.opts.format()? == super::scan::Format::Html {
        anyhow::bail!(
            "check writes text or json (and --junit FILE); for a page, `rdbscope report --format html`"
        );
    }
    let inputs = args
        .files
        .iter()
        .map(std::path::Path::new)
        .chain([args.rules.as_path()]);
    super::shared::not_an_input(args.junit.as_deref(), inputs)?;
    let rules_name = args.rules.display().to_string();
    let text = read_capped(&args.rules, "rules file", MAX_RULES_FILE)?;
    let rules =
        Rules::parse(&text).map_err(|e| anyhow::anyhow!("{rules_name}: invalid rules: {e}"))?;
    let baseline = match &rules.baseline {
        Some(b) => {
            let path = args
                .rules
                .parent()
                .unwrap_or(std::path::Path::new("."))
                .join(b);
            let text = read_small(&path, "baseline")?;
            Some(ReportDoc::from_json(
                &text,
                &format!("baseline {}", path.display()),
            )?)
        }
        None => None,
    };
    let compiled =
        Compiled::new(rules, baseline).map_err(|e| anyhow::anyhow!("{rules_name}: {e}"))?;
    let a = args
        .opts
        .analysis(TopArgs::default().top, &args.prefixes, Sections::ALL)?;
    let (doc, acc) = args
        .opts
        .run(&a, &args.files, || CheckAcc::new(&compiled, args.offenders))?;
    let mut notes = Vec::new();
    if let Some(base) = compiled.baseline() {
        let m = rdbscope::diff::mismatches(base, &doc);
        if !m.is_empty() {
            if !args.allow_profile_mismatch {
                anyhow::bail!(
                    "the baseline was made with other settings ({}); {}",
                    m.join("; "),
                    rdbscope::diff::mismatch_remedy(&m, "it")
                );
            }
            notes.extend(
                m.into_iter()
                    .map(|m| format!("baseline made with other settings: {m}")),
            );
        }
    }
    super::shared::say_file_warnings(&doc);
    let results = evaluate(&compiled, &doc, &acc);
    if let Some(path) = &args.junit {
        let xml = check::junit(&results, &args.files).map_err(|e| anyhow::anyhow!("junit: {e}"))?;
        std::fs::write(path, xml).with_context(|| format!("cannot write {}", path.display()))?;
    }
    for n in &notes {
        super::say(format!("warning: {n}"));
    }
    args.opts.emit(
        || check::text(&results, &notes),
        || check::json(&results, &notes).to_string(),
        String::new,
    )?;
    Ok(if results.iter().all(|r| r.ok) {
        EXIT_OK
    } else {
        EXIT_VIOLATIONS
    })
}
