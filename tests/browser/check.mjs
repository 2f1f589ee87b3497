// Opens one rdbscope HTML page in headless Chromium and prints ONE JSON
// object on stdout with what a person (and an attacker's key) would see:
//
//   node tests/browser/check.mjs PAGE.html OUTDIR [ACTIONS]
//
// ACTIONS is an optional JSON object: {"filter": "text to type into
// #bigkeys-filter", "type": "value to choose in #bigkeys-type" (default:
// the first one the select offers), "zoom": "data-prefix of a treemap tile
// to click", "only_ready": true (stop once ready is measured: the bench)}.
// OUTDIR receives <section id>.png per section.sec and page.pdf. tests/browser.rs asserts on the JSON;
// benches/html.sh reads ready.ms. Diagnostics go to stderr; exit 0 once the
// JSON is printed (even for a page that failed: the JSON says how), 2 on a
// bad command line, 3 when Chromium cannot be started, 4 on a timeout.

import fs from "node:fs";
import os from "node:os";
import path from "node:path";
import { pathToFileURL } from "node:url";
import { chromium } from "playwright-core";

const CHROMIUM = process.env.CHROMIUM || "/usr/bin/chromium";
// The flags this machine needs: no sandbox as root, and nothing that
// reaches out (the network is closed, and a test must see zero requests).
const ARGS = ["--headless", "--no-sandbox", "--disable-gpu", "--disable-quic", "--no-first-run",
  "--disable-background-networking", "--disable-component-update", "--disable-sync"];
const READY_TIMEOUT_MS = Number(process.env.READY_TIMEOUT_MS || 60000);
const TOTAL_TIMEOUT_MS = Number(process.env.TOTAL_TIMEOUT_MS || 180000);
// A4 is 210 mm wide and the page's print style sets 12 mm margins: the
// content box is 186 mm, at CSS's 96 px per inch.
const A4_CONTENT_PX = Math.floor((186 / 25.4) * 96);

const [pagePath, outDir, actionsArg] = process.argv.slice(2);
if (!pagePath || !outDir) {
  process.stderr.write("usage: node check.mjs PAGE.html OUTDIR [ACTIONS-JSON]\n");
  process.exit(2);
}
let actions = {};
try {
  actions = actionsArg ? JSON.parse(actionsArg) : {};
} catch (e) {
  process.stderr.write(`ACTIONS is not JSON: ${e.message}\n`);
  process.exit(2);
}
const pageUrl = pathToFileURL(path.resolve(pagePath)).href;
fs.mkdirSync(outDir, { recursive: true });

// Whatever hangs (Chromium, a page that never gets ready), the process ends.
const userDataDir = fs.mkdtempSync(path.join(os.tmpdir(), "rdbscope-chromium-"));
let context = null;
const watchdog = setTimeout(() => {
  process.stderr.write(`check.mjs: gave up after ${TOTAL_TIMEOUT_MS} ms\n`);
  cleanup().finally(() => process.exit(4));
}, TOTAL_TIMEOUT_MS);
async function cleanup() {
  try { if (context) await context.close(); } catch { /* already gone */ }
  fs.rmSync(userDataDir, { recursive: true, force: true });
}

try {
  // A persistent context is how Playwright takes a --user-data-dir: a fresh
  // empty one, so no profile state leaks between runs.
  context = await chromium.launchPersistentContext(userDataDir, {
    executablePath: CHROMIUM, headless: true, args: ARGS, timeout: 30000,
    viewport: { width: 1280, height: 900 }, deviceScaleFactor: 1,
    locale: "en-US", timezoneId: "UTC", reducedMotion: "reduce",
  });
} catch (e) {
  process.stderr.write(`check.mjs: Chromium failed to start (executablePath ${CHROMIUM}): ${e.message.split("\n")[0]}\n` +
    "  Is Debian's chromium package installed (apt-get install chromium)?\n");
  await cleanup();
  process.exit(3);
}

