//! `--format html` and `rdbscope html` without a browser: the page holds
//! exactly the document `--format json` prints, in a form no byte string
//! can break out of; it names its one script and style in its
//! Content-Security-Policy and refers to nothing outside itself. (What the
//! page draws is checked in Chromium: tests/browser.rs.)

use base64::Engine as _;
use sha2::Digest as _;

use crate::builder::*;
use crate::util::*;

fn data(page: &str) -> serde_json::Value {
    let block = rdbscope::output::html::page_data(page).expect("a data block");
    assert!(
        !block.contains(['<', '>', '&']),
        "raw <, > or & in the data block"
    );
    serde_json::from_str(block).expect("the data block is JSON")
}

fn page_of(args: &[&str]) -> String {
    let o = run(args);
    assert_eq!(exit_code(&o), 0, "{}", describe(&o));
    stdout(&o)
}

fn json_of(args: &[&str]) -> serde_json::Value {
    serde_json::from_str(&page_of(args)).unwrap()
}

/// Between `open` and the next `close`, after `from`.
fn between<'a>(s: &'a str, open: &str, close: &str) -> &'a str {
    let start = s.find(open).unwrap_or_else(|| panic!("no {open}")) + open.len();
    let len = s[start..].find(close).unwrap();
    &s[start..start + len]
}

#[test]
fn the_page_holds_the_report_document() {
    for f in redis70_dumps() {
        let f = p(&f);
        let page = page_of(&["report", f, "--format", "html", "--threads", "1"]);
        let json = json_of(&["report", f, "--format", "json", "--threads", "1"]);
        assert_eq!(data(&page), json, "{f}");
        assert_eq!(
            between(&page, "data-kind=\"", "\""),
            "report",
            "{f}: the page says what it holds"
        );
    }
}

#[test]
fn a_saved_or_merged_document_makes_the_same_page() {
    let dir = tempfile::tempdir().unwrap();
    let f = "fixtures/redis-7.0/everything.rdb";
    let f = root().join(f);
    let f = p(&f);
    let direct = page_of(&["report", f, "--format", "html"]);
    let saved = dir.path().join("r.json");
    let o = run(["report", f, "--format", "json", "-o", p(&saved)]);
    assert_eq!(exit_code(&o), 0, "{}", describe(&o));
    assert_eq!(page_of(&["html", p(&saved)]), direct);
    // A mergeable document's state is not drawn, so not carried.
    let o = run([
        "report",
        f,
        "--format",
        "json",
        "--mergeable",
        "-o",
        p(&dir.path().join("m.json")),
    ]);
    assert_eq!(exit_code(&o), 0, "{}", describe(&o));
    let page = page_of(&["html", p(&dir.path().join("m.json"))]);
    assert!(data(&page).get("state").is_none());
    assert_eq!(data(&page), data(&direct));

    // Two nodes merged: the page of the merged document.
    let (a, b) = (
        root().join("fixtures/redis-7.0/multidb_ttl.rdb"),
        root().join("fixtures/redis-7.0/lfu.rdb"),
    );
    for (name, dump) in [("a.json", &a), ("b.json", &b)] {
        let o = run([
            "report",
            p(dump),
            "--format",
            "json",
            "--mergeable",
            "--slots",
            "-o",
            p(&dir.path().join(name)),
        ]);
        assert_eq!(exit_code(&o), 0, "{}", describe(&o));
    }
    let (ja, jb) = (dir.path().join("a.json"), dir.path().join("b.json"));
    let merged = json_of(&["merge", p(&ja), p(&jb), "--format", "json"]);
    let page = page_of(&["merge", p(&ja), p(&jb), "--format", "html"]);
    assert_eq!(data(&page), merged);
    assert_eq!(merged["files"].as_array().unwrap().len(), 2);
    assert!(merged["slots"]["node_skew"].as_f64().unwrap() >= 1.0);
}

#[test]
fn the_diff_page_holds_the_diff_document() {
    let dir = tempfile::tempdir().unwrap();
    let old = root().join("fixtures/redis-7.0/strings.rdb");
    let new = root().join("fixtures/redis-7.0/everything.rdb");
    let json = json_of(&["diff", p(&old), p(&new), "--format", "json"]);
    let page = page_of(&["diff", p(&old), p(&new), "--format", "html"]);
    assert_eq!(between(&page, "data-kind=\"", "\""), "diff");
    assert_eq!(data(&page), json);
    let saved = dir.path().join("d.json");
    std::fs::write(&saved, json.to_string()).unwrap();
    assert_eq!(page_of(&["html", p(&saved)]), page);
}

