//! Events on the bus, the notify function, in-app notifications and email.

use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::Arc;

use partner_hub::domain::{Notification, OrgId};
use partner_hub_tests::proxy::{outage, Proxy};
use partner_hub_tests::Gateway;
use reqwest::Method;
use serde_json::{json, Value};

fn unique_email(name: &str) -> String {
    format!("{name}-{}@example.com", uuid::Uuid::new_v4().simple())
}

async fn wait_for_notifications(gw: &Gateway, token: &str, org: &str, count: usize) -> Vec<Value> {
    for _ in 0..100 {
        let list = gw.get(&format!("/v1/orgs/{org}/notifications"), token).await;
        let items = list.body["items"].as_array().cloned().unwrap_or_default();
        if items.len() >= count {
            return items;
        }
        tokio::time::sleep(std::time::Duration::from_millis(100)).await;
    }
    panic!("org {org} did not get {count} notification(s)")
}

#[tokio::test]
async fn a_new_connection_notifies_the_partner_in_app_and_by_email() {
    let gw = Gateway::start().await;
    let partner_email = unique_email("partner");
    let (partner_token, partner) = gw.partner(&partner_email, "Partner").await;
    let (_, customer) = gw.connected_customer(&partner_token, &partner, &unique_email("c")).await;

    let mail = gw.wait_for_emails(&partner_email, 1).await;
    assert!(mail[0]["subject"].as_str().unwrap().starts_with("New customer"));
    assert!(mail[0]["text"].as_str().unwrap().contains(&customer));
    let notes = wait_for_notifications(&gw, &partner_token, &partner, 1).await;
    assert_eq!(notes[0]["type"], "connection_created");
    assert_eq!(notes[0]["customer_id"], customer.as_str());
    assert!(
        notes[0]["notification_id"].is_string()
            && notes[0]["title"].is_string()
            && notes[0]["body"].is_string()
    );
}

#[tokio::test]
async fn removals_notify_the_other_side() {
    let gw = Gateway::start().await;
    let partner_email = unique_email("partner");
    let customer_email = unique_email("customer");
    let (partner_token, partner) = gw.partner(&partner_email, "Partner").await;
    let (customer_token, customer) = gw.connected_customer(&partner_token, &partner, &customer_email).await;
    gw.wait_for_emails(&partner_email, 1).await;

    let removed = gw
        .send(Method::DELETE, &format!("/v1/orgs/{partner}/customers/{customer}"), Some(&partner_token), None)
        .await;
    assert_eq!(removed.status, 204);
    let mail = gw.wait_for_emails(&customer_email, 1).await;
    assert!(mail[0]["subject"].as_str().unwrap().contains("removed the connection"));
    let notes = wait_for_notifications(&gw, &customer_token, &customer, 1).await;
    assert_eq!(notes[0]["type"], "connection_removed");

    let code = gw.invite_code(&partner_token, &partner).await;
    assert_eq!(gw.accept(&customer_token, &code, &customer).await.status, 201);
    gw.wait_for_emails(&partner_email, 2).await;
    let left = gw
        .send(Method::DELETE, &format!("/v1/orgs/{customer}/partners/{partner}"), Some(&customer_token), None)
        .await;
    assert_eq!(left.status, 204);
    let mail = gw.wait_for_emails(&partner_email, 3).await;
    assert!(mail[2]["subject"].as_str().unwrap().contains("removed your partner connection"));
    let notes = wait_for_notifications(&gw, &partner_token, &partner, 3).await;
    assert_eq!(notes[0]["type"], "connection_removed", "newest first");
}