const out = { page: pageUrl, bytes: fs.statSync(pagePath).size };
const consoleMsgs = [], pageErrors = [], requests = [], dialogs = [];
class Done extends Error {} // ends the visit early, as asked
try {
  const page = context.pages()[0] || (await context.newPage());
  page.setDefaultTimeout(20000);
  page.on("console", (m) => {
    if (m.type() === "error" || m.type() === "warning") consoleMsgs.push({ type: m.type(), text: m.text() });
  });
  page.on("pageerror", (e) => pageErrors.push(String(e && e.message ? e.message : e)));
  page.on("request", (r) => {
    if (r.url() !== pageUrl) requests.push({ url: r.url().slice(0, 300), via: "network", type: r.resourceType() });
  });
  // alert() from an injected handler would block the page: record, dismiss.
  page.on("dialog", (d) => { dialogs.push({ type: d.type(), message: d.message() }); d.dismiss().catch(() => {}); });
  // Time to ready as the page sees it: from navigation start to the moment
  // the body gets data-ready. Init scripts run outside the page's CSP and
  // add no element.
  await page.addInitScript(() => {
    new MutationObserver((_, obs) => {
      if (document.body && document.body.dataset.ready !== undefined && window.__readyAt === undefined) {
        window.__readyAt = performance.now();
        obs.disconnect();
      }
    }).observe(document, { subtree: true, attributes: true, attributeFilter: ["data-ready"] });
  });

  const t0 = Date.now();
  await page.goto(pageUrl, { waitUntil: "load", timeout: READY_TIMEOUT_MS });
  let readyValue = null;
  try {
    await page.waitForSelector("body[data-ready]", { timeout: READY_TIMEOUT_MS, state: "attached" });
    readyValue = await page.evaluate(() => document.body.dataset.ready);
  } catch {
    readyValue = null; // never drawn: the JSON says so, the test fails on it
  }
  const wallMs = Date.now() - t0;
  const readyAt = await page.evaluate(() => window.__readyAt ?? null);
  out.ready = {
    value: readyValue, ms: readyAt === null ? null : Math.round(readyAt * 10) / 10, wall_ms: wallMs,
    render_error: await page.evaluate(() => document.getElementById("render-error")?.textContent ?? null),
  };

  if (actions.only_ready) throw new Done();

  // ------------------------------------------------------------ structure
  out.sections = await page.$$eval("section.sec", (ss) => ss.map((s) => s.id));
  out.head = await page.evaluate(() => {
    const data = document.getElementById("rdbscope-data");
    let parsed = null;
    try { parsed = JSON.parse(data.textContent); } catch { /* reported as null */ }
    return {
      title: document.title,
      h1: document.querySelector("header.top h1")?.textContent ?? null,
      csp: document.querySelector('meta[http-equiv="Content-Security-Policy"]')?.getAttribute("content") ?? null,
      metas: document.querySelectorAll("meta").length,
      data_kind: data ? data.dataset.kind : null,
      data_parses: parsed !== null,
      data_top_keys: parsed ? Object.keys(parsed) : [],
      data_keys: parsed && parsed.summary ? parsed.summary.keys : null,
    };
  });
  out.key_cells = await page.$$eval("td[data-col=key]", (tds) => tds.map((td) => td.textContent));
  out.prefix_cells = await page.$$eval("#prefix-table td[data-col=label]", (tds) => tds.map((td) => td.textContent));
  out.cluster_cells = await page.$$eval("#clusters-table td[data-col=top_prefixes]", (tds) => tds.map((td) => td.textContent));
  out.injection = await injectionScan(page);

  // -------------------------------------------------------------- treemap
  out.treemap = await page.evaluate(() => {
    const svg = document.getElementById("treemap-svg");
    if (!svg) return null;
    const num = (el, a) => Number(el.getAttribute(a));
    return {
      viewBox: svg.getAttribute("viewBox"),
      crumbs: document.querySelector("#prefixes .crumbs")?.textContent ?? null,
      tiles: [...svg.querySelectorAll("g.tile.top")].map((g) => {
        const r = g.querySelector("rect.box");
        const w = num(r, "width"), h = num(r, "height");
        return {
          prefix: g.hasAttribute("data-prefix") ? g.getAttribute("data-prefix") : null,
          bytes: Number(g.dataset.bytes), keys: Number(g.dataset.keys),
          x: num(r, "x"), y: num(r, "y"), w, h, area: w * h,
          zoomable: g.getAttribute("role") === "button",
        };
      }),
    };
  });
  if (out.treemap) out.zoom = await zoom(page, actions.zoom);

  // ------------------------------------------------------ big-key table
  if (await page.$("#bigkeys-table")) out.bigkeys = await bigkeys(page, actions);

  // ----------------------------------------------------------- pictures
  out.screenshots = {};
  for (const id of out.sections) {
    const file = path.join(outDir, `${id}.png`);
    await page.locator(`section.sec#${id}`).screenshot({ path: file, animations: "disabled" });
    out.screenshots[id] = fs.statSync(file).size;
  }

  // ---------------------------------------------------------------- print
  await page.setViewportSize({ width: A4_CONTENT_PX, height: 1000 });
  await page.emulateMedia({ media: "print" });
  out.print = await page.evaluate((width) => {
    const over = [];
    for (const el of document.querySelectorAll("svg, table, section.sec")) {
      const r = el.getBoundingClientRect();
      if (r.width === 0 && r.height === 0) continue; // not displayed in print
      if (r.right > width + 0.5) {
        over.push({ tag: el.tagName.toLowerCase(), id: el.id || el.closest("[id]")?.id || null, right: Math.round(r.right * 10) / 10 });
      }
    }
    return { content_width: width, scroll_width: document.documentElement.scrollWidth, overflow: over };
  }, A4_CONTENT_PX);
  const pdfFile = path.join(outDir, "page.pdf");
  await page.pdf({ path: pdfFile, format: "A4", printBackground: true });
  const pdf = fs.readFileSync(pdfFile);
  out.pdf = { bytes: pdf.length, pages: pdfPages(pdf) };
  await page.emulateMedia({ media: "screen" });

  // Interactions may have drawn more: scan again, and report what the
  // whole visit produced.
  out.injection_after = await injectionScan(page);
} catch (e) {
  if (!(e instanceof Done)) out.failure = String(e && e.stack ? e.stack : e);
}
out.console = consoleMsgs;
out.pageerrors = pageErrors;
out.dialogs = dialogs;
// Network requests, then the URLs the DOM scans found (once each).
const seen = new Set();
out.requests = requests.concat(out.injection?.urls ?? [], out.injection_after?.urls ?? [])
  .filter((r) => r.via === "network" || (!seen.has(r.via + " " + r.url) && seen.add(r.via + " " + r.url)));
