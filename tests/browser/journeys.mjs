// Whole journeys through the console and the emailed pages in headless Chromium, as
// people click them, against the local gateway. Screenshots of every step land in
// .local/browser-artifacts/. Usage: node tests/browser/journeys.mjs <gateway base URL>
import assert from "node:assert/strict";
import { readFileSync } from "node:fs";
import { client, launch, links, person, waitText } from "./lib.mjs";

const base = process.argv[2];
const { api, token, machine, waitForEmail, emails } = client(base);
const stamp = Date.now();
const partnerEmail = `ada-${stamp}@reseller.example.com`;
const customerEmail = `grace-${stamp}@customer.example.com`;
const evilName = `<script>alert(1)</script> Reseller ${stamp}`;
const customerName = `Customer Retail ${stamp}`;

// The partner exists (signed up, in the CSP program) before it first signs in.
const partnerToken = await token(partnerEmail);
const partner = (await api("POST", "/v1/signup", partnerToken, { name: evilName })).body.org_id;
assert.equal((await api("POST", `/v1/orgs/${partner}/programs`, partnerToken, { program: "CSP" })).status, 201);

async function signIn(tab, email) {
  const { page } = tab;
  await page.waitForSelector("#sign-in-email");
  await page.fill("#sign-in-email", email);
  await page.click("#sign-in-submit");
}

async function dashboardCount(page) {
  await page.waitForSelector("#customer-count");
  return { count: Number(await page.textContent("#customer-count")), left: Number(await page.textContent("#places-left")) };
}

