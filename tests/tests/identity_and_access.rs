//! Identity and access a customer can trust: verified emails only, machine scopes on
//! their own routes, administrators changed and removed with one full administrator
//! always kept, rights given through a partner ending with the connection,
//! time-limited access, and the audit log written with every change.

use chrono::{Duration, Utc};
use partner_hub_tests::{Answer, Gateway, TestClock};
use reqwest::Method;
use serde_json::{json, Value};

fn unique_email(name: &str) -> String {
    format!("{name}-{}@example.com", uuid::Uuid::new_v4().simple())
}

/// "Add a customer" with `contact` as its contact; answers the new customer's id.
async fn add_customer(gw: &Gateway, partner_token: &str, partner: &str, contact: &str) -> String {
    let body = json!({"company_name": format!("Customer of {contact}"), "contact_email": contact});
    let added = gw.post(&format!("/v1/orgs/{partner}/customers"), partner_token, body).await;
    assert_eq!(added.status, 201, "{}", added.text);
    added.body["customer"]["org_id"].as_str().expect("org_id").to_string()
}

fn status(answer: &Answer) -> (u16, &str) {
    (answer.status.as_u16(), answer.error_code())
}

async fn put(gw: &Gateway, path: &str, token: &str, body: Value) -> Answer {
    gw.send(Method::PUT, path, Some(token), Some(body)).await
}

async fn delete(gw: &Gateway, path: &str, token: &str) -> Answer {
    gw.send(Method::DELETE, path, Some(token), None).await
}

/// Invites `email` to `org` with `body` (`access`, …) and accepts as them; answers
/// their token and the accept answer.
async fn make_admin(gw: &Gateway, org: &str, inviter: &str, email: &str, body: Value) -> (String, Answer) {
    let mut body = body;
    body["email"] = json!(email);
    let earlier = gw.emails_to(email).await;
    let nth =
        earlier.iter().filter(|m| m["text"].as_str().unwrap_or("").contains("admin-invitations")).count() + 1;
    let invited = gw.post(&format!("/v1/orgs/{org}/admin-invitations"), inviter, body).await;
    assert_eq!(invited.status, 201, "{}", invited.text);
    let link = gw.admin_invitation_token(email, nth).await;
    let token = gw.token(email).await;
    let accepted = gw.post(&format!("/v1/admin-invitations/{link}/accept"), &token, json!({})).await;
    (token, accepted)
}

async fn admins(gw: &Gateway, org: &str, token: &str) -> Vec<Value> {
    let answer = gw.get(&format!("/v1/orgs/{org}/admins"), token).await;
    assert_eq!(answer.status, 200, "{}", answer.text);
    answer.body["items"].as_array().cloned().unwrap_or_default()
}

/// Every entry of the org's audit log, newest first, following pages.
async fn audit_log(gw: &Gateway, org: &str, token: &str, query: &str) -> Vec<Value> {
    let mut entries = Vec::new();
    let mut next: Option<String> = None;
    loop {
        let page = match &next {
            Some(token) => format!("&next_token={token}"),
            None => String::new(),
        };
        let answer = gw.get(&format!("/v1/orgs/{org}/audit-log?limit=3{query}{page}"), token).await;
        assert_eq!(answer.status, 200, "{}", answer.text);
        entries.extend(answer.body["items"].as_array().cloned().unwrap_or_default());
        match answer.body["next_token"].as_str() {
            Some(token) => next = Some(token.to_string()),
            None => return entries,
        }
    }
}

fn actions(entries: &[Value]) -> Vec<&str> {
    entries.iter().filter_map(|e| e["action"].as_str()).collect()
}

