//! Administrator invitations and services: who may do what, single use, expiry and
//! entitlement status driven by the clock, and that refused requests change nothing.

use partner_hub_tests::{Gateway, TestClock};
use serde_json::{json, Value};

fn unique_email(name: &str) -> String {
    format!("{name}-{}@example.com", uuid::Uuid::new_v4().simple())
}

#[tokio::test]
async fn only_the_invited_email_accepts_once_within_seven_days() {
    let clock = TestClock::default();
    let gw = Gateway::start_with_clock(clock.clone()).await;
    let (owner, org) = gw.customer(&unique_email("owner"), "Owned Co").await;
    let invitee = unique_email("invitee");
    let invited = gw
        .post(
            &format!("/v1/orgs/{org}/admin-invitations"),
            &owner,
            json!({"email": invitee, "access": "custom", "permissions": ["services.manage"]}),
        )
        .await;
    assert_eq!(invited.status, 201, "{}", invited.text);
    assert_eq!(invited.body["permissions"], json!(["services.manage"]));
    let token = gw.admin_invitation_token(&invitee, 1).await;

    let listed = gw.get(&format!("/v1/orgs/{org}/admins"), &owner).await;
    let kinds: Vec<&str> =
        listed.body["items"].as_array().unwrap().iter().map(|e| e["type"].as_str().unwrap()).collect();
    assert_eq!(kinds, vec!["administrator", "invitation"]);

    let someone_else = gw.token(&unique_email("other")).await;
    let wrong = gw.post(&format!("/v1/admin-invitations/{token}/accept"), &someone_else, json!({})).await;
    assert_eq!((wrong.status.as_u16(), wrong.error_code()), (403, "forbidden"));
    let unknown =
        gw.post(&format!("/v1/admin-invitations/{}/accept", "Z".repeat(32)), &someone_else, json!({})).await;
    assert_eq!(unknown.status, 404);

    let invitee_token = gw.token(&invitee).await;
    let accepted = gw.post(&format!("/v1/admin-invitations/{token}/accept"), &invitee_token, json!({})).await;
    assert_eq!(accepted.status, 200);
    assert_eq!(accepted.body, json!({"org_id": org, "access": "custom", "permissions": ["services.manage"]}));
    let again = gw.post(&format!("/v1/admin-invitations/{token}/accept"), &invitee_token, json!({})).await;
    assert_eq!((again.status.as_u16(), again.error_code()), (410, "gone"));

    // What was accepted is what the routes enforce: services yes, inviting no.
    let service = gw
        .post(
            &format!("/v1/orgs/{org}/services"),
            &invitee_token,
            json!({"service": "analytics", "kind": "trial"}),
        )
        .await;
    assert_eq!(service.status, 201, "{}", service.text);
    let invite = gw
        .post(
            &format!("/v1/orgs/{org}/admin-invitations"),
            &invitee_token,
            json!({"email": "x@example.com", "access": "full"}),
        )
        .await;
    assert_eq!((invite.status.as_u16(), invite.error_code()), (403, "forbidden"));

    // An invitation not accepted within 7 days is gone.
    let late = unique_email("late");
    gw.post(&format!("/v1/orgs/{org}/admin-invitations"), &owner, json!({"email": late, "access": "full"}))
        .await;
    let late_token = gw.admin_invitation_token(&late, 1).await;
    clock.advance(chrono::Duration::days(7) + chrono::Duration::seconds(1));
    let expired = gw
        .post(&format!("/v1/admin-invitations/{late_token}/accept"), &gw.token(&late).await, json!({}))
        .await;
    assert_eq!((expired.status.as_u16(), expired.error_code()), (410, "gone"));
    let me = gw.get("/v1/me", &gw.token(&late).await).await;
    assert_eq!(me.body["orgs"], json!([]));
}

