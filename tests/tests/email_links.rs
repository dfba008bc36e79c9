//! Every email the notify function can send, caused the way a person or a feed causes
//! it (only the cap's counter is set rather than signing up 89 customers), and every
//! link in every one of them opened in headless Chromium, signed out and signed in as
//! the person it was sent to (tests/browser/email_links.mjs).
//!
//! The list of kinds is the notify rule's in `template.yaml`: an event the rule routes
//! to notify that this test does not cause fails it.

use std::collections::{BTreeMap, BTreeSet};

use chrono::Duration;
use partner_hub_tests::{template, Answer, Gateway, TestClock};
use reqwest::Method;
use serde_json::{json, Value};

/// Each kind's email: (detail-type, recipient key, subject fragment).
const EXPECTED: [(&str, &str, &str); 14] = [
    ("ConnectionCreated", "partner", "New customer: Customer Retail"),
    ("CustomerLimitNear", "partner", "Nearing your customer limit"),
    ("CustomerInvited", "invited", "invites you to connect"),
    ("CustomerAdded", "contact", "account was created by"),
    ("AdminInvited", "partner", "You are invited to administer"),
    ("ServiceAdded", "customer", "SD-WAN Orchestrator was added to"),
    ("TrialDeclined", "customer", "Trial declined"),
    ("TrialApproved", "customer", "Trial approved"),
    ("SupportTicketOpened", "customer", "Support ticket opened"),
    ("AdminRemoved", "removed", "You are no longer an administrator"),
    ("EntitlementExpiring", "customer", "SD-WAN Orchestrator ends in 7 days"),
    ("EntitlementExpired", "customer", "SD-WAN Orchestrator has ended"),
    ("ConnectionRemoved", "contact", "removed the connection to your organization"),
    ("ConnectionRemoved", "partner", "removed your partner connection"),
];

fn ok(answer: &Answer, status: u16, what: &str) {
    assert_eq!(answer.status.as_u16(), status, "{what}: {}", answer.text);
}

fn id(answer: &Answer, field: &str) -> String {
    answer.body[field].as_str().unwrap_or_default().to_string()
}

async fn run_schedule(gw: &Gateway, function: &str) {
    let ran = gw.send(Method::POST, &format!("/local/schedules/{function}"), None, None).await;
    assert!(ran.status.is_success(), "{function}: {}", ran.text);
}

