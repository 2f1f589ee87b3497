//! `doctor`'s views: the findings as text (also the report's last
//! section) and as JSON. Formatting only.

use std::fmt::Write as _;

use serde::Serialize;

use crate::escape::terminal;
use crate::report::doc::ReportDoc;
use crate::report::doctor::doc::{DoctorDoc, FindingDoc};
use crate::units::human_bytes;

#[derive(Serialize)]
struct FileView<'a> {
    file: &'a str,
    ctime: Option<i64>,
}

#[derive(Serialize)]
struct DoctorView<'a> {
    schema_version: u32,
    rdbscope_version: &'a str,
    profile: &'a Option<String>,
    files: Vec<FileView<'a>>,
    #[serde(flatten)]
    doctor: &'a DoctorDoc,
}

/// `doctor --format json`: the findings with the profile they are for.
pub fn doctor_json(d: &ReportDoc) -> String {
    let empty = DoctorDoc {
        findings: Vec::new(),
        more_findings: 0,
        savings_bytes: 0,
        worst: None,
    };
    let view = DoctorView {
        schema_version: d.schema_version,
        rdbscope_version: &d.rdbscope_version,
        profile: &d.profile,
        files: d
            .files
            .iter()
            .map(|f| FileView {
                file: &f.file,
                ctime: f.ctime,
            })
            .collect(),
        doctor: d.doctor.as_ref().unwrap_or(&empty),
    };
    serde_json::to_string(&view).unwrap_or_default()
}

fn finding_text(out: &mut String, n: usize, f: &FindingDoc) {
    let saves = if f.savings_bytes > 0 {
        format!(
            ", saves {} of {} ({})",
            human_bytes(f.savings_bytes),
            human_bytes(f.bytes_now),
            f.confidence
        )
    } else if f.bytes_now > 0 {
        format!(", {}", human_bytes(f.bytes_now))
    } else {
        String::new()
    };
    let db = f.db.map(|d| format!(" (db {d})")).unwrap_or_default();
    let keys = if f.keys > 0 {
        format!(", {}", crate::units::count(f.keys, "key", "keys"))
    } else {
        String::new()
    };
    let _ = writeln!(
        out,
        "{n:>3}. [{}] {} {}{db}{keys}{saves}",
        f.severity.as_str(),
        f.kind,
        terminal(&f.subject),
    );
    let ev: Vec<String> = f
        .evidence
        .iter()
        .map(|(k, v)| format!("{k}={}", terminal(&v.to_string())))
        .collect();
    let _ = writeln!(out, "     evidence: {}", ev.join(" "));
    // Remedies and commands quote keys and prefixes from the dump.
    let _ = writeln!(out, "     remedy: {}", terminal(&f.remedy));
    if let Some(c) = &f.command {
        let _ = writeln!(out, "     command: {}", terminal(c));
    }
}

/// The findings as text.
pub fn doctor_text_section(out: &mut String, d: &DoctorDoc) {
    use crate::report::doctor::doc::Severity;
    let n = |s: Severity| d.findings.iter().filter(|f| f.severity == s).count() as u64;
    let _ = writeln!(
        out,
        "Doctor: {} ({} critical, {} warning), {} could be saved (findings may overlap)",
        crate::units::count(
            d.findings.len() as u64 + d.more_findings,
            "finding",
            "findings"
        ),
        n(Severity::Critical),
        n(Severity::Warning),
        human_bytes(d.savings_bytes)
    );
    for (i, f) in d.findings.iter().enumerate() {
        finding_text(out, i + 1, f);
    }
    if d.more_findings > 0 {
        let _ = writeln!(
            out,
            "     ... {} more {} (--top N shows more per kind)",
            d.more_findings,
            if d.more_findings == 1 {
                "finding"
            } else {
                "findings"
            }
        );
    }
}

/// `doctor` as text: the profile, then the findings.
pub fn doctor_text(d: &ReportDoc) -> String {
    let mut out = String::new();
    if let Some(p) = &d.profile {
        let _ = writeln!(out, "Estimates for: {p}");
    }
    if let Some(doc) = &d.doctor {
        doctor_text_section(&mut out, doc);
    }
    out
}
