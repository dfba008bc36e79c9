//! Strict parsing at the edge, as a client sees it through the gateway: page tokens
//! that only their own list takes back, repeated query parameters, `Idempotency-Key`,
//! numbers, timestamps, email addresses and JWT claims. Each refusal is 400 (401 for
//! a token) in the contract's error shape, names what it refuses, and changes nothing.

use base64::engine::general_purpose::URL_SAFE_NO_PAD;
use base64::Engine;
use partner_hub_tests::{Answer, Gateway, Item, JWT_SECRET};
use reqwest::Method;
use serde_json::{json, Value};

fn unique_email(name: &str) -> String {
    format!("{name}-{}@example.com", uuid::Uuid::new_v4().simple())
}

/// The contract's error shape, with this status and code, and a message.
fn assert_refused(answer: &Answer, status: u16, code: &str, what: &str) {
    assert_eq!(answer.status, status, "{what}: {}", answer.text);
    assert_eq!(answer.error_code(), code, "{what}: {}", answer.text);
    let message = answer.body.pointer("/error/message").and_then(Value::as_str).unwrap_or("");
    assert!(!message.is_empty(), "{what}: {}", answer.text);
    assert_eq!(answer.body.as_object().map(|o| o.len()), Some(1), "{what}: {}", answer.text);
}

fn message(answer: &Answer) -> &str {
    answer.body.pointer("/error/message").and_then(Value::as_str).unwrap_or("")
}

/// The table's items but the idempotency records and rate windows a refused request
/// may not write either: compared before and after.
fn state(items: Vec<Item>) -> Vec<String> {
    let mut keys: Vec<String> = items
        .iter()
        .map(|item| {
            let text = |name: &str| item.get(name).and_then(|v| v.as_s().ok()).cloned().unwrap_or_default();
            format!("{} {}", text("PK"), text("SK"))
        })
        .collect();
    keys.sort();
    keys
}

