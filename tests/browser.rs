//! The HTML page as a browser draws it. Each test builds a page with the
//! test binary, opens it in headless Chromium through
//! `tests/browser/check.mjs` (Playwright, Debian's /usr/bin/chromium) and
//! asserts on what that script measured: the page gets ready with no
//! console error, page error or request; the treemap's tiles are the
//! document's depth-1 prefixes with areas in proportion to their bytes; the
//! big-key table sorts and filters as its controls say; hostile key names
//! (fixtures/redis-7.0/hostile-keys.rdb) are shown as text, exactly, and
//! inject nothing; zooming works from the keyboard; nothing overflows an A4
//! page in print. Screenshots and a PDF of every page are copied to
//! target/browser-artifacts/ for CI to keep.
//!
//! Needs chromium, node and `npm ci --prefix tests/browser`; without them
//! the tests skip with a NOTICE, or fail under CI=true.

#[allow(dead_code)]
mod util;

use std::io::Write as _;
use std::path::{Path, PathBuf};
use std::process::{Command, Stdio};
use std::sync::Mutex;
use std::time::{Duration, Instant};

use serde_json::{Value, json};
use util::*;

const FIXTURES: &str = "fixtures/redis-7.0";

/// One Chromium at a time: the machines have two cores, and timings taken
/// while four browsers start together would say little.
static BROWSER: Mutex<()> = Mutex::new(());

fn chromium() -> PathBuf {
    std::env::var_os("CHROMIUM").map_or_else(|| PathBuf::from("/usr/bin/chromium"), PathBuf::from)
}

/// Whether chromium, node and playwright-core are there; if not, says so
/// (a panic under CI=true, a NOTICE elsewhere).
fn prerequisites() -> bool {
    let browser = chromium();
    if !browser.exists() {
        prerequisite_missing(&format!(
            "{} (Debian's chromium package)",
            browser.display()
        ));
        return false;
    }
    let node = Command::new("node").arg("--version").output();
    if !node.is_ok_and(|o| o.status.success()) {
        prerequisite_missing("node (Node.js, to run tests/browser/check.mjs)");
        return false;
    }
    if !root()
        .join("tests/browser/node_modules/playwright-core/package.json")
        .exists()
    {
        prerequisite_missing(
            "tests/browser/node_modules/playwright-core (run `npm ci --prefix tests/browser`)",
        );
        return false;
    }
    true
}

fn note(line: &str) {
    // Straight to stderr, as util::prerequisite_missing does: the numbers
    // should be seen in a passing run too.
    let _ = writeln!(std::io::stderr(), "browser: {line}");
}

/// `rdbscope ARGS`, which must succeed.
fn rdbscope(args: &[&str]) {
    let o = run(args);
    assert_eq!(exit_code(&o), 0, "rdbscope {args:?}: {}", describe(&o));
}

fn read_json(path: &Path) -> Value {
    serde_json::from_slice(&std::fs::read(path).unwrap()).unwrap()
}

/// Runs check.mjs on `page`, its pictures into `out`; its JSON. The script
/// has its own watchdog; this one is for a node that hangs before it. Its
/// output goes to files, not pipes: a page's JSON is larger than a pipe
/// holds, and nothing reads a pipe while this waits.
fn check(page: &Path, out: &Path, actions: &Value) -> Value {
    let _one = BROWSER.lock().unwrap_or_else(|e| e.into_inner());
    std::fs::create_dir_all(out).unwrap();
    let (stdout_file, stderr_file) = (out.with_extension("stdout"), out.with_extension("stderr"));
    let mut child = Command::new("node")
        .arg(root().join("tests/browser/check.mjs"))
        .arg(page)
        .arg(out)
        .arg(actions.to_string())
        .stdin(Stdio::null())
        .stdout(std::fs::File::create(&stdout_file).unwrap())
        .stderr(std::fs::File::create(&stderr_file).unwrap())
        .spawn()
        .expect("start node");
    let deadline = Instant::now() + Duration::from_secs(300);
    let status = loop {
        if let Some(status) = child.try_wait().unwrap() {
            break status;
        }
        if Instant::now() > deadline {
            let _ = child.kill();
            let _ = child.wait();
            panic!("check.mjs on {} did not finish in 300 s", page.display());
        }
        std::thread::sleep(Duration::from_millis(50));
    };
    let stdout = std::fs::read(&stdout_file).unwrap();
    let stderr = String::from_utf8_lossy(&std::fs::read(&stderr_file).unwrap()).into_owned();
    assert!(
        status.success(),
        "check.mjs on {} exited with {status} (3: Chromium did not start, 4: timed out): {stderr}",
        page.display()
    );
    let v: Value = serde_json::from_slice(&stdout)
        .unwrap_or_else(|e| panic!("check.mjs printed no JSON ({e}); stderr: {stderr}"));
    assert!(
        v["failure"].is_null(),
        "check.mjs failed on {}: {}",
        page.display(),
        v["failure"]
    );
    v
}