#[tokio::test]
async fn trials_and_subscriptions_follow_the_catalog_and_the_clock() {
    let clock = TestClock::default();
    let gw = Gateway::start_with_clock(clock.clone()).await;
    let (token, org) = gw.customer(&unique_email("owner"), "Buyer").await;
    let services = format!("/v1/orgs/{org}/services");
    let add = |body: Value| gw.post(&services, &token, body);

    let catalog = gw.send(reqwest::Method::GET, "/v1/services", None, None).await;
    assert_eq!(catalog.status, 200);
    let sdwan = catalog.body["items"]
        .as_array()
        .unwrap()
        .iter()
        .find(|s| s["service"] == "sdwan-orchestrator")
        .unwrap()
        .clone();
    assert_eq!(
        sdwan,
        json!({"service": "sdwan-orchestrator", "name": "SD-WAN Orchestrator", "trial_days": 60, "metered_by": "users", "trial_requires_approval": false})
    );

    let trial = add(json!({"service": "sdwan-orchestrator", "kind": "trial"})).await;
    assert_eq!(trial.body["status"], "trial_active");
    let pending = add(json!({"service": "daas", "kind": "trial"})).await;
    assert_eq!((pending.status.as_u16(), pending.body["status"].clone()), (201, json!("trial_pending")));
    let today = chrono::Utc::now().date_naive();
    let paid = add(json!({"service": "daas", "kind": "paid", "license_count": 25, "term": "annual", "starts_at": today.to_string()})).await;
    assert_eq!(paid.status, 201, "{}", paid.text);
    assert_eq!((paid.body["license_count"].clone(), paid.body["term"].clone()), (json!(25), json!("annual")));
    let a_year_on = today.checked_add_months(chrono::Months::new(12)).unwrap().to_string();
    assert!(paid.body["expires_at"].as_str().unwrap().starts_with(&a_year_on), "{}", paid.text);
    let gateway = add(json!({"service": "gateway", "kind": "paid", "license_count": 1, "term": "monthly", "committed_gb": 500})).await;
    assert_eq!((gateway.status.as_u16(), gateway.body["committed_gb"].clone()), (201, json!(500)));
    let duplicate = add(json!({"service": "sdwan-orchestrator", "kind": "trial"})).await;
    assert_eq!((duplicate.status.as_u16(), duplicate.error_code()), (409, "already_entitled"));

    for (body, mentions) in [
        (json!({"service": "nope", "kind": "trial"}), "service"),
        (json!({"service": "daas", "kind": "forever"}), "kind"),
        (json!({"service": "daas", "kind": "paid", "term": "annual"}), "license_count"),
        (
            json!({"service": "analytics", "kind": "paid", "license_count": 0, "term": "annual"}),
            "license_count",
        ),
        (json!({"service": "analytics", "kind": "paid", "license_count": 5}), "term"),
        (json!({"service": "analytics", "kind": "paid", "license_count": 5, "term": "termed"}), "expires_at"),
        (
            json!({"service": "analytics", "kind": "paid", "license_count": 5, "term": "annual", "starts_at": "tomorrow"}),
            "starts_at",
        ),
        (json!({"service": "gateway", "kind": "trial", "license_count": -1}), "license_count"),
        (
            json!({"service": "secure-private-access", "kind": "paid", "license_count": 5, "term": "termed", "starts_at": "2026-05-01", "expires_at": "2026-04-01"}),
            "expires_at",
        ),
    ] {
        let refused = add(body.clone()).await;
        assert_eq!(refused.status, 400, "{body}: {}", refused.text);
        assert!(
            refused.body["error"]["message"].as_str().unwrap().contains(mentions),
            "{body}: {}",
            refused.text
        );
    }

    // Sixty-one days on: the trial reads expired, the monthly gateway too; the annual one is still active.
    clock.advance(chrono::Duration::days(61));
    let list = gw.get(&format!("/v1/orgs/{org}/entitlements"), &token).await;
    let status_of = |service: &str, kind: &str| {
        list.body["items"]
            .as_array()
            .unwrap()
            .iter()
            .find(|e| e["service"] == service && e["kind"] == kind)
            .unwrap()["status"]
            .clone()
    };
    assert_eq!(status_of("sdwan-orchestrator", "trial"), "trial_expired");
    assert_eq!(status_of("daas", "trial"), "trial_pending");
    assert_eq!(status_of("daas", "paid"), "active");
    assert_eq!(status_of("gateway", "paid"), "expired");
    // An ended entitlement no longer blocks a new one.
    let renewed = add(json!({"service": "gateway", "kind": "paid", "license_count": 1, "term": "monthly", "committed_gb": 800})).await;
    assert_eq!(renewed.status, 201, "{}", renewed.text);
}

