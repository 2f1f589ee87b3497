//! Options shared by several subcommands, defined once and flattened in.

use anyhow::{Context, bail};
use rdbscope::filter::{KeyFilter, glob, parse_time_ms};
use rdbscope::keys::TargetChoice;
use rdbscope::memory::{Allocator, ServerProfile, Thresholds};

/// Which keys to look at.
#[derive(clap::Args, Debug, Default)]
pub struct FilterArgs {
    /// Only keys in this database (repeatable).
    #[arg(long = "db", value_name = "N")]
    dbs: Vec<u64>,
    /// Only keys of this type: string, list, set, zset, hash, stream, or a
    /// module type name (repeatable).
    #[arg(long = "type", value_name = "TYPE")]
    types: Vec<String>,
    /// Only keys matching this glob (Redis KEYS syntax: * ? [abc] \x; repeatable).
    #[arg(long = "match", value_name = "GLOB")]
    globs: Vec<String>,
    /// Only keys matching this regular expression (over the key's bytes).
    #[arg(long, value_name = "REGEX")]
    regex: Option<String>,
    /// Only keys whose estimated memory is at least SIZE (bytes, or with a
    /// unit: 10KB, 1MiB).
    #[arg(long, value_name = "SIZE", value_parser = parse_size_arg)]
    min_bytes: Option<u64>,
    /// Only keys without a TTL.
    #[arg(long)]
    no_ttl: bool,
    /// Only keys expiring before TIME (RFC 3339, e.g. 2026-11-24T19:00:00Z, or ms since the epoch).
    #[arg(long, value_name = "TIME")]
    expires_before: Option<String>,
    /// Only keys expiring after TIME.
    #[arg(long, value_name = "TIME")]
    expires_after: Option<String>,
}

impl FilterArgs {
    pub fn build(&self) -> anyhow::Result<KeyFilter> {
        let mut f = KeyFilter {
            dbs: self.dbs.clone(),
            types: self.types.clone(),
            min_bytes: self.min_bytes,
            no_ttl: self.no_ttl,
            ..KeyFilter::default()
        };
        for g in &self.globs {
            f.globs.push(glob(g).map_err(anyhow::Error::msg)?);
        }
        if let Some(r) = &self.regex {
            f.regex = Some(regex::bytes::Regex::new(r).with_context(|| format!("--regex {r:?}"))?);
        }
        if let Some(t) = &self.expires_before {
            f.expires_before = Some(
                parse_time_ms(t)
                    .map_err(anyhow::Error::msg)
                    .context("--expires-before")?,
            );
        }
        if let Some(t) = &self.expires_after {
            f.expires_after = Some(
                parse_time_ms(t)
                    .map_err(anyhow::Error::msg)
                    .context("--expires-after")?,
            );
        }
        if f.no_ttl && (f.expires_before.is_some() || f.expires_after.is_some()) {
            bail!("--no-ttl cannot be combined with --expires-before/--expires-after");
        }
        Ok(f)
    }
}

/// Which server the memory estimates are for.
#[derive(clap::Args, Debug)]
pub struct TargetArgs {
    /// Target server profile: redis-4.0, 5.0, 6.0, 6.2, 7.0, 7.2, 7.4, 8.0,
    /// 8.2, 8.4, 8.6, valkey-7.2, 8.0, 8.1, 9.0, 9.1 (a patch level is
    /// accepted). Default: the server that wrote the dump (AUX redis-ver /
    /// valkey-ver), or redis-4.0 when the dump names none.
    #[arg(long, value_name = "SERVER")]
    target: Option<String>,
    /// The target's allocator: jemalloc (8-byte quantum: official builds and
    /// Docker images), jemalloc-q16 (distribution packages such as Debian's),
    /// or libc.
    #[arg(long, default_value = "jemalloc", value_name = "ALLOCATOR")]
    allocator: String,
    /// Override an encoding threshold of the target, e.g.
    /// hash-max-listpack-entries=256 (repeatable; *-ziplist-* names accepted).
    #[arg(long = "config", value_name = "NAME=VALUE")]
    config: Vec<String>,
}

impl TargetArgs {
    pub fn build(&self) -> anyhow::Result<TargetChoice> {
        let profile = match &self.target {
            Some(t) => Some(t.parse::<ServerProfile>().map_err(anyhow::Error::msg)?),
            None => None,
        };
        let allocator = self
            .allocator
            .parse::<Allocator>()
            .map_err(anyhow::Error::msg)?;
        let mut thresholds = Thresholds::defaults();
        for c in &self.config {
            thresholds.set(c).map_err(anyhow::Error::msg)?;
        }
        Ok(TargetChoice {
            profile,
            allocator,
            thresholds,
        })
    }
}

/// Where a command writes: `-o FILE` or stdout, buffered.
pub fn output(path: Option<&str>) -> anyhow::Result<Box<dyn std::io::Write>> {
    use std::io::BufWriter;
    Ok(match path {
        Some(p) => Box::new(BufWriter::new(
            std::fs::File::create(p).with_context(|| format!("cannot create {p}"))?,
        )),
        None => Box::new(BufWriter::new(std::io::stdout().lock())),
    })
}

/// Opens each input in turn; unreadable ones are reported on stderr and
/// skipped, and make the command exit 2. Returns whether all opened.
pub fn each_input(
    files: &[String],
    mut f: impl FnMut(&str, rdbscope::input::Input) -> anyhow::Result<()>,
) -> anyhow::Result<bool> {
    let mut ok = true;
    for file in files {
        match rdbscope::input::Input::open(file) {
            Ok(i) => f(file, i)?,
            Err(e) => {
                eprintln!("rdbscope: {file}: cannot read: {e}");
                ok = false;
            }
        }
    }
    Ok(ok)
}

fn parse_size_arg(s: &str) -> Result<u64, String> {
    rdbscope::check::rules::parse_size(s)
}