/// The page's `shown`: the control characters (U+0000–U+001F,
/// U+007F–U+009F) and the bidirectional controls (U+061C, U+200E/F,
/// U+202A–E, U+2066–9) as the `\xHH` of their UTF-8 bytes.
fn shown(s: &str) -> String {
    let hidden = |c: char| {
        c.is_control()
            || matches!(c, '\u{061c}' | '\u{200e}' | '\u{200f}' | '\u{202a}'..='\u{202e}' | '\u{2066}'..='\u{2069}')
    };
    let mut out = String::new();
    for c in s.chars() {
        if hidden(c) {
            for b in c.encode_utf8(&mut [0; 4]).bytes() {
                out.push_str(&format!("\\x{b:02x}"));
            }
        } else {
            out.push(c);
        }
    }
    out
}

fn s(v: &Value) -> &str {
    v.as_str().unwrap_or_else(|| panic!("not a string: {v}"))
}

fn n(v: &Value) -> f64 {
    v.as_f64().unwrap_or_else(|| panic!("not a number: {v}"))
}

fn arr(v: &Value) -> &Vec<Value> {
    v.as_array().unwrap_or_else(|| panic!("not an array: {v}"))
}

/// A page, built and checked; the document it draws (from `--format json`
/// of the same input, or the saved JSON it was made from).
struct Page {
    name: String,
    out: Value,
    doc: Value,
}

/// What every page must do: get ready with no error, request nothing,
/// hold nothing but its own two scripts, and leave its pictures. Copies
/// them to target/browser-artifacts/NAME/. (Fitting A4: [`print_overflow`].)
fn assert_clean(p: &Page, sections: &[&str], pics: &Path) {
    let (name, o) = (&p.name, &p.out);
    assert_eq!(
        o["ready"]["value"], "1",
        "{name}: not ready: {}",
        o["ready"]
    );
    assert_eq!(o["console"], json!([]), "{name}: console errors/warnings");
    assert_eq!(o["pageerrors"], json!([]), "{name}: page errors");
    assert_eq!(
        o["requests"],
        json!([]),
        "{name}: requests (the page must load nothing)"
    );
    assert_eq!(o["dialogs"], json!([]), "{name}: dialogs opened");
    let got: Vec<&str> = arr(&o["sections"]).iter().map(s).collect();
    assert_eq!(got, sections, "{name}: sections");
    for scan in ["injection", "injection_after"] {
        assert_eq!(
            o[scan]["scripts"],
            json!([{"id": "rdbscope-data", "type": "application/json"}, {"id": null, "type": null}]),
            "{name}: script elements ({scan})"
        );
        assert_eq!(
            o[scan]["on_attributes"],
            json!([]),
            "{name}: on* attributes ({scan})"
        );
    }
    let head = &o["head"];
    assert!(
        head["data_parses"].as_bool().unwrap(),
        "{name}: data block does not parse"
    );
    assert!(
        s(&head["csp"]).starts_with("default-src 'none'; script-src 'sha256-"),
        "{name}: CSP {}",
        head["csp"]
    );
    // Pictures: one PNG per section, and the PDF.
    for id in sections {
        let f = pics.join(format!("{id}.png"));
        let len = std::fs::metadata(&f).map(|m| m.len()).unwrap_or(0);
        assert!(len > 1000, "{name}: {} missing or empty", f.display());
        assert_eq!(
            Some(len),
            o["screenshots"][id].as_u64(),
            "{name}: {id}.png size"
        );
    }
    let pdf = std::fs::read(pics.join("page.pdf")).unwrap_or_default();
    assert!(
        pdf.starts_with(b"%PDF-") && pdf.len() > 1000,
        "{name}: page.pdf"
    );
    assert!(
        n(&o["pdf"]["pages"]) >= 1.0,
        "{name}: PDF pages {}",
        o["pdf"]
    );
    let keep = root().join("target/browser-artifacts").join(name);
    let _ = std::fs::remove_dir_all(&keep);
    std::fs::create_dir_all(&keep).unwrap();
    for e in std::fs::read_dir(pics).unwrap() {
        let e = e.unwrap();
        std::fs::copy(e.path(), keep.join(e.file_name())).unwrap();
    }
    note(&format!(
        "{name}: ready {} in {} ms ({} ms wall), page {} bytes, PDF {} bytes / {} pages",
        o["ready"]["value"],
        o["ready"]["ms"],
        o["ready"]["wall_ms"],
        o["bytes"],
        o["pdf"]["bytes"],
        o["pdf"]["pages"]
    ));
}

