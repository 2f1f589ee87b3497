//! `check` output: text, JSON and JUnit XML.

use std::fmt::Write as _;

use serde_json::{Value, json};

use crate::escape::terminal;

use crate::check::RuleResult;

/// `notes`: warnings about the comparison (e.g. a baseline made with
/// other settings), printed first.
/// `db3 ` for a key, nothing for a prefix.
fn db_label(db: Option<u64>) -> String {
    db.map(|d| format!("db{d} ")).unwrap_or_default()
}

pub fn text(results: &[RuleResult], notes: &[String]) -> String {
    let mut out = String::new();
    for n in notes {
        let _ = writeln!(out, "warning: {}", terminal(n));
    }
    for r in results {
        let _ = writeln!(
            out,
            "{}  {}: {}",
            if r.ok { "PASS" } else { "FAIL" },
            terminal(&r.rule),
            terminal(&r.message)
        );
        if !r.ok {
            for o in &r.offenders {
                let _ = writeln!(
                    out,
                    "        {}{}  ({})",
                    db_label(o.db),
                    terminal(&o.key),
                    terminal(&o.detail)
                );
            }
            let more = r.offender_count.saturating_sub(r.offenders.len() as u64);
            if more > 0 && !r.offenders.is_empty() {
                let _ = writeln!(out, "        ... and {more} more");
            }
        }
    }
    let failed = results.iter().filter(|r| !r.ok).count();
    let _ = writeln!(
        out,
        "{} {}, {} passed, {} failed",
        results.len(),
        if results.len() == 1 { "rule" } else { "rules" },
        results.len() - failed,
        failed
    );
    out
}

pub fn json(results: &[RuleResult], notes: &[String]) -> Value {
    json!({
        "schema_version": 1,
        "ok": results.iter().all(|r| r.ok),
        "warnings": notes,
        "rules": results.iter().map(|r| json!({
            "rule": r.rule,
            "ok": r.ok,
            "message": r.message,
            "offender_count": r.offender_count,
            "offenders": r.offenders.iter().map(|o| json!({"db": o.db, "key": o.key, "bytes": o.bytes, "detail": o.detail})).collect::<Vec<_>>(),
        })).collect::<Vec<_>>(),
    })
}

/// A JUnit report: one test case per rule, so CI systems list each rule.
pub fn junit(
    results: &[RuleResult],
    files: &[String],
) -> Result<String, quick_junit::SerializeError> {
    use quick_junit::{NonSuccessKind, Report, TestCase, TestCaseStatus, TestSuite};
    let mut report = Report::new("rdbscope check");
    let mut suite = TestSuite::new(files.join(" "));
    for r in results {
        let status = if r.ok {
            TestCaseStatus::success()
        } else {
            let mut s = TestCaseStatus::non_success(NonSuccessKind::Failure);
            // XML cannot hold control characters: the terminal-safe text.
            s.set_message(terminal(&r.message).into_owned());
            let mut detail = String::new();
            for o in &r.offenders {
                let _ = writeln!(
                    detail,
                    "{}{} ({})",
                    db_label(o.db),
                    terminal(&o.key),
                    terminal(&o.detail)
                );
            }
            s.set_description(detail);
            s
        };
        suite.add_test_case(TestCase::new(terminal(&r.rule).into_owned(), status));
    }
    report.add_test_suite(suite);
    report.to_string()
}
