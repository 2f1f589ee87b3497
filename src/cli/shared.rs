//! Options shared by several subcommands, defined once and flattened in.

use std::io::IsTerminal;

use anyhow::{Context, bail};
use rdbscope::input::Feed;
use rdbscope::memory::{Allocator, ServerProfile, TargetChoice, Thresholds};
use rdbscope::scan::filter::{KeyFilter, glob};
use rdbscope::units::parse_time_ms;

/// Which keys to look at.
#[derive(clap::Args, Debug, Default)]
pub struct FilterArgs {
    /// Only keys in this database (repeatable).
    #[arg(long = "db", value_name = "N")]
    dbs: Vec<u64>,
    /// Only keys of this type: string, list, set, zset (or sortedset),
    /// hash, stream, array, or a module's 9-character type name
    /// (repeatable).
    #[arg(long = "type", value_name = "TYPE", value_parser = parse_type)]
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

/// `TYPE` names, and redis-rdb-tools' `sortedset`.
fn parse_type(s: &str) -> Result<String, String> {
    const TYPES: [&str; 7] = ["string", "list", "set", "zset", "hash", "stream", "array"];
    if s == "sortedset" {
        return Ok("zset".into());
    }
    let module = s.len() == 9
        && s.bytes()
            .all(|b| b.is_ascii_alphanumeric() || b == b'-' || b == b'_');
    if TYPES.contains(&s) || module {
        Ok(s.to_string())
    } else {
        Err(format!(
            "unknown type {s:?}: one of {} (or sortedset), or a module's 9-character type name",
            TYPES.join(", ")
        ))
    }
}

impl FilterArgs {
    /// The filters as given, in a fixed order: what a report records so
    /// that two reports made with different filters are not compared.
    pub fn spec(&self) -> Vec<String> {
        let mut out = Vec::new();
        // Sets: `--db 1 --db 0` and `--db 0 --db 1 --db 0` are one filter,
        // and reports made with either compare and merge.
        let mut dbs = self.dbs.clone();
        dbs.sort_unstable();
        dbs.dedup();
        let mut types = self.types.clone();
        types.sort();
        types.dedup();
        // Globs too: a key matching any is kept.
        let mut globs = self.globs.clone();
        globs.sort();
        globs.dedup();
        out.extend(dbs.iter().map(|d| format!("--db {d}")));
        out.extend(types.iter().map(|t| format!("--type {t}")));
        out.extend(globs.iter().map(|g| format!("--match {g}")));
        out.extend(self.regex.iter().map(|r| format!("--regex {r}")));
        out.extend(self.min_bytes.iter().map(|b| format!("--min-bytes {b}")));
        if self.no_ttl {
            out.push("--no-ttl".into());
        }
        out.extend(
            self.expires_before
                .iter()
                .map(|t| format!("--expires-before {t}")),
        );
        out.extend(
            self.expires_after
                .iter()
                .map(|t| format!("--expires-after {t}")),
        );
        out
    }

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
    /// Target server profile (a patch level such as redis-7.0.15 is
    /// accepted). Default: the server that wrote the dump (AUX redis-ver /
    /// valkey-ver, if the RDB version agrees), else the newest server that
    /// writes the dump's RDB version.
    #[arg(long, value_name = "SERVER", value_parser = parse_target,
          long_help = target_help())]
    pub target: Option<String>,
    /// The target's allocator: jemalloc (8-byte quantum: official builds and
    /// Docker images; the default, which the output says was assumed),
    /// jemalloc-q16 (distribution packages such as Debian's), or libc.
    #[arg(long, value_name = "ALLOCATOR")]
    pub allocator: Option<String>,
    /// Override an encoding threshold of the target, e.g.
    /// hash-max-listpack-entries=256 (repeatable; *-ziplist-* names accepted).
    #[arg(long = "config", value_name = "NAME=VALUE")]
    pub config: Vec<String>,
}

/// The `--target` help, generated from the profile table.
fn target_help() -> String {
    format!(
        "Target server profile: {} (a patch level such as redis-7.0.15 is accepted). \
         Default: the server that wrote the dump (AUX redis-ver / valkey-ver, if the RDB version agrees), \
         else the newest server that writes the dump's RDB version.",
        ServerProfile::names()
    )
}

fn parse_target(s: &str) -> Result<String, rdbscope::Error> {
    s.parse::<ServerProfile>().map(|_| s.to_string())
}