const browser = await launch();
let customer;
try {
  const p = await person(browser, base, "partner");
  const c = await person(browser, base, "customer", { width: 375, height: 812 });

  // --- Journey 1: the partner emails its link; the customer creates its org on the page and accepts.
  await p.page.goto(`${base}/`);
  await p.check("sign-in");
  await signIn(p, partnerEmail);
  await p.page.waitForSelector(".org-list");
  await p.check("org-picker");
  assert.equal(await p.page.locator(".org-name").first().textContent(), evilName, "names show as text");
  await p.page.click(`a[href="/orgs/${partner}"]`);
  assert.deepEqual(await dashboardCount(p.page), { count: 0, left: 100 });
  await p.check("empty-dashboard");
  await p.page.click(`nav a[href="/orgs/${partner}/invite"]`);
  await p.page.waitForSelector("#invite-url");
  await p.page.waitForFunction(() => document.querySelector("#invite-url").value.includes("/invite/"));
  const inviteUrl = await p.page.inputValue("#invite-url");
  await p.page.fill("#invite-email", customerEmail);
  await p.page.fill("#invite-message", "Welcome aboard <b>friend</b>");
  await p.page.click("#send-invite");
  await waitText(p.page, "p[role=status]", /Invitation sent/);
  await p.check("invite-link-sent");

  const invitationMail = await waitForEmail(customerEmail, (m) => /invites you to connect/.test(m.subject));
  const link = links(invitationMail).find((l) => l.includes("/invite/"));
  assert.equal(link, inviteUrl.replace(/^https?:\/\/[^/]+/, link.match(/^https?:\/\/[^/]+/)[0]));
  const linkPath = new URL(link).pathname;
  await c.page.goto(base + linkPath);
  await c.page.waitForSelector("#sign-in:not([hidden])");
  assert.equal(await c.page.textContent("#partner-name"), evilName);
  await c.check("accept-page-signed-out");
  await c.page.click("#sign-in-link");
  await c.page.waitForURL(/\/sign-in\?next=/);
  await c.check("sign-in-from-accept-page");
  await signIn(c, customerEmail);
  await c.page.waitForURL((u) => u.pathname === linkPath);
  await c.page.waitForSelector("#choose:not([hidden])");
  assert.equal(await c.page.inputValue("#org"), "__new__", "with no org, the page offers to create one");
  await c.page.fill("#new-org-name", customerName);
  await c.check("accept-page-create-org");
  await c.page.click("#accept");
  await waitText(c.page, "#result", /^Connected/);
  await c.check("accepted");
  await c.page.click("#console-link");
  await c.page.waitForSelector("#partners li");
  customer = new URL(c.page.url()).pathname.split("/")[2];
  assert.match(customer, /^\d{8}$/);
  assert.equal(await c.page.locator("#partners li").count(), 1);
  await c.check("customer-partners");

  await p.page.click(`nav a[href="/orgs/${partner}/customers"]`);
  await p.page.waitForSelector(`#customers tr[data-org-id="${customer}"]`);
  assert.deepEqual(await dashboardCount(p.page), { count: 1, left: 99 });
  await p.check("dashboard-with-customer");

  // --- Journey 2: the customer makes the partner a full administrator from the console;
  // the partner accepts from the email, adds an SD-WAN Orchestrator trial, and the
  // provider dashboard's filter shows the customer.
  await c.page.click(`nav a[href="/orgs/${customer}/admins"]`);
  await c.page.waitForSelector("#admin-email");
  await c.page.fill("#admin-email", partnerEmail);
  await c.page.selectOption("#invite-access", "full");
  await c.page.click("#invite-admin-submit");
  await waitText(c.page, "p[role=status]", /Invitation sent/);
  await c.page.waitForSelector(`#admins li[data-email="${partnerEmail}"]`);
  await c.check("admin-invited");

  const adminMail = await waitForEmail(partnerEmail, (m) => /administer/.test(m.subject));
  const adminLink = links(adminMail).find((l) => l.includes("/admin-invitations/"));
  assert.ok(adminLink, "the admin invitation email links to its page");
  await p.page.goto(base + new URL(adminLink).pathname);
  await p.page.waitForSelector("#signed-in:not([hidden])");
  assert.equal(await p.page.textContent("#org-name"), customerName);
  assert.equal(await p.page.textContent("#access"), "Full access");
  await p.check("admin-invitation-page");
  await p.page.click("#accept");
  await waitText(p.page, "#result", /^Accepted/);
  await p.check("admin-invitation-accepted");
  await p.page.click("#console-link");
  await p.page.waitForSelector(`nav a[href="/orgs/${customer}/services"]`);
  await p.page.click(`nav a[href="/orgs/${customer}/services"]`);
  await p.page.waitForSelector("#add-service option[value=sdwan-orchestrator]", { state: "attached" });
  await p.page.selectOption("#add-service", "sdwan-orchestrator");
  await p.page.selectOption("#add-kind", "trial");
  await p.page.click("#add-service-submit");
  await waitText(p.page, "p[role=status]", /added/);
  await p.page.waitForSelector("#entitlements tbody tr");
  await p.check("trial-added");
  // The used link opens a page that says so.
  const used = await p.page.goto(base + new URL(adminLink).pathname);
  assert.equal(used.status(), 410);
  await p.check("admin-invitation-used");

  await p.page.goto(`${base}/orgs/${partner}/customers`);
  await p.page.waitForSelector("#service-filter option[value=sdwan-orchestrator]", { state: "attached" });
  await p.page.selectOption("#service-filter", "sdwan-orchestrator");
  await p.page.waitForURL(/service=sdwan-orchestrator/);
  await p.page.waitForSelector(`#customers tr[data-org-id="${customer}"]`);
  assert.match(await p.page.textContent("h1"), /SD-WAN Orchestrator provider dashboard/);
  assert.match(await p.page.textContent(`#customers tr[data-org-id="${customer}"]`), /trial active/);
  await p.check("sdwan-provider-dashboard");

  // --- Journey 3: seeded usage draws its charts, and the CSV downloads.
  const feed = await machine("usage:write");
  const days = [];
  for (let i = 40; i >= 1; i--) days.push(new Date(Date.now() - i * 86400000).toISOString().slice(0, 10));
  const records = [];
  for (const date of days) {
    for (let u = 0; u < 6; u++) {
      records.push({ org_id: customer, service: "daas", date, user: `u${u}`, assigned: u < 5, active: (u + date.charCodeAt(9)) % 3 === 0 });
    }
    records.push({ org_id: customer, service: "gateway", date, bandwidth_mb: 1500 + (date.charCodeAt(9) % 7) * 100 });
  }
  for (let i = 0; i < records.length; i += 500) {
    const r = await api("POST", "/v1/usage-records", feed, { records: records.slice(i, i + 500) });
    assert.equal(r.status, 202, JSON.stringify(r.body));
  }
  assert.equal((await api("POST", "/local/schedules/usage-rollup")).status, 200);
  const daas = (await api("GET", `/v1/orgs/${partner}/customers/${customer}/usage?service=daas`, partnerToken)).body;
  const gateway = (await api("GET", `/v1/orgs/${partner}/customers/${customer}/usage?service=gateway`, partnerToken)).body;

  await p.page.click(`#customers a[href="/orgs/${partner}/customers/${customer}"]`);
  await p.page.waitForSelector("#usage-service");
  await p.page.selectOption("#usage-service", "daas");
  await p.page.waitForSelector(".charts[data-service=daas]");
  await p.page.waitForFunction(() => window.partnerHubCharts().some((c) => c.id === "chart-daily"));
  const charts = Object.fromEntries((await p.page.evaluate(() => window.partnerHubCharts())).map((c) => [c.id, c]));
  const series = (chart, label) => chart.datasets.find((d) => d.label === label).data;
  assert.deepEqual(charts["chart-assigned"].labels, daas.monthly.map((m) => m.month));
  assert.deepEqual(series(charts["chart-assigned"], "Assigned users"), daas.monthly.map((m) => m.assigned));
  assert.deepEqual(series(charts["chart-assigned"], "Purchased licenses"), daas.monthly.map((m) => m.purchased));
  assert.deepEqual(series(charts["chart-assigned"], "Overage"), daas.monthly.map((m) => m.overage));
  assert.deepEqual(series(charts["chart-activity"], "Monthly active users"), daas.monthly.map((m) => m.monthly_active_users));
  assert.deepEqual(series(charts["chart-daily"], "Daily active users"), daas.daily.map((d) => d.daily_active_users));
  assert.ok(daas.daily.length >= 30 && daas.daily.some((d) => d.daily_active_users > 0), "the seeded days are drawn");
  assert.ok(series(charts["chart-assigned"], "Assigned users").some((v) => v === 5), "five assigned users are drawn");
  await p.check("usage-daas-charts");

  const [download] = await Promise.all([p.page.waitForEvent("download"), p.page.click("#download-csv")]);
  const csv = readFileSync(await download.path(), "utf8");
  assert.match(download.suggestedFilename(), /\.csv$/);
  assert.ok(csv.split(/\r?\n/).filter(Boolean).length > 1, "the CSV has a header and rows");
  assert.ok(!/u[0-5]\b/.test(csv.split(/\r?\n/).slice(1).join("\n")), "no user id in the CSV");

  await p.page.selectOption("#usage-service", "gateway");
  await p.page.waitForSelector(".charts[data-service=gateway]");
  await p.page.waitForFunction(() => window.partnerHubCharts().some((c) => c.id === "chart-gateway"));
  const gw = (await p.page.evaluate(() => window.partnerHubCharts())).find((c) => c.id === "chart-gateway");
  assert.deepEqual(gw.labels, gateway.monthly.map((m) => m.month));
  assert.deepEqual(series(gw, "Used GB"), gateway.monthly.map((m) => m.used_gb));
  assert.deepEqual(series(gw, "Cumulative GB"), gateway.monthly.map((m) => m.cumulative_gb));
  assert.deepEqual(series(gw, "Committed GB"), gateway.monthly.map((m) => m.committed_gb));
  assert.deepEqual(series(gw, "Overage GB"), gateway.monthly.map((m) => m.overage_gb));
  assert.ok(series(gw, "Used GB").some((v) => v > 0), "gateway traffic is drawn");
  await p.check("usage-gateway-chart");

  // CSP features: the partner registers a federated domain, links it to the customer
  // from the customer's page and sets the customer's theme; the customer sees both.
  const domain = `sso-${stamp}.example.com`;
  await p.page.click(`nav a[href="/orgs/${partner}/federated-domains"]`);
  await p.page.fill("#domain-name", domain);
  await p.page.click("#add-domain-submit");
  await p.page.waitForSelector(`#federated-domains li[data-domain="${domain}"]`);
  await p.check("federated-domains");
  await p.page.goto(`${base}/orgs/${partner}/customers/${customer}`);
  await p.page.waitForSelector(`#link-${customer} option[value="${domain}"]`, { state: "attached" });
  await p.page.selectOption(`#link-${customer}`, domain);
  await p.page.click(`#link-${customer}-submit`);
  await p.page.waitForSelector(`#workspace-domains li[data-domain="${domain}"]`);
  await p.page.fill(`#theme-${customer}-name`, "Retail blue");
  await p.page.fill(`#theme-${customer}-logo`, "https://cdn.example.com/logo.png");
  await p.page.click(`#theme-${customer}-save`);
  await waitText(p.page, `#theme-${customer}-current`, /Retail blue/);
  await p.check("customer-workspace-by-partner");
  await c.page.click(`nav a[href="/orgs/${customer}/workspace"]`);
  await c.page.waitForSelector(`#workspace-domains li[data-domain="${domain}"]`);
  await waitText(c.page, `#theme-${customer}-current`, /Retail blue/);
  await c.check("workspace");

  // The partner's other views.
  for (const view of ["customer-notifications", "licenses", "add-customer", "notifications", "admins", "audit-log"]) {
    await p.page.click(`nav a[href="/orgs/${partner}/${view}"]`);
    await p.page.waitForSelector(`nav a[aria-current=page][href="/orgs/${partner}/${view}"]`);
    await p.page.waitForLoadState("networkidle");
    await p.check(`view-${view}`);
  }
  // Dismissing a customer's notification hides it for the partner.
  await p.page.click(`nav a[href="/orgs/${partner}/customer-notifications"]`);
  await p.page.waitForSelector("#customer-notifications li");
  const before = await p.page.locator("#customer-notifications li").count();
  await p.page.locator("#customer-notifications li button").first().click();
  await p.page.waitForFunction((n) => document.querySelectorAll("#customer-notifications li").length === n - 1, before);
  // Add a customer: its contact gets the sign-in email.
  const contact = `it-${stamp}@hopper.example.com`;
  await p.page.click(`nav a[href="/orgs/${partner}/add-customer"]`);
  await p.page.fill("#company-name", `Hopper Labs ${stamp}`);
  await p.page.fill("#contact-email", contact);
  await p.page.click("form button[type=submit]");
  await p.page.waitForSelector("#customer-name");
  await p.check("customer-added");

  // The customer's audit log, at phone width.
  await c.page.click(`nav a[href="/orgs/${customer}/audit-log"]`);
  await c.page.waitForSelector("#audit-log tbody tr");
  assert.match(await c.page.textContent("#audit-log"), /service\.added/);
  await c.check("customer-audit-log");

  // A support ticket the customer opens shows on the partner's dashboard at once.
  await c.page.click(`nav a[href="/orgs/${customer}/support-tickets"]`);
  await c.page.fill("#ticket-subject", "VPN tunnel down");
  await c.page.selectOption("#ticket-severity", "high");
  await c.page.click("#open-ticket");
  await c.page.waitForSelector("#tickets li[data-status=open]");
  await c.check("support-ticket-opened");
  await p.page.goto(`${base}/orgs/${partner}/customers`);
  await p.page.waitForSelector(`#customers tr[data-org-id="${customer}"]`);
  assert.equal((await p.page.textContent(`#customers tr[data-org-id="${customer}"] td:nth-child(3)`)).trim(), "1");
  await p.check("dashboard-open-ticket");

  // --- Journey 4: the customer removes the partner; the partner's dashboard loses it.
  await c.page.click(`nav a[href="/orgs/${customer}/partners"]`);
  await c.page.waitForSelector(`#partners li[data-org-id="${partner}"]`);
  await c.page.click(`#partners li[data-org-id="${partner}"] button.danger`);
  await c.page.waitForSelector("#no-partners");
  await c.check("partner-removed");
  await p.page.goto(`${base}/orgs/${partner}/customers`);
  await p.page.waitForSelector("#customers, #no-customers");
  assert.equal(await p.page.locator(`#customers tr[data-org-id="${customer}"]`).count(), 0);
  assert.deepEqual(await dashboardCount(p.page), { count: 1, left: 99 }, "only the added customer is left");
  await p.check("dashboard-after-removal");

  // --- Every link in every email this run sent opens a page that works, signed out
  // (a fresh tab) and signed in (the partner's tab), at phone width.
  await waitForEmail(partnerEmail, (m) => /removed your partner connection/.test(m.subject));
  await waitForEmail(contact, () => true);
  const sent = (await emails()).filter((m) => String(m.to).includes(String(stamp)));
  const kinds = new Set();
  const opener = await person(browser, base, "email-links", { width: 375, height: 812 });
  for (const mail of sent) {
    for (const href of links(mail)) {
      const url = new URL(href);
      const kind = url.pathname.split("/")[1] === "orgs"
        ? (url.pathname.endsWith("/customers") ? "dashboard" : url.pathname.split("/").pop())
        : url.pathname.split("/")[1];
      kinds.add(kind);
      // Signed out, then signed in as the person it was sent to (where the run has their tab).
      const to = String(mail.to).toLowerCase();
      const own = to.includes(partnerEmail) ? [p] : to.includes(customerEmail) ? [c] : [];
      for (const tab of [opener, ...own]) {
        const response = await tab.page.goto(base + url.pathname + url.search);
        assert.ok([200, 410].includes(response.status()), `${href} in "${mail.subject}" answers ${response.status()}`);
        assert.match(response.headers()["content-type"], /text\/html/, href);
        await tab.page.waitForLoadState("networkidle");
        const body = await tab.page.textContent("body");
        if (tab === p && url.pathname.startsWith(`/orgs/${customer}/`)) {
          // Mailed while the partner administered the customer; removing the connection ended that.
          assert.match(body, /Organization not found/, `${href} says the partner no longer administers it`);
        } else {
          assert.doesNotMatch(body, /Page not found|not valid|Organization not found/, `${href} in "${mail.subject}" opened by ${tab.name}`);
        }
        await tab.check(`link-${kind}`);
      }
    }
  }
  for (const kind of ["invite", "admin-invitations", "dashboard", "sign-in", "support-tickets"]) {
    assert.ok(kinds.has(kind), `an email with a ${kind} link was sent and opened (saw ${[...kinds]})`);
  }

  // Unknown links are pages that say so.
  for (const path of [`/invite/${"x".repeat(32)}`, `/admin-invitations/${"x".repeat(32)}`]) {
    const response = await opener.page.goto(base + path);
    assert.equal(response.status(), 404, path);
    await opener.check(`unknown-${path.split("/")[1]}`);
  }
  // The API reference, served from the project.
  await opener.page.goto(`${base}/docs/`);
  await opener.page.waitForSelector(".swagger-ui .opblock", { timeout: 20000 });
  await opener.screenshot("api-reference");
  assert.deepEqual(opener.problems, [], "the reference page");
  console.log(`journeys: ok (${sent.length} emails, links of kinds ${[...kinds].sort().join(", ")})`);
} finally {
  await browser.close();
}