#[tokio::test]
async fn an_unverified_email_decides_nothing() {
    let gw = Gateway::start().await;
    let partner_email = unique_email("partner");
    let (partner_token, partner) = gw.partner(&partner_email, "Partner").await;
    let contact = unique_email("contact");
    let customer = add_customer(&gw, &partner_token, &partner, &contact).await;
    let invitee = unique_email("invitee");
    let invited = gw
        .post(
            &format!("/v1/orgs/{partner}/admin-invitations"),
            &partner_token,
            json!({"email": invitee, "access": "full"}),
        )
        .await;
    assert_eq!(invited.status, 201);
    let link = gw.admin_invitation_token(&invitee, 1).await;

    let before = gw.settled_items().await;
    let contact_unverified = gw.unverified_token(&contact).await;
    let refusals = [
        gw.get("/v1/me", &contact_unverified).await,
        gw.post("/v1/signup", &contact_unverified, json!({"name": "Mine"})).await,
        gw.post(
            &format!("/v1/admin-invitations/{link}/accept"),
            &gw.unverified_token(&invitee).await,
            json!({}),
        )
        .await,
        // The partner's own admin, same email and same user, with the email unverified.
        gw.get(&format!("/v1/orgs/{partner}/customers"), &gw.unverified_token(&partner_email).await).await,
    ];
    for refused in &refusals {
        assert_eq!(status(refused), (403, "email_not_verified"), "{}", refused.text);
    }
    assert_eq!(gw.items().await, before, "an unverified email changed nothing");

    // Verified, the same people take up what was theirs.
    let me = gw.get("/v1/me", &gw.token(&contact).await).await;
    assert_eq!(me.status, 200);
    assert_eq!(me.body["orgs"][0]["org_id"], json!(customer));
    assert_eq!(me.body["orgs"][0]["access"], "full");
    let accepted =
        gw.post(&format!("/v1/admin-invitations/{link}/accept"), &gw.token(&invitee).await, json!({})).await;
    assert_eq!(accepted.status, 200, "{}", accepted.text);
}

#[tokio::test]
async fn machine_scopes_open_only_their_own_routes_and_people_never_open_them() {
    let gw = Gateway::start().await;
    let partner_email = unique_email("partner");
    let (partner_token, partner) = gw.partner(&partner_email, "Partner").await;
    let order = json!({"order_id": "SO-9", "service": "daas", "quantity": 5, "tenancy": "multi", "placed_at": "2024-01-02"});
    let record = json!({"records": [{"org_id": partner, "service": "gateway", "date": Utc::now().date_naive().to_string(), "bandwidth_mb": 10}]});
    let orders_path = format!("/v1/orgs/{partner}/orders");
    let usage = gw.machine_token("usage:write").await;
    let orders = gw.machine_token("orders:write").await;
    let desk = gw.machine_token("trials:approve").await;
    let person_with_scope =
        gw.minted(json!({"email": partner_email, "scope": "orders:write usage:write"})).await;

    let before = gw.settled_items().await;
    for token in [&usage, &desk, &partner_token, &person_with_scope] {
        let refused = gw.post(&orders_path, token, order.clone()).await;
        assert_eq!(status(&refused), (403, "forbidden"), "{}", refused.text);
    }
    for token in [&orders, &desk, &partner_token, &person_with_scope] {
        let refused = gw.post("/v1/usage-records", token, record.clone()).await;
        assert_eq!(status(&refused), (403, "forbidden"), "{}", refused.text);
    }
    for token in [&usage, &orders, &desk] {
        for refused in [
            gw.get("/v1/me", token).await,
            gw.post("/v1/signup", token, json!({"name": "Machine Org"})).await,
            gw.get(&format!("/v1/orgs/{partner}/customers"), token).await,
            gw.post(&format!("/v1/orgs/{partner}/programs"), token, json!({"program": "CSA"})).await,
        ] {
            assert_eq!(status(&refused), (403, "forbidden"), "{}", refused.text);
        }
    }
    assert_eq!(gw.items().await, before, "refused machine and person calls changed nothing");

    let recorded = gw.post(&orders_path, &orders, order.clone()).await;
    assert_eq!(recorded.status, 201, "{}", recorded.text);
    assert_eq!(gw.post("/v1/usage-records", &usage, record).await.status, 202);
    let missing = gw.post("/v1/orgs/99999999/orders", &orders, order).await;
    assert_eq!(status(&missing), (404, "not_found"));

    let log = audit_log(&gw, &partner, &partner_token, "&action=order.recorded").await;
    assert_eq!(log.len(), 1);
    let actor = &log[0]["actor"];
    assert!(actor["client"].as_str().is_some_and(|c| !c.is_empty()), "{actor}");
    assert!(actor.get("email").is_none(), "a machine has no email: {actor}");
}

