//! `rdbscope doctor`.

use anyhow::Context;
use rdbscope::output::doctor::{doctor_json, doctor_text};
use rdbscope::output::html::report_page;
use rdbscope::report::Sections;
use rdbscope::report::doctor::DoctorConfig;
use rdbscope::report::doctor::script::ScriptPlan;

use super::scan::{PrefixArgs, ScanOpts};
use super::shared::parse_size_arg;

/// What is wrong with the dump's memory, what fixing it saves, and how.
///
/// The memory playbook, run offline: each finding has a kind, a severity
/// (info, warning, critical), a subject (a key or a prefix glob), the
/// evidence, the bytes now and after the remedy (estimated with the
/// memory model on the target: `MEMORY USAGE`), how sure that is (exact,
/// expected, approx) and the remedy, with the config line or command.
/// Findings are ranked by savings, then severity.
///
/// Kinds: ttl_leak (keys without TTL among keys with one, or under
/// temp:/tmp:/cache:/session:/lock:), big_key (with the largest element
/// and what DEL blocks), split_big_key (chunks that stay listpacks),
/// entity_strings_to_hash (user:<id>:<field> strings as one hash per
/// entity), compress_values (a sample compressed with zstd and zlib),
/// listpack_threshold (collections just over *-max-listpack-entries),
/// trim_zset, expiry_cluster (with the peak after TTL jitter), hot_keys
/// and cold_keys (from LFU/LRU data), capacity (predicted used_memory
/// against --maxmemory), distribution (per-type quantiles).
///
/// Severity: a saving of at least --min-savings is a warning at 1 % of
/// the dump's memory and critical at 10 %; a big key is a warning from
/// --big-key and critical from --huge-key; an expiry cluster (from 1,000
/// keys a second) a warning at 10,000/s, critical at 100,000/s; capacity
/// a warning at 80 % of --maxmemory, critical at 90 %; the rest is info.
/// Findings about memory saving less than --min-savings are left out.
///
/// --script FILE holds commands only (redis-cli has no comments), for the
/// one server the dump came from: EXPIRE key TTL±10 % NX for leaked keys
/// (NX: Redis 7.0+ and Valkey), PEXPIREAT moving each clustered key by up
/// to ±10 % of its TTL.
///
/// `report` prints the same findings in its last section.
#[derive(clap::Args)]
#[command(after_help = "Examples:
  rdbscope doctor dump.rdb
  rdbscope doctor dump.rdb --maxmemory 4gb --format json
  rdbscope doctor dump.rdb --script fix.redis --ttl 86400   # review, then: redis-cli < fix.redis
  rdbscope doctor node1.rdb node2.rdb --big-key 10MB --temp-prefixes tmp,jobs
  rdbscope doctor today.rdb --baseline last-week.json   # leaks: no-TTL memory that grew")]
