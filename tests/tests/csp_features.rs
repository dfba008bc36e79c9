//! CSP features: federated domains linked to connected customers (and unlinked with
//! the connection), workspace access, and workspace themes.

use partner_hub::domain::Permission;
use partner_hub_tests::{Answer, Gateway};
use reqwest::Method;
use serde_json::{json, Value};

fn unique_email(name: &str) -> String {
    format!("{name}-{}@example.com", uuid::Uuid::new_v4().simple())
}

fn status(answer: &Answer) -> (u16, &str) {
    (answer.status.as_u16(), answer.error_code())
}

async fn put(gw: &Gateway, path: &str, token: &str, body: Option<Value>) -> Answer {
    gw.send(Method::PUT, path, Some(token), body).await
}

async fn delete(gw: &Gateway, path: &str, token: &str) -> Answer {
    gw.send(Method::DELETE, path, Some(token), None).await
}

async fn access(gw: &Gateway, org: &str, token: &str) -> Vec<String> {
    let answer = gw.get(&format!("/v1/orgs/{org}/workspace-access"), token).await;
    assert_eq!(answer.status, 200, "{}", answer.text);
    answer.body["items"]
        .as_array()
        .unwrap()
        .iter()
        .map(|d| d["domain"].as_str().unwrap().to_string())
        .collect()
}

/// A partner in the CSA program only.
async fn csa_partner(gw: &Gateway) -> (String, String) {
    let (token, org) = gw.customer(&unique_email("csa"), "CSA Partner").await;
    let joined = gw.post(&format!("/v1/orgs/{org}/programs"), &token, json!({"program": "CSA"})).await;
    assert_eq!(joined.status, 201, "{}", joined.text);
    (token, org)
}

async fn audit_actions(gw: &Gateway, org: &str, token: &str) -> Vec<Value> {
    let log = gw.get(&format!("/v1/orgs/{org}/audit-log?limit=100"), token).await;
    assert_eq!(log.status, 200, "{}", log.text);
    log.body["items"].as_array().cloned().unwrap_or_default()
}

