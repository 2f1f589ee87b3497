//! `rdbscope report`.

use rdbscope::output::html::report_page;
use rdbscope::output::report::{report_json, report_text};
use rdbscope::report::Sections;

use super::scan::{PrefixArgs, ScanOpts, TopArgs};

/// Everything at once: totals, big keys, prefixes, TTLs, expiry clusters, hot/cold keys.
///
/// The dump's facts, totals by db, type and encoding, the biggest keys,
/// memory by key prefix, keys without TTL, expiry times and clusters, and
/// hot/cold keys when the dump stores LFU/LRU data.
///
/// Memory is the estimate of `MEMORY USAGE` on the target server (see
/// `rdbscope keys --help`); TTLs are measured from the dump's ctime. The
/// work runs on all cores; the output is the same for any --threads.
///
/// --format json prints the report document (schema_version 2) that `diff`
/// and `check` read back: schema_version, rdbscope_version, made_with
/// (target, allocator, config, filters, prefix settings, top), profile,
/// files[] (with used_memory: the predicted INFO used_memory after the
/// server loads the dump, its parts and ± bound, and the maxmemory share),
/// summary {keys, estimated_bytes, rdb_bytes, expires, used_mem,
/// predicted_used_memory, by_db, by_type, by_encoding}, big_keys[], big_keys_by_type, most_elements[],
/// prefixes[] (the top rows), prefix_totals[] (every prefix), expiry
/// {no_ttl_*, ttl_*, expired_*, histogram[], busiest, clusters[],
/// no_ttl_prefixes[]}, hot_keys[], cold_keys[], doctor {findings[],
/// more_findings, savings_bytes, worst} (see `rdbscope doctor --help`),
/// and with --slots: slots {slots_with_keys, skew, top_slots[],
/// ranges[], hash_tagged, node_skew}.
///
/// --format html writes the same document as one self-contained page
/// (no network: open it from disk, attach it to a ticket or keep it as a
/// CI artifact): a treemap of memory by prefix, the findings, the expiry
/// timeline, distributions and sortable tables; see `rdbscope html --help`.
#[derive(clap::Args)]
#[command(after_help = "Examples:
  rdbscope report dump.rdb
  rdbscope report node1.rdb node2.rdb node3.rdb --top 50 --slots
  rdbscope report dump.rdb --format json -o baseline.json
  rdbscope report dump.rdb --format html -o report.html
  rdbscope report node1.rdb --format json --mergeable -o node1.json   (see `rdbscope merge`)
  rdbscope report dump.rdb --allocator jemalloc-q16 --maxmemory 4gb
  rdbscope report dump.rdb.zst --target redis-7.2 --allocator jemalloc-q16
  REDISCLI_AUTH=… rdbscope report redis://alice@replica-1:6379   (as a replica: the server forks and saves)
  rdbscope report redis://node-1:7000 --cluster --replicas --slots --parallel-nodes 3")]
pub struct Args {
    /// Dump files (`-` for stdin), or live servers (redis://HOST:PORT, rediss://, unix:///PATH; see `rdbscope --help`); several files (one per cluster node) are
    /// merged into one report.
    #[arg(required = true, value_name = "FILE")]
    pub(super) files: Vec<String>,
    #[command(flatten)]
    top: TopArgs,
    #[command(flatten)]
    opts: ScanOpts,
    #[command(flatten)]
    prefixes: PrefixArgs,
    /// The server's maxmemory, as in redis.conf (4gb = 4 GiB, 4g = 4×10⁹):
    /// the report says which share of it the predicted used_memory takes,
    /// per file, and flags 70/80/90 %.
    #[arg(long, value_name = "SIZE", value_parser = maxmemory)]
    maxmemory: Option<u64>,
    /// Leave out the doctor's findings (see `rdbscope doctor`), which
    /// cost about a fifth of the report's time.
    #[arg(long)]
    no_doctor: bool,
    /// Keys and memory per Redis Cluster slot (CRC16 of the hash tag, as
    /// CLUSTER KEYSLOT): the top slots, 16 slot ranges, the skew, the keys
    /// with a hash tag, and with several files (one per node) the skew
    /// across them. Keys of every db are counted (a cluster has only db 0).
    #[arg(long)]
    slots: bool,
    /// With --slots: the node's nodes.conf (or CLUSTER NODES output), once
    /// per input file in order, to count keys in slots that node does not
    /// serve (a replica serves its primary's).
    #[arg(long, value_name = "FILE")]
    cluster_nodes: Vec<String>,
    /// With --format json: also write the report's state, so that
    /// `rdbscope merge` can combine this report with others into the
    /// report of all their dumps (one report per node or executor, one
    /// small reduce step). Adds a few MB on a large dump.
    #[arg(long)]
    mergeable: bool,
}