pub struct Args {
    /// Dump files (`-` for stdin), or live servers (redis://HOST:PORT, rediss://, unix:///PATH; see `rdbscope --help`); several files (one per cluster node) are
    /// merged.
    #[arg(required = true, value_name = "FILE")]
    pub(super) files: Vec<String>,
    /// Findings listed per kind (the rest are counted).
    #[arg(long, default_value_t = 10, value_name = "N",
          value_parser = clap::builder::RangedU64ValueParser::<usize>::new().range(1..=100_000))]
    top: usize,
    #[command(flatten)]
    opts: ScanOpts,
    #[command(flatten)]
    prefixes: PrefixArgs,
    /// The server's maxmemory, as in redis.conf (4gb = 4 GiB, 4g = 4×10⁹):
    /// the capacity finding compares the predicted used_memory with it
    /// (70/80/90 % lines).
    #[arg(long, value_name = "SIZE", value_parser = super::report::maxmemory)]
    maxmemory: Option<u64>,
    /// A key at least this big is a big_key warning.
    #[arg(long, default_value = "1MB", value_name = "SIZE", value_parser = positive_size)]
    big_key: u64,
    /// A key at least this big is a big_key critical finding (at least --big-key).
    #[arg(long, default_value = "10MB", value_name = "SIZE", value_parser = positive_size)]
    huge_key: u64,
    /// First key segments that are temporary by convention: keys under
    /// them without TTL are leaks (comma-separated).
    #[arg(
        long,
        default_value = "temp,tmp,cache,session,lock",
        value_name = "LIST"
    )]
    temp_prefixes: String,
    /// trim_zset: sorted sets above this many members, and the size to trim to.
    #[arg(long, default_value_t = 10_000, value_name = "N",
          value_parser = clap::value_parser!(u64).range(1..))]
    trim_to: u64,
    /// cold_keys: keys idle at least this many days (needs LRU data in the dump).
    #[arg(long, default_value_t = 30, value_name = "DAYS",
          value_parser = clap::value_parser!(u64).range(1..=36_500))]
    cold_days: u64,
    /// The smallest saving a finding about memory is made for (ttl_leak,
    /// split_big_key, entity_strings_to_hash, compress_values,
    /// listpack_threshold, trim_zset, cold_keys).
    #[arg(long, default_value = "64KiB", value_name = "SIZE", value_parser = parse_size_arg)]
    min_savings: u64,
    /// Write the remedies that are commands (EXPIRE for leaked keys,
    /// PEXPIREAT spreading expiry clusters) to FILE, for redis-cli after
    /// review. rdbscope never connects to a server.
    #[arg(long, value_name = "FILE")]
    script: Option<String>,
    /// The TTL the script gives leaked keys, seconds (each key ±10 %, so
    /// they do not all expire in the same second).
    #[arg(long, default_value_t = 86_400, value_name = "SECONDS", requires = "script",
          value_parser = clap::value_parser!(u64).range(1..=3_153_600_000))]
    ttl: u64,
    /// An older dump of the same server, or its saved `report --format
    /// json`: prefixes whose memory without TTL grew faster than the rest
    /// are ttl_leak findings too.
    #[arg(long, value_name = "OLD")]
    baseline: Option<String>,
    /// Compare with a baseline made with other settings anyway.
    #[arg(long)]
    allow_profile_mismatch: bool,
}

fn positive_size(s: &str) -> Result<u64, String> {
    match parse_size_arg(s) {
        Ok(0) => Err("must be at least 1 byte".into()),
        Ok(n) => Ok(n),
        Err(e) => Err(e.to_string()),
    }
}

/// `session:`, `session:*` or `Session` name the segment `session`.
fn temp_prefix(p: &str, delimiters: &[u8]) -> Vec<u8> {
    p.trim()
        .trim_end_matches('*')
        .trim_end_matches(|c: char| c.is_ascii() && delimiters.contains(&(c as u8)))
        .to_ascii_lowercase()
        .into_bytes()
}