#[tokio::test]
async fn csp_partners_link_domains_to_connected_customers_until_the_connection_goes() {
    let gw = Gateway::start().await;
    let (p_token, p) = gw.partner(&unique_email("csp"), "CSP Partner").await;
    let (c_token, c) = gw.connected_customer(&p_token, &p, &unique_email("c")).await;
    let (_, unconnected) = gw.customer(&unique_email("u"), "Unconnected").await;
    let (a_token, a) = csa_partner(&gw).await;
    let (n_token, n) = gw.customer(&unique_email("n"), "No badge").await;
    let custom = gw.custom_admin(&p, &unique_email("custom"), vec![Permission::CustomerDashboardView]).await;

    let domain = format!("/v1/orgs/{p}/federated-domains/SSO.Example.COM");
    let added = put(&gw, &domain, &p_token, None).await;
    assert_eq!(added.status, 201, "{}", added.text);
    assert_eq!(
        (added.body["domain"].clone(), added.body["partner_id"].clone()),
        (json!("sso.example.com"), json!(p))
    );
    let again = put(&gw, &format!("/v1/orgs/{p}/federated-domains/sso.example.com"), &p_token, None).await;
    assert_eq!(
        (again.status.as_u16(), again.body["created_at"].clone()),
        (200, added.body["created_at"].clone())
    );
    // The partner's list names it once; a custom admin with the dashboard may read it.
    for token in [&p_token, &custom] {
        let listed = gw.get(&format!("/v1/orgs/{p}/federated-domains"), token).await;
        assert_eq!(listed.status, 200, "{}", listed.text);
        let names: Vec<&str> =
            listed.body["items"].as_array().unwrap().iter().filter_map(|d| d["domain"].as_str()).collect();
        assert_eq!(names, ["sso.example.com"]);
    }
    let listed_by_csa = gw.get(&format!("/v1/orgs/{a}/federated-domains"), &a_token).await;
    assert_eq!(status(&listed_by_csa), (403, "forbidden"), "a CSA partner has no federated domains");

    let link = format!("/v1/orgs/{p}/federated-domains/sso.example.com/customers/{c}");
    let long = format!("{}.com", vec!["a".repeat(63); 4].join("."));
    let before = gw.settled_items().await;
    let refused = [
        (
            put(&gw, &format!("/v1/orgs/{p}/federated-domains/bad_domain.com"), &p_token, None).await,
            (400, "invalid_request"),
        ),
        (
            put(&gw, &format!("/v1/orgs/{p}/federated-domains/{long}"), &p_token, None).await,
            (400, "invalid_request"),
        ),
        (
            put(&gw, &format!("/v1/orgs/{p}/federated-domains/localhost"), &p_token, None).await,
            (400, "invalid_request"),
        ),
        (
            put(&gw, &format!("/v1/orgs/{a}/federated-domains/csa.example.com"), &a_token, None).await,
            (403, "forbidden"),
        ),
        (
            put(&gw, &format!("/v1/orgs/{n}/federated-domains/n.example.com"), &n_token, None).await,
            (403, "not_a_partner"),
        ),
        (
            put(&gw, &format!("/v1/orgs/{p}/federated-domains/x.example.com"), &custom, None).await,
            (403, "forbidden"),
        ),
        (
            put(&gw, &format!("/v1/orgs/{p}/federated-domains/x.example.com"), &c_token, None).await,
            (404, "not_found"),
        ),
        (put(&gw, &link, &custom, None).await, (403, "forbidden")),
        (put(&gw, &link, &c_token, None).await, (404, "not_found")),
        (
            put(
                &gw,
                &format!("/v1/orgs/{p}/federated-domains/sso.example.com/customers/{unconnected}"),
                &p_token,
                None,
            )
            .await,
            (404, "not_found"),
        ),
        (
            put(
                &gw,
                &format!("/v1/orgs/{p}/federated-domains/other.example.com/customers/{c}"),
                &p_token,
                None,
            )
            .await,
            (404, "not_found"),
        ),
        (delete(&gw, &link, &p_token).await, (404, "not_found")),
    ];
    for (n, (answer, want)) in refused.iter().enumerate() {
        assert_eq!(status(answer), *want, "case {n}: {}", answer.text);
    }
    assert_eq!(gw.items().await.len(), before.len(), "no refused write changed anything");
    assert!(access(&gw, &c, &c_token).await.is_empty());

    // Linked: the customer's workspace accepts it; linking again changes nothing.
    assert_eq!(put(&gw, &link, &p_token, None).await.status, 204);
    assert_eq!(access(&gw, &c, &c_token).await, ["sso.example.com"]);
    assert_eq!(access(&gw, &c, &p_token).await, ["sso.example.com"], "the connected partner reads it");
    let before = gw.items().await.len();
    assert_eq!(put(&gw, &link, &p_token, None).await.status, 204);
    assert_eq!(gw.items().await.len(), before);
    assert_eq!(
        status(&gw.get(&format!("/v1/orgs/{c}/workspace-access"), &a_token).await),
        (404, "not_found")
    );

    // Unlinked: gone the moment it is removed.
    assert_eq!(delete(&gw, &link, &p_token).await.status, 204);
    assert!(access(&gw, &c, &c_token).await.is_empty());
    let actions: Vec<Value> = audit_actions(&gw, &c, &c_token).await;
    let linked = actions.iter().find(|e| e["action"] == "domain.linked").expect("domain.linked");
    assert_eq!(linked["actor"]["partner_id"], p.as_str());
    assert_eq!(linked["target"], "sso.example.com");
    assert!(actions.iter().any(|e| e["action"] == "domain.unlinked"));

    // Removing the connection unlinks every domain of the partner in the same moment.
    put(&gw, &format!("/v1/orgs/{p}/federated-domains/vpn.example.com"), &p_token, None).await;
    assert_eq!(put(&gw, &link, &p_token, None).await.status, 204);
    let second = format!("/v1/orgs/{p}/federated-domains/vpn.example.com/customers/{c}");
    assert_eq!(put(&gw, &second, &p_token, None).await.status, 204);
    assert_eq!(access(&gw, &c, &c_token).await, ["sso.example.com", "vpn.example.com"]);
    assert_eq!(delete(&gw, &format!("/v1/orgs/{c}/partners/{p}"), &c_token).await.status, 204);
    assert!(access(&gw, &c, &c_token).await.is_empty());
    let removed = audit_actions(&gw, &c, &c_token)
        .await
        .into_iter()
        .find(|e| e["action"] == "connection.removed")
        .expect("connection.removed");
    assert_eq!(removed["detail"]["unlinked_domains"], json!(["sso.example.com", "vpn.example.com"]));
    assert_eq!(status(&put(&gw, &link, &p_token, None).await), (404, "not_found"), "no longer connected");
}