/// What is wider than an A4 page's content box in print (check.mjs lays
/// the page out at 186 mm, A4 less the page's 12 mm margins): empty when
/// it fits.
fn assert_fits_a4(p: &Page) {
    let over = print_overflow(p);
    assert!(
        over.is_empty(),
        "{}: wider than an A4 page in print: {over:?}",
        p.name
    );
}

fn print_overflow(p: &Page) -> Vec<String> {
    let pr = &p.out["print"];
    let mut over: Vec<String> = arr(&pr["overflow"]).iter().map(|e| e.to_string()).collect();
    if n(&pr["scroll_width"]) > n(&pr["content_width"]) {
        over.push(format!("the page scrolls sideways: {pr}"));
    }
    over
}

/// The treemap's top tiles are the document's depth-1 prefixes (those with
/// memory), with its bytes and keys, and areas in proportion to the bytes.
fn assert_treemap(p: &Page) {
    let (name, t) = (&p.name, &p.out["treemap"]);
    assert_eq!(t["viewBox"], "0 0 1000 560", "{name}");
    let tiles = arr(&t["tiles"]);
    let want: Vec<&Value> = arr(&p.doc["prefix_totals"])
        .iter()
        .filter(|r| r["depth"] == 1 && n(&r["bytes"]) > 0.0)
        .collect();
    assert!(
        want.len() <= 300,
        "{name}: over 300 prefixes: one tile is aggregated; not covered here"
    );
    assert_eq!(
        tiles.len(),
        want.len(),
        "{name}: one tile per depth-1 prefix"
    );
    for r in &want {
        let label = shown(s(&r["prefix"]));
        let tile = tiles
            .iter()
            .find(|t| t["prefix"].as_str() == Some(label.as_str()))
            .unwrap_or_else(|| panic!("{name}: no tile for prefix {label:?}"));
        assert_eq!(tile["bytes"], r["bytes"], "{name}: {label:?} data-bytes");
        assert_eq!(tile["keys"], r["keys"], "{name}: {label:?} data-keys");
    }
    let (bytes, area) = tiles.iter().fold((0.0, 0.0), |(b, a), t| {
        (b + n(&t["bytes"]), a + n(&t["area"]))
    });
    assert!(
        (area - 1000.0 * 560.0).abs() < 1.0,
        "{name}: tiles cover {area} of 560000"
    );
    let mut worst = 0.0f64;
    for t in tiles {
        let (x, y, w, h) = (n(&t["x"]), n(&t["y"]), n(&t["w"]), n(&t["h"]));
        assert!(
            x >= -1e-6 && y >= -1e-6 && x + w <= 1000.0 + 1e-6 && y + h <= 560.0 + 1e-6,
            "{name}: tile outside the box: {t}"
        );
        let (want, got) = (n(&t["bytes"]) / bytes, n(&t["area"]) / area);
        let err = (got - want).abs() / want;
        worst = worst.max(err);
        assert!(
            err < 0.01,
            "{name}: tile {} has {got} of the area for {want} of the bytes",
            t["prefix"]
        );
    }
    note(&format!(
        "{name}: {} tiles, largest area error {worst:.2e} (relative)",
        tiles.len()
    ));
}

