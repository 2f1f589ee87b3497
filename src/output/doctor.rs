//! `doctor`'s views: the findings as text (also the report's last
//! section) and as JSON. Formatting only.

use std::fmt::Write as _;

use serde::Serialize;

use crate::escape::terminal;
use crate::report::doc::ReportDoc;
use crate::report::doctor::doc::{DoctorDoc, FindingDoc};
use crate::units::human_bytes;

#[derive(Serialize)]
struct DoctorView<'a> {
    schema_version: u32,
    profile: &'a Option<String>,
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
        profile: &d.profile,
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
    let _ = writeln!(out, "     remedy: {}", f.remedy);
    if let Some(c) = &f.command {
        let _ = writeln!(out, "     command: {c}");
    }
}

/// The findings as text.
pub fn doctor_text_section(out: &mut String, d: &DoctorDoc) {
    let worst = d.worst.map_or("none", |s| s.as_str());
    let _ = writeln!(
        out,
        "Doctor: {} findings (worst: {worst}), {} could be saved (findings may overlap)",
        d.findings.len() as u64 + d.more_findings,
        human_bytes(d.savings_bytes)
    );
    for (i, f) in d.findings.iter().enumerate() {
        finding_text(out, i + 1, f);
    }
    if d.more_findings > 0 {
        let _ = writeln!(
            out,
            "     ... {} more findings (--top N shows more per kind)",
            d.more_findings
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
