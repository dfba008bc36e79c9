//! The SD-WAN Orchestrator onboarding walk, end to end through the local gateway, as
//! the README's guided tour tells it.

use partner_hub_tests::Gateway;
use reqwest::Method;
use serde_json::{json, Value};

#[tokio::test]
async fn a_partner_onboards_a_customer_to_sdwan_orchestrator() {
    let gw = Gateway::start().await;
    let stamp = uuid::Uuid::new_v4().simple().to_string();
    let partner_email = format!("ada-{stamp}@reseller.example.com");
    let customer_email = format!("grace-{stamp}@customer.example.com");

    // 1. A partner signs up and joins a program.
    let (partner_token, partner) = gw.partner(&partner_email, "Reseller Networks").await;

    // 2. It provisions "Resell SD-WAN", its own SD-WAN Orchestrator provider account.
    let resell = gw
        .post(
            &format!("/v1/orgs/{partner}/services"),
            &partner_token,
            json!({"service": "sdwan-orchestrator", "kind": "resell"}),
        )
        .await;
    assert_eq!(resell.status, 201, "{}", resell.text);
    assert_eq!(
        (resell.body["kind"].clone(), resell.body["status"].clone()),
        (json!("resell"), json!("active"))
    );

    // 3. Its SD-WAN provider dashboard has no customers yet.
    let sdwan_dashboard = format!("/v1/orgs/{partner}/customers?service=sdwan-orchestrator");
    assert_eq!(gw.get(&sdwan_dashboard, &partner_token).await.body["items"], json!([]));

    // 4. A customer signs up, opens the partner's invitation link and accepts.
    let (customer_token, customer) = gw.customer(&customer_email, "Customer Retail").await;
    let link = gw.get(&format!("/v1/orgs/{partner}/invite-link"), &partner_token).await;
    let code = link.body["code"].as_str().unwrap().to_string();
    let opened = gw.send(Method::GET, &format!("/invite/{code}"), None, None).await;
    assert_eq!(opened.body["partner"]["name"], "Reseller Networks");
    assert_eq!(gw.accept(&customer_token, &code, &customer).await.status, 201);

    // 5. The customer invites the partner's admin as a full administrator.
    let invited = gw
        .post(
            &format!("/v1/orgs/{customer}/admin-invitations"),
            &customer_token,
            json!({"email": partner_email, "access": "full"}),
        )
        .await;
    assert_eq!(invited.status, 201, "{}", invited.text);
    assert_eq!(invited.body["status"], "pending");

    // 6. The partner accepts from the emailed link: access through the partner, which
    //    ends with the connection.
    let token = gw.admin_invitation_token(&partner_email, 1).await;
    let accepted = gw.post(&format!("/v1/admin-invitations/{token}/accept"), &partner_token, json!({})).await;
    assert_eq!(accepted.status, 200, "{}", accepted.text);
    assert_eq!(
        accepted.body,
        json!({"org_id": customer, "access": "full", "permissions": [], "granted_via": {"partner_id": partner}})
    );

    // 7. The partner adds SD-WAN Orchestrator to the customer.
    let added = gw
        .post(
            &format!("/v1/orgs/{customer}/services"),
            &partner_token,
            json!({"service": "sdwan-orchestrator", "kind": "trial"}),
        )
        .await;
    assert_eq!(added.status, 201, "{}", added.text);
    assert_eq!(added.body["status"], "trial_active");

    // 8. The SD-WAN provider dashboard now lists the customer...
    let dashboard = gw.get(&sdwan_dashboard, &partner_token).await;
    let rows = dashboard.body["items"].as_array().unwrap();
    assert_eq!(rows.len(), 1);
    assert_eq!(rows[0]["org_id"], customer.as_str());
    assert_eq!(rows[0]["services"], json!([{"service": "sdwan-orchestrator", "status": "trial_active"}]));
    // ...and the customer's own entitlements show the service.
    let own = gw.get(&format!("/v1/orgs/{customer}/entitlements"), &customer_token).await;
    let services: Vec<&Value> = own.body["items"].as_array().unwrap().iter().map(|e| &e["service"]).collect();
    assert_eq!(services, vec!["sdwan-orchestrator"]);
    // The customer was told.
    let mail = gw.wait_for_emails(&customer_email, 1).await;
    assert!(mail
        .iter()
        .any(|m| m["subject"].as_str().unwrap_or_default().contains("SD-WAN Orchestrator was added")));
}
