// What the browser tests share: playwright-core (from .tools/, driving Debian's
// Chromium), the API through fetch, screenshots kept in .local/browser-artifacts/, and
// the checks every page gets: no request leaves the origin, no Content-Security-Policy
// violation, no alert, and axe-core finds nothing serious or critical.
import { createRequire } from "node:module";
import { mkdirSync, readFileSync } from "node:fs";
import assert from "node:assert/strict";

const root = new URL("../../", import.meta.url);
const require = createRequire(new URL(".tools/", root));
export const { chromium } = require("playwright-core");
const axeSource = readFileSync(new URL("console/node_modules/axe-core/axe.min.js", root), "utf8");
export const artifacts = new URL(".local/browser-artifacts/", root).pathname;
mkdirSync(artifacts, { recursive: true });

export function client(base) {
  async function api(method, path, token, body, headers = {}) {
    const h = { "content-type": "application/json", ...headers };
    if (token) h.authorization = `Bearer ${token}`;
    const r = await fetch(base + path, { method, headers: h, body: body === undefined ? undefined : JSON.stringify(body) });
    const text = await r.text();
    let parsed = text;
    try { parsed = text ? JSON.parse(text) : null; } catch { /* not JSON */ }
    return { status: r.status, body: parsed, headers: r.headers };
  }
  const token = async (email) => (await api("POST", "/local/token", null, { email })).body.token;
  const machine = async (scope) => (await api("POST", "/local/token", null, { scope })).body.token;
  async function emails(to) {
    const all = (await api("GET", "/local/emails")).body;
    return to ? all.filter((m) => (Array.isArray(m.to) ? m.to : [m.to]).some((t) => String(t).toLowerCase().includes(to.toLowerCase()))) : all;
  }
  async function waitForEmail(to, predicate = () => true, tries = 100) {
    for (let i = 0; i < tries; i++) {
      const found = (await emails(to)).filter(predicate);
      if (found.length) return found[found.length - 1];
      await new Promise((r) => setTimeout(r, 100));
    }
    throw new Error(`no email to ${to} arrived`);
  }
  return { api, token, machine, emails, waitForEmail };
}

export async function launch() {
  return chromium.launch({
    executablePath: process.env.CHROMIUM || "/usr/bin/chromium",
    args: ["--no-sandbox", "--disable-gpu", "--disable-quic", "--no-first-run", "--disable-background-networking",
           "--disable-component-update", "--disable-sync", "--disable-dev-shm-usage"],
  });
}

/** A person's tab: watches what the page does wrong, takes screenshots, runs axe. */
export async function person(browser, base, name, { width = 1280, height = 900 } = {}) {
  const context = await browser.newContext({ viewport: { width, height }, acceptDownloads: true });
  const page = await context.newPage();
  const problems = [];
  page.on("dialog", (d) => {
    if (d.type() === "confirm") d.accept();
    else { problems.push(`${name}: a ${d.type()} dialog: ${d.message()}`); d.dismiss(); }
  });
  page.on("request", (r) => {
    const url = r.url();
    if (!url.startsWith(base) && !url.startsWith("blob:") && !url.startsWith("data:")) problems.push(`${name}: a request to ${url}`);
  });
  page.on("console", (m) => { if (/Content Security Policy|Refused to/i.test(m.text())) problems.push(`${name}: ${m.text()}`); });
  page.on("pageerror", (e) => problems.push(`${name}: page error ${e.message}`));
  let shot = 0;
  const tab = {
    page, context, problems, name,
    async screenshot(step) {
      shot += 1;
      await page.screenshot({ path: `${artifacts}${name}-${String(shot).padStart(2, "0")}-${step}.png`, fullPage: true });
    },
    async axe(label) {
      await page.evaluate(axeSource);
      const result = await page.evaluate(() => window.axe.run(document, { resultTypes: ["violations"] }));
      const bad = result.violations.filter((v) => v.impact === "serious" || v.impact === "critical");
      assert.deepEqual(bad.map((v) => `${v.id}: ${v.help} (${v.nodes.map((n) => n.target.join(" ")).join(", ")})`), [],
        `axe on ${label} (${page.url()})`);
    },
    async check(step) {
      await tab.axe(step);
      if (width < 500) {
        const [scroll, inner] = await page.evaluate(() => [document.documentElement.scrollWidth, window.innerWidth]);
        assert.ok(scroll <= inner, `${name} at ${step}: the page is ${scroll}px wide in a ${inner}px viewport`);
      }
      await tab.screenshot(step);
      assert.deepEqual(problems, [], `${name} at ${step}`);
    },
    async close() { await context.close(); },
  };
  return tab;
}

export async function waitText(page, selector, pattern) {
  await page.waitForFunction(([s, p]) => {
    const el = document.querySelector(s);
    return el && new RegExp(p).test(el.textContent);
  }, [selector, pattern.source ?? String(pattern)]);
}

/** Every link in an email (its HTML hrefs and the URLs of its text part). */
export function links(mail) {
  const found = new Set();
  for (const m of String(mail.html ?? "").matchAll(/href="([^"]+)"/g)) found.add(m[1].replace(/&amp;/g, "&"));
  for (const m of String(mail.text ?? "").matchAll(/https?:\/\/\S+/g)) found.add(m[0]);
  return [...found];
}
