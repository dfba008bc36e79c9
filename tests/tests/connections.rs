//! Invitation link, accept, removal, the customer's partners and the partner's
//! dashboard, through the local gateway as a client sees them.

use partner_hub_tests::Gateway;
use reqwest::Method;
use serde_json::{json, Value};

fn unique_email(name: &str) -> String {
    format!("{name}-{}@example.com", uuid::Uuid::new_v4().simple())
}

#[tokio::test]
async fn the_link_is_one_per_partner_and_never_changes() {
    let gw = Gateway::start().await;
    let (token, partner) = gw.partner(&unique_email("p"), "Partner").await;
    let first = gw.get(&format!("/v1/orgs/{partner}/invite-link"), &token).await;
    assert_eq!(first.status, 200);
    let code = first.body["code"].as_str().unwrap().to_string();
    assert!(code.len() >= 22, "at least 128 random bits");
    assert!(!code.contains(&partner), "the code does not reveal the org id");
    assert_eq!(first.body["url"], format!("http://localhost:3000/invite/{code}"));
    let path = format!("/v1/orgs/{partner}/invite-link");
    let racing = futures::future::join_all((0..5).map(|_| gw.get(&path, &token))).await;
    for again in racing {
        assert_eq!(again.body, first.body);
    }
    let (other_token, other) = gw.partner(&unique_email("q"), "Other").await;
    assert_ne!(gw.invite_code(&other_token, &other).await, code);
}

#[tokio::test]
async fn anyone_can_open_a_link_and_unknown_or_malformed_codes_are_one_404() {
    let gw = Gateway::start().await;
    let (token, partner) = gw.partner(&unique_email("p"), "Acme Partners").await;
    let code = gw.invite_code(&token, &partner).await;
    let opened = gw.send(Method::GET, &format!("/invite/{code}"), None, None).await;
    assert_eq!(opened.status, 200);
    assert_eq!(
        opened.body["partner"],
        json!({"org_id": partner, "name": "Acme Partners", "programs": ["CSP"]})
    );
    assert_eq!(opened.body["accept_url"], format!("http://localhost:3000/v1/invite/{code}/accept"));

    let unknown = gw.send(Method::GET, &format!("/invite/{}", "A".repeat(32)), None, None).await;
    let malformed = gw.send(Method::GET, "/invite/not-a-code", None, None).await;
    assert_eq!((unknown.status.as_u16(), malformed.status.as_u16()), (404, 404));
    assert_eq!(unknown.text, malformed.text);
}

#[tokio::test]
async fn the_accept_page_is_locked_down_and_escapes_the_partner_name() {
    let gw = Gateway::start().await;
    let (token, partner) = gw.partner(&unique_email("p"), "<script>alert(1)</script>").await;
    let code = gw.invite_code(&token, &partner).await;
    let page = partner_hub_tests::read(
        gw.request(Method::GET, &format!("/invite/{code}"), None).header("accept", "text/html"),
    )
    .await;
    assert_eq!(page.status, 200);
    assert!(page.headers["content-type"].to_str().unwrap().starts_with("text/html"));
    assert_eq!(page.headers["referrer-policy"], "no-referrer");
    let csp = page.headers["content-security-policy"].to_str().unwrap();
    assert!(
        csp.contains("default-src 'none'")
            && csp.contains("connect-src 'self'")
            && !csp.contains("unsafe-inline")
    );
    assert!(!page.text.contains("<script>alert(1)</script>"));
    assert!(page.text.contains("&lt;script&gt;alert(1)&lt;/script&gt;"));
    assert!(
        !page.text.contains("http://") || !page.text.contains("src=\"http"),
        "nothing loads from elsewhere"
    );

    let missing =
        partner_hub_tests::read(gw.request(Method::GET, "/invite/nope", None).header("accept", "text/html"))
            .await;
    assert_eq!(missing.status, 404);
    assert!(missing.text.contains("not valid"));
}