#[tokio::test]
async fn emailing_the_link_sends_it_with_the_message_and_is_limited_per_hour() {
    let gw = Gateway::start().await;
    let (token, partner) = gw.partner(&unique_email("partner"), "Link Sender <b>").await;
    let link = gw.get(&format!("/v1/orgs/{partner}/invite-link"), &token).await.body["url"]
        .as_str()
        .unwrap()
        .to_string();
    let to = unique_email("prospect");
    let sent = gw
        .post(
            &format!("/v1/orgs/{partner}/invite-link/emails"),
            &token,
            json!({"email": to, "message": "Hi <there>, join us"}),
        )
        .await;
    assert_eq!(sent.status, 202, "{}", sent.text);
    assert_eq!(sent.body, json!({"email": to}));
    let mail = gw.wait_for_emails(&to, 1).await;
    let text = mail[0]["text"].as_str().unwrap();
    assert!(text.contains(&link) && text.contains("Hi <there>, join us"), "{text}");
    let html = mail[0]["html"].as_str().unwrap();
    assert!(html.contains("Hi &lt;there&gt;") && html.contains("Link Sender &lt;b&gt;"));

    for n in 1..50 {
        let answer = gw
            .post(
                &format!("/v1/orgs/{partner}/invite-link/emails"),
                &token,
                json!({"email": format!("n{n}@example.com")}),
            )
            .await;
        assert_eq!(answer.status, 202, "email {n}: {}", answer.text);
    }
    let limited = gw
        .post(
            &format!("/v1/orgs/{partner}/invite-link/emails"),
            &token,
            json!({"email": "one-more@example.com"}),
        )
        .await;
    assert_eq!((limited.status.as_u16(), limited.error_code()), (429, "rate_limited"));
    let retry_after: u64 = limited.headers["retry-after"].to_str().unwrap().parse().unwrap();
    assert!(retry_after > 0 && retry_after <= 3600);
    // Another partner has its own hour.
    let (other_token, other) = gw.partner(&unique_email("other"), "Other").await;
    let answer = gw
        .post(
            &format!("/v1/orgs/{other}/invite-link/emails"),
            &other_token,
            json!({"email": "x@example.com"}),
        )
        .await;
    assert_eq!(answer.status, 202);
}

#[tokio::test]
async fn a_repeated_event_makes_no_second_notification_or_email() {
    let gw = Gateway::start().await;
    let partner_email = unique_email("partner");
    let (partner_token, partner) = gw.partner(&partner_email, "Partner").await;
    let (_, customer) = gw.customer(&unique_email("c"), "Customer").await;
    let app = partner_hub::App::new(&gw.sdk, gw.config.clone());
    // As Lambda hands it over: the rule's JSON read into the handler's typed event.
    let event = serde_json::from_value(json!({
        "version": "0", "id": uuid::Uuid::new_v4().to_string(), "detail-type": "ConnectionCreated",
        "source": "partnerhub", "account": "000000000000", "time": "2026-11-21T10:00:00Z", "region": "us-east-1",
        "resources": [],
        "detail": {"partner_id": partner, "customer_id": customer, "origin": "invite",
                   "event_id": uuid::Uuid::new_v4().to_string(), "occurred_at": "2026-11-21T10:00:00Z"}
    }))
    .unwrap();
    let first = notify::handle(&app, Clone::clone(&event)).await.unwrap();
    let second = notify::handle(&app, event).await.unwrap();
    assert_eq!(first, json!({"notifications": 1, "emails": 1}));
    assert_eq!(second, json!({"notifications": 0, "emails": 0}));
    tokio::time::sleep(std::time::Duration::from_millis(300)).await;
    assert_eq!(gw.emails_to(&partner_email).await.len(), 1);
    let notes = gw.get(&format!("/v1/orgs/{partner}/notifications"), &partner_token).await;
    assert_eq!(notes.body["items"].as_array().unwrap().len(), 1);
}

#[tokio::test]
async fn an_event_whose_publishing_failed_is_published_later_by_the_relay() {
    let down = Arc::new(AtomicBool::new(true));
    let moto = std::env::var("AWS_ENDPOINT_URL_EVENTBRIDGE").unwrap();
    let proxy = Proxy::start(&moto, outage(Arc::clone(&down))).await;
    let proxy_url = proxy.url.clone();
    let gw = Gateway::start_with(move |sdk, config| {
        let events = aws_sdk_eventbridge::Client::from_conf(
            aws_sdk_eventbridge::config::Builder::from(sdk)
                .endpoint_url(proxy_url)
                .retry_config(aws_config::retry::RetryConfig::disabled())
                .build(),
        );
        partner_hub::App::from_clients(
            config,
            aws_sdk_dynamodb::Client::new(sdk),
            events,
            aws_sdk_sesv2::Client::new(sdk),
            partner_hub_tests::s3(sdk),
        )
    })
    .await;
    let partner_email = unique_email("partner");
    let (partner_token, partner) = gw.partner(&partner_email, "Partner").await;
    let (_, customer) = gw.connected_customer(&partner_token, &partner, &unique_email("c")).await;

    // The connection stands; its event waits in the outbox.
    let dashboard = gw.get(&format!("/v1/orgs/{partner}/customers"), &partner_token).await;
    assert_eq!(dashboard.body["items"][0]["org_id"], customer.as_str());
    tokio::time::sleep(std::time::Duration::from_millis(1500)).await;
    assert!(gw.emails_to(&partner_email).await.is_empty());
    let relay_while_down = gw.send(Method::POST, "/local/schedules/outbox-relay", None, None).await;
    assert_eq!(relay_while_down.status, 500);

    down.store(false, Ordering::SeqCst);
    let relayed = gw.send(Method::POST, "/local/schedules/outbox-relay", None, None).await;
    assert_eq!(relayed.status, 200, "{}", relayed.text);
    assert_eq!(relayed.body["published"], 1);
    let mail = gw.wait_for_emails(&partner_email, 1).await;
    assert!(mail[0]["text"].as_str().unwrap().contains(&customer));
    let again = gw.send(Method::POST, "/local/schedules/outbox-relay", None, None).await;
    assert_eq!(again.body["published"], 0, "published once");
}