#[tokio::test]
async fn a_page_token_continues_only_the_list_and_filters_it_came_from() {
    let gw = Gateway::start().await;
    let (token, partner) = gw.partner(&unique_email("partner"), "Partner").await;
    let mut customers = Vec::new();
    let (mut first_token, mut first_customer) = (String::new(), String::new());
    for n in 0..3 {
        let (ctoken, customer) =
            gw.connected_customer(&token, &partner, &unique_email(&format!("c{n}"))).await;
        if n == 0 {
            (first_token, first_customer) = (ctoken, customer.clone());
        }
        customers.push(customer);
    }
    let (other_token, other_partner) = gw.partner(&unique_email("other"), "Other").await;

    // A real token pages through every customer, once each.
    let mut seen = Vec::new();
    let mut next: Option<String> = None;
    for _ in 0..10 {
        let path = match &next {
            Some(t) => format!("/v1/orgs/{partner}/customers?limit=1&next_token={t}"),
            None => format!("/v1/orgs/{partner}/customers?limit=1"),
        };
        let page = gw.get(&path, &token).await;
        assert_eq!(page.status, 200, "{}", page.text);
        seen.extend(
            page.body["items"].as_array().unwrap().iter().map(|c| c["org_id"].as_str().unwrap().to_string()),
        );
        next = page.body["next_token"].as_str().map(str::to_string);
        if next.is_none() {
            break;
        }
    }
    seen.sort();
    customers.sort();
    assert_eq!(seen, customers);

    let first = gw.get(&format!("/v1/orgs/{partner}/customers?limit=1"), &token).await;
    let real = first.body["next_token"].as_str().expect("a next page").to_string();
    // The same token again, with another limit, still works.
    let again = gw.get(&format!("/v1/orgs/{partner}/customers?limit=2&next_token={real}"), &token).await;
    assert_eq!(again.status, 200, "{}", again.text);

    let (payload, tag) = real.split_once('.').expect("payload.tag");
    let cursor: Value = serde_json::from_slice(&URL_SAFE_NO_PAD.decode(payload).unwrap()).unwrap();
    let mut forged_cursor = cursor.clone();
    forged_cursor["SK"] = json!("ORDER#anything");
    let forged = format!("{}.{tag}", URL_SAFE_NO_PAD.encode(forged_cursor.to_string()));
    let unsigned = URL_SAFE_NO_PAD.encode(cursor.to_string());
    let hand_made =
        URL_SAFE_NO_PAD.encode(json!({"PK": format!("ORG#{partner}"), "SK": "LICENSE#x"}).to_string());
    let mut tampered = real.clone().into_bytes();
    let last = tampered.len() - 3;
    tampered[last] = if tampered[last] == b'A' { b'B' } else { b'A' };
    let tampered = String::from_utf8(tampered).unwrap();

    let replays = [
        (format!("/v1/orgs/{partner}/licenses?next_token={real}"), &token, "/licenses"),
        (format!("/v1/orgs/{partner}/partners?next_token={real}"), &token, "/partners"),
        (format!("/v1/orgs/{partner}/notifications?next_token={real}"), &token, "/notifications"),
        (
            format!("/v1/orgs/{partner}/customer-notifications?next_token={real}"),
            &token,
            "/customer-notifications",
        ),
        (format!("/v1/orgs/{partner}/support-tickets?next_token={real}"), &token, "/support-tickets"),
        (format!("/v1/orgs/{partner}/audit-log?next_token={real}"), &token, "/audit-log"),
        (format!("/v1/orgs/{partner}/customers?service=daas&next_token={real}"), &token, "another filter"),
        (format!("/v1/orgs/{other_partner}/customers?next_token={real}"), &other_token, "another org"),
        (format!("/v1/orgs/{partner}/customers?next_token={forged}"), &token, "a changed cursor"),
        (format!("/v1/orgs/{partner}/customers?next_token={tampered}"), &token, "a changed tag"),
        (format!("/v1/orgs/{partner}/customers?next_token={unsigned}"), &token, "an unsigned token"),
        (format!("/v1/orgs/{partner}/customers?next_token={hand_made}"), &token, "a hand-made token"),
        (
            format!("/v1/orgs/{partner}/licenses?next_token={hand_made}"),
            &token,
            "a hand-made token on /licenses",
        ),
        (format!("/v1/orgs/{partner}/customers?next_token=garbage"), &token, "garbage"),
    ];
    for (path, caller, what) in replays {
        let answer = gw.get(&path, caller).await;
        assert_refused(&answer, 400, "invalid_request", what);
        assert!(message(&answer).contains("next_token"), "{what}: {}", answer.text);
    }

    // A filtered list's token works under the same filter, in any order of the query.
    let one = first_customer.clone();
    for subject in ["First", "Second"] {
        let opened = gw
            .post(&format!("/v1/orgs/{one}/support-tickets"), &first_token, json!({"subject": subject}))
            .await;
        assert_eq!(opened.status, 201, "{}", opened.text);
    }
    assert_eq!(gw.notifications_of_type(&one, &first_token, "support_ticket_opened", 2).await.len(), 2);
    let feed =
        gw.get(&format!("/v1/orgs/{partner}/customer-notifications?customer_id={one}&limit=1"), &token).await;
    assert_eq!(feed.status, 200, "{}", feed.text);
    let t = feed.body["next_token"].as_str().expect("a second notification");
    let same = gw
        .get(&format!("/v1/orgs/{partner}/customer-notifications?next_token={t}&customer_id={one}"), &token)
        .await;
    assert_eq!(same.status, 200, "{}", same.text);
    let other = gw
        .get(
            &format!(
                "/v1/orgs/{partner}/customer-notifications?next_token={t}&customer_id={}",
                customers.iter().find(|c| **c != one).unwrap()
            ),
            &token,
        )
        .await;
    assert_refused(&other, 400, "invalid_request", "another customer_id");
}

#[tokio::test]
async fn a_repeated_query_parameter_is_400() {
    let gw = Gateway::start().await;
    let (token, partner) = gw.partner(&unique_email("partner"), "Partner").await;
    for query in ["limit=1&limit=2", "service=daas&service=gateway", "limit=5&limit=5", "x=1&x=2"] {
        let answer = gw.get(&format!("/v1/orgs/{partner}/customers?{query}"), &token).await;
        assert_refused(&answer, 400, "invalid_request", query);
    }
    assert_eq!(
        gw.get(&format!("/v1/orgs/{partner}/customers?limit=1&service=daas"), &token).await.status,
        200
    );
    // On a write too, and it writes nothing.
    let before = state(gw.items().await);
    let answer = gw.post("/v1/signup?name=a&name=b", &token, json!({"name": "Twice"})).await;
    assert_refused(&answer, 400, "invalid_request", "repeated on POST /v1/signup");
    assert!(message(&answer).contains("name"), "{}", answer.text);
    assert_eq!(state(gw.items().await), before);
}