#[tokio::test]
async fn administrators_are_changed_and_removed_and_one_full_administrator_always_stays() {
    let gw = Gateway::start().await;
    let owner_email = unique_email("owner");
    let (owner, org) = gw.customer(&owner_email, "Org").await;
    let two_email = unique_email("two");
    let (two, accepted) = make_admin(&gw, &org, &owner, &two_email, json!({"access": "full"})).await;
    assert_eq!(accepted.status, 200, "{}", accepted.text);
    let admin_path = |email: &str| format!("/v1/orgs/{org}/admins/{email}");

    let changed = put(
        &gw,
        &admin_path(&two_email),
        &owner,
        json!({"access": "custom", "permissions": ["licensing.view"]}),
    )
    .await;
    assert_eq!(changed.status, 200, "{}", changed.text);
    assert_eq!(
        (changed.body["access"].clone(), changed.body["permissions"].clone()),
        (json!("custom"), json!(["licensing.view"]))
    );
    assert_eq!(
        status(&put(&gw, &admin_path(&owner_email), &two, json!({"access": "full"})).await),
        (403, "forbidden")
    );

    // The owner is now the only full administrator without an expiry.
    let before = gw.settled_items().await;
    let in_a_day = (Utc::now() + Duration::days(1)).to_rfc3339();
    for refused in [
        delete(&gw, &admin_path(&owner_email), &owner).await,
        put(
            &gw,
            &admin_path(&owner_email),
            &owner,
            json!({"access": "custom", "permissions": ["licensing.view"]}),
        )
        .await,
        put(&gw, &admin_path(&owner_email), &owner, json!({"access": "full", "access_expires_at": in_a_day}))
            .await,
    ] {
        assert_eq!(status(&refused), (409, "last_full_admin"), "{}", refused.text);
    }
    for (refused, code) in [
        (
            put(&gw, &admin_path("nobody@example.com"), &owner, json!({"access": "full"})).await,
            (404, "not_found"),
        ),
        (delete(&gw, &admin_path("nobody@example.com"), &owner).await, (404, "not_found")),
        (
            put(&gw, &admin_path(&two_email), &owner, json!({"access": "owner"})).await,
            (400, "invalid_request"),
        ),
    ] {
        assert_eq!(status(&refused), code, "{}", refused.text);
    }
    assert_eq!(gw.items().await, before, "refused changes changed nothing");

    assert_eq!(put(&gw, &admin_path(&two_email), &owner, json!({"access": "full"})).await.status, 200);
    assert_eq!(
        delete(&gw, &admin_path(&owner_email), &owner).await.status,
        204,
        "another full administrator stays"
    );
    let gone = gw.get(&format!("/v1/orgs/{org}/admins"), &owner).await;
    assert_eq!(status(&gone), (404, "not_found"), "the removed administrator's very next request");
    let mail = gw.wait_for_emails(&owner_email, 1).await;
    assert!(
        mail.iter().any(|m| m["subject"].as_str().unwrap_or("").contains("no longer an administrator")),
        "{mail:?}"
    );
    assert_eq!(status(&delete(&gw, &admin_path(&two_email), &two).await), (409, "last_full_admin"));
    let listed = admins(&gw, &org, &two).await;
    assert_eq!(listed.iter().filter(|a| a["status"] == "active").count(), 1, "{listed:?}");

    // Any administrator removes themselves; a custom one removes nobody else.
    let custom_email = unique_email("custom");
    let (custom, _) = make_admin(
        &gw,
        &org,
        &two,
        &custom_email,
        json!({"access": "custom", "permissions": ["services.manage"]}),
    )
    .await;
    assert_eq!(status(&delete(&gw, &admin_path(&two_email), &custom).await), (403, "forbidden"));
    assert_eq!(delete(&gw, &admin_path(&custom_email), &custom).await.status, 204);
    assert_eq!(gw.get(&format!("/v1/orgs/{org}/admins"), &custom).await.status, 404);
}

