//! Support tickets (the dashboard's exact `open_support_tickets`, the customer's
//! notification, the audit log) and the partner's cap awareness (`remaining`, one
//! `CustomerLimitNear` at the 90th customer however many connect at once).

use partner_hub::domain::Permission;
use partner_hub_tests::{Answer, Gateway};
use serde_json::{json, Value};

fn unique_email(name: &str) -> String {
    format!("{name}-{}@example.com", uuid::Uuid::new_v4().simple())
}

fn status(answer: &Answer) -> (u16, &str) {
    (answer.status.as_u16(), answer.error_code())
}

/// The dashboard row of `customer`.
async fn row(gw: &Gateway, partner: &str, token: &str, customer: &str) -> Value {
    let dashboard = gw.get(&format!("/v1/orgs/{partner}/customers"), token).await;
    assert_eq!(dashboard.status, 200, "{}", dashboard.text);
    dashboard.body["items"]
        .as_array()
        .unwrap()
        .iter()
        .find(|r| r["org_id"] == customer)
        .cloned()
        .expect("the customer's row")
}

#[tokio::test]
async fn tickets_open_and_close_with_the_dashboard_counting_them_exactly() {
    let gw = Gateway::start().await;
    let (partner_token, partner) = gw.partner(&unique_email("partner"), "Partner").await;
    let customer_email = unique_email("customer");
    let (customer_token, customer) = gw.connected_customer(&partner_token, &partner, &customer_email).await;
    let tickets = format!("/v1/orgs/{customer}/support-tickets");

    assert_eq!(row(&gw, &partner, &partner_token, &customer).await["open_support_tickets"], 0);
    let first = gw.post(&tickets, &customer_token, json!({"subject": "VPN drops", "severity": "high"})).await;
    assert_eq!(first.status, 201, "{}", first.text);
    assert_eq!(first.body["status"], "open");
    assert_eq!(first.body["severity"], "high");
    assert_eq!(first.body["subject"], "VPN drops");
    assert_eq!(first.body["opened_by"], customer_email.as_str());
    assert!(first.body["created_at"].is_string());
    // The dashboard counts it the moment it is open.
    assert_eq!(row(&gw, &partner, &partner_token, &customer).await["open_support_tickets"], 1);
    let second = gw.post(&tickets, &customer_token, json!({"subject": "Invoices"})).await;
    assert_eq!((second.status.as_u16(), second.body["severity"].clone()), (201, json!("normal")));
    assert_eq!(row(&gw, &partner, &partner_token, &customer).await["open_support_tickets"], 2);

    // Newest first; the connected partner's admin reads them.
    let list = gw.get(&tickets, &partner_token).await;
    assert_eq!(list.status, 200, "{}", list.text);
    let ids: Vec<&str> =
        list.body["items"].as_array().unwrap().iter().map(|t| t["ticket_id"].as_str().unwrap()).collect();
    assert_eq!(ids, [second.body["ticket_id"].as_str().unwrap(), first.body["ticket_id"].as_str().unwrap()]);

    // Close one: 200 closed; the counter follows; closing again changes nothing.
    let first_id = first.body["ticket_id"].as_str().unwrap();
    let close = format!("{tickets}/{first_id}/close");
    let closed = gw.post(&close, &customer_token, json!({})).await;
    assert_eq!(closed.status, 200, "{}", closed.text);
    assert_eq!(closed.body["status"], "closed");
    assert!(closed.body["closed_at"].is_string());
    assert_eq!(row(&gw, &partner, &partner_token, &customer).await["open_support_tickets"], 1);
    let before = gw.settled_items().await;
    let again = gw.post(&close, &customer_token, json!({})).await;
    assert_eq!(again.status, 200, "{}", again.text);
    assert_eq!(again.body, closed.body, "closing a closed ticket answers it unchanged");
    assert_eq!(gw.items().await.len(), before.len(), "and writes nothing (no second audit entry)");
    assert_eq!(row(&gw, &partner, &partner_token, &customer).await["open_support_tickets"], 1);

    // ?status= filters.
    let open = gw.get(&format!("{tickets}?status=open"), &customer_token).await;
    assert_eq!(open.body["items"].as_array().unwrap().len(), 1);
    assert_eq!(open.body["items"][0]["ticket_id"], second.body["ticket_id"]);
    let done = gw.get(&format!("{tickets}?status=closed"), &customer_token).await;
    assert_eq!(done.body["items"][0]["ticket_id"], first_id);
    assert_eq!(
        status(&gw.get(&format!("{tickets}?status=maybe"), &customer_token).await),
        (400, "invalid_request")
    );

    // The audit log records both changes, by whom.
    let log = gw.get(&format!("/v1/orgs/{customer}/audit-log"), &customer_token).await;
    let entries = log.body["items"].as_array().unwrap();
    let opened: Vec<&Value> = entries.iter().filter(|e| e["action"] == "ticket.opened").collect();
    let closed_entries: Vec<&Value> = entries.iter().filter(|e| e["action"] == "ticket.closed").collect();
    assert_eq!((opened.len(), closed_entries.len()), (2, 1));
    assert_eq!(closed_entries[0]["target"], first_id);
    assert_eq!(closed_entries[0]["actor"]["email"], customer_email.as_str());

    // The customer is notified, so the partner's feed of customers' notifications shows it.
    let notes = gw.notifications_of_type(&customer, &customer_token, "support_ticket_opened", 2).await;
    assert_eq!(notes.len(), 2);
    let feed = gw
        .get(&format!("/v1/orgs/{partner}/customer-notifications?customer_id={customer}"), &partner_token)
        .await;
    assert!(
        feed.body["items"].as_array().unwrap().iter().any(|n| n["type"] == "support_ticket_opened"),
        "{}",
        feed.text
    );
    gw.wait_for_emails(&customer_email, 1).await;
}