#[tokio::test]
async fn every_email_the_system_sends_has_links_that_open_working_pages() {
    let clock = TestClock::default();
    let gw = Gateway::start_with_clock(clock.clone()).await;
    let stamp = &uuid::Uuid::new_v4().simple().to_string()[..10];
    let address = |who: &str| format!("{who}-{stamp}@mail.example.com");
    let people: BTreeMap<&str, String> = ["partner", "customer", "invited", "contact", "removed"]
        .into_iter()
        .map(|who| (who, address(who)))
        .collect();

    let (p_token, p) = gw.partner(&people["partner"], "Reseller One").await;
    let (c_token, c) = gw.customer(&people["customer"], "Customer Retail").await;
    let desk = gw.machine_token("trials:approve").await;

    // The 90th customer connects: ConnectionCreated and CustomerLimitNear.
    gw.set_customer_count(&p, 89).await;
    let code = gw.invite_code(&p_token, &p).await;
    ok(&gw.accept(&c_token, &code, &c).await, 201, "C accepts P's link");
    // CustomerInvited and CustomerAdded.
    let emailed = gw
        .post(
            &format!("/v1/orgs/{p}/invite-link/emails"),
            &p_token,
            json!({"email": people["invited"], "message": "Join us"}),
        )
        .await;
    ok(&emailed, 202, "P emails its link");
    let added = gw
        .post(
            &format!("/v1/orgs/{p}/customers"),
            &p_token,
            json!({"company_name": "Added Co", "contact_email": people["contact"], "contact_name": "Kim"}),
        )
        .await;
    ok(&added, 201, "P adds a customer");
    let k = added.body["customer"]["org_id"].as_str().unwrap_or_default().to_string();
    // The contact signs in once (taking up the pending full administrator role), so the
    // partner's removal later has someone at K to tell.
    let k_token = gw.token(&people["contact"]).await;
    ok(&gw.send(Method::GET, "/v1/me", Some(&k_token), None).await, 200, "the contact signs in");

    // AdminInvited (to the partner's admin, who accepts) and AdminRemoved.
    let invitations = format!("/v1/orgs/{c}/admin-invitations");
    let invite = |email: &str, access: Value| {
        let mut body = access;
        body["email"] = json!(email);
        gw.post(&invitations, &c_token, body)
    };
    ok(&invite(&people["partner"], json!({"access": "full"})).await, 201, "C invites P's admin");
    let accept_p = gw.admin_invitation_token(&people["partner"], 1).await;
    ok(
        &gw.post(&format!("/v1/admin-invitations/{accept_p}/accept"), &p_token, json!({})).await,
        200,
        "P accepts",
    );
    let removed_perms = json!({"access": "custom", "permissions": ["licensing.view"]});
    ok(&invite(&people["removed"], removed_perms).await, 201, "C invites R");
    let accept_r = gw.admin_invitation_token(&people["removed"], 1).await;
    let r_token = gw.token(&people["removed"]).await;
    ok(
        &gw.post(&format!("/v1/admin-invitations/{accept_r}/accept"), &r_token, json!({})).await,
        200,
        "R accepts",
    );
    let r_path = format!("/v1/orgs/{c}/admins/{}", people["removed"]);
    ok(&gw.send(Method::DELETE, &r_path, Some(&c_token), None).await, 204, "C removes R");

    // ServiceAdded, TrialDeclined, TrialApproved (a trial that needs the sales desk).
    let services = format!("/v1/orgs/{c}/services");
    ok(
        &gw.post(&services, &c_token, json!({"service": "sdwan-orchestrator", "kind": "trial"})).await,
        201,
        "trial",
    );
    let access_trial = json!({"service": "secure-private-access", "kind": "trial"});
    let pending = id(&gw.post(&services, &c_token, access_trial.clone()).await, "entitlement_id");
    let decline = format!("/v1/orgs/{c}/entitlements/{pending}/decline");
    ok(&gw.post(&decline, &desk, json!({"reason": "not this quarter"})).await, 200, "the desk declines");
    let pending = id(&gw.post(&services, &c_token, access_trial).await, "entitlement_id");
    ok(
        &gw.post(&format!("/v1/orgs/{c}/entitlements/{pending}/approve"), &desk, json!({})).await,
        200,
        "approves",
    );
    // SupportTicketOpened.
    let ticket =
        gw.post(&format!("/v1/orgs/{c}/support-tickets"), &c_token, json!({"subject": "VPN down"})).await;
    ok(&ticket, 201, "C opens a ticket");

    // EntitlementExpiring, then EntitlementExpired (the 60-day SD-WAN trial).
    clock.advance(Duration::days(54));
    run_schedule(&gw, "entitlement-expiry").await;
    clock.advance(Duration::days(7));
    run_schedule(&gw, "entitlement-expiry").await;

    // ConnectionRemoved, by the partner (K's contact is told) and by the customer (P is).
    ok(
        &gw.send(Method::DELETE, &format!("/v1/orgs/{p}/customers/{k}"), Some(&p_token), None).await,
        204,
        "P drops K",
    );
    ok(
        &gw.send(Method::DELETE, &format!("/v1/orgs/{c}/partners/{p}"), Some(&c_token), None).await,
        204,
        "C drops P",
    );

    // The kinds this test causes are exactly those the template routes to notify.
    let routed: BTreeSet<String> = template()
        .rules()
        .into_iter()
        .filter(|rule| rule.function == "notify")
        .flat_map(|rule| rule.pattern["detail-type"].as_array().cloned().unwrap_or_default())
        .filter_map(|kind| kind.as_str().map(str::to_string))
        .collect();
    let caused: BTreeSet<String> = EXPECTED.iter().map(|(kind, _, _)| kind.to_string()).collect();
    assert_eq!(caused, routed, "every kind notify is sent has its email here");

    // Every expected email arrives, once.
    let mut mails: Vec<Value> = Vec::new();
    for _ in 0..150 {
        mails = gw
            .send(Method::GET, "/local/emails", None, None)
            .await
            .body
            .as_array()
            .cloned()
            .unwrap_or_default();
        mails.retain(|m| m["to"].as_str().is_some_and(|to| to.contains(stamp)));
        if EXPECTED.iter().all(|(_, who, subject)| find(&mails, &people[who], subject).is_some()) {
            break;
        }
        tokio::time::sleep(std::time::Duration::from_millis(200)).await;
    }
    let mut listed = Vec::new();
    for (kind, who, subject) in EXPECTED {
        let found: Vec<&Value> = mails
            .iter()
            .filter(|m| {
                m["to"] == people[who].as_str() && m["subject"].as_str().unwrap_or("").contains(subject)
            })
            .collect();
        assert_eq!(found.len(), 1, "{kind}: one email to {who} with \"{subject}\"; got {found:?}");
        listed.push(json!({"kind": kind, "to": people[who], "subject": found[0]["subject"],
            "text": found[0]["text"], "html": found[0]["html"]}));
    }

    // The browser opens every link of every one of them.
    let file = std::env::temp_dir().join(format!("partner-hub-emails-{stamp}.json"));
    std::fs::write(&file, serde_json::to_vec(&listed).unwrap_or_default()).expect("emails written");
    let script = std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("browser/email_links.mjs");
    let output = tokio::process::Command::new("node")
        .arg(&script)
        .arg(&gw.base)
        .arg(&file)
        .output()
        .await
        .expect("node runs (make test installs Chromium, playwright-core and the console first)");
    let stdout = String::from_utf8_lossy(&output.stdout);
    let stderr = String::from_utf8_lossy(&output.stderr);
    assert!(output.status.success(), "opening the emailed links failed:\n{stdout}\n{stderr}");
    assert!(stdout.contains("email links: ok"), "{stdout}");
}

fn find<'a>(mails: &'a [Value], to: &str, subject: &str) -> Option<&'a Value> {
    mails.iter().find(|m| m["to"] == to && m["subject"].as_str().unwrap_or("").contains(subject))
}