impl TargetArgs {
    pub fn build(&self) -> anyhow::Result<TargetChoice> {
        let profile = match &self.target {
            Some(t) => Some(t.parse::<ServerProfile>().map_err(anyhow::Error::msg)?),
            None => None,
        };
        let allocator = match &self.allocator {
            Some(a) => a.parse::<Allocator>().map_err(anyhow::Error::msg)?,
            None => Allocator::JemallocQ8,
        };
        let mut thresholds = Thresholds::defaults();
        for c in &self.config {
            thresholds.set(c).map_err(anyhow::Error::msg)?;
        }
        Ok(TargetChoice {
            profile,
            allocator,
            allocator_given: self.allocator.is_some(),
            thresholds,
        })
    }
}

/// Where a command writes: `-o FILE` or stdout, buffered.
pub fn output(path: Option<&str>, inputs: &[String]) -> anyhow::Result<Box<dyn std::io::Write>> {
    use std::io::BufWriter;
    check_output(path, inputs)?;
    // `-o -` is stdout, as `-` is stdin for the inputs.
    let path = path.filter(|p| *p != "-");
    let name = path.map_or_else(|| "stdout".to_string(), |p| p.to_string());
    let w: Box<dyn std::io::Write> = match path {
        Some(p) => {
            if let Some(e) = missing_input(inputs) {
                anyhow::bail!("{e}\n{p}: not written");
            }
            let f = std::fs::File::create(p).with_context(|| format!("cannot create {p}"))?;
            // `-o /dev/tty` is a terminal too.
            if f.is_terminal() {
                Box::new(BufWriter::new(rdbscope::escape::TerminalSafe::new(f)))
            } else {
                Box::new(BufWriter::new(f))
            }
        }
        // Shown on a terminal, CSV and JSON get their control bytes escaped.
        None if std::io::stdout().is_terminal() => Box::new(BufWriter::new(
            rdbscope::escape::TerminalSafe::new(std::io::stdout().lock()),
        )),
        None => Box::new(BufWriter::new(std::io::stdout().lock())),
    };
    Ok(Box::new(Named { w, name }))
}

/// A writer whose errors name where it writes (`> /dev/full` said only
/// "No space left on device"); the error's kind is kept (a closed pipe is
/// told by it).
struct Named {
    w: Box<dyn std::io::Write>,
    name: String,
}

impl Named {
    fn named(&self, e: std::io::Error) -> std::io::Error {
        std::io::Error::new(e.kind(), format!("cannot write {}: {e}", self.name))
    }
}

impl std::io::Write for Named {
    fn write(&mut self, buf: &[u8]) -> std::io::Result<usize> {
        self.w.write(buf).map_err(|e| self.named(e))
    }
    fn write_all(&mut self, buf: &[u8]) -> std::io::Result<()> {
        self.w.write_all(buf).map_err(|e| self.named(e))
    }
    fn flush(&mut self) -> std::io::Result<()> {
        self.w.flush().map_err(|e| self.named(e))
    }
}

/// The first input file that cannot be opened, as an error line: checked
/// before `-o FILE` is created, so a mistyped input does not empty the
/// last good output (a damaged one still writes its rows before the
/// damage). Files as `Input::open` tells them from stdin and servers.
pub fn missing_input(inputs: &[String]) -> Option<String> {
    let is_file = |f: &&String| *f != "-" && rdbscope::input::live::SourceUrl::parse(f).is_none();
    inputs.iter().filter(is_file).find_map(|f| {
        std::fs::File::open(f)
            .err()
            .map(|e| rdbscope::Error::from(e).in_file(f).to_string())
    })
}

/// Refuses `-o` paths that are one of the inputs, or a format's name.
pub fn check_output(path: Option<&str>, inputs: &[String]) -> anyhow::Result<()> {
    not_an_input(
        path.filter(|p| *p != "-").map(std::path::Path::new),
        inputs.iter().map(std::path::Path::new),
    )?;
    if let (Some(out), Some(save)) = (
        path.filter(|p| *p != "-"),
        rdbscope::input::live::save_to_path(),
    ) && same_place(std::path::Path::new(out), save)
    {
        bail!(
            "-o {} is also --save-to: one would overwrite the other",
            rdbscope::escape::terminal(out)
        );
    }
    // `-o csv` is a common slip for `--format csv`.
    if let Some(p) = path
        && [
            "csv", "json", "jsonl", "text", "txt", "html", "parquet", "junit",
        ]
        .contains(&p)
    {
        bail!(
            "-o {p} writes a file named {p}: for an output format use --format {p} \
             (to really write that file, say -o ./{p})"
        );
    }
    // Said before any input is read (a live server's save is not wasted).
    if let Some(p) = path.filter(|p| *p != "-").map(std::path::Path::new) {
        if p.is_dir() {
            bail!("-o {}: a directory; name a file in it", p.display());
        }
        let parent = p.parent().filter(|d| !d.as_os_str().is_empty());
        if let Some(d) = parent.filter(|d| !d.is_dir()) {
            bail!("-o {}: no directory {}", p.display(), d.display());
        }
    }
    Ok(())
}