#[tokio::test]
async fn an_idempotency_key_is_visible_ascii_up_to_255_characters() {
    let gw = Gateway::start().await;
    let token = gw.token(&unique_email("ada")).await;
    let before = state(gw.items().await);
    let long = "k".repeat(256);
    for key in [&b"cl\xc3\xa9"[..], b"two words", long.as_bytes(), b"\xff\xfe"] {
        let request = gw
            .request(Method::POST, "/v1/signup", Some(&token))
            .header("content-type", "application/json")
            .header("idempotency-key", reqwest::header::HeaderValue::from_bytes(key).unwrap())
            .body(json!({"name": "Keyed"}).to_string());
        let answer = partner_hub_tests::read(request).await;
        assert_refused(&answer, 400, "invalid_request", &String::from_utf8_lossy(key));
        assert!(message(&answer).contains("Idempotency-Key"), "{}", answer.text);
    }
    assert_eq!(state(gw.items().await), before, "a refused key signed nobody up");
    // A good key still replays.
    let send = || {
        gw.request(Method::POST, "/v1/signup", Some(&token))
            .header("content-type", "application/json")
            .header("idempotency-key", "signup-1:~!")
            .body(json!({"name": "Keyed"}).to_string())
    };
    let first = partner_hub_tests::read(send()).await;
    let second = partner_hub_tests::read(send()).await;
    assert_eq!((first.status.as_u16(), second.status.as_u16()), (201, 201), "{}", second.text);
    assert_eq!(first.body, second.body);
}

#[tokio::test]
async fn usage_and_orders_take_only_numbers_and_timestamps_they_can_store_and_write_back() {
    let gw = Gateway::start().await;
    let (_, partner) = gw.partner(&unique_email("partner"), "Partner").await;
    let feed = gw.feed_token().await;
    let before = state(gw.items().await);
    for bad in ["1e126", "1e300", "1e-200", "5e-324", "-1", "1000000000001"] {
        let body = format!(
            r#"{{"records": [
                {{"org_id": "{partner}", "service": "gateway", "date": "2026-01-01", "bandwidth_mb": 5}},
                {{"org_id": "{partner}", "service": "gateway", "date": "2026-01-02", "bandwidth_mb": {bad}}}
            ]}}"#
        );
        let request = gw
            .request(Method::POST, "/v1/usage-records", Some(&feed))
            .header("content-type", "application/json")
            .body(body);
        let answer = partner_hub_tests::read(request).await;
        assert_refused(&answer, 400, "invalid_request", bad);
        assert!(message(&answer).starts_with("records[1].bandwidth_mb"), "{bad}: {}", answer.text);
    }
    for bad_date in ["0000-01-01", "+2026-01-01", "2026-1-1"] {
        let records = json!({"records": [{"org_id": partner, "service": "gateway", "date": bad_date, "bandwidth_mb": 1}]});
        let answer = gw.post("/v1/usage-records", &feed, records).await;
        assert_refused(&answer, 400, "invalid_request", bad_date);
        assert!(message(&answer).starts_with("records[0].date"), "{}", answer.text);
    }

    let order = |placed_at: &str, quantity: Value| {
        json!({"order_id": format!("SO-{}", uuid::Uuid::new_v4().simple()), "service": "daas",
               "quantity": quantity, "tenancy": "multi", "placed_at": placed_at})
    };
    for (placed_at, quantity, field) in [
        ("9999-12-31T23:59:59-14:00", json!(10), "placed_at"),
        ("0000-12-31T23:59:59Z", json!(10), "placed_at"),
        ("+10000-01-01T00:00:00Z", json!(10), "placed_at"),
        ("2026-11-01T09:00:00Z", json!(1_000_001), "quantity"),
        ("2026-11-01T09:00:00Z", json!(1.5), "quantity"),
    ] {
        let answer = gw.record_order(&partner, order(placed_at, quantity)).await;
        assert_refused(&answer, 400, "invalid_request", placed_at);
        assert!(message(&answer).starts_with(field), "{placed_at}: {}", answer.text);
    }
    assert_eq!(state(gw.items().await), before, "nothing refused was stored");

    let kept = gw.record_order(&partner, order("9999-12-31T23:59:59+14:00", json!(10))).await;
    assert_eq!(kept.status, 201, "{}", kept.text);
    assert_eq!(kept.body["placed_at"], "9999-12-31T09:59:59Z");
}

