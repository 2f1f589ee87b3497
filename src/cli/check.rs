//! `rdbscope check`.

use std::path::PathBuf;

use anyhow::Context;
use rdbscope::check::rules::Rules;
use rdbscope::check::{CheckAcc, Compiled, evaluate};
use rdbscope::output::check;

use super::scan::ScanArgs;
use super::{EXIT_OK, EXIT_VIOLATIONS};

/// Gate a CI job on key hygiene: rules from a TOML file.
///
/// The rules run over one or more dumps (a checked-in fixture, a nightly
/// BGSAVE).
///
/// Rules (all optional): max_key_bytes = "10MB"; max_elements = 100000;
/// require_ttl = ["session:*", "cart:*"]; [max_prefix_bytes] "cache:*" =
/// "2GB"; max_no_ttl_share = 0.5; max_expiry_cluster_keys = 10000 (keys
/// expiring within the same second); baseline = "baseline.json" (a saved
/// `rdbscope report --format json`, relative to the rules file) with
/// max_growth = "10%" (total and per prefix); [allowed_encodings] "user:*"
/// = ["listpack"]. Sizes: B, KB, MB, GB, TB (powers of 1000) or KiB, MiB,
/// GiB, TiB. Memory is the estimate of `MEMORY USAGE` on the target.
///
/// Exit codes: 0 every rule holds; 1 a rule failed (each failing rule is
/// listed with its worst offenders and a count); 2 unreadable input, an
/// invalid rules file (with its line) or bad arguments.
#[derive(clap::Args)]
pub struct Args {
    /// The rules file (TOML).
    #[arg(long, value_name = "FILE")]
    rules: PathBuf,
    /// Also write a JUnit XML report (one test case per rule) to FILE.
    #[arg(long, value_name = "FILE")]
    junit: Option<PathBuf>,
    /// Offending keys named per failing rule (the count covers all).
    #[arg(long, default_value_t = 10, value_name = "N")]
    offenders: usize,
    #[command(flatten)]
    scan: ScanArgs,
}

pub fn run(args: Args) -> anyhow::Result<u8> {
    let text = std::fs::read_to_string(&args.rules)
        .with_context(|| format!("cannot read {}", args.rules.display()))?;
    let rules = Rules::parse(&text)
        .map_err(|e| anyhow::anyhow!("{}: invalid rules: {e}", args.rules.display()))?;
    let baseline = match &rules.baseline {
        Some(b) => {
            let path = args
                .rules
                .parent()
                .unwrap_or(std::path::Path::new("."))
                .join(b);
            let text = std::fs::read_to_string(&path)
                .with_context(|| format!("cannot read baseline {}", path.display()))?;
            Some(
                serde_json::from_str::<serde_json::Value>(&text)
                    .with_context(|| format!("baseline {}: not JSON", path.display()))?,
            )
        }
        None => None,
    };
    let compiled = Compiled::new(rules, baseline.as_ref())
        .map_err(|e| anyhow::anyhow!("{}: {e}", args.rules.display()))?;
    let (finished, acc) = args.scan.run_with(
        || CheckAcc::new(&compiled, args.offenders),
        |a, f| a.add(&compiled, f),
        |a, b| a.merge(b),
    )?;
    let results = evaluate(&compiled, &finished.report, &acc);
    if let Some(path) = &args.junit {
        let xml =
            check::junit(&results, &args.scan.files).map_err(|e| anyhow::anyhow!("junit: {e}"))?;
        std::fs::write(path, xml).with_context(|| format!("cannot write {}", path.display()))?;
    }
    super::scan::emit(
        args.scan.format,
        || check::text(&results),
        || check::json(&results),
    )?;
    Ok(if results.iter().all(|r| r.ok) {
        EXIT_OK
    } else {
        EXIT_VIOLATIONS
    })
}