clearTimeout(watchdog);
await cleanup();
process.stdout.write(JSON.stringify(out) + "\n");

// Anything in the DOM that the page's own code would never make: scripts
// beyond its two, event-handler attributes, markup a key could smuggle in,
// and every URL an element or a computed style points at. Chromium does not
// report data: URLs as requests, so they are looked for here.
async function injectionScan(page) {
  return page.evaluate(() => {
    const scripts = [...document.querySelectorAll("script")].map((s) => ({ id: s.id || null, type: s.type || null }));
    const onAttrs = [], tags = {}, urls = [];
    const selfUrl = location.href.split("#")[0];
    const external = (u) => {
      const v = u.trim();
      if (v === "" || v.startsWith("#")) return false;
      try { const a = new URL(v, location.href); return a.href.split("#")[0] !== selfUrl; } catch { return true; }
    };
    const URL_ATTRS = ["src", "href", "xlink:href", "srcset", "poster", "data", "action", "formaction", "background", "ping", "manifest"];
    const STYLE_PROPS = ["background-image", "list-style-image", "border-image-source", "content", "cursor", "mask-image", "fill", "stroke", "filter", "clip-path", "marker-start", "marker-mid", "marker-end"];
    for (const el of document.querySelectorAll("*")) {
      const tag = el.tagName.toLowerCase();
      tags[tag] = (tags[tag] || 0) + 1;
      for (const a of el.attributes) {
        if (a.name.toLowerCase().startsWith("on")) onAttrs.push({ tag, attr: a.name, value: a.value.slice(0, 120) });
        if (URL_ATTRS.includes(a.name.toLowerCase()) && external(a.value)) urls.push({ url: a.value.slice(0, 300), via: `attribute ${tag}[${a.name}]` });
      }
      const cs = getComputedStyle(el);
      for (const p of STYLE_PROPS) {
        for (const m of cs.getPropertyValue(p).matchAll(/url\(\s*(?:"([^"]*)"|'([^']*)'|([^)]*))\s*\)/g)) {
          const u = m[1] ?? m[2] ?? m[3];
          if (external(u)) urls.push({ url: u.slice(0, 300), via: `style ${tag} ${p}` });
        }
      }
    }
    return { scripts, on_attributes: onAttrs, tags, urls };
  });
}

// Keyboard zoom: from the treemap's heading, Tab until a zoomable tile has
// the focus, Enter, read the path; then Escape, read it again.
async function zoom(page, clickPrefix) {
  // The path as shown: its whole text, its buttons (the way back) and the
  // current level.
  const crumbs = () => page.$eval("#prefixes .crumbs", (c) => ({
    text: c.textContent,
    buttons: [...c.querySelectorAll("button")].map((b) => b.textContent),
    current: c.querySelector("strong")?.textContent ?? null,
  }));
  const active = () => page.evaluate(() => {
    const a = document.activeElement;
    return a ? { tag: a.tagName.toLowerCase(), cls: a.getAttribute("class"), prefix: a.getAttribute("data-prefix") } : null;
  });
  const r = { tabs: null };
  if (!(await page.$("#treemap-svg g.tile.top[role=button]"))) return { ...r, none_zoomable: true };
  // A click on plain text moves Chromium's sequential-navigation start
  // there, so the next Tab goes to the first focusable element after it.
  await page.click("#prefixes-h");
  for (let i = 1; i <= 400; i++) {
    await page.keyboard.press("Tab");
    if (await page.evaluate(() => document.activeElement?.matches?.("#treemap-svg g.tile.top[role=button]"))) { r.tabs = i; break; }
  }
  if (r.tabs === null) return r;
  r.focused = await active();
  r.before = await crumbs();
  await page.keyboard.press("Enter");
  r.after_enter = { crumbs: await crumbs(), active: await active(), tiles: await tileList(page) };
  await page.keyboard.press("Escape");
  r.after_escape = { crumbs: await crumbs(), active: await active(), tiles: (await tileList(page)).length };
  if (r.after_escape.crumbs.current !== r.before.current) {
    // Escape did nothing where the focus was left: try it from a tile, as
    // a keyboard user would next.
    await page.focus("#treemap-svg g.tile.top");
    await page.keyboard.press("Escape");
    r.after_escape_from_tile = { crumbs: await crumbs(), tiles: (await tileList(page)).length };
  }
  if (typeof clickPrefix === "string") {
    // A mouse click on the tile whose data-prefix is clickPrefix (found by
    // value: a hostile prefix makes a poor CSS selector), then back.
    const i = await page.$$eval("#treemap-svg g.tile.top", (gs, want) => gs.findIndex((g) => g.getAttribute("data-prefix") === want), clickPrefix);
    if (i >= 0) {
      await page.locator("#treemap-svg g.tile.top").nth(i).click();
      r.click = { prefix: clickPrefix, crumbs: await crumbs(), tiles: await tileList(page) };
      await page.focus("#treemap-svg g.tile.top");
      await page.keyboard.press("Escape");
    } else {
      r.click = { prefix: clickPrefix, missing: true };
    }
  }
  return r;
}

function tileList(page) {
  return page.$$eval("#treemap-svg g.tile.top", (gs) => gs.map((g) => ({ prefix: g.getAttribute("data-prefix"), bytes: Number(g.dataset.bytes) })));
}

// The big-key table: its rows by default, sorted by the bytes button once
// and twice, filtered by text, filtered by type.
async function bigkeys(page, actions) {
  const rows = () => page.$$eval("#bigkeys-table tbody tr", (trs) => trs.map((tr) => {
    const cell = (k) => tr.querySelector(`td[data-col=${k}]`);
    const n = (k) => { const c = cell(k); return c && c.hasAttribute("data-value") ? Number(c.dataset.value) : null; };
    return { rank: n("rank"), db: n("db"), key: cell("key")?.textContent ?? null, type: cell("type")?.textContent ?? null, bytes: n("bytes"), elements: n("elements") };
  }));
  const sortState = () => page.$$eval("#bigkeys-table th", (ths) => Object.fromEntries(ths.map((th) => [th.querySelector("button")?.dataset.sort, th.getAttribute("aria-sort")])));
  const r = {};
  r.types_offered = await page.$$eval("#bigkeys-type option", (os) => os.map((o) => o.value).filter((v) => v));
  r.default = { rows: await rows(), sort: await sortState() };
  await page.click("#bigkeys-table button[data-sort=bytes]");
  r.bytes_once = { rows: await rows(), sort: await sortState() };
  await page.click("#bigkeys-table button[data-sort=bytes]");
  r.bytes_twice = { rows: await rows(), sort: await sortState() };
  if (typeof actions.filter === "string") {
    await page.fill("#bigkeys-filter", actions.filter);
    r.filter = { text: actions.filter, rows: await rows() };
    await page.fill("#bigkeys-filter", "");
  }
  const type = actions.type ?? r.types_offered[0];
  if (type !== undefined) {
    await page.selectOption("#bigkeys-type", type);
    r.type = { value: type, rows: await rows() };
    await page.selectOption("#bigkeys-type", "");
  }
  r.after_reset = { rows: (await rows()).length };
  return r;
}

// Page count of a PDF from its page tree: the largest /Count of a /Pages
// node is the root's (Chromium writes these dictionaries uncompressed);
// falls back to counting /Type /Page objects.
function pdfPages(buf) {
  const s = buf.toString("latin1");
  let max = 0;
  for (const m of s.matchAll(/\/Type\s*\/Pages\b[^>]*?\/Count\s+(\d+)|\/Count\s+(\d+)[^>]*?\/Type\s*\/Pages\b/g)) {
    max = Math.max(max, Number(m[1] ?? m[2]));
  }
  return max || (s.match(/\/Type\s*\/Page\b(?!s)/g) || []).length;
}