#[tokio::test]
async fn two_full_administrators_removing_each_other_at_once_leave_exactly_one() {
    let gw = Gateway::start().await;
    let a_email = unique_email("a");
    let (a, org) = gw.customer(&a_email, "Org").await;
    let b_email = unique_email("b");
    let (b, _) = make_admin(&gw, &org, &a, &b_email, json!({"access": "full"})).await;
    let (remove_b, remove_a) =
        (format!("/v1/orgs/{org}/admins/{b_email}"), format!("/v1/orgs/{org}/admins/{a_email}"));
    let (first, second) = tokio::join!(delete(&gw, &remove_b, &a), delete(&gw, &remove_a, &b));
    let mut statuses = vec![first.status.as_u16(), second.status.as_u16()];
    statuses.sort();
    assert_eq!(statuses, vec![204, 409], "{} / {}", first.text, second.text);
    let survivor = if first.status == 204 { &a } else { &b };
    let listed = admins(&gw, &org, survivor).await;
    assert_eq!(listed.iter().filter(|x| x["status"] == "active" && x["access"] == "full").count(), 1);
}

#[tokio::test]
async fn rights_given_through_a_partner_end_with_the_connection_from_either_side() {
    let gw = Gateway::start().await;
    let partner_email = unique_email("partner");
    let (partner_token, partner) = gw.partner(&partner_email, "Partner").await;

    // "Add a customer": the partner's admin is made full administrator through the partner.
    let contact = unique_email("contact");
    let added_id = add_customer(&gw, &partner_token, &partner, &contact).await;
    let contact_token = gw.token(&contact).await;
    assert_eq!(gw.get("/v1/me", &contact_token).await.status, 200);
    let listed = admins(&gw, &added_id, &contact_token).await;
    let partner_admin =
        listed.iter().find(|a| a["email"] == json!(partner_email)).expect("partner admin listed");
    assert_eq!(partner_admin["granted_via"], json!({"partner_id": partner}));

    // An invited customer makes the partner's admin its administrator: through the partner too.
    let (owner, invited_id) = gw.connected_customer(&partner_token, &partner, &unique_email("owner")).await;
    let (_, accepted) = make_admin(&gw, &invited_id, &owner, &partner_email, json!({"access": "full"})).await;
    assert_eq!(accepted.body["granted_via"], json!({"partner_id": partner}), "{}", accepted.text);

    // The customer removes the partner; the partner removes the other customer.
    assert_eq!(
        delete(&gw, &format!("/v1/orgs/{added_id}/partners/{partner}"), &contact_token).await.status,
        204
    );
    assert_eq!(
        delete(&gw, &format!("/v1/orgs/{partner}/customers/{invited_id}"), &partner_token).await.status,
        204
    );

    let code = gw.invite_code(&partner_token, &partner).await;
    for customer in [&added_id, &invited_id] {
        let before = gw.settled_items().await;
        for refused in [
            gw.get(&format!("/v1/orgs/{customer}/admins"), &partner_token).await,
            gw.get(&format!("/v1/orgs/{customer}/entitlements"), &partner_token).await,
            gw.get(&format!("/v1/orgs/{partner}/customers/{customer}"), &partner_token).await,
            gw.post(
                &format!("/v1/orgs/{customer}/services"),
                &partner_token,
                json!({"service": "daas", "kind": "trial"}),
            )
            .await,
            gw.post(
                &format!("/v1/orgs/{customer}/admin-invitations"),
                &partner_token,
                json!({"email": partner_email, "access": "full"}),
            )
            .await,
            gw.accept(&partner_token, &code, customer).await,
        ] {
            assert_eq!(status(&refused), (404, "not_found"), "{}", refused.text);
        }
        assert_eq!(gw.items().await, before, "the former partner changed nothing");
    }
    let log = audit_log(&gw, &added_id, &contact_token, "&action=connection.removed").await;
    assert_eq!(log.len(), 1);
    assert_eq!(log[0]["detail"]["revoked_admins"], json!([partner_email]));
    // The contact is now the org's one full administrator without an expiry.
    let last = delete(&gw, &format!("/v1/orgs/{added_id}/admins/{contact}"), &contact_token).await;
    assert_eq!(status(&last), (409, "last_full_admin"));
}