#[tokio::test]
async fn partners_see_their_customers_notifications_and_dismiss_them_for_themselves() {
    let gw = Gateway::start().await;
    let (partner_token, partner) = gw.partner(&unique_email("partner"), "Partner").await;
    let (customer_token, customer) =
        gw.connected_customer(&partner_token, &partner, &unique_email("c")).await;
    let (_, unconnected) = gw.customer(&unique_email("u"), "Unconnected").await;
    let app = partner_hub::App::new(&gw.sdk, gw.config.clone());
    let mut ids = Vec::new();
    for (n, org) in [&customer, &customer, &unconnected].into_iter().enumerate() {
        let note = Notification {
            notification_id: uuid::Uuid::new_v4(),
            org_id: OrgId::parse(org).unwrap(),
            kind: "service_added".into(),
            title: format!("Note {n}"),
            body: "A service was added".into(),
            created_at: chrono::Utc::now() + chrono::Duration::seconds(n as i64),
            customer_id: None,
        };
        assert!(app.store.record(&note).await.unwrap());
        ids.push(note.notification_id.to_string());
    }

    let feed = gw.get(&format!("/v1/orgs/{partner}/customer-notifications"), &partner_token).await;
    assert_eq!(feed.status, 200, "{}", feed.text);
    let titles: Vec<&str> =
        feed.body["items"].as_array().unwrap().iter().map(|n| n["title"].as_str().unwrap()).collect();
    assert_eq!(titles, vec!["Note 1", "Note 0"], "newest first, connected customers only");
    assert_eq!(feed.body["items"][0]["customer_id"], customer.as_str());
    let one = gw
        .get(
            &format!("/v1/orgs/{partner}/customer-notifications?customer_id={customer}&limit=1"),
            &partner_token,
        )
        .await;
    assert_eq!(one.body["items"].as_array().unwrap().len(), 1);
    let next = one.body["next_token"].as_str().unwrap();
    let rest = gw
        .get(
            &format!("/v1/orgs/{partner}/customer-notifications?customer_id={customer}&next_token={next}"),
            &partner_token,
        )
        .await;
    assert_eq!(rest.body["items"][0]["title"], "Note 0");
    let stranger = gw
        .get(&format!("/v1/orgs/{partner}/customer-notifications?customer_id={unconnected}"), &partner_token)
        .await;
    assert_eq!(stranger.status, 404);

    let dismissed = gw
        .post(
            &format!("/v1/orgs/{partner}/customer-notifications/{}/dismiss", ids[1]),
            &partner_token,
            json!({}),
        )
        .await;
    assert_eq!(dismissed.status, 204);
    let feed = gw.get(&format!("/v1/orgs/{partner}/customer-notifications"), &partner_token).await;
    let titles: Vec<&str> =
        feed.body["items"].as_array().unwrap().iter().map(|n| n["title"].as_str().unwrap()).collect();
    assert_eq!(titles, vec!["Note 0"]);
    let own = gw.get(&format!("/v1/orgs/{customer}/notifications"), &customer_token).await;
    let own_titles: Vec<&str> =
        own.body["items"].as_array().unwrap().iter().map(|n| n["title"].as_str().unwrap()).collect();
    assert!(own_titles.contains(&"Note 1"), "the customer still sees it");
}