#[tokio::test]
async fn only_real_email_addresses_are_taken_and_nothing_is_sent_to_others() {
    let gw = Gateway::start().await;
    let (token, partner) = gw.partner(&unique_email("partner"), "Partner").await;
    let before = state(gw.settled_items().await);
    let bad = [
        "a,b@x.com",
        "a;b@x.com",
        "a<b>@x.com",
        "a\"b@x.com",
        "victim@example.com,evil.com",
        "\u{e9}l\u{e8}ve@example.com",
        "Ada <ada@example.com>",
        "ada@example",
        "ada@exa_mple.com",
    ];
    for email in bad {
        let invite =
            gw.post(&format!("/v1/orgs/{partner}/invite-link/emails"), &token, json!({"email": email})).await;
        assert_refused(&invite, 400, "invalid_request", email);
        assert!(message(&invite).starts_with("email"), "{email}: {}", invite.text);
        let admin = gw
            .post(
                &format!("/v1/orgs/{partner}/admin-invitations"),
                &token,
                json!({"email": email, "access": "full"}),
            )
            .await;
        assert_refused(&admin, 400, "invalid_request", email);
        let added = gw
            .post(
                &format!("/v1/orgs/{partner}/customers"),
                &token,
                json!({"company_name": "Co", "contact_email": email}),
            )
            .await;
        assert_refused(&added, 400, "invalid_request", email);
        assert!(message(&added).starts_with("contact_email"), "{email}: {}", added.text);
    }
    assert_eq!(state(gw.settled_items().await), before, "nothing was written for a refused address");

    // An internationalised domain goes out as its punycode.
    let idn = gw
        .post(
            &format!("/v1/orgs/{partner}/invite-link/emails"),
            &token,
            json!({"email": "Grace@B\u{fc}cher.example"}),
        )
        .await;
    assert_eq!(idn.status, 202, "{}", idn.text);
    assert_eq!(idn.body["email"], "grace@xn--bcher-kva.example");
    gw.wait_for_emails("grace@xn--bcher-kva.example", 1).await;
}

#[tokio::test]
async fn a_trial_starts_at_most_a_year_ahead_and_is_not_active_before() {
    let gw = Gateway::start().await;
    let (token, org) = gw.customer(&unique_email("ada"), "Customer").await;
    let services = format!("/v1/orgs/{org}/services");
    for starts_at in ["9999-01-01T00:00:00Z", "9999-12-31T23:59:59-14:00"] {
        let answer = gw
            .post(
                &services,
                &token,
                json!({"service": "sdwan-orchestrator", "kind": "trial", "starts_at": starts_at}),
            )
            .await;
        assert_refused(&answer, 400, "invalid_request", starts_at);
        assert!(message(&answer).starts_with("starts_at"), "{}", answer.text);
    }
    let later = (chrono::Utc::now() + chrono::Duration::days(30)).to_rfc3339();
    let future = gw
        .post(
            &services,
            &token,
            json!({"service": "sdwan-orchestrator", "kind": "trial", "starts_at": later}),
        )
        .await;
    assert_eq!(future.status, 201, "{}", future.text);
    assert_eq!(future.body["status"], "trial_pending");
    let listed = gw.get(&format!("/v1/orgs/{org}/entitlements"), &token).await;
    assert_eq!(listed.body["items"][0]["status"], "trial_pending", "{}", listed.text);
    let paid = gw
        .post(&services, &token, json!({"service": "daas", "kind": "paid", "term": "annual", "license_count": 5, "starts_at": "9999-06-01"}))
        .await;
    assert_refused(&paid, 400, "invalid_request", "a term ending after 9999");
}

#[tokio::test]
async fn claims_of_the_wrong_type_are_401() {
    let gw = Gateway::start().await;
    let email = unique_email("ada");
    let now = chrono::Utc::now().timestamp();
    let mint = |claims: Value| {
        let Value::Object(mut claims) = claims else { unreachable!() };
        claims.insert("exp".into(), json!(now + 600));
        local_gateway::jwt::mint(JWT_SECRET, &claims)
    };
    let before = state(gw.items().await);
    for claims in [
        json!({"sub": "s-1", "email": [email], "email_verified": true}),
        json!({"sub": "s-1", "email": email, "email_verified": "yes"}),
        json!({"sub": "s-1", "email": email, "email_verified": [true]}),
        json!({"sub": ["s-1"], "email": email, "email_verified": true}),
        json!({"sub": "orders-feed", "scope": ["orders:write"]}),
    ] {
        let token = mint(claims.clone());
        let answer = gw.post("/v1/signup", &token, json!({"name": "Typed"})).await;
        assert_refused(&answer, 401, "unauthenticated", &claims.to_string());
    }
    assert_eq!(state(gw.items().await), before);
    let good = mint(json!({"sub": "s-1", "email": email, "email_verified": true}));
    assert_eq!(gw.post("/v1/signup", &good, json!({"name": "Typed"})).await.status, 201);
}