/// Zoom by keyboard: Tab from the treemap's heading reaches a zoomable
/// tile; Enter shows its children (the document's depth-2 prefixes under
/// it); Escape goes back to the root.
fn assert_zoom(p: &Page) {
    let (name, z) = (&p.name, &p.out["zoom"]);
    assert!(
        z["tabs"].is_u64(),
        "{name}: Tab never reached a zoomable tile: {z}"
    );
    let prefix = s(&z["focused"]["prefix"]).to_string();
    assert_eq!(z["before"]["current"], "all keys", "{name}");
    let after = &z["after_enter"];
    assert_eq!(
        s(&after["crumbs"]["current"]),
        prefix,
        "{name}: Enter did not zoom into {prefix:?}"
    );
    let parent = arr(&p.doc["prefix_totals"])
        .iter()
        .find(|r| r["depth"] == 1 && shown(s(&r["prefix"])) == prefix)
        .unwrap();
    let mut kids: Vec<String> = arr(&p.doc["prefix_totals"])
        .iter()
        .filter(|r| r["parent"] == parent["prefix"] && n(&r["bytes"]) > 0.0)
        .map(|r| shown(s(&r["prefix"])))
        .collect();
    kids.sort();
    let mut got: Vec<String> = arr(&after["tiles"])
        .iter()
        .filter_map(|t| t["prefix"].as_str().map(String::from))
        .collect();
    got.sort();
    assert_eq!(got, kids, "{name}: tiles inside {prefix:?}");
    let inside: f64 = arr(&after["tiles"]).iter().map(|t| n(&t["bytes"])).sum();
    assert_eq!(
        inside,
        n(&parent["bytes"]),
        "{name}: the tiles inside {prefix:?} add up to it"
    );
    // The path above the treemap offers the way back (this was plain text,
    // "[object HTMLButtonElement], ›", before the page was fixed).
    let crumbs = &after["crumbs"];
    assert_eq!(crumbs["buttons"], json!(["all keys"]), "{name}: {crumbs}");
    assert_eq!(
        s(&crumbs["text"]),
        format!("all keys ›{prefix}"),
        "{name}: {crumbs}"
    );
    // The focus stays in the treemap, so Escape right after Enter goes
    // back (it was left on <body> once, where the svg never saw the key).
    assert_eq!(
        after["active"]["cls"], "tile top",
        "{name}: focus after Enter: {}",
        after["active"]
    );
    assert_eq!(
        z["after_escape"]["crumbs"]["current"], "all keys",
        "{name}: Escape after Enter: {}",
        z["after_escape"]
    );
    assert_eq!(
        z["after_escape"]["tiles"],
        json!(arr(&p.out["treemap"]["tiles"]).len()),
        "{name}: back at the root"
    );
}