/// Refuses an output file that is one of the inputs (the same file, by
/// device and inode, whatever the path or link): writing it would destroy
/// the dump before or after it is read.
pub fn not_an_input<'a>(
    out: Option<&std::path::Path>,
    inputs: impl IntoIterator<Item = &'a std::path::Path>,
) -> anyhow::Result<()> {
    #[cfg(unix)]
    {
        use std::os::unix::fs::MetadataExt;
        let Some(out) = out else { return Ok(()) };
        let Ok(o) = std::fs::metadata(out) else {
            return Ok(());
        };
        for i in inputs {
            // `-`: what standard input reads (a file redirected in).
            let (file, name) = match i.to_str() {
                Some("-") => (
                    std::path::Path::new("/dev/stdin"),
                    "- (standard input)".into(),
                ),
                _ => (i, i.display().to_string()),
            };
            if let Ok(m) = std::fs::metadata(file)
                && (m.dev(), m.ino()) == (o.dev(), o.ino())
            {
                bail!(
                    "the output file {} is the input {}: refusing to overwrite it",
                    rdbscope::escape::terminal(&out.display().to_string()),
                    rdbscope::escape::terminal(&name)
                );
            }
        }
    }
    Ok(())
}

/// Whether two paths name the same file, made or not yet: the same file
/// when both exist, else the same name in the same directory.
fn same_place(a: &std::path::Path, b: &std::path::Path) -> bool {
    #[cfg(unix)]
    {
        use std::os::unix::fs::MetadataExt;
        if let (Ok(x), Ok(y)) = (std::fs::metadata(a), std::fs::metadata(b)) {
            return (x.dev(), x.ino()) == (y.dev(), y.ino());
        }
    }
    let place = |p: &std::path::Path| {
        let dir = rdbscope::publish::dir_of(p);
        Some((std::fs::canonicalize(dir).ok()?, p.file_name()?.to_owned()))
    };
    matches!((place(a), place(b)), (Some(x), Some(y)) if x == y)
}

/// Standard input can be read once, and a file counted once in a report:
/// the same dump named twice (by any path) would double every total.
pub fn inputs_once(files: &[String]) -> anyhow::Result<()> {
    stdin_once(files)?;
    #[cfg(unix)]
    {
        use std::os::unix::fs::MetadataExt;
        let mut seen = std::collections::HashMap::new();
        for f in files.iter().filter(|f| *f != "-") {
            if let Ok(m) = std::fs::metadata(f)
                && m.is_file()
                && let Some(first) = seen.insert((m.dev(), m.ino()), f)
            {
                bail!(
                    "{} and {} are the same file: each dump is counted once",
                    rdbscope::escape::terminal(first),
                    rdbscope::escape::terminal(f)
                );
            }
        }
    }
    Ok(())
}

/// Standard input can be read once.
pub fn stdin_once<'a>(files: impl IntoIterator<Item = &'a String>) -> anyhow::Result<()> {
    if files.into_iter().filter(|f| *f == "-").count() > 1 {
        bail!("`-` (standard input) is given more than once: it can be read only once");
    }
    Ok(())
}

/// Opens inputs one after another for the ordered commands (`verify`,
/// `dump`, `keys`), with a progress bar per file when asked for and stderr
/// is a terminal.
pub struct Inputs {
    show: bool,
    /// What each input that failed said, as on stderr (unescaped).
    pub failures: Vec<String>,
}

impl Inputs {
    pub fn new(progress: bool) -> Inputs {
        Inputs {
            show: progress && std::io::stderr().is_terminal(),
            failures: Vec::new(),
        }
    }

