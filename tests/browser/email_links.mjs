// Opens every link of the emails listed in a JSON file (one of each kind the notify
// function sends, written by tests/tests/email_links.rs) in headless Chromium, at
// phone width: signed out, and signed in as the person the email went to. Each page
// answers HTML (200, or 410 for an invitation that was used), says nothing is missing,
// passes axe-core and leaves a screenshot in .local/browser-artifacts/.
// Usage: node tests/browser/email_links.mjs <gateway base URL> <emails.json>
import assert from "node:assert/strict";
import { readFileSync } from "node:fs";
import { client, launch, links, person } from "./lib.mjs";

const [base, file] = process.argv.slice(2);
const mails = JSON.parse(readFileSync(file, "utf8"));
const { api, token } = client(base);

/** The orgs a person administers now (a link into another org says it is not theirs). */
async function orgsOf(email) {
  const me = await api("GET", "/v1/me", await token(email));
  return new Set((me.body?.orgs ?? []).map((o) => o.org_id));
}

const browser = await launch();
let opened = 0;
try {
  const signedOut = await person(browser, base, "mail-signed-out", { width: 375, height: 812 });
  const tabs = new Map();
  async function tabOf(email) {
    if (!tabs.has(email)) {
      const tab = await person(browser, base, `mail-${email.split("-")[0]}`, { width: 375, height: 812 });
      await tab.page.goto(`${base}/sign-in`);
      await tab.page.waitForSelector("#sign-in-email");
      await tab.page.fill("#sign-in-email", email);
      await tab.page.click("#sign-in-submit");
      await tab.page.waitForURL((url) => !url.pathname.startsWith("/sign-in"));
      tabs.set(email, tab);
    }
    return tabs.get(email);
  }

  for (const mail of mails) {
    const hrefs = links(mail);
    for (const href of hrefs) {
      const url = new URL(href);
      // The link names the configured public URL; the test's gateway listens elsewhere.
      const mine = await orgsOf(mail.to);
      for (const tab of [signedOut, await tabOf(mail.to)]) {
        const response = await tab.page.goto(base + url.pathname + url.search);
        assert.ok([200, 410].includes(response.status()), `${mail.kind}: ${href} answers ${response.status()} to ${tab.name}`);
        assert.match(response.headers()["content-type"], /text\/html/, href);
        await tab.page.waitForLoadState("networkidle");
        const body = await tab.page.textContent("body");
        assert.doesNotMatch(body, /Page not found|not valid/, `${mail.kind}: ${href} opened by ${tab.name}`);
        const org = url.pathname.match(/^\/orgs\/(\d{8})\//)?.[1];
        if (tab !== signedOut && org && !mine.has(org)) {
          // Mailed while they administered it; the connection's removal ended that.
          assert.match(body, /Organization not found/, `${mail.kind}: ${href} says it is no longer theirs`);
        } else {
          assert.doesNotMatch(body, /Organization not found/, `${mail.kind}: ${href} opened by ${tab.name}`);
        }
        if (tab === signedOut && url.pathname.startsWith("/orgs/")) {
          assert.ok(await tab.page.locator("#sign-in-email").count(), `${href} asks a signed-out reader to sign in`);
        }
        await tab.check(`${mail.kind}-${url.pathname.split("/").filter(Boolean)[0]}`);
        opened += 1;
      }
    }
  }
  assert.ok(opened > 0, "some email carried a link");
  console.log(`email links: ok (${mails.length} emails, ${opened} pages opened)`);
} finally {
  await browser.close();
}
