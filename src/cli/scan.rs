//! What the report commands share: files, output format, threads, top-N,
//! prefix settings, key filters and the target; and the run itself.

use std::io::{IsTerminal, Write};

use anyhow::Context;
use clap::ValueEnum;
use rdbscope::input::Input;
use rdbscope::report::KeyFacts;
use rdbscope::report::prefix::PrefixConfig;
use rdbscope::report::run::{FileResult, Finished, name_clusters, scan_file_with};
use rdbscope::report::{Report, ReportConfig};

use super::shared::{FilterArgs, TargetArgs};

#[derive(Clone, Copy, ValueEnum, PartialEq, Eq)]
pub enum Format {
    Text,
    Json,
}

#[derive(clap::Args)]
pub struct ScanArgs {
    /// Dump files (`-` for stdin); several files (one per cluster node) are
    /// merged into one report.
    #[arg(required = true, value_name = "FILE")]
    pub files: Vec<String>,
    #[command(flatten)]
    pub opts: ScanOpts,
}

impl std::ops::Deref for ScanArgs {
    type Target = ScanOpts;
    fn deref(&self) -> &ScanOpts {
        &self.opts
    }
}

impl ScanArgs {
    pub fn run(&self) -> anyhow::Result<Finished> {
        self.opts.run(&self.files)
    }

    pub fn run_with<X: Send>(
        &self,
        init: impl Fn() -> X + Sync + Send,
        fold: impl Fn(&mut X, &KeyFacts<'_>) + Sync + Send,
        merge: impl Fn(&mut X, X) + Sync + Send,
    ) -> anyhow::Result<(Finished, X)> {
        self.opts.run_with(&self.files, init, fold, merge)
    }
}

/// Everything but the files.
#[derive(clap::Args)]
pub struct ScanOpts {
    /// Output format.
    #[arg(long, value_enum, default_value = "text")]
    pub format: Format,
    /// Rows in each top list.
    #[arg(long, default_value_t = 20, value_name = "N")]
    pub top: usize,
    /// Worker threads (default: one per core). Output is the same for any value.
    #[arg(long, value_name = "N")]
    pub threads: Option<usize>,
    /// Bytes that separate key segments for prefixes (several at once, e.g. ":|/.").
    #[arg(long, default_value = ":", value_name = "CHARS")]
    pub delimiters: String,
    /// Key segments per prefix.
    #[arg(long, default_value_t = 3, value_name = "N")]
    pub depth: usize,
    /// Keep numbers, UUIDs and hex ids in prefixes instead of `*`.
    #[arg(long)]
    pub no_generalize: bool,
    /// No progress bar (it is shown on stderr only when it is a terminal).
    #[arg(long)]
    pub quiet: bool,
    /// Set by the command: read every element (bigkeys: largest element).
    #[arg(skip = rdbscope::memory::Detail::Headers)]
    pub detail: rdbscope::memory::Detail,
    #[command(flatten)]
    pub filter: FilterArgs,
    #[command(flatten)]
    pub target: TargetArgs,
}

impl ScanOpts {
    pub fn config(&self) -> ReportConfig {
        ReportConfig {
            detail: self.detail,
            top: self.top,
            prefixes: PrefixConfig {
                delimiters: self.delimiters.bytes().collect(),
                depth: self.depth.max(1),
                generalize: !self.no_generalize,
                ..PrefixConfig::default()
            },
        }
    }

    /// Scans every file and merges the results.
    pub fn run(&self, files: &[String]) -> anyhow::Result<Finished> {
        Ok(self.run_with(files, || (), |_, _| {}, |_, _| ())?.0)
    }

    /// Like `run`, folding every key into a second accumulator too.
    pub fn run_with<X: Send>(
        &self,
        names: &[String],
        init: impl Fn() -> X + Sync + Send,
        fold: impl Fn(&mut X, &KeyFacts<'_>) + Sync + Send,
        merge: impl Fn(&mut X, X) + Sync + Send,
    ) -> anyhow::Result<(Finished, X)> {
        let filter = self.filter.build()?;
        let choice = self.target.build()?;
        let cfg = self.config();
        let pool = rdbscope::engine::pool(self.threads.unwrap_or(0))
            .context("cannot start worker threads")?;
        let mut inputs = Vec::new();
        for file in names {
            inputs.push((
                file.clone(),
                Input::open(file).with_context(|| format!("{file}: cannot read"))?,
            ));
        }
        let show = !self.quiet && std::io::stderr().is_terminal();
        let mut merged = Report::new(cfg.clone());
        let mut extra = init();
        let mut files = Vec::new();
        for (name, input) in &inputs {
            let data = input.rdb();
            let bar = show.then(|| progress_bar(name, data.len() as u64));
            let tick = |pos: u64| {
                if let Some(b) = &bar {
                    b.set_position(pos);
                }
            };
            let progress: Option<&(dyn Fn(u64) + Sync)> = if show { Some(&tick) } else { None };
            let ((report, x), facts) = pool
                .install(|| {
                    scan_file_with(data, &cfg, &choice, &filter, progress, &init, &fold, &merge)
                })
                .map_err(|e| anyhow::anyhow!("{name}: error {e}"))?;
            merge(&mut extra, x);
            if let Some(b) = bar {
                b.finish_and_clear();
            }
            files.push(FileResult {
                name: name.clone(),
                facts,
                keys: report.keys.keys,
                bytes: report.keys.bytes,
            });
            merged.merge(report);
        }
        let clusters = pool
            .install(|| {
                name_clusters(
                    &merged,
                    inputs
                        .iter()
                        .zip(&files)
                        .map(|((_, i), f)| (i.rdb(), &f.facts)),
                    &filter,
                    self.top,
                )
            })
            .map_err(|e| anyhow::anyhow!("error {e}"))?;
        Ok((
            Finished {
                report: merged,
                files,
                clusters,
            },
            extra,
        ))
    }
}

fn progress_bar(name: &str, len: u64) -> indicatif::ProgressBar {
    let bar = indicatif::ProgressBar::with_draw_target(
        Some(len),
        indicatif::ProgressDrawTarget::stderr(),
    );
    let style = indicatif::ProgressStyle::with_template(
        "{msg} {wide_bar} {bytes}/{total_bytes} {bytes_per_sec} ETA {eta}",
    )
    .unwrap_or_else(|_| indicatif::ProgressStyle::default_bar());
    bar.set_style(style);
    bar.set_message(name.to_string());
    bar
}

/// Prints a finished document.
pub fn emit(
    format: Format,
    text: impl FnOnce() -> String,
    json: impl FnOnce() -> serde_json::Value,
) -> anyhow::Result<u8> {
    let stdout = std::io::stdout();
    let mut out = stdout.lock();
    match format {
        Format::Text => out.write_all(text().as_bytes())?,
        Format::Json => writeln!(out, "{}", json())?,
    }
    out.flush()?;
    Ok(super::EXIT_OK)
}
