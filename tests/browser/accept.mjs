// The accept page in a real browser, as a customer would use it: open the partner's
// link, sign in, pick an org, accept, and see the partner on the customer's list.
// Usage: node tests/browser/accept.mjs <gateway base URL>
import { createRequire } from "node:module";
import assert from "node:assert/strict";

const require = createRequire(new URL("../../.tools/", import.meta.url));
const { chromium } = require("playwright-core");
const base = process.argv[2];
const stamp = Date.now();

async function api(method, path, token, body) {
  const headers = { "content-type": "application/json" };
  if (token) headers.authorization = `Bearer ${token}`;
  const r = await fetch(base + path, { method, headers, body: body ? JSON.stringify(body) : undefined });
  const text = await r.text();
  return { status: r.status, body: text ? JSON.parse(text) : null };
}
const token = async (email) => (await api("POST", "/local/token", null, { email })).body.token;

// A partner whose name tries to run script, and a customer with an org to connect.
const evilName = "<script>alert(1)</script>";
const partnerToken = await token(`partner-${stamp}@example.com`);
const partner = (await api("POST", "/v1/signup", partnerToken, { name: evilName })).body.org_id;
assert.equal((await api("POST", `/v1/orgs/${partner}/programs`, partnerToken, { program: "CSA" })).status, 201);
const code = (await api("GET", `/v1/orgs/${partner}/invite-link`, partnerToken)).body.code;
const customerEmail = `customer-${stamp}@example.com`;
const customerToken = await token(customerEmail);
const customer = (await api("POST", "/v1/signup", customerToken, { name: "Browser Customer" })).body.org_id;

const browser = await chromium.launch({
  executablePath: process.env.CHROMIUM || "/usr/bin/chromium",
  args: ["--no-sandbox", "--disable-gpu", "--disable-quic", "--no-first-run", "--disable-background-networking",
         "--disable-component-update", "--disable-sync"],
});
try {
  const page = await browser.newPage();
  const dialogs = [];
  const elsewhere = [];
  const violations = [];
  page.on("dialog", (d) => { dialogs.push(d.message()); d.dismiss(); });
  page.on("request", (r) => { if (!r.url().startsWith(base)) elsewhere.push(r.url()); });
  page.on("console", (m) => { if (/Content Security Policy/i.test(m.text())) violations.push(m.text()); });

  const response = await page.goto(`${base}/invite/${code}`);
  assert.equal(response.status(), 200);
  assert.equal(await page.textContent("#partner-name"), evilName, "the partner's name shows as text");
  assert.equal(await page.textContent("#partner-org-id"), partner);
  assert.equal(await page.getAttribute(".badge", "data-program"), "CSA");

  // Signed out: the local sign-in form (a token from /local/token).
  await page.waitForSelector("#sign-in:not([hidden])");
  await page.fill("#email", customerEmail);
  await page.click("#sign-in-button");
  await page.waitForSelector("#choose:not([hidden])");
  const options = await page.$$eval("#org option", (os) => os.map((o) => o.value));
  assert.deepEqual(options, [customer]);
  await page.click("#accept");
  await page.waitForFunction(() => document.querySelector("#result").textContent.startsWith("Connected"));
  assert.match(await page.textContent("#result"), /is now your partner/);

  // Accepting again says so instead of failing.
  await page.click("#accept");
  await page.waitForFunction(() => document.querySelector("#result").textContent.startsWith("Already connected"));

  // An unknown link is a plain not-found page.
  const missing = await page.goto(`${base}/invite/${"x".repeat(32)}`);
  assert.equal(missing.status(), 404);

  assert.deepEqual(dialogs, [], "no script from the partner's name ran");
  assert.deepEqual(elsewhere, [], "the page loads nothing from anywhere else");
  assert.deepEqual(violations, [], "the page's own script and style fit its policy");
} finally {
  await browser.close();
}

const partners = await api("GET", `/v1/orgs/${customer}/partners`, customerToken);
assert.equal(partners.status, 200);
assert.deepEqual(partners.body.items.map((p) => p.org_id), [partner], "the partner is on the customer's list");
console.log("browser accept flow: ok");