pub fn run(args: Args) -> anyhow::Result<u8> {
    if args.huge_key < args.big_key {
        anyhow::bail!(
            "--huge-key {} is smaller than --big-key {}: a critical big key is a bigger one",
            args.huge_key,
            args.big_key
        );
    }
    if args.script.is_some() && args.files.len() > 1 {
        anyhow::bail!(
            "--script writes the commands for one server: give one dump (one file per \
             cluster node, one script each)"
        );
    }
    if args.script.is_some()
        && args
            .files
            .iter()
            .any(|f| rdbscope::input::live::SourceUrl::parse(f).is_some())
    {
        anyhow::bail!(
            "--script reads the dump a second time, and a live source is read once: save a \
             copy first (rdbscope verify URL --save-to FILE), then run doctor FILE --script"
        );
    }
    let delimiters = args.prefixes.delimiters.as_bytes().to_vec();
    let sections = Sections::ALL;
    let mut a = args.opts.analysis(20, &args.prefixes, sections)?;
    a.report.doctor = DoctorConfig {
        big_key: args.big_key,
        huge_key: args.huge_key,
        temp_prefixes: args
            .temp_prefixes
            .split(',')
            .map(|p| temp_prefix(p, &delimiters))
            .filter(|p| !p.is_empty())
            .collect(),
        trim_to: args.trim_to,
        cold_days: args.cold_days,
        maxmemory: args.maxmemory,
        min_savings: args.min_savings,
        top: args.top,
        ..DoctorConfig::default()
    };
    // Neither the output nor the script may overwrite an input (or each other).
    for out in [&args.opts.output, &args.script].into_iter().flatten() {
        super::shared::not_an_input(
            Some(std::path::Path::new(out)),
            args.files
                .iter()
                .chain(&args.baseline)
                .map(std::path::Path::new),
        )?;
    }
    if let (Some(o), Some(s)) = (&args.opts.output, &args.script) {
        let same = o == s
            || super::shared::not_an_input(
                Some(std::path::Path::new(o)),
                [std::path::Path::new(s)],
            )
            .is_err();
        if same {
            anyhow::bail!("--script {s} and -o {o} are the same file");
        }
    }
    if let Some(b) = &args.baseline {
        super::shared::stdin_once(args.files.iter().chain([b]))?;
    }
    let opened = args.opts.open(&args.files)?;
    let (mut doc, ()) = args.opts.run_opened(&a, &opened, || ())?;
    // The findings do not show the files' warnings (a damaged tail, a
    // guessed allocator): stderr does.
    super::shared::say_file_warnings(&doc);
    if let Some(b) = &args.baseline {
        let base = rdbscope::analysis::Analysis {
            report: rdbscope::report::ReportConfig {
                sections: Sections {
                    doctor: false,
                    ..Sections::ALL
                },
                ..a.report.clone()
            },
            ..a.clone()
        };
        let old = super::diff::side(b, &base, &args.opts)?;
        let m = rdbscope::diff::mismatches(&old, &doc);
        if !m.is_empty() && !args.allow_profile_mismatch {
            anyhow::bail!(
                "--baseline {b} was made with other settings ({}); {}",
                m.join("; "),
                rdbscope::diff::mismatch_remedy(&m, "it")
            );
        }
        rdbscope::report::doctor::diagnose::with_baseline(&mut doc, &old, &a.report.doctor);
    }
    if let Some(m) = args.maxmemory {
        for u in doc.files.iter_mut().filter_map(|f| f.used_memory.as_mut()) {
            u.set_maxmemory(m);
        }
    }
    if let Some(path) = &args.script {
        write_script(path, &doc, &a, &opened, args.ttl)?;
    }
    args.opts.emit(
        || doctor_text(&doc),
        || doctor_json(&doc),
        || report_page(&doc),
    )
}

/// Writes `--script`: commands only (redis-cli has no comment syntax); what
/// to do with the file goes to stderr.
fn write_script(
    path: &str,
    doc: &rdbscope::report::doc::ReportDoc,
    a: &rdbscope::analysis::Analysis,
    opened: &[(String, rdbscope::input::Input)],
    ttl: u64,
) -> anyhow::Result<()> {
    use std::io::Write as _;
    let plan = ScriptPlan::new(doc, ttl, a.report.doctor.jitter, &a.report.prefixes);
    let file = std::fs::File::create(path).with_context(|| format!("cannot write {path}"))?;
    let mut out = std::io::BufWriter::new(file);
    let mut total = rdbscope::report::doctor::script::ScriptCounts::default();
    for ((name, input), f) in opened.iter().zip(&doc.files) {
        if plan.is_empty() {
            break;
        }
        let nx = f
            .profile
            .as_deref()
            .is_some_and(rdbscope::report::doctor::script::expire_nx);
        let c = plan
            .write(
                input.rdb(),
                &a.scan,
                f.ctime.map(|s| s * 1000),
                nx,
                &mut out,
            )
            .map_err(|e| match e.io_error() {
                Some(_) => anyhow::anyhow!("cannot write {path}: {e}"),
                None => anyhow::Error::from(e.in_file(name)),
            })?;
        total.expire += c.expire;
        total.pexpireat += c.pexpireat;
    }
    out.flush()
        .with_context(|| format!("cannot write {path}"))?;
    super::say(format!(
        "{path}: {} EXPIRE and {} PEXPIREAT commands; review them, then run \
         `redis-cli -h HOST -p PORT < {path}` against the server the dump came from",
        total.expire, total.pexpireat
    ));
    Ok(())
}