#[tokio::test]
async fn accepting_connects_once_and_both_sides_see_it() {
    let gw = Gateway::start().await;
    let (partner_token, partner) = gw.partner(&unique_email("p"), "Partner").await;
    let (customer_token, customer) = gw.customer(&unique_email("c"), "Customer Co").await;
    let code = gw.invite_code(&partner_token, &partner).await;

    let first = gw.accept(&customer_token, &code, &customer).await;
    assert_eq!(first.status, 201, "{}", first.text);
    let connection = &first.body["connection"];
    assert_eq!(connection["partner_id"], partner.as_str());
    assert_eq!(connection["customer_id"], customer.as_str());
    assert_eq!(connection["status"], "active");
    assert_eq!(connection["origin"], "invite");
    let second = gw.accept(&customer_token, &code, &customer).await;
    assert_eq!(second.status, 200);
    assert_eq!(second.body, first.body, "the same connection, not a new one");

    let partners = gw.get(&format!("/v1/orgs/{customer}/partners"), &customer_token).await;
    assert_eq!(partners.status, 200);
    assert_eq!(partners.body["items"].as_array().unwrap().len(), 1);
    assert_eq!(partners.body["items"][0]["org_id"], partner.as_str());
    assert_eq!(partners.body["items"][0]["programs"], json!(["CSP"]));
    assert_eq!(partners.body["next_token"], Value::Null);

    let dashboard = gw.get(&format!("/v1/orgs/{partner}/customers"), &partner_token).await;
    assert_eq!(dashboard.status, 200);
    assert_eq!(dashboard.body["count"], 1);
    assert_eq!(dashboard.body["limit"], 100);
    let row = &dashboard.body["items"][0];
    assert_eq!(row["org_id"], customer.as_str());
    assert_eq!(row["name"], "Customer Co");
    assert_eq!(row["tenancy"], "standard", "inviting keeps the customer single-tenant");
    assert_eq!(row["origin"], "invite");
    assert_eq!(row["services"], json!([]));
    assert_eq!(row["open_support_tickets"], 0);

    let detail = gw.get(&format!("/v1/orgs/{partner}/customers/{customer}"), &partner_token).await;
    assert_eq!(detail.status, 200);
    assert_eq!(detail.body["entitlements"], json!([]));
    assert_eq!(detail.body["orders"], json!([]));
}

#[tokio::test]
async fn removal_from_either_side_shows_at_once_and_the_link_reconnects() {
    let gw = Gateway::start().await;
    let (partner_token, partner) = gw.partner(&unique_email("p"), "Partner").await;
    let (customer_token, customer) =
        gw.connected_customer(&partner_token, &partner, &unique_email("c")).await;
    let code = gw.invite_code(&partner_token, &partner).await;

    let removed = gw
        .send(Method::DELETE, &format!("/v1/orgs/{partner}/customers/{customer}"), Some(&partner_token), None)
        .await;
    assert_eq!(removed.status, 204, "{}", removed.text);
    assert_eq!(gw.get(&format!("/v1/orgs/{partner}/customers"), &partner_token).await.body["count"], 0);
    assert_eq!(
        gw.get(&format!("/v1/orgs/{customer}/partners"), &customer_token).await.body["items"],
        json!([])
    );
    assert_eq!(gw.get(&format!("/v1/orgs/{partner}/customers/{customer}"), &partner_token).await.status, 404);
    let again = gw
        .send(Method::DELETE, &format!("/v1/orgs/{partner}/customers/{customer}"), Some(&partner_token), None)
        .await;
    assert_eq!(again.status, 404);

    assert_eq!(gw.accept(&customer_token, &code, &customer).await.status, 201, "the link recreates it");
    let left = gw
        .send(Method::DELETE, &format!("/v1/orgs/{customer}/partners/{partner}"), Some(&customer_token), None)
        .await;
    assert_eq!(left.status, 204);
    let dashboard = gw.get(&format!("/v1/orgs/{partner}/customers"), &partner_token).await;
    assert_eq!((dashboard.body["count"].clone(), dashboard.body["items"].clone()), (json!(0), json!([])));
}

#[tokio::test]
async fn an_org_cannot_connect_to_itself() {
    let gw = Gateway::start().await;
    let (token, partner) = gw.partner(&unique_email("p"), "Partner").await;
    let code = gw.invite_code(&token, &partner).await;
    let answer = gw.accept(&token, &code, &partner).await;
    assert_eq!((answer.status.as_u16(), answer.error_code()), (422, "self_connection"));
}

/// What is asked, how, by whom, and the status and code it must get.
type RefusalCase<'a> = (&'a str, Method, String, &'a str, Option<Value>, u16, &'a str);

