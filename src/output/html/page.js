"use strict";
// Draws a report (or diff) document held as JSON in the page. Every piece of
// the document reaches the page through textContent or setAttribute, never
// as markup, so a key that looks like markup stays text.
(function () {
  const NS = "http://www.w3.org/2000/svg";
  const SVG = new Set(["svg", "g", "rect", "line", "text", "title", "path", "defs", "pattern", "clipPath", "polyline"]);

  function h(tag, attrs, ...kids) {
    const el = SVG.has(tag) ? document.createElementNS(NS, tag) : document.createElement(tag);
    for (const [k, v] of Object.entries(attrs || {})) {
      if (v === null || v === undefined || v === false) continue;
      if (k === "text") el.textContent = shown(v);
      else if (k.startsWith("on")) el.addEventListener(k.slice(2), v);
      else if (k === "style") Object.assign(el.style, v);
      else el.setAttribute(k, v === true ? "" : shown(v));
    }
    for (const kid of kids.flat(4)) {
      if (kid === null || kid === undefined || kid === false) continue;
      el.append(kid instanceof Node ? kid : document.createTextNode(shown(kid)));
    }
    return el;
  }
  // Every text the page shows goes through here or h().
  function setText(el, s) { el.textContent = shown(s); }

  // The escaping rule's terminal form, as the text views write it:
  // control characters (C0, DEL, C1) and the bidirectional controls that
  // reorder what is shown (U+061C, U+200E/F, U+202A–E, U+2066–9) as the
  // \xHH of their UTF-8 bytes. Idempotent: what it writes is plain ASCII.
  const HIDDEN = /[\u0000-\u001f\u007f-\u009f\u061c\u200e\u200f\u202a-\u202e\u2066-\u2069]/g;
  function shown(s) {
    return String(s).replace(HIDDEN, (c) =>
      Array.from(new TextEncoder().encode(c), (b) => "\\x" + b.toString(16).padStart(2, "0")).join(""));
  }
  function hb(n) {
    const u = ["B", "KiB", "MiB", "GiB", "TiB"];
    let v = Number(n), i = 0;
    if (!isFinite(v)) return "?";
    const neg = v < 0;
    v = Math.abs(v);
    while (v >= 1024 && i < u.length - 1) { v /= 1024; i++; }
    return (neg ? "-" : "") + (i === 0 ? String(v) + " B" : v.toFixed(1) + " " + u[i]);
  }
  const hn = (n) => Number(n).toLocaleString("en-US");
  // Counts on an axis: 950, 12k, 3.4M.
  const short = (n) => {
    const v = Number(n);
    for (const [d, u] of [[1e12, "T"], [1e9, "G"], [1e6, "M"], [1e3, "k"]]) {
      if (Math.abs(v) >= d) return (v / d).toFixed(v / d < 10 ? 1 : 0).replace(/\.0$/, "") + u;
    }
    return String(v);
  };
  const pc = (x) => (x * 100).toFixed(1) + "%";
  const sb = (n) => (n > 0 ? "+" : "") + hb(n);
  const sn = (n) => (n > 0 ? "+" : "") + hn(n);
  // Times as RFC 3339 UTC; past what a Date holds (±8.64e15 ms, year
  // 275760) the milliseconds themselves.
  const iso = (ms) => {
    if (ms === null || ms === undefined) return "";
    const d = new Date(ms);
    return isNaN(d.getTime()) ? `${ms} ms after the epoch` : d.toISOString().replace(".000Z", "Z");
  };
  const share = (a, b) => (b > 0 ? a / b : 0);
  // The largest f(x), at least `floor` (a loop: spreading a long list into
  // Math.max overflows the call stack).
  function maxOf(list, f, floor) {
    let m = floor === undefined ? -Infinity : floor;
    for (const x of list) m = Math.max(m, f(x));
    return m;
  }

  const main = document.querySelector("main");
  const toc = document.querySelector("nav.toc");
  const tip = document.getElementById("tip");

  function section(id, title, ...content) {
    const s = h("section", { id, class: "sec", "aria-labelledby": id + "-h" }, h("h2", { id: id + "-h", text: title }), content);
    main.append(s);
    toc.append(h("a", { href: "#" + id, text: title }));
    return s;
  }
  function card(label, value, title) {
    return h("div", { class: "card", title }, h("div", { class: "v", text: value }), h("div", { class: "k", text: label }));
  }
  function bar(frac, colour) {
    const w = Math.max(0, Math.min(1, frac)) * 120;
    return h("span", { class: "bar", style: { width: w.toFixed(1) + "px", background: colour || "" } });
  }

  function showTip(ev, lines) {
    setText(tip, lines.map(shown).join("\n"));
    tip.style.display = "block";
    const r = ev.target.getBoundingClientRect ? ev.target.getBoundingClientRect() : null;
    const x = ev.clientX !== undefined && ev.clientX !== 0 ? ev.clientX : r ? r.left + 8 : 0;
    const y = ev.clientY !== undefined && ev.clientY !== 0 ? ev.clientY : r ? r.top + 8 : 0;
    tip.style.left = Math.min(x + 14, window.innerWidth - 440) + "px";
    tip.style.top = y + 14 + "px";
  }
  function hideTip() { tip.style.display = "none"; }

  // A table whose header buttons sort it (numbers biggest first, then
  // flip) and whose rows a filter can narrow. Cells carry their raw value
  // in data-value.
  function table(opts) {
    const cols = opts.columns;
    let key = opts.sort ? opts.sort.key : null;
    let desc = opts.sort ? opts.sort.desc !== false : true;
    let keep = () => true;
    // Long tables open with their first rows and a button for the rest;
    // the rest are there, hidden on screen (class "extra"), and printed.
    const most = opts.limit || 2000;
    let limit = opts.initial || most;
    const more = h("button", { type: "button", class: "more screen-only", onclick: () => { limit = most; draw(); } });
    const ths = new Map();
    const head = h("tr", null, cols.map((c) => {
      const th = h("th", { class: c.num ? "num" : null, scope: "col" },
        h("button", { type: "button", "data-sort": c.key, text: c.label, onclick: () => {
          if (key === c.key) desc = !desc; else { key = c.key; desc = !!c.num; }
          draw();
        } }));
      ths.set(c.key, th);
      return th;
    }));
    const body = h("tbody");
    const note = h("p", { class: "note screen-only" });
    const el = h("table", { id: opts.id, class: opts.cls }, opts.caption ? h("caption", { class: "muted", text: opts.caption }) : null, h("thead", null, head), body);
    const val = (r, c) => (c.value ? c.value(r) : r[c.key]);
    function draw() {
      let rows = opts.rows.map((r, i) => [r, i]).filter(([r]) => keep(r));
      if (key !== null) {
        const c = cols.find((c) => c.key === key);
        rows.sort((a, b) => {
          const x = val(a[0], c), y = val(b[0], c);
          let o;
          if (x === null || x === undefined) o = y === null || y === undefined ? 0 : 1;
          else if (y === null || y === undefined) o = -1;
          else o = c.num ? x - y : String(x) < String(y) ? -1 : String(x) > String(y) ? 1 : 0;
          if (desc && !(x === null || x === undefined || y === null || y === undefined)) o = -o;
          return o || a[1] - b[1];
        });
      }
      for (const [k, th] of ths) th.setAttribute("aria-sort", k === key ? (desc ? "descending" : "ascending") : "none");
      const shownRows = rows.slice(0, most);
      body.replaceChildren(...shownRows.map(([r], i) => h("tr", { class: i >= limit ? "extra" : null }, cols.map((c) => {
        const v = val(r, c);
        const cell = c.cell ? c.cell(r) : c.fmt ? c.fmt(v, r) : v === null || v === undefined ? "" : String(v);
        return h("td", { class: c.num ? "num" : c.cls, "data-col": c.key, "data-value": typeof v === "number" ? v : null }, cell);
      }))));
      note.textContent = rows.length > limit ? `first ${hn(limit)} of ${hn(rows.length)} rows shown` : rows.length === 0 ? "no rows" : "";
      const hidden = Math.max(0, shownRows.length - limit);
      more.textContent = `show ${hn(hidden)} more`;
      more.hidden = hidden <= 0;
    }
    draw();
    return { el: h("div", null, el, note, more), table: el, filter(f) { keep = f; draw(); } };
  }

  const keyCols = (extra) => [
    { key: "rank", label: "#", num: true },
    { key: "db", label: "db", num: true },
    { key: "key", label: "key", cls: "key", fmt: (v) => shown(v) },
    { key: "type", label: "type" },
    { key: "encoding", label: "encoding" },
    { key: "bytes", label: "memory", num: true, fmt: hb },
    { key: "elements", label: "elements", num: true, fmt: hn },
    { key: "largest_element", label: "largest element", num: true, fmt: (v) => (v === null || v === undefined ? "" : hb(v)) },
  ].concat(extra || []);
  const ranked = (rows) => (rows || []).map((r, i) => Object.assign({ rank: i + 1 }, r));

  // ---------------------------------------------------------------- report
  function facts(d) {
    const s = d.summary;
    const cards = h("div", { class: "cards" },
      card("keys", hn(s.keys)),
      card("estimated memory (MEMORY USAGE Σ)", hb(s.estimated_bytes), s.estimate_bound ? "± " + hb(s.estimate_bound) + " for the keys whose estimate is exact or expected" : null),
      s.predicted_used_memory !== null && s.predicted_used_memory !== undefined ? card("used_memory after loading, predicted", hb(s.predicted_used_memory)) : null,
      s.used_mem !== null && s.used_mem !== undefined ? card("used-mem at dump time (AUX)", hb(s.used_mem)) : null,
      card("keys with a TTL", hn(s.expires) + " (" + pc(share(s.expires, s.keys)) + ")"),
      card("bytes in the dump", hb(s.rdb_bytes)),
      s.approx_keys ? card("keys estimated approximately", hn(s.approx_keys)) : null);
    // Past a few files, one row each in "Files (nodes)" says more.
    const FILES = 8;
    const files = d.files.slice(0, FILES).map((f) => {
      const u = f.used_memory;
      const rows = [
        ["file", shown(f.file)],
        ["format", `RDB ${f.rdb_version} (${f.family})` + (f.producer ? `, written by ${f.producer} ${f.producer_version || ""}` : "")],
        ["dumped", f.ctime !== null && f.ctime !== undefined ? iso(f.ctime * 1000) : "unknown"],
        ["keys", hn(f.keys) + ", " + hb(f.estimated_bytes) + " estimated"],
        ["memory profile", (f.profile || "none") + (f.profile_reason ? " — " + f.profile_reason : "")],
      ];
      if (u) {
        rows.push(["used_memory, predicted", `${hb(u.predicted)} ± ${hb(u.bound)} (keys ${hb(u.keys)}, allocator ${sb(u.allocation)}, keyspace tables ${hb(u.keyspace)}, empty server ${hb(u.empty_server)}${u.empty_server_measured ? "" : ", measured on another build"})`]);
      }
      if (f.used_mem !== null && f.used_mem !== undefined) rows.push(["used-mem at dump time (AUX)", hb(f.used_mem)]);
      const t = h("table", { class: "facts" }, h("tbody", null, rows.map(([k, v]) => h("tr", null, h("th", { scope: "row", text: k }), h("td", { class: "wrap", text: v })))));
      let meter = null;
      if (u && u.maxmemory) {
        const sh = u.maxmemory_share || 0;
        const lvl = sh >= 90 ? "l90" : sh >= 70 ? "l70" : "";
        meter = h("div", null,
          h("div", { text: `${sh.toFixed(1)}% of maxmemory ${hb(u.maxmemory)}` + (u.headroom < 0 ? ` — over it by ${hb(-u.headroom)}` : `, ${hb(u.headroom)} left`) + (sh >= 90 ? " (≥ 90 %)" : sh >= 80 ? " (≥ 80 %)" : sh >= 70 ? " (≥ 70 %)" : "") }),
          h("div", { class: "meter " + lvl, role: "meter", "aria-valuemin": 0, "aria-valuemax": 100, "aria-valuenow": sh.toFixed(1), "aria-label": "share of maxmemory" },
            h("span", { style: { width: Math.min(100, sh) + "%" } })));
      }
      const warn = f.warnings && f.warnings.length ? h("ul", { class: "warnings" }, f.warnings.map((w) => h("li", { text: shown(w) }))) : null;
      return h("div", { class: "file" }, t, meter, warn);
    });
    const made = d.made_with;
    const settings = h("p", { class: "note", text: `rdbscope ${d.rdbscope_version}; target ${made.target || "the server that wrote each dump"}, allocator ${made.allocator}` + (made.config.length ? ", config " + made.config.join(" ") : "") + (made.filters.length ? ", filters " + made.filters.map(shown).join(" ") : "") + `; prefixes split at "${shown(made.delimiters)}" ${made.depth} deep${made.generalize ? ", ids generalized" : ""}; top ${made.top}` });
    const moreFiles = d.files.length > FILES ? h("p", { class: "note", text: `and ${hn(d.files.length - FILES)} more files: see Files (nodes)` }) : null;
    section("facts", d.files.length > 1 ? "Dumps" : "Dump", cards, files, moreFiles, settings);
  }

  function doctor(d) {
    const doc = d.doctor;
    if (!doc) return;
    const max = maxOf(doc.findings, (f) => f.savings_bytes, 1);
    const t = table({
      id: "doctor-table",
      rows: ranked(doc.findings),
      initial: 10,
      columns: [
        { key: "rank", label: "#", num: true },
        { key: "severity", label: "severity", value: (f) => ({ info: 0, warning: 1, critical: 2 })[f.severity], cell: (f) => h("span", { class: "sev sev-" + f.severity, text: f.severity }) },
        { key: "kind", label: "finding" },
        { key: "subject", label: "subject", cls: "key", fmt: (v, f) => shown(v) + (f.db !== undefined && f.db !== null ? ` (db ${f.db})` : "") },
        { key: "keys", label: "keys", num: true, fmt: hn },
        { key: "savings_bytes", label: "saves", num: true, cell: (f) => [f.savings_bytes ? hb(f.savings_bytes) + " " : "—", f.savings_bytes ? bar(f.savings_bytes / max) : null] },
        { key: "confidence", label: "confidence" },
        { key: "remedy", label: "what to do", cls: "wrap", cell: (f) => [shown(f.remedy), f.command ? h("div", null, h("code", { text: shown(f.command) })) : null] },
      ],
    });
    section("doctor", "Findings", h("div", { class: "cards" },
      card("findings", hn(doc.findings.length + doc.more_findings)),
      card("worst", doc.worst || "none"),
      card("memory the remedies save (may overlap)", hb(doc.savings_bytes))),
      doc.more_findings ? h("p", { class: "note", text: `${hn(doc.more_findings)} more findings left out by --top` }) : null,
      t.el);
  }

  // The prefix tree from the document's rows, each naming its parent. A
  // row attaches only to a shallower parent (so no loop can form) and each
  // prefix once; what no row holds (a first level too wide to keep) is the
  // root's rest.
  function buildTree(rows, total) {
    const nodes = new Map();
    const root = { prefix: null, label: "all keys", depth: 0, bytes: 0, keys: 0, no_ttl_bytes: 0, no_ttl_keys: 0, expired_keys: 0, children: [], parent: null };
    let orphans = 0;
    const kept = [];
    for (const r of rows) {
      if (nodes.has(r.prefix)) { orphans++; continue; }
      // `up`: the parent the row names; `parent`: the node it hangs from.
      const n = Object.assign({}, r, { label: r.prefix, children: [], parent: null, up: r.parent });
      nodes.set(r.prefix, n);
      kept.push(n);
    }
    for (const n of kept) {
      if (n.depth === 1) { n.parent = root; root.children.push(n); continue; }
      const p = n.up === undefined || n.up === null ? undefined : nodes.get(n.up);
      if (p && p.depth < n.depth) { n.parent = p; p.children.push(n); } else orphans++;
    }
    for (const c of root.children) for (const k of ["bytes", "keys", "no_ttl_bytes", "no_ttl_keys", "expired_keys"]) root[k] += c[k];
    if (total && total.bytes > root.bytes) {
      root.rest = { prefix: null, label: `(${hn(Math.max(0, total.keys - root.keys))} keys under prefixes not listed)`, bytes: total.bytes - root.bytes, keys: Math.max(0, total.keys - root.keys), no_ttl_bytes: null, no_ttl_keys: null, expired_keys: null, children: [], parent: root, filler: true };
      root.bytes = total.bytes;
      root.keys = Math.max(root.keys, total.keys);
    }
    const order = (a, b) => b.bytes - a.bytes || (a.prefix < b.prefix ? -1 : a.prefix > b.prefix ? 1 : 0);
    for (const n of [root, ...kept]) {
      n.children.sort(order);
      const inKids = n.children.reduce((a, c) => a + c.bytes, 0);
      if (n !== root && n.children.length && n.bytes > inKids) {
        const keys = Math.max(0, n.keys - n.children.reduce((a, c) => a + c.keys, 0));
        n.rest = { prefix: null, label: `(${hn(keys)} keys of ${n.prefix} in no listed child)`, bytes: n.bytes - inKids, keys, no_ttl_bytes: null, no_ttl_keys: null, expired_keys: null, children: [], parent: n, filler: true };
      }
    }
    return { root, orphans };
  }

  // Squarified treemap (Bruls, Huizing, van Wijk): rows of tiles laid
  // along the shorter side, each row kept while it makes the tiles squarer.
  function squarify(values, x, y, w, hgt) {
    const out = [];
    const total = values.reduce((a, b) => a + b, 0);
    if (!(total > 0) || w <= 0 || hgt <= 0) return values.map(() => ({ x, y, w: 0, h: 0 }));
    const scale = (w * hgt) / total;
    const worst = (sum, mx, mn, side) => Math.max((side * side * mx) / (sum * sum), (sum * sum) / (side * side * mn));
    let i = 0;
    while (i < values.length) {
      const side = Math.min(w, hgt);
      let j = i, sum = 0, mx = 0, mn = Infinity, best = Infinity;
      while (j < values.length) {
        const a = values[j] * scale;
        const s2 = sum + a, mx2 = Math.max(mx, a), mn2 = Math.min(mn, a);
        const wr = worst(s2, mx2, mn2, side);
        if (j > i && wr > best) break;
        sum = s2; mx = mx2; mn = mn2; best = wr; j++;
      }
      const thick = side > 0 ? sum / side : 0;
      let off = 0;
      for (let k = i; k < j; k++) {
        const len = thick > 0 ? (values[k] * scale) / thick : 0;
        out.push(w >= hgt ? { x, y: y + off, w: thick, h: len } : { x: x + off, y, w: len, h: thick });
        off += len;
      }
      if (w >= hgt) { x += thick; w -= thick; } else { y += thick; hgt -= thick; }
      i = j;
    }
    return out;
  }

  function ttlColour(noTtl) {
    if (noTtl === null || noTtl === undefined || !isFinite(noTtl)) return "#8c959f";
    const a = [60, 141, 126], b = [217, 130, 43];
    const c = a.map((v, i) => Math.round(v + (b[i] - v) * Math.max(0, Math.min(1, noTtl))));
    return `rgb(${c[0]},${c[1]},${c[2]})`;
  }

  function prefixes(d) {
    const rows = d.prefix_totals || d.prefixes;
    if (!rows) return;
    const { root, orphans } = buildTree(rows, { bytes: d.summary.estimated_bytes, keys: d.summary.keys });
    const W = 1000, H = 560, MAXTILES = 300;
    const svg = h("svg", { id: "treemap-svg", class: "chart", viewBox: `0 0 ${W} ${H}`, role: "group", tabindex: -1, "aria-label": "memory by key prefix" });
    const crumbs = h("div", { class: "crumbs", "aria-label": "treemap position" });
    const listBox = h("div");
    const caption = h("p", { class: "note" });
    const pattern = h("defs", null, h("pattern", { id: "hatch", width: 6, height: 6, patternUnits: "userSpaceOnUse", patternTransform: "rotate(45)" }, h("line", { x1: 0, y1: 0, x2: 0, y2: 6, stroke: "rgba(0,0,0,.28)", "stroke-width": 2 })));
    function tipLines(n) {
      const l = [n.prefix === null ? n.label : shown(n.label), `${hb(n.bytes)} (${pc(share(n.bytes, root.bytes))} of all), ${hn(n.keys)} keys`];
      if (n.no_ttl_bytes !== null && n.no_ttl_bytes !== undefined) l.push(`without TTL: ${hn(n.no_ttl_keys)} keys, ${hb(n.no_ttl_bytes)} (${pc(share(n.no_ttl_bytes, n.bytes))} of its memory)`);
      if (n.expired_keys !== null && n.expired_keys !== undefined) l.push(`expired at dump time: ${hn(n.expired_keys)} keys (${pc(share(n.expired_keys, n.keys))})`);
      if (n.children_dropped) l.push("its children were not kept (too many distinct)");
      if (n.children && n.children.length) l.push("click or Enter: zoom in");
      return l;
    }
    function tiles(n) {
      let list = n.children.slice();
      if (n.rest) list.push(n.rest);
      list.sort((a, b) => b.bytes - a.bytes);
      if (list.length > MAXTILES) {
        const tail = list.slice(MAXTILES - 1);
        list = list.slice(0, MAXTILES - 1);
        list.push({ prefix: null, label: `(${hn(tail.length)} smaller prefixes)`, bytes: tail.reduce((a, c) => a + c.bytes, 0), keys: tail.reduce((a, c) => a + c.keys, 0), children: [], filler: true });
      }
      return list.filter((c) => c.bytes > 0);
    }
    // `how`: "key" puts the focus on the new view's first tile (keyboard
    // users go on from there), "mouse" on the treemap itself (so Escape
    // still goes back).
    function draw(n, how) {
      hideTip();
      const list = tiles(n);
      const boxes = squarify(list.map((c) => c.bytes), 0, 0, W, H);
      const gs = list.map((c, i) => {
        const b = boxes[i];
        const noTtl = c.no_ttl_bytes === null || c.no_ttl_bytes === undefined ? null : share(c.no_ttl_bytes, c.bytes);
        const zoom = c.children && c.children.length > 0;
        const g = h("g", { class: "tile top", tabindex: 0, role: zoom ? "button" : "img", "data-prefix": c.prefix === null ? null : shown(c.prefix), "data-bytes": c.bytes, "data-keys": c.keys, "aria-label": tipLines(c).slice(0, 3).join("; ") },
          h("rect", { class: "box", x: b.x, y: b.y, width: b.w, height: b.h, fill: c.filler ? "#afb8c1" : ttlColour(noTtl) }),
          noTtl !== null && noTtl >= 0.5 ? h("rect", { x: b.x, y: b.y, width: b.w, height: b.h, fill: "url(#hatch)", "pointer-events": "none" }) : null);
        if (zoom && b.w > 40 && b.h > 40) {
          const kids = c.children.filter((k) => k.bytes > 0).slice(0, 60);
          // The part of the tile in no drawn child is laid out last and left
          // uncovered, so the inner tiles keep their share of its area.
          const rest = Math.max(0, c.bytes - kids.reduce((a, k) => a + k.bytes, 0));
          const inner = squarify(kids.map((k) => k.bytes).concat(rest > 0 ? [rest] : []), b.x + 3, b.y + 17, b.w - 6, b.h - 20);
          g.append(h("g", { class: "sub", "pointer-events": "none" }, kids.map((k, j) => {
            const r = inner[j];
            return h("rect", { x: r.x, y: r.y, width: r.w, height: r.h, fill: "rgba(255,255,255,.18)" });
          })));
        }
        if (b.w > 46 && b.h > 16) {
          const max = Math.floor((b.w - 8) / 6.2);
          let label = c.prefix === null ? c.label : shown(c.label);
          if (label.length > max) label = label.slice(0, Math.max(1, max - 1)) + "…";
          g.append(h("text", { x: b.x + 4, y: b.y + 13, "pointer-events": "none", text: label }));
          const sub = [`${hb(c.bytes)} · ${pc(share(c.bytes, root.bytes))}`, hb(c.bytes)].find((t) => t.length <= max);
          if (b.h > 30 && sub) g.append(h("text", { x: b.x + 4, y: b.y + 26, "pointer-events": "none", text: sub }));
        }
        g.append(h("title", { text: tipLines(c).join("\n") }));
        g.addEventListener("click", () => { if (zoom) draw(c, "mouse"); });
        g.addEventListener("keydown", (e) => { if ((e.key === "Enter" || e.key === " ") && zoom) { e.preventDefault(); draw(c, "key"); } });
        g.addEventListener("mousemove", (e) => showTip(e, tipLines(c)));
        g.addEventListener("mouseleave", hideTip);
        g.addEventListener("focus", (e) => showTip(e, tipLines(c)));
        g.addEventListener("blur", hideTip);
        return g;
      });
      svg.replaceChildren(pattern, ...gs);
      const path = [];
      for (let p = n; p; p = p.parent) path.unshift(p);
      crumbs.replaceChildren(...path.flatMap((p, i) => i === path.length - 1
        ? [h("strong", { text: p.prefix === null ? p.label : p.prefix })]
        : [h("button", { type: "button", text: p.prefix === null ? p.label : p.prefix, onclick: () => draw(p, "mouse") }), " ›"]));
      svg.onkeydown = (e) => { if (e.key === "Escape" && n.parent) { e.preventDefault(); draw(n.parent, "key"); } };
      if (how === "key" && gs.length) gs[0].focus();
      else if (how === "mouse") svg.focus({ preventScroll: true });
      setText(caption, `${n.prefix === null ? "All keys" : n.prefix}: ${hb(n.bytes)}, ${hn(n.keys)} keys; ${list.length} tiles, area proportional to memory.`);
      const t = table({
        id: "prefix-table",
        rows: list.map((c) => Object.assign({}, c, { share: share(c.bytes, root.bytes), no_ttl: c.no_ttl_bytes === null || c.no_ttl_bytes === undefined ? null : share(c.no_ttl_bytes, c.bytes) })),
        sort: { key: "bytes", desc: true },
        columns: [
          { key: "label", label: "prefix", cls: "key", fmt: (v, c) => (c.prefix === null ? v : shown(v)) },
          { key: "bytes", label: "memory", num: true, fmt: hb },
          { key: "share", label: "share", num: true, fmt: pc },
          { key: "keys", label: "keys", num: true, fmt: hn },
          { key: "no_ttl", label: "no-TTL memory", num: true, fmt: (v) => (v === null ? "" : pc(v)) },
          { key: "expired_keys", label: "expired keys", num: true, fmt: (v) => (v === null || v === undefined ? "" : hn(v)) },
        ],
      });
      listBox.replaceChildren(h("h3", { text: "This level as a table" }), t.el);
    }
    draw(root);
    const legend = h("div", { class: "legend" },
      h("span", null, h("svg", { width: 14, height: 14 }, h("rect", { width: 14, height: 14, fill: ttlColour(0) })), " every key has a TTL"),
      h("span", null, h("svg", { width: 14, height: 14 }, h("rect", { width: 14, height: 14, fill: ttlColour(1) }), h("defs", null, h("pattern", { id: "hatch-l", width: 6, height: 6, patternUnits: "userSpaceOnUse", patternTransform: "rotate(45)" }, h("line", { x1: 0, y1: 0, x2: 0, y2: 6, stroke: "rgba(0,0,0,.28)", "stroke-width": 2 }))), h("rect", { width: 14, height: 14, fill: "url(#hatch-l)" })), " no TTL (hatched: half or more of its memory has none)"),
      h("span", null, h("svg", { width: 14, height: 14 }, h("rect", { width: 14, height: 14, fill: "#afb8c1" })), " keys in no listed prefix"),
      h("span", { text: "Click a tile or press Enter to zoom in; Escape or the path above goes back." }));
    const notes = [];
    if (root.rest) notes.push(h("p", { class: "note", text: `${hb(root.rest.bytes)} in ${hn(root.rest.keys)} keys is under first-level prefixes this document does not list (too many distinct to keep, or past --top): one grey tile. \`rdbscope keys\` gives every key's prefixes.` }));
    if (orphans) notes.push(h("p", { class: "note", text: `${hn(orphans)} prefix rows are not drawn: their parent is not in this document, or they repeat a prefix (documents made before rows named their parents).` }));
    if (d.prefixes_with_dropped_children && rows.length) notes.push(h("p", { class: "note", text: `${hn(d.prefixes_with_dropped_children)} prefixes had too many distinct children to keep; each is drawn as one tile.` }));
    section("prefixes", "Memory by prefix", crumbs, svg, caption, legend, notes, listBox);
  }

  function types(d) {
    const s = d.summary;
    const te = s.by_type_encoding && Object.keys(s.by_type_encoding).length ? s.by_type_encoding : null;
    const rows = [];
    if (te) {
      for (const [t, encs] of Object.entries(te)) for (const [e, v] of Object.entries(encs)) rows.push({ type: t, encoding: e, keys: v.keys, bytes: v.bytes, share: share(v.bytes, s.estimated_bytes), type_share: share(v.bytes, (s.by_type[t] || { bytes: 0 }).bytes) });
    } else {
      for (const [t, v] of Object.entries(s.by_type)) rows.push({ type: t, encoding: "(not in this document)", keys: v.keys, bytes: v.bytes, share: share(v.bytes, s.estimated_bytes), type_share: 1 });
    }
    const t = table({
      id: "types-table",
      rows,
      sort: { key: "bytes", desc: true },
      columns: [
        { key: "type", label: "type" },
        { key: "encoding", label: "encoding" },
        { key: "keys", label: "keys", num: true, fmt: hn },
        { key: "bytes", label: "memory", num: true, fmt: hb },
        { key: "share", label: "share of all", num: true, cell: (r) => [pc(r.share) + " ", bar(r.share)] },
        { key: "type_share", label: "share of its type", num: true, fmt: pc },
      ],
    });
    const dbs = Object.entries(s.by_db).map(([db, v]) => ({ db: Number(db), keys: v.keys, bytes: v.bytes }));
    const dbt = dbs.length > 1 ? table({ id: "db-table", rows: dbs, sort: { key: "bytes", desc: true }, columns: [
      { key: "db", label: "db", num: true }, { key: "keys", label: "keys", num: true, fmt: hn }, { key: "bytes", label: "memory", num: true, fmt: hb }] }).el : null;
    section("types", "Types and encodings", t.el, dbt ? h("h3", { text: "By database" }) : null, dbt);
  }

  function histogram(bins, fmt, label) {
    const W = 460, H = 150, L = 44, B = 30, T = 8;
    if (!bins.length) return h("p", { class: "note", text: "no keys" });
    const exps = bins.map((b) => (b.from === 0 ? -1 : Math.round(Math.log2(b.from))));
    const lo = -maxOf(exps, (e) => -e), hi = maxOf(exps, (e) => e);
    const all = [];
    for (let e = lo; e <= hi; e++) {
      const i = exps.indexOf(e);
      all.push({ from: e < 0 ? 0 : Math.pow(2, e), keys: i >= 0 ? bins[i].keys : 0 });
    }
    const max = maxOf(all, (b) => b.keys, 0);
    const bw = Math.min(48, (W - L - 4) / all.length);
    const g = h("svg", { class: "chart", viewBox: `0 0 ${W} ${H}`, role: "img", "aria-label": label + ": keys by octave" },
      h("line", { class: "axis", x1: L, y1: H - B, x2: W - 2, y2: H - B }),
      h("text", { x: L - 4, y: T + 8, "text-anchor": "end", text: short(max) }),
      h("text", { x: L - 4, y: H - B, "text-anchor": "end", text: "0" }));
    const every = Math.max(1, Math.ceil(all.length / 8));
    all.forEach((b, i) => {
      // A bucket with keys stays visible (2 units) however tall the rest.
      const bh = b.keys > 0 ? Math.max(2, ((H - B - T) * b.keys) / max) : 0;
      const x = L + i * bw;
      const r = h("rect", { x: x + 1, y: H - B - bh, width: Math.max(1, bw - 2), height: bh, fill: "#0969da" }, h("title", { text: `${fmt(b.from)} to ${b.from === 0 ? fmt(1) : fmt(b.from * 2)}: ${hn(b.keys)} keys` }));
      g.append(r);
      if (i % every === 0) g.append(h("text", { x: x + bw / 2, y: H - B + 13, "text-anchor": "middle", text: fmt(b.from) }));
    });
    g.append(h("text", { x: L, y: H - 4, text: label + " (log scale: one bar per doubling)" }));
    return g;
  }

  function distributions(d) {
    const ds = d.distributions;
    if (!ds || !Object.keys(ds).length) return;
    const TYPES = 24;
    const all = Object.entries(ds).sort((a, b) => b[1].keys - a[1].keys || (a[0] < b[0] ? -1 : 1));
    const figs = all.slice(0, TYPES).map(([t, v]) => h("div", { class: "dist", "data-type": t },
      h("h3", { text: `${t}: ${hn(v.keys)} ${v.keys === 1 ? "key" : "keys"}` }),
      histogram(v.bytes, hb, "memory per key"),
      histogram(v.elements, hn, t === "string" ? "value length" : "elements per key")));
    section("dist", "Distributions by type", h("div", { class: "grid2" }, figs),
      all.length > TYPES ? h("p", { class: "note", text: `${hn(all.length - TYPES)} more types with fewer keys are not drawn` }) : null);
  }

  function expiry(d) {
    const e = d.expiry;
    if (!e) return;
    const ctime = d.files.length && d.files[0].ctime !== null && d.files[0].ctime !== undefined ? d.files[0].ctime * 1000 : null;
    const cards = h("div", { class: "cards" },
      card("keys without TTL", `${hn(e.no_ttl_keys)} (${hb(e.no_ttl_bytes)})`),
      card("keys with a TTL", `${hn(e.ttl_keys)} (${hb(e.ttl_bytes)})`),
      card("already expired at dump time", `${hn(e.expired_keys)} (${hb(e.expired_bytes)})`),
      e.field_ttls ? card("hash fields with a TTL", hn(e.field_ttls)) : null,
      e.busiest ? card(`busiest ${e.resolution}`, `${hn(e.busiest.keys)} keys at ${iso(e.busiest.at_ms)}`) : null);
    const raw = e.histogram || [];
    const chart = h("p", { class: "note", text: "No key expires after the dump time." });
    const mode = { v: "keys", width: 0 };
    const box = h("div");
    // The document's buckets, or coarser ones made by adding them up.
    const unitMs = raw.length ? raw[0].end_ms - raw[0].start_ms : 0;
    // At most about 1,000 bars: more are added up.
    const fold = Math.max(1, Math.ceil(raw.length / 1000));
    const widths = [[unitMs * fold, fold > 1 ? `per ${hn(fold)} ${e.histogram_unit}s` : "per " + e.histogram_unit]];
    for (const [ms, name] of [[60000, "per minute"], [3600000, "per hour"], [86400000, "per day"]]) {
      if (unitMs > 0 && ms > unitMs * fold && ms % unitMs === 0 && raw.length * unitMs > 2 * ms) widths.push([ms, name]);
    }
    mode.width = widths[0][0];
    const widthName = () => widths.find((w) => w[0] === mode.width)[1];
    function binned() {
      if (mode.width === unitMs || !raw.length) return raw;
      const t0 = raw[0].start_ms, out = [];
      for (const b of raw) {
        const start = t0 + Math.floor((b.start_ms - t0) / mode.width) * mode.width;
        const last = out[out.length - 1];
        if (last && last.start_ms === start) { last.keys += b.keys; last.bytes += b.bytes; }
        else out.push({ start_ms: start, end_ms: start + mode.width, keys: b.keys, bytes: b.bytes });
      }
      return out;
    }
    function drawTimeline() {
      const hist = binned();
      if (!hist.length) { box.replaceChildren(chart); return; }
      const W = 1000, H = 240, L = 60, B = 40, T = 18;
      const t0 = hist[0].start_ms, t1 = hist[hist.length - 1].end_ms;
      const xs = (ms) => L + ((W - L - 8) * (ms - t0)) / Math.max(1, t1 - t0);
      const max = maxOf(hist, (b) => b[mode.v], 1);
      const g = h("svg", { id: "expiry-svg", class: "chart", viewBox: `0 0 ${W} ${H}`, role: "img", "aria-label": `${mode.v} expiring ${widthName()}` },
        h("line", { class: "axis", x1: L, y1: H - B, x2: W - 4, y2: H - B }),
        h("text", { x: L - 4, y: T + 4, "text-anchor": "end", text: mode.v === "keys" ? short(max) : hb(max) }),
        h("text", { x: L - 4, y: H - B, "text-anchor": "end", text: "0" }));
      hist.forEach((b) => {
        const x0 = xs(b.start_ms), x1 = xs(b.end_ms);
        const bh = b[mode.v] > 0 ? Math.max(2, ((H - B - T) * b[mode.v]) / max) : 0;
        g.append(h("rect", { class: "bucket", x: x0 + 0.5, y: H - B - bh, width: Math.max(0.5, x1 - x0 - 1), height: bh, fill: "#3c8d7e", "data-keys": b.keys, "data-bytes": b.bytes }, h("title", { text: `${iso(b.start_ms)} – ${iso(b.end_ms)}: ${hn(b.keys)} keys, ${hb(b.bytes)}` })));
      });
      // Ticks in UTC: times of day over a short span, days over a long one.
      const span = t1 - t0;
      const rel = (ms) => {
        const t = iso(ms);
        return span <= 2 * 86400000 ? t.slice(0, 16).replace("T", " ") : t.slice(0, 10);
      };
      const ticks = 6;
      for (let i = 0; i <= ticks; i++) {
        const ms = t0 + ((t1 - t0) * i) / ticks;
        g.append(h("line", { class: "grid", x1: xs(ms), y1: H - B, x2: xs(ms), y2: H - B + 4 }));
        g.append(h("text", { x: xs(ms), y: H - B + 16, "text-anchor": i === 0 ? "start" : i === ticks ? "end" : "middle", text: rel(ms) }));
      }
      g.append(h("text", { x: L, y: H - 6, text: `${mode.v} expiring ${widthName()} (UTC); the dump was taken ${ctime === null ? "at an unknown time" : iso(ctime)}` }));
      (e.clusters || []).forEach((c, i) => {
        if (c.at_ms < t0 || c.at_ms > t1) return;
        const x = xs(c.at_ms);
        g.append(h("g", { class: "cluster-mark" },
          h("line", { x1: x, y1: T - 6, x2: x, y2: H - B, stroke: "#cf222e", "stroke-width": 1.5, "stroke-dasharray": "4 3" }),
          h("text", { x: x + 3, y: T + 2, fill: "#cf222e", text: `C${i + 1}` }),
          h("title", { text: `cluster C${i + 1}: ${hn(c.keys)} keys expire in the ${c.resolution} of ${c.at}` })));
      });
      box.replaceChildren(g);
    }
    drawTimeline();
    const modeSel = raw.length ? h("div", { class: "controls" },
      widths.length > 1 ? h("select", { id: "expiry-width", "aria-label": "bucket width", onchange: (ev) => { mode.width = Number(ev.target.value); drawTimeline(); } },
        widths.map(([ms, name]) => h("option", { value: ms, text: name }))) : null,
      "Show: ",
      h("button", { type: "button", "aria-pressed": "true", text: "keys", onclick: (ev) => { mode.v = "keys"; ev.target.setAttribute("aria-pressed", "true"); ev.target.nextElementSibling.setAttribute("aria-pressed", "false"); drawTimeline(); } }),
      h("button", { type: "button", "aria-pressed": "false", text: "memory", onclick: (ev) => { mode.v = "bytes"; ev.target.setAttribute("aria-pressed", "true"); ev.target.previousElementSibling.setAttribute("aria-pressed", "false"); drawTimeline(); } })) : null;
    const clusters = (e.clusters || []).length ? [h("h3", { text: "Expiry clusters: many keys expiring in the same " + e.resolution }), table({
      id: "clusters-table",
      rows: e.clusters.map((c, i) => Object.assign({ id: "C" + (i + 1) }, c)),
      columns: [
        { key: "id", label: "mark" },
        { key: "at", label: "at" },
        { key: "resolution", label: "within one" },
        { key: "keys", label: "keys", num: true, fmt: hn },
        { key: "bytes", label: "memory", num: true, fmt: hb },
        { key: "top_prefixes", label: "mostly", cls: "key", cell: (c) => c.top_prefixes.map((p) => `${shown(p.prefix)} (${hn(p.keys)})`).join(", ") },
      ],
    }).el] : [];
    const noTtl = (e.no_ttl_prefixes || []).length ? [h("h3", { text: "Prefixes holding the most memory without a TTL" }), table({
      id: "nottl-table", rows: e.no_ttl_prefixes, sort: { key: "bytes", desc: true },
      columns: [{ key: "prefix", label: "prefix", cls: "key", fmt: shown }, { key: "depth", label: "depth", num: true }, { key: "keys", label: "keys", num: true, fmt: hn }, { key: "bytes", label: "memory", num: true, fmt: hb }],
      caption: "a prefix and the prefixes under it share keys: compare rows of one depth",
    }).el] : [];
    section("expiry", "Expiry", cards, modeSel, box, clusters, noTtl);
  }

  function bigKeys(d) {
    if (!d.big_keys) return;
    const lists = { memory: ranked(d.big_keys), elements: ranked(d.most_elements) };
    const extra = d.big_keys.some((k) => k.lfu_freq !== undefined) ? [{ key: "lfu_freq", label: "LFU", num: true }] : d.big_keys.some((k) => k.idle_s !== undefined) ? [{ key: "idle_s", label: "idle s", num: true, fmt: hn }] : [];
    const holder = h("div");
    const filter = h("input", { id: "bigkeys-filter", type: "search", placeholder: "filter keys", "aria-label": "filter keys by text" });
    const typeSel = h("select", { id: "bigkeys-type", "aria-label": "filter by type" });
    const bySel = h("select", { id: "bigkeys-by", "aria-label": "rank by" }, h("option", { value: "memory", text: "biggest by memory" }), d.most_elements ? h("option", { value: "elements", text: "most elements" }) : null);
    const perType = { memory: d.big_keys_by_type || {}, elements: d.most_elements_by_type || {} };
    const note = h("p", { class: "note" });
    let t;
    function apply() {
      const q = filter.value.toLowerCase();
      t.filter((k) => !q || shown(k.key).toLowerCase().includes(q));
    }
    // A type chosen shows that type's own ranking (its top list), not the
    // overall list's rows of that type.
    function build() {
      const by = bySel.value;
      const per = perType[by];
      const was = typeSel.value;
      const types = [...new Set(Object.keys(per).map(shown).concat(lists[by].map((k) => shown(k.type))))].sort();
      typeSel.replaceChildren(h("option", { value: "", text: "all types" }), ...types.map((x) => h("option", { value: x, text: x })));
      typeSel.value = types.includes(was) ? was : "";
      const ty = typeSel.value;
      const own = ty ? Object.entries(per).find(([x]) => shown(x) === ty) : undefined;
      const rows = !ty ? lists[by] : own ? ranked(own[1]) : lists[by].filter((k) => shown(k.type) === ty);
      t = table({ id: "bigkeys-table", rows, sort: { key: by === "memory" ? "bytes" : "elements", desc: true }, columns: keyCols(extra) });
      holder.replaceChildren(t.el);
      const what = by === "memory" ? "biggest" : "largest (by elements)";
      setText(note, d.big_keys_complete ? "Every key is listed." : `The ${hn(rows.length)} ${what} ${ty ? ty + " " : ""}keys (--top).`);
      apply();
    }
    filter.addEventListener("input", apply);
    typeSel.addEventListener("change", build);
    bySel.addEventListener("change", build);
    build();
    section("bigkeys", "Big keys", h("div", { class: "controls" }, bySel, typeSel, filter),
      note, holder);
  }

  function hotCold(d) {
    const hot = d.hot_keys || [], cold = d.cold_keys || [];
    if (!hot.length && !cold.length) return;
    const extra = [{ key: "lfu_freq", label: "LFU", num: true }, { key: "idle_s", label: "idle s", num: true, fmt: (v) => (v === undefined || v === null ? "" : hn(v)) }];
    section("hotcold", "Hot and cold keys",
      hot.length ? [h("h3", { text: "Hottest (LFU counter, or least idle)" }), table({ id: "hot-table", rows: ranked(hot), columns: keyCols(extra) }).el] : null,
      cold.length ? [h("h3", { text: "Coldest (idle longest, or lowest LFU) by memory" }), table({ id: "cold-table", rows: ranked(cold), columns: keyCols(extra) }).el] : null);
  }

  function slots(d) {
    const s = d.slots;
    if (!s) return;
    const W = 1000, H = 200, L = 60, B = 34, T = 10;
    const ranges = s.ranges.slice(0, 64);
    const max = maxOf(ranges, (r) => r.bytes, 1);
    const bw = (W - L - 4) / Math.max(1, ranges.length);
    const g = h("svg", { id: "slots-svg", class: "chart", viewBox: `0 0 ${W} ${H}`, role: "img", "aria-label": "memory per range of 1,024 slots" },
      h("line", { class: "axis", x1: L, y1: H - B, x2: W - 4, y2: H - B }),
      h("text", { x: L - 4, y: T + 6, "text-anchor": "end", text: hb(max) }));
    ranges.forEach((r, i) => {
      const bh = ((H - B - T) * r.bytes) / max;
      g.append(h("rect", { x: L + i * bw + 1, y: H - B - bh, width: bw - 2, height: bh, fill: "#0969da", "data-bytes": r.bytes }, h("title", { text: `slots ${r.first}–${r.last}: ${hn(r.keys)} keys, ${hb(r.bytes)}` })));
      g.append(h("text", { x: L + i * bw + bw / 2, y: H - B + 13, "text-anchor": "middle", text: String(r.first) }));
    });
    g.append(h("text", { x: L, y: H - 4, text: "memory per 1,024 slots (first slot of each range below)" }));
    section("slots", "Cluster slots", h("div", { class: "cards" },
      card("slots with keys", hn(s.slots_with_keys) + " of 16,384"),
      s.skew !== null && s.skew !== undefined ? card("slot skew (max / mean)", s.skew.toFixed(2)) : null,
      card("keys with a hash tag", `${hn(s.hash_tagged.keys)} (${hb(s.hash_tagged.bytes)})`),
      s.node_skew !== null && s.node_skew !== undefined ? card("node skew (max / mean)", s.node_skew.toFixed(2)) : null,
      s.unserved ? card("keys in slots their node does not serve", `${hn(s.unserved.keys)} (${hb(s.unserved.bytes)})`) : null),
      g,
      h("h3", { text: "Top slots" }),
      table({ id: "slots-table", rows: s.top_slots, sort: { key: "bytes", desc: true }, columns: [
        { key: "slot", label: "slot", num: true }, { key: "keys", label: "keys", num: true, fmt: hn },
        { key: "bytes", label: "memory", num: true, fmt: hb }, { key: "share", label: "share", num: true, fmt: pc }] }).el);
  }

  function nodes(d) {
    if (d.files.length < 2) return;
    const max = maxOf(d.files, (f) => f.estimated_bytes, 1);
    const total = d.files.reduce((a, f) => a + f.estimated_bytes, 0);
    section("nodes", "Files (nodes)", table({
      id: "nodes-table",
      initial: 50,
      rows: d.files.map((f, i) => ({ n: i + 1, file: f.file, keys: f.keys, bytes: f.estimated_bytes, share: share(f.estimated_bytes, total), predicted: f.used_memory ? f.used_memory.predicted : null })),
      columns: [
        { key: "n", label: "#", num: true },
        { key: "file", label: "file", cls: "key", fmt: shown },
        { key: "keys", label: "keys", num: true, fmt: hn },
        { key: "bytes", label: "memory", num: true, cell: (r) => [hb(r.bytes) + " ", bar(r.bytes / max)] },
        { key: "share", label: "share", num: true, fmt: pc },
        { key: "predicted", label: "used_memory predicted", num: true, fmt: (v) => (v === null ? "" : hb(v)) },
      ],
    }).el);
  }

  // ------------------------------------------------------------------ diff
  function diffPage(d) {
    const side = (s) => s.files.map((f) => `${shown(f.file)}${f.dumped ? " (dumped " + f.dumped + ")" : ""}`).join(", ");
    const c = d.total;
    const cards = h("div", { class: "cards" },
      card("memory", `${hb(c.bytes_before)} → ${hb(c.bytes_after)}`, null),
      card("change", `${sb(c.bytes_change)}${c.bytes_change_pct !== null && c.bytes_change_pct !== undefined ? ` (${c.bytes_change_pct > 0 ? "+" : ""}${c.bytes_change_pct.toFixed(1)}%)` : ""}`),
      card("keys", `${hn(c.keys_before)} → ${hn(c.keys_after)} (${sn(c.keys_change)})`),
      card("memory without TTL", `${hb(d.no_ttl.bytes_before)} → ${hb(d.no_ttl.bytes_after)} (${sb(d.no_ttl.bytes_change)})`));
    section("diff-summary", "What changed",
      h("table", null, h("tbody", null,
        h("tr", null, h("th", { scope: "row", text: "old" }), h("td", { class: "wrap", text: side(d.old) })),
        h("tr", null, h("th", { scope: "row", text: "new" }), h("td", { class: "wrap", text: side(d.new) })))),
      d.settings_differ.length ? h("ul", { class: "warnings" }, d.settings_differ.map((s) => h("li", { text: "settings differ: " + shown(s) }))) : null,
      cards);
    const beside = (id, title, rows, name) => {
      const max = maxOf(rows, (r) => Math.max(r.bytes_before, r.bytes_after), 1);
      section(id, title, table({
        id: id + "-table", rows, sort: { key: "bytes_change", desc: true },
        columns: [
          { key: name, label: name },
          { key: "bytes_before", label: "before", num: true, cell: (r) => [hb(r.bytes_before) + " ", bar(r.bytes_before / max, "#8c959f")] },
          { key: "bytes_after", label: "after", num: true, cell: (r) => [hb(r.bytes_after) + " ", bar(r.bytes_after / max)] },
          { key: "bytes_change", label: "change", num: true, cell: (r) => h("span", { class: r.bytes_change > 0 ? "up" : r.bytes_change < 0 ? "down" : null, text: sb(r.bytes_change) + (r.bytes_change_pct !== null && r.bytes_change_pct !== undefined ? ` (${r.bytes_change_pct > 0 ? "+" : ""}${r.bytes_change_pct.toFixed(1)}%)` : "") }) },
          { key: "keys_change", label: "keys", num: true, fmt: (v, r) => `${hn(r.keys_before)} → ${hn(r.keys_after)} (${sn(v)})` },
        ],
      }).el);
    };
    beside("diff-types", "By type", d.by_type, "type");
    if (d.by_db.length > 1) beside("diff-dbs", "By database", d.by_db, "db");
    const maxc = maxOf(d.prefixes, (p) => Math.abs(p.bytes_change), 1);
    section("diff-prefixes", "Prefixes that changed most", table({
      id: "diff-prefixes-table", rows: d.prefixes.filter((p) => p.bytes_change !== 0 || p.keys_change !== 0 || p.status !== "changed"), sort: { key: "bytes_change", desc: true },
      columns: [
        { key: "prefix", label: "prefix", cls: "key", fmt: shown },
        { key: "status", label: "status" },
        { key: "bytes_before", label: "before", num: true, fmt: hb },
        { key: "bytes_after", label: "after", num: true, fmt: hb },
        { key: "bytes_change", label: "change", num: true, cell: (p) => [h("span", { class: p.bytes_change > 0 ? "up" : p.bytes_change < 0 ? "down" : null, text: sb(p.bytes_change) + " " }), bar(Math.abs(p.bytes_change) / maxc, p.bytes_change > 0 ? "#cf222e" : "#3c8d7e")] },
        { key: "keys_change", label: "keys", num: true, fmt: sn },
      ],
    }).el,
    d.new_prefixes.length ? h("p", { class: "note", text: "new: " + d.new_prefixes.map(shown).join(", ") }) : null,
    d.vanished_prefixes.length ? h("p", { class: "note", text: "vanished: " + d.vanished_prefixes.map(shown).join(", ") }) : null);
    if (d.grown_keys.length) {
      section("diff-keys", "Keys that grew", table({
        id: "diff-keys-table", rows: ranked(d.grown_keys), sort: { key: "bytes_change", desc: true },
        columns: [
          { key: "db", label: "db", num: true },
          { key: "key", label: "key", cls: "key", fmt: shown },
          { key: "bytes_before", label: "before", num: true, fmt: (v) => (v === null || v === undefined ? "(new or small)" : hb(v)) },
          { key: "bytes_after", label: "after", num: true, fmt: hb },
          { key: "bytes_change", label: "change", num: true, value: (k) => (k.bytes_change === null || k.bytes_change === undefined ? k.bytes_after : k.bytes_change), fmt: (v, k) => (k.bytes_change === null || k.bytes_change === undefined ? "≥ " : "") + sb(v) },
        ],
      }).el);
    }
  }

  function reportPage(d) {
    facts(d);
    doctor(d);
    prefixes(d);
    types(d);
    distributions(d);
    expiry(d);
    bigKeys(d);
    hotCold(d);
    slots(d);
    nodes(d);
  }

  try {
    const el = document.getElementById("rdbscope-data");
    const data = JSON.parse(el.textContent);
    if (el.dataset.kind === "diff") diffPage(data); else reportPage(data);
    document.body.dataset.ready = "1";
  } catch (err) {
    const box = h("div", { id: "render-error", role: "alert", text: "This page could not be drawn: " + (err && err.message ? err.message : String(err)) });
    document.body.prepend(box);
    document.body.dataset.ready = "error";
    throw err;
  }
})();