#[tokio::test]
async fn refused_ticket_writes_change_nothing() {
    let gw = Gateway::start().await;
    let (partner_token, partner) = gw.partner(&unique_email("partner"), "Partner").await;
    let (customer_token, customer) =
        gw.connected_customer(&partner_token, &partner, &unique_email("c")).await;
    let (stranger_token, _) = gw.customer(&unique_email("stranger"), "Stranger").await;
    let tickets = format!("/v1/orgs/{customer}/support-tickets");
    let opened = gw.post(&tickets, &customer_token, json!({"subject": "Help"})).await;
    assert_eq!(opened.status, 201, "{}", opened.text);
    let close = format!("{tickets}/{}/close", opened.body["ticket_id"].as_str().unwrap());
    let viewer =
        gw.custom_admin(&partner, &unique_email("viewer"), vec![Permission::CustomerDashboardView]).await;
    let licensing =
        gw.custom_admin(&partner, &unique_email("licensing"), vec![Permission::LicensingView]).await;
    let before = gw.settled_items().await;

    let refused = [
        // Partners read; they do not write.
        (gw.post(&tickets, &partner_token, json!({"subject": "From the partner"})).await, (404, "not_found")),
        (gw.post(&close, &partner_token, json!({})).await, (404, "not_found")),
        (gw.post(&tickets, &stranger_token, json!({"subject": "x"})).await, (404, "not_found")),
        (gw.post(&tickets, &customer_token, json!({"subject": " "})).await, (400, "invalid_request")),
        (
            gw.post(&tickets, &customer_token, json!({"subject": "x".repeat(201)})).await,
            (400, "invalid_request"),
        ),
        (
            gw.post(&tickets, &customer_token, json!({"subject": "x", "severity": "urgent"})).await,
            (400, "invalid_request"),
        ),
        (
            gw.post(&tickets, &customer_token, json!({"subject": "x", "extra": 1})).await,
            (400, "invalid_request"),
        ),
        (
            gw.post(&format!("{tickets}/{}/close", uuid::Uuid::new_v4()), &customer_token, json!({})).await,
            (404, "not_found"),
        ),
        (
            gw.post(&format!("{tickets}/not-a-uuid/close"), &customer_token, json!({})).await,
            (404, "not_found"),
        ),
        (
            gw.post("/v1/orgs/12345678/support-tickets", &customer_token, json!({"subject": "x"})).await,
            (404, "not_found"),
        ),
    ];
    for (n, (answer, want)) in refused.iter().enumerate() {
        assert_eq!(status(answer), *want, "case {n}: {}", answer.text);
    }
    assert_eq!(gw.settled_items().await.len(), before.len(), "no refused write changed anything");
    let list = gw.get(&tickets, &customer_token).await;
    assert_eq!(list.body["items"].as_array().unwrap().len(), 1);
    assert_eq!(list.body["items"][0]["status"], "open");
    assert_eq!(row(&gw, &partner, &partner_token, &customer).await["open_support_tickets"], 1);

    // Reading: the customer, the partner's full admins and customer-dashboard.view.
    assert_eq!(gw.get(&tickets, &viewer).await.status, 200);
    assert_eq!(status(&gw.get(&tickets, &licensing).await), (403, "forbidden"));
    assert_eq!(status(&gw.get(&tickets, &stranger_token).await), (404, "not_found"));
    // A partner that is no longer connected reads nothing.
    let removed = gw
        .send(
            reqwest::Method::DELETE,
            &format!("/v1/orgs/{customer}/partners/{partner}"),
            Some(&customer_token),
            None,
        )
        .await;
    assert_eq!(removed.status, 204, "{}", removed.text);
    assert_eq!(status(&gw.get(&tickets, &partner_token).await), (404, "not_found"));
}

