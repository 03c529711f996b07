#!/usr/bin/env node
// Loads a local page (HTML or SVG) in headless Chromium and checks it.
//
//   KPIPE_BROWSER_CHECK=DIR node check.mjs SPEC.json
//
// DIR holds node_modules/playwright-core (`.ci/run` installs it into
// $cache/browser). Chromium is /usr/bin/chromium (Debian's), or
// $KPIPE_CHROMIUM; playwright never downloads a browser.
//
// SPEC (JSON; every key but `path`/`url` optional):
// {
//   "path": "/abs/file.svg",            // or "url": "file:///…" / "http://127.0.0.1:…"
//   "screenshot": "/abs/out.png",       // full-page PNG
//   "viewport": {"width": 1280, "height": 800},
//   "expect": [                          // DOM expectations, each on querySelectorAll(selector)
//     {"selector": "g.node", "count": 9},
//     {"selector": "g.node[data-task=\"train\"]", "count": 1,
//      "text": "train",                  // textContent of the first match contains this
//      "attr": {"data-state": "failed"}},// attributes of every match equal these
//     {"selector": "img", "minCount": 1}
//   ],
//   "noOverlap": ["g.node, g.edge-label"], // bounding boxes of the matches must not overlap
//   "contained": [{"each": "g.node", "inner": "text", "outer": "rect.box"}],
//                                        // in each `each`, every `inner` lies inside the first `outer`
//   "truthy": [{"name": "has title", "js": "document.title !== ''"}]
//                                        // expressions evaluated in the page
// }
//
// Always checked: no console error, no uncaught exception, no dialog
// (alert/confirm: a script ran), no failed request or HTTP status >= 400,
// every <img> loaded (naturalWidth > 0).
//
// Prints one JSON object ({"ok": bool, "failures": [...], ...}) and exits
// 0 when ok, 1 on a failed check, 2 when it could not run.

import { readFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import { join } from 'node:path';
import { pathToFileURL } from 'node:url';

const ARGS = [
  '--headless', '--no-sandbox', '--disable-gpu', '--disable-quic', '--no-first-run',
  '--disable-background-networking', '--disable-component-update', '--disable-sync',
];

// Prints the JSON report and exits once stdout is flushed (a pipe takes
// 64 KiB at a time; process.exit right after a large write would cut it).
function finish(report, code) {
  process.stdout.write(`${JSON.stringify(report, null, 1)}\n`, () => process.exit(code));
}

// (small: printed and exited at once, so nothing after a failure runs)
function fail(message) {
  console.log(JSON.stringify({ ok: false, error: message }));
  process.exit(2);
}

// A URL or src as a message shows: data: URIs (embedded images) are
// megabytes long, so only their start.
const short = (s) => (s && s.length > 120 ? `${s.slice(0, 120)}… (${s.length} chars)` : s);

const specPath = process.argv[2];
if (!specPath) fail('usage: check.mjs SPEC.json');
let spec;
try {
  spec = JSON.parse(readFileSync(specPath, 'utf8'));
} catch (e) {
  fail(`cannot read ${specPath}: ${e.message}`);
}
const modules = process.env.KPIPE_BROWSER_CHECK;
if (!modules) fail('set KPIPE_BROWSER_CHECK to the directory holding node_modules/playwright-core');
let chromium;
try {
  ({ chromium } = createRequire(join(modules, 'package.json'))('playwright-core'));
} catch (e) {
  fail(`cannot load playwright-core from ${modules}: ${e.message}`);
}
const url = spec.url ?? (spec.path ? pathToFileURL(spec.path).href : null);
if (!url) fail('the spec needs "path" or "url"');

const failures = [];
const consoleErrors = [];
const failedRequests = [];
const dialogs = [];
const result = { ok: false, url, failures, consoleErrors, failedRequests, dialogs };

let browser;
try {
  browser = await chromium.launch({
    executablePath: process.env.KPIPE_CHROMIUM || '/usr/bin/chromium',
    args: ARGS,
    headless: true,
  });
} catch (e) {
  fail(`cannot start Chromium: ${e.message}`);
}
try {
  const page = await browser.newPage({ viewport: spec.viewport ?? { width: 1280, height: 800 } });
  page.on('console', (m) => { if (m.type() === 'error') consoleErrors.push(m.text()); });
  page.on('pageerror', (e) => consoleErrors.push(`uncaught: ${e.message}`));
  page.on('dialog', async (d) => { dialogs.push(`${d.type()}: ${d.message()}`); await d.dismiss(); });
  page.on('requestfailed', (r) => failedRequests.push(`${short(r.url())}: ${r.failure()?.errorText ?? 'failed'}`));
  page.on('response', (r) => { if (r.status() >= 400) failedRequests.push(`${short(r.url())}: HTTP ${r.status()}`); });
  const response = await page.goto(url, { waitUntil: 'load', timeout: spec.timeoutMs ?? 30000 });
  if (response && response.status() >= 400) failures.push(`${url}: HTTP ${response.status()}`);

  result.images = await page.evaluate(() => {
    const imgs = Array.from(document.querySelectorAll('img'));
    return {
      total: imgs.length,
      broken: imgs.filter((i) => !(i.complete && i.naturalWidth > 0)).map((i) => `${i.getAttribute('alt') ?? ''} ${i.getAttribute('src') ?? ''}`),
    };
  });
  for (const src of result.images.broken) failures.push(`image did not load: ${short(src)}`);

  result.expect = await page.evaluate((expects) => expects.map((e) => {
    const found = Array.from(document.querySelectorAll(e.selector));
    const problems = [];
    if (e.count !== undefined && found.length !== e.count) problems.push(`count ${found.length}, expected ${e.count}`);
    if (e.minCount !== undefined && found.length < e.minCount) problems.push(`count ${found.length}, expected at least ${e.minCount}`);
    if (e.text !== undefined) {
      const text = found[0]?.textContent ?? null;
      if (text === null || !text.includes(e.text)) problems.push(`text ${JSON.stringify(text)} lacks ${JSON.stringify(e.text)}`);
    }
    for (const [name, value] of Object.entries(e.attr ?? {})) {
      for (const el of found) {
        const got = el.getAttribute(name);
        if (got !== value) { problems.push(`${name}=${JSON.stringify(got)}, expected ${JSON.stringify(value)}`); break; }
      }
    }
    return { selector: e.selector, count: found.length, problems };
  }), spec.expect ?? []);
  for (const e of result.expect) for (const p of e.problems) failures.push(`${e.selector}: ${p}`);

  result.overlaps = await page.evaluate((selectors) => selectors.map((selector) => {
    const name = (el) => el.getAttribute('data-task') || el.id || el.textContent.trim().slice(0, 40);
    const boxes = Array.from(document.querySelectorAll(selector)).map((el) => {
      const r = el.getBoundingClientRect();
      return { name: name(el) || el.tagName, x: r.left, y: r.top, r: r.right, b: r.bottom };
    }).sort((a, b) => a.x - b.x);
    const pairs = [];
    const eps = 0.5;
    for (let i = 0; i < boxes.length; i++) {
      for (let j = i + 1; j < boxes.length && boxes[j].x < boxes[i].r - eps; j++) {
        const a = boxes[i]; const b = boxes[j];
        if (a.x < b.r - eps && b.x < a.r - eps && a.y < b.b - eps && b.y < a.b - eps) pairs.push([a.name, b.name]);
      }
    }
    return { selector, elements: boxes.length, pairs };
  }), spec.noOverlap ?? []);
  for (const o of result.overlaps) {
    for (const [a, b] of o.pairs.slice(0, 20)) failures.push(`${o.selector}: ${a} overlaps ${b}`);
  }

  result.contained = await page.evaluate((rules) => rules.map((rule) => {
    const outside = [];
    for (const el of document.querySelectorAll(rule.each)) {
      const outer = el.querySelector(rule.outer);
      if (!outer) { outside.push(`${el.getAttribute('data-task') ?? el.id}: no ${rule.outer}`); continue; }
      const o = outer.getBoundingClientRect();
      for (const inner of el.querySelectorAll(rule.inner)) {
        const r = inner.getBoundingClientRect();
        if (r.left < o.left - 0.5 || r.right > o.right + 0.5 || r.top < o.top - 0.5 || r.bottom > o.bottom + 0.5) {
          outside.push(`${el.getAttribute('data-task') ?? el.id}: ${JSON.stringify(inner.textContent)} sticks out of ${rule.outer}`);
        }
      }
    }
    return { each: rule.each, outside };
  }), spec.contained ?? []);
  for (const c of result.contained) for (const o of c.outside.slice(0, 20)) failures.push(o);

  for (const t of spec.truthy ?? []) {
    try {
      const value = await page.evaluate(t.js);
      if (!value) failures.push(`${t.name}: ${JSON.stringify(value)}`);
    } catch (e) {
      failures.push(`${t.name}: threw ${e.message}`);
    }
  }

  if (spec.screenshot) {
    // Playwright's fullPage hangs on an SVG document: grow the viewport to
    // the content instead (capped at Chromium's texture limit).
    const size = await page.evaluate(() => {
      const e = document.documentElement;
      const r = e.getBoundingClientRect();
      // an SVG document is as big as its root; a page as its scrolling area
      if (e instanceof SVGSVGElement) return { width: Math.ceil(r.width), height: Math.ceil(r.height) };
      return { width: Math.ceil(Math.max(e.scrollWidth, r.width)), height: Math.ceil(Math.max(e.scrollHeight, r.height)) };
    });
    const viewport = page.viewportSize();
    await page.setViewportSize({
      width: Math.min(Math.max(viewport.width, size.width), 16000),
      height: Math.min(Math.max(viewport.height, size.height), 16000),
    });
    await page.screenshot({
      path: spec.screenshot,
      clip: { x: 0, y: 0, width: Math.min(size.width, 16000), height: Math.min(size.height, 16000) },
    });
    result.screenshot = spec.screenshot;
  }
  for (const e of consoleErrors) failures.push(`console: ${e}`);
  for (const r of failedRequests) failures.push(`request: ${r}`);
  for (const d of dialogs) failures.push(`dialog (a script ran): ${d}`);
} catch (e) {
  failures.push(`check failed: ${e.message}`);
} finally {
  await browser.close();
}
result.ok = failures.length === 0;
finish(result, result.ok ? 0 : 1);