    /// Runs `f` on each input's RDB bytes. An input that cannot be read or
    /// decoded is reported on stderr, named, and makes the result `false`;
    /// an output error (a full disk) stops everything; a closed stdout is
    /// left to the caller.
    pub fn each(
        &mut self,
        files: &[String],
        mut f: impl FnMut(&str, Feed<'_>, &dyn Fn(u64)) -> rdbscope::Result<()>,
    ) -> anyhow::Result<bool> {
        stdin_once(files)?;
        let mut ok = true;
        for file in files {
            let input = match rdbscope::input::Input::open(file) {
                Ok(i) => i,
                Err(e) => {
                    self.failed(rdbscope::Error::from(e).in_file(file));
                    ok = false;
                    continue;
                }
            };
            for n in &input.notes {
                super::say(format!(
                    "{}: warning: {n}",
                    rdbscope::escape::terminal(file)
                ));
            }
            let data = input.feed();
            let bar = self.show.then(|| progress_bar_for(file, data));
            let tick = |pos: u64| {
                if let Some(b) = &bar {
                    tick_bar(b, data, pos);
                }
            };
            let r = f(file, data, &tick);
            if let Some(b) = bar {
                b.finish_and_clear();
            }
            match r {
                Ok(()) => {}
                Err(rdbscope::Error::Io(e)) => return Err(e.into()),
                Err(e) => {
                    self.failed(e.in_file(file));
                    ok = false;
                }
            }
        }
        Ok(ok)
    }

    fn failed(&mut self, e: rdbscope::Error) {
        // Scrubbed as `say` scrubs it: it may be written into an output.
        let said = rdbscope::input::live::scrub(&e.to_string());
        super::say(said.as_str());
        self.failures.push(said);
    }
}

impl FilterArgs {
    /// `--db N` that no file has: say so, since the output is then empty.
    pub fn warn_unmatched_dbs(&self, seen: &[u64]) {
        for db in &self.dbs {
            if !seen.contains(db) {
                super::say(format!("warning: --db {db}: no such database in the input"));
            }
        }
    }
}

pub(super) fn parse_size_arg(s: &str) -> Result<u64, rdbscope::Error> {
    rdbscope::units::parse_size(s)
}

/// A progress bar on stderr for one input.
pub fn progress_bar_for(file: &str, data: Feed<'_>) -> indicatif::ProgressBar {
    let b = progress_bar();
    b.set_length(data.len_hint());
    b.set_message(rdbscope::escape::terminal(file).into_owned());
    b
}

/// Moves a bar to `pos`; a stream's length grows as it arrives.
pub fn tick_bar(b: &indicatif::ProgressBar, data: Feed<'_>, pos: u64) {
    b.set_length(data.len_hint());
    b.set_position(pos);
}

/// A progress bar on stderr; its length and message are set per input.
pub fn progress_bar() -> indicatif::ProgressBar {
    let bar =
        indicatif::ProgressBar::with_draw_target(None, indicatif::ProgressDrawTarget::stderr());
    let style = indicatif::ProgressStyle::with_template(
        "{msg} {wide_bar} {bytes}/{total_bytes} {bytes_per_sec} ETA {eta}",
    )
    .unwrap_or_else(|_| indicatif::ProgressStyle::default_bar());
    bar.set_style(style);
    bar
}

/// The scan's warnings about each file of a report document, on stderr
/// (for commands whose output does not show the file header).
pub fn say_file_warnings(doc: &rdbscope::report::doc::ReportDoc) {
    for f in &doc.files {
        for w in &f.warnings {
            super::say(format!("{}: warning: {w}", f.file));
        }
    }
}

/// Extensions that promise what no command writes: compression, and
/// other formats. `-o keys.csv.gz` or `-o keys.pq` is refused rather than
/// filled with plain CSV; a neutral name (`keys.out`, `keys.txt`) is what
/// the command writes by default.
const NOT_WRITTEN: [&str; 37] = [
    "gz", "gzip", "tgz", "zst", "zstd", "tzst", "bz", "bz2", "tbz", "tbz2", "xz", "txz", "lz",
    "lz4", "lzma", "lzo", "z", "zip", "7z", "tar", "br", "sz", "snappy", "deflate", "zlib", "tsv",
    "tab", "pq", "parq", "arrow", "feather", "ipc", "orc", "avro", "xlsx", "xls", "rdb",
];

/// The format asked for, or the one `-o`'s name says: an extension of
/// `known` picks its format; one of [`NOT_WRITTEN`] or `refused` (what
/// other commands write) is an error before anything is read, so a file is
/// never filled with another format than its name promises (`names`: the
/// ones to use instead); anything else is `default`.
pub fn format_by_name<F: Copy>(
    asked: Option<F>,
    output: Option<&str>,
    (known, refused, default): (&[(&str, F)], &[&str], F),
    command: &str,
    names: &str,
) -> anyhow::Result<F> {
    if let Some(f) = asked {
        return Ok(f);
    }
    let Some(ext) = output.and_then(extension) else {
        return Ok(default);
    };
    let is = |name: &&str| ext.eq_ignore_ascii_case(name);
    if let Some((_, f)) = known.iter().find(|(name, _)| is(name)) {
        return Ok(*f);
    }
    if NOT_WRITTEN.iter().chain(refused).any(is) {
        anyhow::bail!(
            "-o {}: {command} writes no .{} file; name it {names}, or give --format",
            rdbscope::escape::terminal(output.unwrap_or_default()),
            rdbscope::escape::terminal(ext)
        )
    }
    Ok(default)
}

/// The extension of `path`'s file name: what follows its last dot, also
/// in a name that is only an extension (`.parquet`).
fn extension(path: &str) -> Option<&str> {
    let name = std::path::Path::new(path).file_name()?.to_str()?;
    name.rsplit_once('.')
        .map(|(_, e)| e)
        .filter(|e| !e.is_empty())
}