#[tokio::test]
async fn a_right_accepted_while_the_connection_is_removed_never_outlives_it() {
    let gw = Gateway::start().await;
    let partner_email = unique_email("partner");
    let (partner_token, partner) = gw.partner(&partner_email, "Partner").await;
    for round in 0..4 {
        let (owner, customer) =
            gw.connected_customer(&partner_token, &partner, &unique_email(&format!("owner{round}"))).await;
        let invited = gw
            .post(
                &format!("/v1/orgs/{customer}/admin-invitations"),
                &owner,
                json!({"email": partner_email, "access": "full"}),
            )
            .await;
        assert_eq!(invited.status, 201);
        let link = gw.admin_invitation_token(&partner_email, round + 1).await;
        let (accept, remove) = (
            format!("/v1/admin-invitations/{link}/accept"),
            format!("/v1/orgs/{customer}/partners/{partner}"),
        );
        let (accepted, removed) =
            tokio::join!(gw.post(&accept, &partner_token, json!({})), delete(&gw, &remove, &owner));
        assert_eq!(removed.status, 204, "{}", removed.text);
        assert_eq!(accepted.status, 200, "{}", accepted.text);
        // Accepted before the removal: revoked with it. Accepted after: not through the
        // partner (it was no longer connected), a right of the customer's own making.
        let listed = admins(&gw, &customer, &owner).await;
        let through_partner: Vec<&Value> =
            listed.iter().filter(|a| a["granted_via"]["partner_id"] == json!(partner)).collect();
        assert!(through_partner.is_empty(), "round {round}: {through_partner:?}");
    }
}

#[tokio::test]
async fn time_limited_access_ends_at_its_instant_and_shows_in_the_audit_log() {
    let clock = TestClock::default();
    let gw = Gateway::start_with_clock(clock.clone()).await;
    let owner_email = unique_email("owner");
    let (owner, org) = gw.customer(&owner_email, "Org").await;
    let now = partner_hub::domain::Clock::now(&clock);
    for (end, field) in [(now + Duration::days(367), "year"), (now - Duration::hours(1), "future")] {
        let refused = gw
            .post(
                &format!("/v1/orgs/{org}/admin-invitations"),
                &owner,
                json!({"email": "x@example.com", "access": "full", "access_expires_at": end.to_rfc3339()}),
            )
            .await;
        assert_eq!(status(&refused), (400, "invalid_request"), "{}", refused.text);
        assert!(refused.text.contains(field), "{}", refused.text);
    }
    let temp_email = unique_email("temp");
    let ends = now + Duration::hours(1);
    let (temp, accepted) = make_admin(
        &gw,
        &org,
        &owner,
        &temp_email,
        json!({"access": "custom", "permissions": ["licensing.view"], "access_expires_at": ends.to_rfc3339()}),
    )
    .await;
    assert_eq!(accepted.status, 200, "{}", accepted.text);
    assert_eq!(gw.get(&format!("/v1/orgs/{org}/admins"), &temp).await.status, 200);
    let listed = admins(&gw, &org, &owner).await;
    assert!(listed.iter().any(|a| a["email"] == json!(temp_email) && a["access_expires_at"].is_string()));

    clock.advance(Duration::hours(2));
    assert_eq!(status(&gw.get(&format!("/v1/orgs/{org}/admins"), &temp).await), (404, "not_found"));
    assert!(!gw.get("/v1/me", &temp).await.text.contains(&org));
    for _ in 0..2 {
        let expired = audit_log(&gw, &org, &owner, "&action=admin.expired").await;
        assert_eq!(expired.len(), 1, "written once: {expired:?}");
        assert_eq!(expired[0]["target"], json!(temp_email));
        let at = chrono::DateTime::parse_from_rfc3339(expired[0]["at"].as_str().unwrap()).unwrap();
        assert_eq!(at.timestamp_millis(), ends.timestamp_millis(), "at the instant it ended");
    }
    assert!(!admins(&gw, &org, &owner).await.iter().any(|a| a["email"] == json!(temp_email)));
}