#[tokio::test]
async fn themes_are_for_single_tenant_orgs_set_by_their_admins_or_csp_partner() {
    let gw = Gateway::start().await;
    let (p_token, p) = gw.partner(&unique_email("csp"), "CSP Partner").await;
    let (c_token, c) = gw.connected_customer(&p_token, &p, &unique_email("c")).await;
    let (a_token, a) = csa_partner(&gw).await;
    let code = gw.invite_code(&a_token, &a).await;
    assert_eq!(gw.accept(&c_token, &code, &c).await.status, 201, "C is connected to the CSA partner too");
    let (stranger, _) = gw.customer(&unique_email("s"), "Stranger").await;
    let c_custom = gw.custom_admin(&c, &unique_email("cc"), vec![Permission::ServicesManage]).await;
    let added = gw
        .post(
            &format!("/v1/orgs/{p}/customers"),
            &p_token,
            json!({"company_name": "Multi Co", "contact_email": unique_email("multi")}),
        )
        .await;
    assert_eq!(added.status, 201, "{}", added.text);
    let multi = added.body["customer"]["org_id"].as_str().unwrap().to_string();

    let theme =
        json!({"name": "Blue", "primary_color": "#0A5FB4", "logo_url": "https://cdn.example.com/logo.png"});
    let path = format!("/v1/orgs/{c}/workspace-theme");
    let before = gw.settled_items().await;
    let with = |field: &str, value: Value| {
        let mut body = theme.clone();
        body[field] = value;
        body
    };
    let refused = [
        (
            put(&gw, &path, &c_token, Some(with("primary_color", json!("blue")))).await,
            (400, "invalid_request"),
        ),
        (
            put(&gw, &path, &c_token, Some(with("primary_color", json!("#0A5FB")))).await,
            (400, "invalid_request"),
        ),
        (
            put(&gw, &path, &c_token, Some(with("logo_url", json!("http://cdn.example.com/l.png")))).await,
            (400, "invalid_request"),
        ),
        (
            put(&gw, &path, &c_token, Some(with("logo_url", json!("javascript:alert(1)")))).await,
            (400, "invalid_request"),
        ),
        (put(&gw, &path, &c_token, Some(with("name", json!("")))).await, (400, "invalid_request")),
        (put(&gw, &path, &c_token, Some(json!({"name": "x"}))).await, (400, "invalid_request")),
        (put(&gw, &path, &c_custom, Some(theme.clone())).await, (403, "forbidden")),
        (put(&gw, &path, &a_token, Some(theme.clone())).await, (403, "forbidden")),
        (put(&gw, &path, &stranger, Some(theme.clone())).await, (404, "not_found")),
        (
            put(&gw, &format!("/v1/orgs/{multi}/workspace-theme"), &p_token, Some(theme.clone())).await,
            (422, "single_tenant_only"),
        ),
    ];
    for (n, (answer, want)) in refused.iter().enumerate() {
        assert_eq!(status(answer), *want, "case {n}: {}", answer.text);
    }
    assert_eq!(gw.items().await.len(), before.len(), "no refused write changed anything");

    let unset = gw.get(&path, &c_token).await;
    assert_eq!(status(&unset), (404, "not_found"), "no theme yet: {}", unset.text);
    let own = put(&gw, &path, &c_token, Some(theme.clone())).await;
    assert_eq!(own.status, 200, "{}", own.text);
    assert_eq!(
        (own.body["name"].clone(), own.body["primary_color"].clone()),
        (json!("Blue"), json!("#0A5FB4"))
    );
    let by_partner = put(&gw, &path, &p_token, Some(with("name", json!("Partner blue")))).await;
    assert_eq!((by_partner.status.as_u16(), by_partner.body["name"].clone()), (200, json!("Partner blue")));
    // Both the org's admins and its connected partner read the theme in force.
    for token in [&c_token, &p_token] {
        let read = gw.get(&path, token).await;
        assert_eq!((read.status.as_u16(), read.body["name"].clone()), (200, json!("Partner blue")));
    }
    assert_eq!(status(&gw.get(&path, &stranger).await), (404, "not_found"));
    let changes: Vec<Value> = audit_actions(&gw, &c, &c_token)
        .await
        .into_iter()
        .filter(|e| e["action"] == "theme.changed")
        .collect();
    assert_eq!(changes.len(), 2);
    assert_eq!(changes[0]["actor"]["partner_id"], p.as_str(), "newest first: the partner's change");
    assert!(changes[1]["actor"].get("partner_id").is_none());
}