/// The big-key table, against the document's list `want` (in its order):
/// rows by default; the bytes button sorts ascending, then descending
/// again; the text filter keeps exactly the rows it says; a type chosen
/// shows that type's own list from `per_type`.
fn assert_bigkeys(p: &Page, want: &[Value], per_type: &Value) {
    let (name, b) = (&p.name, &p.out["bigkeys"]);
    let rows = |k: &str| arr(&b[k]["rows"]).clone();
    let key_bytes = |rs: &[Value]| -> Vec<(String, f64)> {
        rs.iter()
            .map(|r| (s(&r["key"]).to_string(), n(&r["bytes"])))
            .collect()
    };
    let default = rows("default");
    let want_rows: Vec<(String, f64)> = want
        .iter()
        .map(|k| (shown(s(&k["key"])), n(&k["bytes"])))
        .collect();
    assert_eq!(
        key_bytes(&default),
        want_rows,
        "{name}: rows in the document's order, with its bytes"
    );
    for (r, k) in default.iter().zip(want) {
        assert_eq!(r["db"], k["db"], "{name}: db of {}", r["key"]);
        assert_eq!(s(&r["type"]), s(&k["type"]), "{name}: type of {}", r["key"]);
    }
    assert_eq!(b["default"]["sort"]["bytes"], "descending", "{name}");
    let bytes = |rs: &[Value]| -> Vec<f64> { rs.iter().map(|r| n(&r["bytes"])).collect() };
    assert!(
        bytes(&default).windows(2).all(|w| w[0] >= w[1]),
        "{name}: not biggest first"
    );

    let once = rows("bytes_once");
    assert_eq!(b["bytes_once"]["sort"]["bytes"], "ascending", "{name}");
    let mut rev = bytes(&default);
    rev.reverse();
    assert_eq!(
        bytes(&once),
        rev,
        "{name}: one click reverses the order of the bytes"
    );
    let (mut a, mut c) = (key_bytes(&default), key_bytes(&once));
    a.sort_by(|x, y| x.partial_cmp(y).unwrap());
    c.sort_by(|x, y| x.partial_cmp(y).unwrap());
    assert_eq!(a, c, "{name}: the same rows, each with its bytes");
    assert_eq!(
        rows("bytes_twice"),
        default,
        "{name}: two clicks: back to the first order"
    );
    assert_eq!(b["bytes_twice"]["sort"]["bytes"], "descending", "{name}");

    let text = s(&b["filter"]["text"]).to_lowercase();
    let kept: Vec<Value> = default
        .iter()
        .filter(|r| s(&r["key"]).to_lowercase().contains(&text))
        .cloned()
        .collect();
    assert!(
        !kept.is_empty() && kept.len() < default.len(),
        "{name}: pick a filter that keeps some rows"
    );
    assert_eq!(rows("filter"), kept, "{name}: filter {text:?}");
    // A type chosen shows that type's own top list from the document.
    let ty = s(&b["type"]["value"]);
    let own: Vec<(String, f64)> = arr(&per_type[ty])
        .iter()
        .map(|k| (shown(s(&k["key"])), n(&k["bytes"])))
        .collect();
    assert!(!own.is_empty(), "{name}: no {ty} row");
    assert_eq!(key_bytes(&rows("type")), own, "{name}: type {ty}");
    assert!(
        rows("type").iter().all(|r| r["type"] == ty),
        "{name}: type {ty}"
    );
    assert_eq!(
        b["after_reset"]["rows"],
        json!(default.len()),
        "{name}: filters cleared"
    );
}

/// Builds the page: `rdbscope ARGS -o DIR/NAME.html`; checks it.
fn page(dir: &Path, name: &str, args: &[&str], doc: Value, actions: Value) -> Page {
    let html = dir.join(format!("{name}.html"));
    let mut a = args.to_vec();
    a.extend(["-o", p(&html)]);
    rdbscope(&a);
    let out = check(&html, &dir.join(name), &actions);
    Page {
        name: name.to_string(),
        out,
        doc,
    }
}

/// The page of `rdbscope ARGS --format html`, checked against the
/// document `rdbscope ARGS --format json` gives.
fn drawn(dir: &Path, name: &str, args: &[&str], actions: Value) -> Page {
    let d = doc(dir, args);
    let mut a = args.to_vec();
    a.extend(["--format", "html"]);
    page(dir, name, &a, d, actions)
}