#[test]
fn the_page_refers_to_nothing_outside_itself() {
    let f = root().join("fixtures/redis-7.0/everything.rdb");
    let page = page_of(&["report", p(&f), "--format", "html"]);
    let csp = between(
        &page,
        "http-equiv=\"Content-Security-Policy\" content=\"",
        "\"",
    );
    assert!(csp.starts_with("default-src 'none';"), "{csp}");
    let script = between(&page, "<script>", "</script>");
    let style = between(&page, "<style>", "</style>");
    let hash = |s: &str| {
        base64::engine::general_purpose::STANDARD.encode(sha2::Sha256::digest(s.as_bytes()))
    };
    assert!(
        csp.contains(&format!("script-src 'sha256-{}'", hash(script))),
        "{csp}"
    );
    assert!(
        csp.contains(&format!("style-src 'sha256-{}'", hash(style))),
        "{csp}"
    );
    // One inline script besides the data; no element that loads anything.
    assert_eq!(page.matches("<script").count(), 2);
    for loads in [
        "<link",
        "<img",
        "<iframe",
        "src=",
        "@import",
        "url(http",
        "fetch(",
        "XMLHttpRequest",
    ] {
        assert!(!page.contains(loads), "the page has {loads}");
    }
    // The only URL is the SVG namespace, which names and loads nothing.
    let ns = "http://www.w3.org/2000/svg";
    assert_eq!(page.matches("http:").count(), page.matches(ns).count());
    assert!(!page.contains("https:") && !page.contains("ftp:") && !page.contains("//cdn"));
    assert!(page.len() < 300_000, "{} bytes", page.len());
}

/// Keys that would be markup, script or terminal escapes stay data: the
/// block holds them as JSON, with `<`, `>`, `&` as `\u003c`…, and the
/// title is escaped text.
#[test]
fn hostile_keys_stay_data() {
    let dir = tempfile::tempdir().unwrap();
    let keys: [&[u8]; 6] = [
        b"</script><script>alert(1)</script>",
        b"\"onmouseover=\"alert(1)",
        b"<!--",
        b"\x1b[31mred\x1b[0m",
        b"\xff\xfe<b>",
        "line\u{2028}sep&amp;".as_bytes(),
    ];
    let mut rdb = Rdb::redis(10).select_db(0);
    for k in keys {
        rdb = rdb.key(T_STRING, k, string(b"v"));
    }
    let file = write(dir.path(), "<title><b>x&amp;.rdb", &rdb.finish(true));
    let page = page_of(&["report", p(&file), "--format", "html"]);
    let doc = data(&page);
    let mut got: Vec<String> = doc["big_keys"]
        .as_array()
        .unwrap()
        .iter()
        .map(|k| k["key"].as_str().unwrap().to_string())
        .collect();
    got.sort();
    let mut want: Vec<String> = keys
        .iter()
        .map(|k| rdbscope::escape::escape(k).into_owned())
        .collect();
    want.sort();
    assert_eq!(got, want);
    assert!(page.contains("<title>rdbscope report: "));
    assert!(
        page.contains("&lt;title&gt;&lt;b&gt;x&amp;amp;.rdb</title>"),
        "title escaped"
    );
    assert_eq!(page.matches("<script").count(), 2);
    assert_eq!(page.matches("</script>").count(), 2);
}

#[test]
fn check_has_no_page() {
    let f = root().join("fixtures/redis-7.0/everything.rdb");
    let rules = root().join("fixtures/rules/pass.toml");
    let o = run(["check", p(&f), "--rules", p(&rules), "--format", "html"]);
    assert_eq!(exit_code(&o), 2, "{}", describe(&o));
    assert!(String::from_utf8_lossy(&o.stderr).contains("report --format html"));
}

#[test]
fn html_refuses_what_is_not_a_document() {
    let dir = tempfile::tempdir().unwrap();
    let f = root().join("fixtures/redis-7.0/everything.rdb");
    let o = run(["html", p(&f)]);
    assert_eq!(exit_code(&o), 2, "{}", describe(&o));
    let view = dir.path().join("bigkeys.json");
    let o = run(["bigkeys", p(&f), "--format", "json", "-o", p(&view)]);
    assert_eq!(exit_code(&o), 0);
    let o = run(["html", p(&view)]);
    assert_eq!(exit_code(&o), 2, "{}", describe(&o));
    assert!(
        String::from_utf8_lossy(&o.stderr).contains("bigkeys"),
        "{}",
        describe(&o)
    );
    let bad = write(dir.path(), "x.json", b"{\"old\":1,\"new\":2,\"total\":3}");
    let o = run(["html", p(&bad)]);
    assert_eq!(exit_code(&o), 2, "{}", describe(&o));
    assert!(String::from_utf8_lossy(&o.stderr).contains("diff --format json"));
}
