//! `diff` views: the text of a [`DiffDoc`] and its JSON.

use std::fmt::Write as _;

use crate::diff::{ChangeDoc, DiffDoc};
use crate::escape::terminal;
use crate::units::{human_bytes, signed_bytes};

/// `diff --format json`.
pub fn diff_json(d: &DiffDoc) -> String {
    // Serializing plain structs cannot fail.
    serde_json::to_string(d).unwrap_or_default()
}

fn line(out: &mut String, name: &str, c: &ChangeDoc) {
    let _ = writeln!(
        out,
        "  {:<28} {:>10} -> {:>10} keys ({:+})   {:>10} -> {:>10} ({}{})",
        name,
        c.keys_before,
        c.keys_after,
        c.keys_change,
        human_bytes(c.bytes_before),
        human_bytes(c.bytes_after),
        signed_bytes(c.bytes_change),
        c.bytes_change_pct
            .map(|p| format!(", {p:+.1}%"))
            .unwrap_or_default()
    );
}

/// The text view of a diff document.
pub fn diff_text(d: &DiffDoc) -> String {
    let mut out = String::new();
    for (name, s) in [("old", &d.old), ("new", &d.new)] {
        for f in &s.files {
            let _ = writeln!(
                out,
                "{name}: {}{}, {}",
                terminal(&f.file),
                f.dumped
                    .as_deref()
                    .map(|t| format!(", dumped {t}"))
                    .unwrap_or_default(),
                f.profile.as_deref().unwrap_or("no profile")
            );
        }
    }
    for m in &d.settings_differ {
        let _ = writeln!(out, "warning: compared although made differently ({m})");
    }
    let _ = writeln!(out);
    let _ = writeln!(out, "Total");
    line(&mut out, "all keys", &d.total);
    line(&mut out, "keys without TTL", &d.no_ttl);
    let _ = writeln!(out, "\nBy type");
    for t in &d.by_type {
        line(&mut out, &t.type_name, &t.change);
    }
    let _ = writeln!(out, "\nPrefixes that changed most");
    let mut none = true;
    for p in d
        .prefixes
        .iter()
        .filter(|p| p.change.bytes_change != 0 || p.change.keys_change != 0)
    {
        none = false;
        let name = format!("{} [{}]", terminal(&p.prefix), p.status);
        line(&mut out, &name, &p.change);
    }
    if none {
        let _ = writeln!(out, "  (no prefix changed)");
    }
    if !d.grown_keys.is_empty() {
        let _ = writeln!(out, "\nKeys that grew most (among the biggest)");
        for g in &d.grown_keys {
            let before = g
                .bytes_before
                .map(human_bytes)
                .unwrap_or_else(|| "(new or small)".into());
            let _ = writeln!(
                out,
                "  db{} {}  {} -> {}",
                g.db,
                terminal(&g.key),
                before,
                human_bytes(g.bytes_after)
            );
        }
    }
    out
}