/// `rdbscope ARGS --format json` as a document.
fn doc(dir: &Path, args: &[&str]) -> Value {
    let f = dir.join("doc.json");
    let mut a = args.to_vec();
    a.extend(["--format", "json", "-o", p(&f)]);
    rdbscope(&a);
    read_json(&f)
}

fn fixture(name: &str) -> String {
    root()
        .join(FIXTURES)
        .join(name)
        .to_str()
        .unwrap()
        .to_string()
}

const REPORT: &[&str] = &[
    "facts", "doctor", "prefixes", "types", "dist", "expiry", "bigkeys", "hotcold",
];

#[test]
fn report_page_of_everything() {
    if !prerequisites() {
        return;
    }
    let dir = tempfile::tempdir().unwrap();
    let f = fixture("everything.rdb");
    let pg = drawn(
        dir.path(),
        "everything",
        &["report", &f],
        json!({"filter": "LIST", "type": "hash"}),
    );
    assert_clean(&pg, REPORT, &dir.path().join("everything"));
    assert_fits_a4(&pg);
    assert_eq!(pg.out["head"]["title"], format!("rdbscope report: {f}"));
    assert_eq!(pg.out["head"]["data_keys"], pg.doc["summary"]["keys"]);
    assert_treemap(&pg);
    assert_zoom(&pg);
    assert_bigkeys(&pg, arr(&pg.doc["big_keys"]), &pg.doc["big_keys_by_type"]);
}

#[test]
fn report_page_of_two_files_with_slots() {
    if !prerequisites() {
        return;
    }
    let dir = tempfile::tempdir().unwrap();
    let (a, b) = (fixture("multidb_ttl.rdb"), fixture("lfu.rdb"));
    let pg = drawn(
        dir.path(),
        "two-files-slots",
        &["report", &a, &b, "--slots"],
        json!({"filter": "mdb1", "type": "set"}),
    );
    let mut want = REPORT.to_vec();
    want.extend(["slots", "nodes"]);
    assert_clean(&pg, &want, &dir.path().join("two-files-slots"));
    assert_fits_a4(&pg);
    assert_eq!(pg.out["head"]["title"], "rdbscope report: 2 files");
    assert_treemap(&pg);
    assert_zoom(&pg);
    assert_bigkeys(&pg, arr(&pg.doc["big_keys"]), &pg.doc["big_keys_by_type"]);
}

#[test]
fn page_of_a_merged_document() {
    if !prerequisites() {
        return;
    }
    let dir = tempfile::tempdir().unwrap();
    let d = dir.path();
    let (m1, m2, merged) = (d.join("m1.json"), d.join("m2.json"), d.join("merged.json"));
    rdbscope(&[
        "report",
        &fixture("multidb_ttl.rdb"),
        "--format",
        "json",
        "--mergeable",
        "-o",
        p(&m1),
    ]);
    rdbscope(&[
        "report",
        &fixture("lfu.rdb"),
        "--format",
        "json",
        "--mergeable",
        "-o",
        p(&m2),
    ]);
    rdbscope(&[
        "merge",
        p(&m1),
        p(&m2),
        "--format",
        "json",
        "-o",
        p(&merged),
    ]);
    let pg = page(
        d,
        "merged",
        &["html", p(&merged)],
        read_json(&merged),
        json!({"filter": "LFU:", "type": "hash"}),
    );
    let mut want = REPORT.to_vec();
    want.push("nodes");
    assert_clean(&pg, &want, &d.join("merged"));
    assert_fits_a4(&pg);
    assert_treemap(&pg);
    assert_zoom(&pg);
    assert_bigkeys(&pg, arr(&pg.doc["big_keys"]), &pg.doc["big_keys_by_type"]);
}

