//! What the report commands share: files, output, threads, top-N, key
//! filters and the target (and prefix settings where a command uses
//! them); and the run itself, which is one call to the library.

use std::io::{IsTerminal, Write};

use clap::ValueEnum;
use rdbscope::analysis::Analysis;
use rdbscope::memory::Detail;
use rdbscope::report::doc::{MadeWith, ReportDoc};
use rdbscope::report::prefix::PrefixConfig;
use rdbscope::report::{ReportConfig, Sections};
use rdbscope::scan::{Accumulator, ScanOptions};

use super::shared::{FilterArgs, TargetArgs, progress_bar};

#[derive(Clone, Copy, ValueEnum, PartialEq, Eq)]
pub enum Format {
    Text,
    Json,
    /// One self-contained page (no network): charts, sortable tables.
    Html,
}

impl Format {
    /// The format asked for, or the one `-o`'s name says: `.json` JSON,
    /// `.html`/`.htm` the page, a name that promises another format or
    /// compression (`.csv`, `.parquet`, `.gz`…) an error, anything else
    /// text (so `-o report.html` is not text under a page's name).
    pub fn pick(
        asked: Option<Format>,
        output: Option<&str>,
        command: &str,
    ) -> anyhow::Result<Format> {
        use Format::*;
        let known = [("json", Json), ("html", Html), ("htm", Html)];
        super::shared::format_by_name(
            asked,
            output,
            (&known, &["csv", "parquet", "jsonl", "ndjson"], Text),
            command,
            "*.txt, *.json or *.html",
        )
    }
}

/// `--threads`, as every command that decodes on all cores takes it.
#[derive(clap::Args, Clone, Copy)]
pub struct Threads {
    /// Worker threads, at most 1024; 0 (the default) is one per core. The
    /// output is the same for any value.
    #[arg(long, default_value_t = 0, value_name = "N",
          value_parser = clap::builder::RangedU64ValueParser::<usize>::new().range(0..=1024))]
    pub threads: usize,
}

/// Everything but the files.
#[derive(clap::Args)]
pub struct ScanOpts {
    /// Output format [default: from -o's name (.json, .html), else text]
    #[arg(long, value_enum)]
    pub format: Option<Format>,
    /// Write to FILE instead of stdout.
    #[arg(short, long, value_name = "FILE")]
    pub output: Option<String>,
    #[command(flatten)]
    pub threads: Threads,
    /// Read N inputs at once (for live servers, e.g. the nodes of
    /// --cluster: their saves and transfers overlap). The output is the same.
    #[arg(long, default_value_t = 1, value_name = "N",
          value_parser = clap::builder::RangedU64ValueParser::<usize>::new().range(1..=256))]
    pub parallel_nodes: usize,
    /// No progress bar (it is shown on stderr only when it is a terminal).
    #[arg(long)]
    pub quiet: bool,
    #[command(flatten)]
    pub filter: FilterArgs,
    #[command(flatten)]
    pub target: TargetArgs,
}

/// Rows in each top list (commands that print top lists).
#[derive(clap::Args)]
pub struct TopArgs {
    /// Rows in each top list.
    #[arg(long, default_value_t = 20, value_name = "N", value_parser = at_least_one)]
    pub top: usize,
}

impl Default for TopArgs {
    fn default() -> Self {
        TopArgs { top: 20 }
    }
}

/// How keys are cut into prefixes (commands that show prefixes).
#[derive(clap::Args)]
pub struct PrefixArgs {
    /// Bytes that separate key segments for prefixes (several at once, e.g. ":|/.").
    #[arg(long, default_value = ":", value_name = "CHARS", value_parser = not_empty)]
    pub delimiters: String,
    /// Key segments per prefix (1 to 8).
    #[arg(long, default_value_t = 3, value_name = "N", value_parser = parse_depth)]
    pub depth: usize,
    /// Keep numbers, UUIDs and hex ids in prefixes instead of `*`.
    #[arg(long)]
    pub no_generalize: bool,
}

pub use rdbscope::report::prefix::MAX_DEPTH;

fn parse_depth(s: &str) -> Result<usize, String> {
    match s.parse::<usize>() {
        // Labels and the tree grow with depth × segment length; 8 levels
        // cover real key hierarchies.
        Ok(d @ 1..=MAX_DEPTH) => Ok(d),
        _ => Err(format!("{s:?}: a depth from 1 to {MAX_DEPTH}")),
    }
}

fn at_least_one(s: &str) -> Result<usize, String> {
    match s.parse::<usize>() {
        Ok(0) => Err("must be at least 1".into()),
        Ok(n) => Ok(n),
        Err(e) => Err(e.to_string()),
    }
}

fn not_empty(s: &str) -> Result<String, String> {
    if s.is_empty() {
        Err("give at least one delimiter byte (e.g. \":\")".into())
    } else {
        Ok(s.to_string())
    }
}

impl Default for PrefixArgs {
    fn default() -> Self {
        PrefixArgs {
            delimiters: ":".into(),
            depth: 3,
            no_generalize: false,
        }
    }
}

impl PrefixArgs {
    pub fn config(&self) -> PrefixConfig {
        PrefixConfig {
            delimiters: self.delimiters.bytes().collect(),
            depth: self.depth.max(1),
            generalize: !self.no_generalize,
            ..PrefixConfig::default()
        }
    }
}