#[tokio::test]
async fn the_audit_log_records_every_change_with_its_actor_and_only_full_admins_read_it() {
    let gw = Gateway::start().await;
    let partner_email = unique_email("partner");
    let (partner_token, partner) = gw.partner(&partner_email, "Partner").await;
    let owner_email = unique_email("owner");
    let (owner, customer) = gw.connected_customer(&partner_token, &partner, &owner_email).await;
    let (_, accepted) = make_admin(&gw, &customer, &owner, &partner_email, json!({"access": "full"})).await;
    assert_eq!(accepted.status, 200);
    let added = gw
        .post(
            &format!("/v1/orgs/{customer}/services"),
            &partner_token,
            json!({"service": "sdwan-orchestrator", "kind": "trial"}),
        )
        .await;
    assert_eq!(added.status, 201, "{}", added.text);
    let viewer_email = unique_email("viewer");
    let (_viewer, _) = make_admin(
        &gw,
        &customer,
        &owner,
        &viewer_email,
        json!({"access": "custom", "permissions": ["licensing.view"]}),
    )
    .await;
    assert_eq!(
        put(
            &gw,
            &format!("/v1/orgs/{customer}/admins/{viewer_email}"),
            &owner,
            json!({"access": "custom", "permissions": ["services.manage"]})
        )
        .await
        .status,
        200
    );
    assert_eq!(delete(&gw, &format!("/v1/orgs/{customer}/admins/{viewer_email}"), &owner).await.status, 204);
    let placed = gw.record_order(&partner, json!({"order_id": "SO-1", "service": "daas", "quantity": 4, "tenancy": "multi", "placed_at": "2026-01-05"})).await;
    assert_eq!(placed.status, 201);
    let allocated = gw
        .post(
            &format!("/v1/orgs/{partner}/license-allocations"),
            &partner_token,
            json!({"order_id": "SO-1", "target_org_id": partner, "quantity": 2}),
        )
        .await;
    assert_eq!(allocated.status, 201, "{}", allocated.text);

    let customer_log = audit_log(&gw, &customer, &owner, "").await;
    let mut seen = actions(&customer_log);
    seen.sort();
    seen.dedup();
    for action in [
        "org.created",
        "connection.created",
        "admin.invited",
        "admin.accepted",
        "admin.changed",
        "admin.removed",
        "service.added",
    ] {
        assert!(seen.contains(&action), "{action} missing from {seen:?}");
    }
    let times: Vec<&str> = customer_log.iter().filter_map(|e| e["at"].as_str()).collect();
    assert!(times.windows(2).all(|w| w[0] >= w[1]), "newest first: {times:?}");
    let service = customer_log.iter().find(|e| e["action"] == "service.added").unwrap();
    assert_eq!(
        service["actor"],
        json!({"email": partner_email, "partner_id": partner}),
        "acted through the partner"
    );
    let partner_log = audit_log(&gw, &partner, &partner_token, "").await;
    for action in
        ["org.created", "program.joined", "connection.created", "order.recorded", "license.allocated"]
    {
        assert!(actions(&partner_log).contains(&action), "{action} missing from {:?}", actions(&partner_log));
    }

    // Filters: by action, and by time.
    let invited = audit_log(&gw, &customer, &owner, "&action=admin.invited").await;
    assert_eq!(invited.len(), 2);
    let future = (Utc::now() + Duration::days(1)).date_naive();
    assert!(audit_log(&gw, &customer, &owner, &format!("&from={future}")).await.is_empty());
    assert_eq!(audit_log(&gw, &customer, &owner, &format!("&to={future}")).await.len(), customer_log.len());
    for bad in ["action=admin.deleted", "from=yesterday", "from=2026-02-01&to=2026-01-01"] {
        let refused = gw.get(&format!("/v1/orgs/{customer}/audit-log?{bad}"), &owner).await;
        assert_eq!(status(&refused), (400, "invalid_request"), "{bad}: {}", refused.text);
    }

    // Only full administrators read it; nobody alters it.
    let custom = gw
        .custom_admin(
            &customer,
            &unique_email("custom"),
            vec![partner_hub::domain::Permission::LicensingView],
        )
        .await;
    assert_eq!(status(&gw.get(&format!("/v1/orgs/{customer}/audit-log"), &custom).await), (403, "forbidden"));
    let (stranger, _) = gw.customer(&unique_email("stranger"), "Stranger").await;
    assert_eq!(
        status(&gw.get(&format!("/v1/orgs/{customer}/audit-log"), &stranger).await),
        (404, "not_found")
    );
    for method in [Method::POST, Method::PUT, Method::DELETE] {
        let altered = gw
            .send(method.clone(), &format!("/v1/orgs/{customer}/audit-log"), Some(&owner), Some(json!({})))
            .await;
        assert!(!altered.status.is_success(), "{method} answered {}", altered.status);
    }
    assert_eq!(audit_log(&gw, &customer, &owner, "").await.len(), customer_log.len());

    // Kept at least 400 days.
    for item in gw
        .items()
        .await
        .iter()
        .filter(|i| i.get("entity").and_then(|e| e.as_s().ok()).map(String::as_str) == Some("AuditEntry"))
    {
        let ttl: i64 = item["ttl"].as_n().unwrap().parse().unwrap();
        let at = chrono::DateTime::parse_from_rfc3339(item["at"].as_s().unwrap()).unwrap();
        assert!(ttl - at.timestamp() >= 400 * 86_400, "ttl {ttl} for {at}");
    }
}