#[test]
fn diff_pages() {
    if !prerequisites() {
        return;
    }
    let dir = tempfile::tempdir().unwrap();
    let d = dir.path();
    let (old, new) = (fixture("strings.rdb"), fixture("everything.rdb"));
    let diff_json = d.join("diff.json");
    rdbscope(&["diff", &old, &new, "--format", "json", "-o", p(&diff_json)]);
    let want = [
        "diff-summary",
        "diff-types",
        "diff-dbs",
        "diff-prefixes",
        "diff-keys",
    ];
    let direct = page(
        d,
        "diff",
        &["diff", &old, &new, "--format", "html"],
        read_json(&diff_json),
        json!({}),
    );
    let saved = page(
        d,
        "diff-from-json",
        &["html", p(&diff_json)],
        read_json(&diff_json),
        json!({}),
    );
    for pg in [&direct, &saved] {
        assert_clean(pg, &want, &d.join(&pg.name));
        assert_fits_a4(pg);
        assert_eq!(pg.out["head"]["data_kind"], "diff");
        assert_eq!(
            pg.out["head"]["title"],
            format!("rdbscope diff: {old} → {new}")
        );
        // The keys that grew, as the document lists them.
        let keys: Vec<String> = arr(&pg.doc["grown_keys"])
            .iter()
            .map(|k| shown(s(&k["key"])))
            .collect();
        let cells: Vec<String> = arr(&pg.out["key_cells"])
            .iter()
            .map(|c| s(c).to_string())
            .collect();
        assert_eq!(cells, keys, "{}: #diff-keys-table keys", pg.name);
    }
    assert_eq!(direct.out["key_cells"], saved.out["key_cells"]);
    assert_eq!(
        direct.out["bytes"], saved.out["bytes"],
        "the same page both ways"
    );
}

#[test]
fn bigkeys_page() {
    if !prerequisites() {
        return;
    }
    let dir = tempfile::tempdir().unwrap();
    let f = fixture("everything.rdb");
    let pg = drawn(
        dir.path(),
        "bigkeys",
        &["bigkeys", &f],
        json!({"filter": "Big", "type": "stream"}),
    );
    assert_clean(
        &pg,
        &["facts", "types", "bigkeys"],
        &dir.path().join("bigkeys"),
    );
    assert_fits_a4(&pg);
    assert!(
        pg.out["treemap"].is_null(),
        "no treemap on the bigkeys page"
    );
    assert_bigkeys(&pg, arr(&pg.doc["top"]), &pg.doc["by_type"]);
}