impl ScanOpts {
    /// The library call for these options.
    pub fn analysis(
        &self,
        top: usize,
        prefixes: &PrefixArgs,
        sections: Sections,
    ) -> anyhow::Result<Analysis> {
        let filter = self.filter.build()?;
        let choice = self.target.build()?;
        let made_with = MadeWith {
            target: self.target.target.clone(),
            allocator: choice.allocator.to_string(),
            config: self.target.config.clone(),
            filters: self.filter.spec(),
            delimiters: rdbscope::escape::escape(prefixes.delimiters.as_bytes()).into_owned(),
            depth: prefixes.depth,
            generalize: !prefixes.no_generalize,
            top,
        };
        Ok(Analysis {
            scan: ScanOptions {
                choice,
                filter,
                // Every value walked whole, whatever the CRC says: every
                // command rejects what `verify` rejects.
                detail: Detail::Elements,
            },
            report: ReportConfig {
                top,
                prefixes: prefixes.config(),
                sections,
                doctor: Default::default(),
            },
            threads: self.threads.threads,
            parallel_inputs: self.parallel_nodes,
            made_with,
            served: Vec::new(),
            mergeable: false,
        })
    }

    /// The report document of `files` with only `sections` computed.
    pub fn doc(
        &self,
        files: &[String],
        top: &TopArgs,
        prefixes: &PrefixArgs,
        sections: Sections,
    ) -> anyhow::Result<ReportDoc> {
        let a = self.analysis(top.top, prefixes, sections)?;
        Ok(self.run(&a, files, || ())?.0)
    }

    /// Runs the analysis over `files`, with a progress bar on a terminal.
    pub fn run<X: Accumulator>(
        &self,
        a: &Analysis,
        files: &[String],
        init: impl Fn() -> X + Sync + Send,
    ) -> anyhow::Result<(ReportDoc, X)> {
        let opened = self.open(files)?;
        self.run_opened(a, &opened, init)
    }

    /// Opens `files` (each once; the output may not be one of them),
    /// for [`ScanOpts::run_opened`].
    pub fn open(&self, files: &[String]) -> anyhow::Result<Vec<(String, rdbscope::input::Input)>> {
        super::shared::inputs_once(files)?;
        // Checked before the scan: the report is written after it.
        super::shared::check_output(self.output.as_deref(), files)?;
        self.format()?;
        let mut opened = Vec::with_capacity(files.len());
        for name in files {
            let input = rdbscope::input::Input::open(name)
                .map_err(|e| rdbscope::Error::from(e).in_file(name))?;
            opened.push((name.clone(), input));
        }
        Ok(opened)
    }

    /// The report of one input already opened.
    pub fn run_input(
        &self,
        a: &Analysis,
        name: &str,
        input: rdbscope::input::Input,
    ) -> anyhow::Result<ReportDoc> {
        Ok(self.run_opened(a, &[(name.to_string(), input)], || ())?.0)
    }

    pub fn run_opened<X: Accumulator>(
        &self,
        a: &Analysis,
        opened: &[(String, rdbscope::input::Input)],
        init: impl Fn() -> X + Sync + Send,
    ) -> anyhow::Result<(ReportDoc, X)> {
        let bar = (!self.quiet && std::io::stderr().is_terminal()).then(progress_bar);
        let tick = |name: &str, pos: u64, len: u64| {
            if let Some(b) = &bar {
                if b.length() != Some(len) {
                    b.set_length(len);
                    b.set_message(rdbscope::escape::terminal(name).into_owned());
                }
                b.set_position(pos);
            }
        };
        let progress: Option<rdbscope::analysis::Progress<'_>> = bar.as_ref().map(|_| &tick as _);
        let out = a.run_opened(opened, progress, init)?;
        if let Some(b) = bar {
            b.finish_and_clear();
        }
        warn_unmatched_dbs(&a.scan.filter.dbs, &out.0);
        Ok(out)
    }

    /// `--format`, or what `-o`'s name says.
    pub fn format(&self) -> anyhow::Result<Format> {
        Format::pick(self.format, self.output.as_deref(), "this command")
    }

    /// Writes the `--format` view of a finished document to `--output` or
    /// stdout.
    pub fn emit(
        &self,
        text: impl FnOnce() -> String,
        json: impl FnOnce() -> String,
        html: impl FnOnce() -> String,
    ) -> anyhow::Result<u8> {
        let format = self.format()?;
        let mut out = super::shared::output(self.output.as_deref(), &[])?;
        match format {
            Format::Text => out.write_all(rdbscope::escape::terminal_lines(&text()).as_bytes())?,
            Format::Json => writeln!(out, "{}", json())?,
            Format::Html => out.write_all(html().as_bytes())?,
        }
        out.flush()?;
        Ok(super::EXIT_OK)
    }
}

/// `--db N` that no file has: say so, since the report is then empty.
pub fn warn_unmatched_dbs(dbs: &[u64], doc: &ReportDoc) {
    for db in dbs {
        if !doc.summary.by_db.contains_key(&db.to_string()) {
            super::say(format!(
                "warning: --db {db}: no key in that database matched"
            ));
        }
    }
}