/// Each forbidden combination gets the contract's answer, and nothing changes.
#[tokio::test]
async fn forbidden_combinations_are_refused_and_change_nothing() {
    let gw = Gateway::start().await;
    let partner_email = unique_email("partner");
    let (partner_token, partner) = gw.partner(&partner_email, "Partner").await;
    let (customer_token, customer) =
        gw.connected_customer(&partner_token, &partner, &unique_email("c")).await;
    let (stranger_token, stranger_org) = gw.customer(&unique_email("s"), "Stranger").await;
    let viewer = gw
        .custom_admin(
            &customer,
            &unique_email("viewer"),
            vec![partner_hub::domain::Permission::CustomerDashboardView],
        )
        .await;
    let invited = gw
        .post(
            &format!("/v1/orgs/{customer}/admin-invitations"),
            &customer_token,
            json!({"email": unique_email("someone"), "access": "full"}),
        )
        .await;
    assert_eq!(invited.status, 201);
    let before = gw.settled_items().await.len();
    let trial = json!({"service": "sdwan-orchestrator", "kind": "trial"});

    let cases = [
        (
            "custom admin without services.manage adds a service",
            format!("/v1/orgs/{customer}/services"),
            &viewer,
            trial.clone(),
            403,
            "forbidden",
        ),
        (
            "connected partner that is not an administrator adds a service",
            format!("/v1/orgs/{customer}/services"),
            &partner_token,
            trial.clone(),
            404,
            "not_found",
        ),
        (
            "stranger adds a service",
            format!("/v1/orgs/{customer}/services"),
            &stranger_token,
            trial.clone(),
            404,
            "not_found",
        ),
        (
            "non-partner provisions Resell SD-WAN",
            format!("/v1/orgs/{stranger_org}/services"),
            &stranger_token,
            json!({"service": "sdwan-orchestrator", "kind": "resell"}),
            403,
            "not_a_partner",
        ),
        (
            "custom admin invites an administrator",
            format!("/v1/orgs/{customer}/admin-invitations"),
            &viewer,
            json!({"email": "x@example.com", "access": "full"}),
            403,
            "forbidden",
        ),
        (
            "stranger invites an administrator",
            format!("/v1/orgs/{customer}/admin-invitations"),
            &stranger_token,
            json!({"email": "x@example.com", "access": "full"}),
            404,
            "not_found",
        ),
        (
            "custom access without permissions",
            format!("/v1/orgs/{customer}/admin-invitations"),
            &customer_token,
            json!({"email": "x@example.com", "access": "custom"}),
            400,
            "invalid_request",
        ),
        (
            "unknown permission",
            format!("/v1/orgs/{customer}/admin-invitations"),
            &customer_token,
            json!({"email": "x@example.com", "access": "custom", "permissions": ["root"]}),
            400,
            "invalid_request",
        ),
        (
            "bad email",
            format!("/v1/orgs/{customer}/admin-invitations"),
            &customer_token,
            json!({"email": "nope", "access": "full"}),
            400,
            "invalid_request",
        ),
        (
            "resell of a service other than SD-WAN",
            format!("/v1/orgs/{partner}/services"),
            &partner_token,
            json!({"service": "analytics", "kind": "resell"}),
            400,
            "invalid_request",
        ),
    ];
    for (what, path, token, body, status, code) in cases {
        let answer = gw.post(&path, token, body).await;
        assert_eq!((answer.status.as_u16(), answer.error_code()), (status, code), "{what}: {}", answer.text);
    }
    assert_eq!(gw.items().await.len(), before, "a refused request changed the table");

    // Entitlements: the customer's admins and a connected partner's admins see them; strangers do not.
    assert_eq!(gw.get(&format!("/v1/orgs/{customer}/entitlements"), &partner_token).await.status, 200);
    assert_eq!(gw.get(&format!("/v1/orgs/{customer}/entitlements"), &viewer).await.status, 200);
    let hidden = gw.get(&format!("/v1/orgs/{customer}/entitlements"), &stranger_token).await;
    assert_eq!((hidden.status.as_u16(), hidden.error_code()), (404, "not_found"));
    let admins = gw.get(&format!("/v1/orgs/{customer}/admins"), &stranger_token).await;
    assert_eq!(admins.status, 404);
}
