//! `--format html`: one self-contained page that draws a report or a diff
//! document in the browser. The page is the document (as JSON, inside a
//! `<script type="application/json">`) plus a fixed script and style; a
//! Content-Security-Policy lets only those two run and forbids every
//! request, so the page works offline from `file://` and a key cannot
//! inject anything.

use base64::Engine as _;
use sha2::Digest as _;

use crate::diff::DiffDoc;
use crate::escape::terminal;
use crate::report::doc::ReportDoc;

const SCRIPT: &str = include_str!("page.js");
const STYLE: &str = include_str!("page.css");

/// The page of a report document. A mergeable state is not drawn: the
/// caller leaves it out (it can be megabytes; `--mergeable` makes JSON
/// only, and `rdbscope html` drops it).
pub fn report_page(doc: &ReportDoc) -> String {
    let title = match doc.files.as_slice() {
        [one] => format!("rdbscope report: {}", one.file),
        files => format!("rdbscope report: {} files", files.len()),
    };
    page(&title, "report", &to_json(doc))
}

/// The page of a diff document.
pub fn diff_page(doc: &DiffDoc) -> String {
    let name = |s: &crate::diff::SideDoc| match s.files.as_slice() {
        [one] => one.file.clone(),
        files => format!("{} files", files.len()),
    };
    let title = format!("rdbscope diff: {} → {}", name(&doc.old), name(&doc.new));
    page(&title, "diff", &to_json(doc))
}

fn to_json<T: serde::Serialize>(v: &T) -> String {
    // Plain structs: serializing cannot fail.
    serde_json::to_string(v).unwrap_or_default()
}

/// JSON made inert inside a `<script>` element: `<`, `>` and `&` as
/// `\u003c`…, so no text (a key holding `</script>` or `<!--`) can end or
/// alter the element; U+2028/U+2029 likewise, as older parsers require.
/// JSON.parse reads the same value back.
pub fn script_json(json: &str) -> String {
    let mut out = String::with_capacity(json.len() + 64);
    for c in json.chars() {
        match c {
            '<' => out.push_str("\\u003c"),
            '>' => out.push_str("\\u003e"),
            '&' => out.push_str("\\u0026"),
            '\u{2028}' => out.push_str("\\u2028"),
            '\u{2029}' => out.push_str("\\u2029"),
            c => out.push(c),
        }
    }
    out
}

/// Text for an HTML text node or quoted attribute.
fn html_text(s: &str) -> String {
    let mut out = String::with_capacity(s.len());
    for c in terminal(s).chars() {
        match c {
            '<' => out.push_str("&lt;"),
            '>' => out.push_str("&gt;"),
            '&' => out.push_str("&amp;"),
            '"' => out.push_str("&quot;"),
            '\'' => out.push_str("&#39;"),
            c => out.push(c),
        }
    }
    out
}

fn sha256_b64(text: &str) -> String {
    base64::engine::general_purpose::STANDARD.encode(sha2::Sha256::digest(text.as_bytes()))
}

fn page(title: &str, kind: &str, json: &str) -> String {
    let csp = format!(
        "default-src 'none'; script-src 'sha256-{}'; style-src 'sha256-{}'; img-src data:; base-uri 'none'; form-action 'none'",
        sha256_b64(SCRIPT),
        sha256_b64(STYLE)
    );
    let data = script_json(json);
    let mut out = String::with_capacity(data.len() + SCRIPT.len() + STYLE.len() + 1024);
    out.push_str("<!DOCTYPE html>\n<html lang=\"en\">\n<head>\n<meta charset=\"utf-8\">\n");
    out.push_str(&format!(
        "<meta http-equiv=\"Content-Security-Policy\" content=\"{csp}\">\n"
    ));
    out.push_str("<meta name=\"viewport\" content=\"width=device-width, initial-scale=1\">\n");
    out.push_str(&format!(
        "<meta name=\"generator\" content=\"rdbscope {}\">\n",
        env!("CARGO_PKG_VERSION")
    ));
    out.push_str(&format!("<title>{}</title>\n", html_text(title)));
    out.push_str("<style>");
    out.push_str(STYLE);
    out.push_str("</style>\n</head>\n<body>\n");
    out.push_str(&format!(
        "<header class=\"top\"><h1>{}</h1><nav class=\"toc\" aria-label=\"sections\"></nav></header>\n",
        html_text(title)
    ));
    out.push_str("<main></main>\n<div id=\"tip\" role=\"tooltip\"></div>\n");
    out.push_str(&format!(
        "<script type=\"application/json\" id=\"rdbscope-data\" data-kind=\"{kind}\">"
    ));
    out.push_str(&data);
    out.push_str("</script>\n<script>");
    out.push_str(SCRIPT);
    out.push_str("</script>\n</body>\n</html>\n");
    out
}

/// The document a page holds, read back (what the tests compare).
pub fn page_data(page: &str) -> Option<&str> {
    let start = page.find("id=\"rdbscope-data\"")?;
    let open = start + page[start..].find('>')? + 1;
    let len = page[open..].find("</script>")?;
    Some(&page[open..open + len])
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn script_json_cannot_close_the_element() {
        let json = serde_json::to_string("</script><!-- & \u{2028}").unwrap();
        let safe = script_json(&json);
        assert!(!safe.contains('<') && !safe.contains('>') && !safe.contains('&'));
        let back: String = serde_json::from_str(&safe).unwrap();
        assert_eq!(back, "</script><!-- & \u{2028}");
    }

    #[test]
    fn titles_are_text() {
        assert_eq!(
            html_text("a<b>\"&'\u{1b}"),
            "a&lt;b&gt;&quot;&amp;&#39;\\x1b"
        );
    }
}