/// Strangers and the wrong kind of administrator get the contract's answer and
/// nothing changes.
#[tokio::test]
async fn strangers_and_lesser_admins_are_refused_and_nothing_changes() {
    let gw = Gateway::start().await;
    let (partner_token, partner) = gw.partner(&unique_email("p"), "Partner").await;
    let (customer_token, customer) =
        gw.connected_customer(&partner_token, &partner, &unique_email("c")).await;
    let code = gw.invite_code(&partner_token, &partner).await;
    let (stranger_token, stranger_org) = gw.customer(&unique_email("s"), "Stranger").await;
    let random = gw.token(&unique_email("nobody")).await;

    // A custom admin of the partner without customer-dashboard.view.
    let custom_email = unique_email("custom");
    let custom =
        gw.custom_admin(&partner, &custom_email, vec![partner_hub::domain::Permission::LicensingView]).await;
    let before = gw.settled_items().await.len();

    let cases: Vec<RefusalCase> = vec![
        (
            "stranger reads dashboard",
            Method::GET,
            format!("/v1/orgs/{partner}/customers"),
            &stranger_token,
            None,
            404,
            "not_found",
        ),
        (
            "random token reads dashboard",
            Method::GET,
            format!("/v1/orgs/{partner}/customers"),
            &random,
            None,
            404,
            "not_found",
        ),
        (
            "custom admin reads dashboard",
            Method::GET,
            format!("/v1/orgs/{partner}/customers"),
            &custom,
            None,
            403,
            "forbidden",
        ),
        (
            "custom admin reads link",
            Method::GET,
            format!("/v1/orgs/{partner}/invite-link"),
            &custom,
            None,
            403,
            "forbidden",
        ),
        (
            "non-partner asks for a link",
            Method::GET,
            format!("/v1/orgs/{stranger_org}/invite-link"),
            &stranger_token,
            None,
            403,
            "not_a_partner",
        ),
        (
            "non-partner reads a dashboard",
            Method::GET,
            format!("/v1/orgs/{stranger_org}/customers"),
            &stranger_token,
            None,
            403,
            "not_a_partner",
        ),
        (
            "stranger removes a customer",
            Method::DELETE,
            format!("/v1/orgs/{partner}/customers/{customer}"),
            &stranger_token,
            None,
            404,
            "not_found",
        ),
        (
            "custom admin removes a customer",
            Method::DELETE,
            format!("/v1/orgs/{partner}/customers/{customer}"),
            &custom,
            None,
            403,
            "forbidden",
        ),
        (
            "partner removes itself from the customer's side",
            Method::DELETE,
            format!("/v1/orgs/{customer}/partners/{partner}"),
            &partner_token,
            None,
            404,
            "not_found",
        ),
        (
            "stranger reads the customer's partners",
            Method::GET,
            format!("/v1/orgs/{customer}/partners"),
            &stranger_token,
            None,
            404,
            "not_found",
        ),
        (
            "stranger reads a customer's detail",
            Method::GET,
            format!("/v1/orgs/{partner}/customers/{customer}"),
            &stranger_token,
            None,
            404,
            "not_found",
        ),
        (
            "partner reads an unconnected org",
            Method::GET,
            format!("/v1/orgs/{partner}/customers/{stranger_org}"),
            &partner_token,
            None,
            404,
            "not_found",
        ),
        (
            "stranger accepts for someone else's org",
            Method::POST,
            format!("/v1/invite/{code}/accept"),
            &stranger_token,
            Some(json!({"customer_org_id": customer})),
            404,
            "not_found",
        ),
        (
            "random token accepts",
            Method::POST,
            format!("/v1/invite/{code}/accept"),
            &random,
            Some(json!({"customer_org_id": stranger_org})),
            404,
            "not_found",
        ),
        (
            "unknown code",
            Method::POST,
            format!("/v1/invite/{}/accept", "B".repeat(32)),
            &stranger_token,
            Some(json!({"customer_org_id": stranger_org})),
            404,
            "not_found",
        ),
        (
            "malformed org id",
            Method::POST,
            format!("/v1/invite/{code}/accept"),
            &stranger_token,
            Some(json!({"customer_org_id": "12"})),
            400,
            "invalid_request",
        ),
        (
            "missing org id",
            Method::POST,
            format!("/v1/invite/{code}/accept"),
            &stranger_token,
            Some(json!({})),
            400,
            "invalid_request",
        ),
        (
            "invite email without address",
            Method::POST,
            format!("/v1/orgs/{partner}/invite-link/emails"),
            &partner_token,
            Some(json!({"email": "nope"})),
            400,
            "invalid_request",
        ),
        (
            "invite email message too long",
            Method::POST,
            format!("/v1/orgs/{partner}/invite-link/emails"),
            &partner_token,
            Some(json!({"email": "a@example.com", "message": "x".repeat(1001)})),
            400,
            "invalid_request",
        ),
        (
            "stranger emails the link",
            Method::POST,
            format!("/v1/orgs/{partner}/invite-link/emails"),
            &stranger_token,
            Some(json!({"email": "a@example.com"})),
            404,
            "not_found",
        ),
        (
            "add a customer as non-partner",
            Method::POST,
            format!("/v1/orgs/{stranger_org}/customers"),
            &stranger_token,
            Some(json!({"company_name": "X", "contact_email": "x@example.com"})),
            403,
            "not_a_partner",
        ),
        (
            "add a customer as custom admin",
            Method::POST,
            format!("/v1/orgs/{partner}/customers"),
            &custom,
            Some(json!({"company_name": "X", "contact_email": "x@example.com"})),
            403,
            "forbidden",
        ),
        (
            "add a customer with bad email",
            Method::POST,
            format!("/v1/orgs/{partner}/customers"),
            &partner_token,
            Some(json!({"company_name": "X", "contact_email": "x"})),
            400,
            "invalid_request",
        ),
    ];
    for (what, method, path, token, body, status, code) in cases {
        let answer = gw.send(method, &path, Some(token), body).await;
        assert_eq!((answer.status.as_u16(), answer.error_code()), (status, code), "{what}: {}", answer.text);
    }
    assert_eq!(gw.items().await.len(), before, "a refused request changed the table");
    assert_eq!(
        gw.get(&format!("/v1/orgs/{customer}/partners"), &customer_token).await.body["items"]
            .as_array()
            .unwrap()
            .len(),
        1
    );
}

