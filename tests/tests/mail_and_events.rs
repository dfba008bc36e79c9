//! The SES v2 and EventBridge adapters against moto, and `/local/emails`.

use partner_hub::domain::Email;
use partner_hub::domain::EventEnvelope;
use partner_hub::events::{EntryPublisher, EventBridgePublisher};
use partner_hub::mail::OutgoingEmail;
use partner_hub_tests::{unique, Gateway};
use serde_json::{json, Value};

#[tokio::test]
async fn mail_sent_through_ses_shows_in_local_emails() {
    let gw = Gateway::start().await;
    let app = partner_hub::App::new(&gw.sdk, gw.config.clone());
    let to = format!("{}@example.com", unique("reader"));
    let email = OutgoingEmail {
        to: Email::parse(&to).unwrap(),
        subject: "Welcome to Partner Hub — ünïcödé".into(),
        text: "Hello in plain text".into(),
        html: "<p>Hello in <b>HTML</b></p>".into(),
    };
    app.mailer().expect("mailer").send(&email).await.expect("sent");

    let answer = gw.send(reqwest::Method::GET, "/local/emails", None, None).await;
    assert_eq!(answer.status, 200);
    let mine: Vec<&Value> =
        answer.body.as_array().unwrap().iter().filter(|m| m["to"] == to.as_str()).collect();
    assert_eq!(mine.len(), 1, "{}", answer.text);
    assert_eq!(mine[0]["subject"], "Welcome to Partner Hub — ünïcödé");
    assert_eq!(mine[0]["text"].as_str().unwrap().trim(), "Hello in plain text");
    assert!(mine[0]["html"].as_str().unwrap().contains("<b>HTML</b>"));
    assert!(chrono::DateTime::parse_from_rfc3339(mine[0]["sent_at"].as_str().unwrap()).is_ok());
}

#[tokio::test]
async fn published_events_reach_a_rule_target_with_id_and_time() {
    let sdk = partner_hub_tests::sdk().await;
    let bus = unique("bus");
    let events = aws_sdk_eventbridge::Client::new(&sdk);
    let sqs = aws_sdk_sqs::Client::new(&sdk);
    local_gateway::setup::create_bus(&events, &bus).await.unwrap();
    let queue = partner_hub_tests::bus_tap(&sdk, &bus, json!({"source": ["partnerhub"]})).await;

    let publisher = EventBridgePublisher::new(events.clone(), &bus);
    let envelope = EventEnvelope {
        detail_type: "ConnectionCreated".into(),
        event_id: uuid::Uuid::new_v4(),
        occurred_at: chrono::Utc::now(),
        detail: json!({"partner_id": "12345678"}).as_object().unwrap().clone(),
    };
    let refused = publisher.put_entries(std::slice::from_ref(&envelope)).await.unwrap();
    assert_eq!(refused, [None], "the bus took the event");

    let received = sqs.receive_message().queue_url(&queue).wait_time_seconds(2).send().await.unwrap();
    let body: Value = serde_json::from_str(received.messages()[0].body().unwrap()).unwrap();
    assert_eq!(body["source"], "partnerhub");
    assert_eq!(body["detail-type"], "ConnectionCreated");
    assert_eq!(body["detail"]["partner_id"], "12345678");
    assert_eq!(body["detail"]["event_id"], envelope.event_id.to_string());
    assert!(body["detail"]["occurred_at"].is_string());
}
