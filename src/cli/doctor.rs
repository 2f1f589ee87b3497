//! `rdbscope doctor`.

use anyhow::Context;
use rdbscope::output::doctor::{doctor_json, doctor_text};
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
/// `report` prints the same findings in its last section.
#[derive(clap::Args)]
#[command(after_help = "Examples:
  rdbscope doctor dump.rdb
  rdbscope doctor dump.rdb --maxmemory 4gb --format json
  rdbscope doctor dump.rdb --script fix.redis --ttl 86400   # review, then: redis-cli < fix.redis
  rdbscope doctor node1.rdb node2.rdb --big-key 10MB --temp-prefixes tmp,jobs
  rdbscope doctor today.rdb --baseline last-week.json   # leaks: no-TTL memory that grew")]
pub struct Args {
    /// Dump files (`-` for stdin); several files (one per cluster node) are
    /// merged.
    #[arg(required = true, value_name = "FILE")]
    files: Vec<String>,
    /// Findings listed per kind (the rest are counted).
    #[arg(long, default_value_t = 10, value_name = "N")]
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
    #[arg(long, default_value = "1MB", value_name = "SIZE", value_parser = parse_size_arg)]
    big_key: u64,
    /// A key at least this big is a big_key critical finding.
    #[arg(long, default_value = "10MB", value_name = "SIZE", value_parser = parse_size_arg)]
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
    #[arg(long, default_value_t = 10_000, value_name = "N")]
    trim_to: u64,
    /// cold_keys: keys idle at least this many days (needs LRU data in the dump).
    #[arg(long, default_value_t = 30, value_name = "DAYS")]
    cold_days: u64,
    /// The smallest saving worth a memory finding.
    #[arg(long, default_value = "64KiB", value_name = "SIZE", value_parser = parse_size_arg)]
    min_savings: u64,
    /// Write the remedies that are commands (EXPIRE for leaked keys,
    /// PEXPIREAT spreading expiry clusters) to FILE, for redis-cli after
    /// review. rdbscope never connects to a server.
    #[arg(long, value_name = "FILE")]
    script: Option<String>,
    /// The TTL the script gives leaked keys, seconds.
    #[arg(long, default_value_t = 86_400, value_name = "SECONDS")]
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

pub fn run(args: Args) -> anyhow::Result<u8> {
    let sections = Sections::ALL;
    let mut a = args.opts.analysis(20, &args.prefixes, sections)?;
    a.report.doctor = DoctorConfig {
        big_key: args.big_key,
        huge_key: args.huge_key.max(args.big_key),
        temp_prefixes: args
            .temp_prefixes
            .split(',')
            .map(|p| p.trim().to_ascii_lowercase().into_bytes())
            .filter(|p| !p.is_empty())
            .collect(),
        trim_to: args.trim_to,
        cold_days: args.cold_days,
        maxmemory: args.maxmemory,
        min_savings: args.min_savings,
        top: args.top,
        ..DoctorConfig::default()
    };
    if args.script.is_some() {
        super::shared::not_an_input(
            args.script.as_deref().map(std::path::Path::new),
            args.files.iter().map(std::path::Path::new),
        )?;
    }
    super::shared::inputs_once(&args.files)?;
    if let Some(b) = &args.baseline {
        super::shared::stdin_once(args.files.iter().chain([b]))?;
    }
    let mut opened = Vec::with_capacity(args.files.len());
    for name in &args.files {
        let input = rdbscope::input::Input::open(name)
            .map_err(|e| rdbscope::Error::from(e).in_file(name))?;
        opened.push((name.clone(), input));
    }
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
                "--baseline {b} was made with other settings ({}); make it again with the same \
                 options, or pass --allow-profile-mismatch",
                m.join("; ")
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
        let plan = ScriptPlan::new(
            &doc,
            args.ttl,
            a.report.doctor.jitter,
            args.prefixes.delimiters.as_bytes(),
        );
        let file = std::fs::File::create(path).with_context(|| format!("cannot write {path}"))?;
        let mut out = std::io::BufWriter::new(file);
        use std::io::Write as _;
        writeln!(
            out,
            "# rdbscope doctor --script: review, then run with redis-cli -h HOST -p PORT < {}",
            path.replace('\n', " ")
        )?;
        let mut total = rdbscope::report::doctor::script::ScriptCounts::default();
        if !plan.is_empty() {
            for ((name, input), f) in opened.iter().zip(&doc.files) {
                writeln!(
                    out,
                    "# {}",
                    rdbscope::escape::terminal(name).replace('\n', " ")
                )?;
                let c = plan
                    .write(input.rdb(), &a.scan, f.ctime.map(|s| s * 1000), &mut out)
                    .map_err(|e| e.in_file(name))?;
                total.expire += c.expire;
                total.pexpireat += c.pexpireat;
            }
        }
        out.flush()?;
        super::say(format!(
            "{path}: {} EXPIRE and {} PEXPIREAT commands to review",
            total.expire, total.pexpireat
        ));
    }
    args.opts.emit(|| doctor_text(&doc), || doctor_json(&doc))
}