/// hostile-keys.rdb, under a file name that is markup too: every key shown
/// exactly as its sidecar says, nothing injected, nothing requested.
#[test]
fn hostile_keys_stay_text() {
    if !prerequisites() {
        return;
    }
    let dir = tempfile::tempdir().unwrap();
    let side = read_json(&root().join(FIXTURES).join("hostile-keys.keys.json"));
    let file = dir
        .path()
        .join("hostile <img src=x onerror=alert(1)>&amp;\u{1b}[31m.rdb");
    std::fs::copy(root().join(FIXTURES).join("hostile-keys.rdb"), &file).unwrap();
    let f = p(&file);
    // --top covers every key, so the big-key table lists them all.
    let pg = drawn(
        dir.path(),
        "hostile",
        &["report", f, "--top", "1000"],
        json!({"filter": "<SCRIPT>", "type": "hash", "zoom": side["prefixes"][1]["display"]}),
    );
    assert_clean(&pg, REPORT, &dir.path().join("hostile"));
    assert_fits_a4(&pg);
    let o = &pg.out;

    // The head: the title is the file name as text, the data block whole.
    let title = format!("rdbscope report: {}", shown(f));
    assert_eq!(o["head"]["title"], title.as_str());
    assert_eq!(o["head"]["h1"], title.as_str());
    assert_eq!(o["head"]["metas"], 4, "meta elements");
    assert_eq!(o["head"]["data_kind"], "report");
    let keys = arr(&side["keys"]);
    assert_eq!(o["head"]["data_keys"], json!(keys.len()));

    // Every key, displayed exactly: the big-key table holds each one once.
    let mut want: Vec<(u64, String)> = keys
        .iter()
        .map(|k| (k["db"].as_u64().unwrap(), s(&k["display"]).to_string()))
        .collect();
    let mut got: Vec<(u64, String)> = arr(&o["bigkeys"]["default"]["rows"])
        .iter()
        .map(|r| (n(&r["db"]) as u64, s(&r["key"]).to_string()))
        .collect();
    want.sort();
    got.sort();
    assert_eq!(got, want, "keys as the page shows them");
    let cells: Vec<&str> = arr(&o["key_cells"]).iter().map(s).collect();
    for k in keys {
        let display = s(&k["display"]);
        // The sidecar agrees with rdbscope's own rule for its bytes.
        assert_eq!(
            rdbscope::escape::escape_terminal(&unhex(s(&k["hex"]))),
            display,
            "sidecar row {k}"
        );
        assert!(
            cells.contains(&display),
            "{display:?} not shown in a td[data-col=key]"
        );
    }

    // The hostile prefixes: tiles named exactly, the cluster named too.
    let tiles = arr(&o["treemap"]["tiles"]);
    for pre in arr(&side["prefixes"]) {
        let label = s(&pre["display"]);
        let tile = tiles
            .iter()
            .find(|t| t["prefix"] == label)
            .unwrap_or_else(|| panic!("no tile {label:?}"));
        assert_eq!(tile["keys"], pre["keys"], "{label:?}");
        assert!(
            arr(&o["prefix_cells"]).iter().any(|c| c == label),
            "{label:?} not in #prefix-table"
        );
        if pre["cluster"] == true {
            let named = format!("{label} ({})", pre["keys"]);
            assert!(
                arr(&o["cluster_cells"]).iter().any(|c| s(c) == named),
                "cluster not named {named:?}: {}",
                o["cluster_cells"]
            );
        }
    }
    assert_treemap(&pg);
    assert_zoom(&pg);
    assert_bigkeys(&pg, arr(&pg.doc["big_keys"]), &pg.doc["big_keys_by_type"]);

    // Nothing a key could smuggle in exists as an element.
    let tags = &o["injection_after"]["tags"];
    for tag in [
        "img", "iframe", "b", "i", "object", "embed", "base", "link", "form", "frame", "audio",
        "video",
    ] {
        assert!(tags[tag].is_null(), "a <{tag}> element exists: {tags}");
    }
    assert_eq!(tags["script"], 2);
    assert_eq!(tags["style"], 1);

    // A click into the escape-sequence prefix shows its hostile child.
    let esc = &arr(&side["prefixes"])[1];
    let click = &o["zoom"]["click"];
    assert_eq!(click["crumbs"]["current"], esc["display"], "{click}");
    assert_eq!(
        arr(&click["tiles"])
            .iter()
            .filter_map(|t| t["prefix"].as_str())
            .collect::<Vec<_>>(),
        [s(&esc["child"])]
    );
}

/// A finding that saves memory draws a bar in #doctor-table; the table
/// must still fit an A4 page in print. The document is everything.rdb's
/// report with its first finding made to save 500,000 bytes (no bundled
/// dump has such a finding; benches/data/many-prefix-5m.rdb does).
#[test]
fn findings_with_savings_fit_a4() {
    if !prerequisites() {
        return;
    }
    let dir = tempfile::tempdir().unwrap();
    let d = dir.path();
    let mut doc_ = doc(d, &["report", &fixture("everything.rdb")]);
    let first = &mut doc_["doctor"]["findings"][0];
    first["kind"] = json!("compress_values");
    first["bytes_now"] = json!(900_000);
    first["bytes_after"] = json!(400_000);
    first["savings_bytes"] = json!(500_000);
    let saved = d.join("savings.json");
    std::fs::write(&saved, doc_.to_string()).unwrap();
    let pg = page(d, "savings", &["html", p(&saved)], doc_, json!({}));
    assert_clean(&pg, REPORT, &d.join("savings"));
    // The "saves" column draws bars on screen; on paper it must leave the
    // width to the text (it did not: 741 px of 702).
    let over = print_overflow(&pg);
    assert!(over.is_empty(), "wider than an A4 page in print: {over:?}");
}