async fn outbox_kinds(gw: &Gateway, kind: &str) -> usize {
    gw.items()
        .await
        .iter()
        .filter(|item| {
            item.get("entity").and_then(|v| v.as_s().ok()).map(String::as_str) == Some("Notification")
                && item.get("type").and_then(|v| v.as_s().ok()).map(String::as_str) == Some(kind)
        })
        .count()
}

/// Many customers connecting at once across the 90th: exactly one CustomerLimitNear,
/// decided inside the connecting transactions. (The counter starts at 80 as if 80
/// customers were connected: what is tested is the move across 89 → 90.)
#[tokio::test]
async fn the_90th_customer_tells_the_partner_once_however_many_connect_at_once() {
    let gw = Gateway::start().await;
    let partner_email = unique_email("partner");
    let (partner_token, partner) = gw.partner(&partner_email, "Partner").await;
    let code = gw.invite_code(&partner_token, &partner).await;
    gw.set_customer_count(&partner, 80).await;
    let dashboard = gw.get(&format!("/v1/orgs/{partner}/customers"), &partner_token).await;
    assert_eq!(
        (dashboard.body["count"].clone(), dashboard.body["remaining"].clone()),
        (json!(80), json!(20))
    );

    let mut customers = Vec::new();
    for n in 0..16 {
        customers.push(gw.customer(&unique_email(&format!("c{n}")), &format!("Customer {n}")).await);
    }
    let answers = futures::future::join_all(
        customers.iter().map(|(token, customer)| gw.accept(token, &code, customer)),
    )
    .await;
    assert!(
        answers.iter().all(|a| a.status == 201),
        "{:?}",
        answers.iter().map(|a| &a.text).collect::<Vec<_>>()
    );
    let dashboard = gw.get(&format!("/v1/orgs/{partner}/customers"), &partner_token).await;
    assert_eq!((dashboard.body["count"].clone(), dashboard.body["remaining"].clone()), (json!(96), json!(4)));

    let notes = gw.notifications_of_type(&partner, &partner_token, "customer_limit_near", 1).await;
    assert_eq!(notes.len(), 1, "{notes:?}");
    gw.settled_items().await;
    assert_eq!(outbox_kinds(&gw, "customer_limit_near").await, 1, "exactly one, however many raced");
    let mails: Vec<Value> = gw
        .wait_for_emails(&partner_email, 1)
        .await
        .into_iter()
        .filter(|m| m["subject"].as_str().unwrap_or("").contains("customer limit"))
        .collect();
    assert_eq!(mails.len(), 1);

    // Dropping below 90 and crossing again tells nothing more: it is once per partner.
    gw.set_customer_count(&partner, 89).await;
    gw.connected_customer(&partner_token, &partner, &unique_email("again")).await;
    gw.settled_items().await;
    assert_eq!(outbox_kinds(&gw, "customer_limit_near").await, 1);
}

/// "Add a customer" counts in the same way.
#[tokio::test]
async fn adding_the_90th_customer_tells_the_partner_too() {
    let gw = Gateway::start().await;
    let (partner_token, partner) = gw.partner(&unique_email("partner"), "Partner").await;
    gw.set_customer_count(&partner, 88).await;
    for n in 0..2 {
        let added = gw
            .post(
                &format!("/v1/orgs/{partner}/customers"),
                &partner_token,
                json!({"company_name": format!("Added {n}"), "contact_email": unique_email("contact")}),
            )
            .await;
        assert_eq!(added.status, 201, "{}", added.text);
    }
    let notes = gw.notifications_of_type(&partner, &partner_token, "customer_limit_near", 1).await;
    assert_eq!(notes.len(), 1);
    assert!(notes[0]["body"].as_str().unwrap().contains("10 places remain"), "{}", notes[0]);
    let dashboard = gw.get(&format!("/v1/orgs/{partner}/customers"), &partner_token).await;
    assert_eq!(dashboard.body["remaining"], 10);
}