#[tokio::test]
async fn a_change_whose_transaction_fails_leaves_neither_the_change_nor_its_entry() {
    let (gw, _proxy, conflicts) = partner_hub_tests::gateway_behind_proxy(usize::MAX).await;
    let owner_email = unique_email("owner");
    let (owner, org) = gw.customer(&owner_email, "Org").await;
    let two_email = unique_email("two");
    let (_, accepted) = make_admin(&gw, &org, &owner, &two_email, json!({"access": "full"})).await;
    assert_eq!(accepted.status, 200);
    let log_before = audit_log(&gw, &org, &owner, "").await;
    let before = gw.settled_items().await;

    conflicts.arm();
    let failed = put(
        &gw,
        &format!("/v1/orgs/{org}/admins/{two_email}"),
        &owner,
        json!({"access": "custom", "permissions": ["licensing.view"]}),
    )
    .await;
    assert_eq!(status(&failed), (503, "unavailable"), "{}", failed.text);
    let refused = delete(&gw, &format!("/v1/orgs/{org}/admins/{two_email}"), &owner).await;
    assert_eq!(status(&refused), (503, "unavailable"));
    conflicts.armed.store(false, std::sync::atomic::Ordering::SeqCst);

    assert_eq!(gw.items().await, before, "no change and no entry");
    assert_eq!(audit_log(&gw, &org, &owner, "").await, log_before);
    let two = admins(&gw, &org, &owner).await.into_iter().find(|a| a["email"] == json!(two_email)).unwrap();
    assert_eq!(two["access"], "full");
}

#[tokio::test]
async fn emails_of_add_a_customer_count_in_the_partners_hourly_invitation_limit() {
    let gw = Gateway::start().await;
    let (partner_token, partner) = gw.partner(&unique_email("partner"), "Partner").await;
    for n in 0..49 {
        let sent = gw
            .post(
                &format!("/v1/orgs/{partner}/invite-link/emails"),
                &partner_token,
                json!({"email": format!("c{n}@example.com")}),
            )
            .await;
        assert_eq!(sent.status, 202, "{}", sent.text);
    }
    let add = |name: &str| json!({"company_name": name, "contact_email": unique_email(name)});
    let fiftieth = gw.post(&format!("/v1/orgs/{partner}/customers"), &partner_token, add("fiftieth")).await;
    assert_eq!(fiftieth.status, 201, "{}", fiftieth.text);
    let before = gw.settled_items().await;
    let over = gw.post(&format!("/v1/orgs/{partner}/customers"), &partner_token, add("over")).await;
    assert_eq!(status(&over), (429, "rate_limited"), "{}", over.text);
    assert!(over.headers.contains_key("retry-after"));
    let email_over = gw
        .post(
            &format!("/v1/orgs/{partner}/invite-link/emails"),
            &partner_token,
            json!({"email": "late@example.com"}),
        )
        .await;
    assert_eq!(status(&email_over), (429, "rate_limited"));
    assert_eq!(gw.items().await, before, "refused, nothing written");
}