#[tokio::test]
async fn add_a_customer_creates_a_multi_tenant_org_the_partner_administers() {
    let gw = Gateway::start().await;
    let partner_email = unique_email("p");
    let (partner_token, partner) = gw.partner(&partner_email, "Reseller").await;
    let contact = unique_email("contact");
    let added = gw
        .post(
            &format!("/v1/orgs/{partner}/customers"),
            &partner_token,
            json!({"company_name": "New Customer Inc", "contact_email": contact, "contact_name": "Grace", "country": "fr"}),
        )
        .await;
    assert_eq!(added.status, 201, "{}", added.text);
    let customer = added.body["customer"]["org_id"].as_str().unwrap().to_string();
    assert_eq!(added.body["customer"]["tenancy"], "multi");
    assert_eq!(added.body["customer"]["country"], "FR");
    assert_eq!(added.body["connection"]["origin"], "added");
    assert_eq!(added.body["connection"]["customer_id"], customer.as_str());

    let me = gw.get("/v1/me", &partner_token).await;
    let mine: Vec<&Value> =
        me.body["orgs"].as_array().unwrap().iter().filter(|o| o["org_id"] == customer.as_str()).collect();
    assert_eq!(mine.len(), 1, "the partner's admin administers the new customer");
    assert_eq!(mine[0]["access"], "full");

    let row = &gw.get(&format!("/v1/orgs/{partner}/customers"), &partner_token).await.body["items"][0];
    assert_eq!((row["origin"].clone(), row["tenancy"].clone()), (json!("added"), json!("multi")));

    let again = gw
        .post(
            &format!("/v1/orgs/{partner}/customers"),
            &partner_token,
            json!({"company_name": "Dup", "contact_email": contact.to_uppercase()}),
        )
        .await;
    assert_eq!((again.status.as_u16(), again.error_code()), (409, "email_in_use"));

    // The contact signs in with the address the partner gave: the account is theirs.
    let contact_token = gw.token(&contact).await;
    let contact_me = gw.get("/v1/me", &contact_token).await;
    assert_eq!(contact_me.body["orgs"].as_array().unwrap().len(), 1, "{}", contact_me.text);
    assert_eq!(contact_me.body["orgs"][0]["org_id"], customer.as_str());
    assert_eq!(contact_me.body["orgs"][0]["access"], "full");
    let again_me = gw.get("/v1/me", &contact_token).await;
    assert_eq!(again_me.body["orgs"], contact_me.body["orgs"], "claimed once");

    let mail = gw.wait_for_emails(&contact, 1).await;
    assert!(mail[0]["subject"].as_str().unwrap().contains("New Customer Inc"));
    let text = mail[0]["text"].as_str().unwrap();
    assert!(text.contains("Reseller") && text.contains("password"), "{text}");
}