/// As `redis.conf` reads it (`memtoull`, any case): `1k` 1000, `1kb` 1024,
/// `1m`, `1mb`, `1g`, `1gb` likewise; `KiB`/`MiB`/`GiB` are 1024-based too.
pub(super) fn maxmemory(s: &str) -> Result<u64, String> {
    let t = s.trim().to_ascii_lowercase();
    let split = t.find(|c: char| !c.is_ascii_digit()).unwrap_or(t.len());
    let (num, unit) = t.split_at(split);
    let mult: u64 = match unit {
        "" | "b" => 1,
        "k" => 1000,
        "kb" | "kib" => 1 << 10,
        "m" => 1_000_000,
        "mb" | "mib" => 1 << 20,
        "g" => 1_000_000_000,
        "gb" | "gib" => 1 << 30,
        _ => {
            return Err(format!(
                "{s:?}: a size as in redis.conf (e.g. 4gb, 512mb, 1073741824)"
            ));
        }
    };
    let n = num
        .parse::<u64>()
        .ok()
        .and_then(|n| n.checked_mul(mult))
        .ok_or_else(|| format!("{s:?}: a size as in redis.conf (e.g. 4gb, 512mb, 1073741824)"))?;
    if n == 0 {
        // What `maxmemory 0` means to the server: nothing to compare with.
        return Err(format!(
            "{s:?}: maxmemory 0 means no limit to the server; give the limit to compare with"
        ));
    }
    Ok(n)
}

pub fn run(args: Args) -> anyhow::Result<u8> {
    let sections = Sections {
        doctor: !args.no_doctor,
        slots: args.slots,
        ..Sections::ALL
    };
    let mut a = args.opts.analysis(args.top.top, &args.prefixes, sections)?;
    if !args.cluster_nodes.is_empty() {
        if !args.slots {
            anyhow::bail!("--cluster-nodes goes with --slots");
        }
        if args.cluster_nodes.len() != args.files.len() {
            anyhow::bail!(
                "--cluster-nodes: give one per input file, in order ({} for {} files)",
                args.cluster_nodes.len(),
                args.files.len()
            );
        }
        for f in &args.cluster_nodes {
            let text = std::fs::read_to_string(f)
                .map_err(|e| anyhow::anyhow!("--cluster-nodes {f}: {e}"))?;
            let set = rdbscope::cluster::served_slots(&text)
                .map_err(|e| anyhow::anyhow!("--cluster-nodes {f}: {e}"))?;
            a.served.push(set);
        }
    }
    if args.mergeable && args.opts.format()? != super::scan::Format::Json {
        anyhow::bail!("--mergeable goes with --format json");
    }
    a.mergeable = args.mergeable;
    a.report.doctor.maxmemory = args.maxmemory;
    let mut doc = args.opts.run(&a, &args.files, || ())?.0;
    if let Some(m) = args.maxmemory {
        for u in doc.files.iter_mut().filter_map(|f| f.used_memory.as_mut()) {
            u.set_maxmemory(m);
        }
    }
    args.opts.emit(
        || report_text(&doc),
        || report_json(&doc),
        || report_page(&doc),
    )
}
