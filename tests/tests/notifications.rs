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

/// The messages in the outbox relay's dead-letter queue (left in place).
async fn relay_dead_letters(gw: &Gateway) -> Vec<Value> {
    let sqs = aws_sdk_sqs::Client::new(&gw.sdk);
    let name = local_gateway::bus::queue_name(&gw.config.event_bus_name, "OutboxRelayDeadLetterQueue");
    let url =
        sqs.get_queue_url().queue_name(name).send().await.expect("the dead-letter queue exists").queue_url;
    let received = sqs
        .receive_message()
        .queue_url(url.unwrap_or_default())
        .max_number_of_messages(10)
        .visibility_timeout(0)
        .wait_time_seconds(1)
        .send()
        .await
        .expect("receive");
    received.messages().iter().filter_map(|m| serde_json::from_str(m.body()?).ok()).collect()
}

#[tokio::test]
async fn an_event_whose_publishing_failed_is_published_later_from_the_stream() {
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
    // The relay runs on no schedule any more: the stream invokes it.
    let scheduled = gw.send(Method::POST, "/local/schedules/outbox-relay", None, None).await;
    assert_eq!(scheduled.status, 404, "{}", scheduled.text);
    let partner_email = unique_email("partner");
    let (partner_token, partner) = gw.partner(&partner_email, "Partner").await;
    let (_, customer) = gw.connected_customer(&partner_token, &partner, &unique_email("c")).await;

    // The connection stands; its event waits on the table's stream, where the relay
    // keeps failing against the bus and is retried.
    let dashboard = gw.get(&format!("/v1/orgs/{partner}/customers"), &partner_token).await;
    assert_eq!(dashboard.body["items"][0]["org_id"], customer.as_str());
    // The outage lasts about 1 s from here: less than the relay's retry window, which
    // locally is 5 retries (template MaximumRetryAttempts) 0.2, 0.4, 0.8, 1.6 and 2 s
    // apart (local/src/stream.rs), about 5 s, so the record is still being retried
    // when the bus is back, not given up on.
    tokio::time::sleep(std::time::Duration::from_millis(1000)).await;
    assert!(gw.emails_to(&partner_email).await.is_empty());

    down.store(false, Ordering::SeqCst);
    let mail = gw.wait_for_emails(&partner_email, 1).await;
    assert!(mail[0]["text"].as_str().unwrap().contains(&customer));
    // Once: a further retry would come within 2 s.
    tokio::time::sleep(std::time::Duration::from_millis(2500)).await;
    assert_eq!(gw.emails_to(&partner_email).await.len(), 1, "published once");
    assert!(relay_dead_letters(&gw).await.is_empty(), "nothing was given up on");
}

/// An outbox item that can never be published (its event does not decode) is retried
/// as often as the template says, then its stream record goes to the relay's
/// dead-letter queue, and the event written after it is still published.
#[tokio::test]
async fn an_outbox_item_that_never_publishes_goes_to_the_dead_letter_queue_and_blocks_nothing() {
    let gw = Gateway::start().await;
    let partner_email = unique_email("partner");
    let (_, partner) = gw.partner(&partner_email, "Partner").await;
    let (_, customer) = gw.customer(&unique_email("c"), "Customer").await;

    let broken_pk = format!("OUTBOX#{}", uuid::Uuid::new_v4());
    let s = |v: &str| aws_sdk_dynamodb::types::AttributeValue::S(v.to_string());
    let event = aws_sdk_dynamodb::types::AttributeValue::M(
        [("detail_type".to_string(), s("ConnectionCreated"))].into_iter().collect(),
    );
    aws_sdk_dynamodb::Client::new(&gw.sdk)
        .put_item()
        .table_name(gw.table())
        .item("PK", s(&broken_pk))
        .item("SK", s("OUTBOX"))
        .item("entity", s("OutboxEvent"))
        .item("event", event)
        .send()
        .await
        .unwrap();
    // Behind it on the stream: a good event, written to the outbox only (nothing
    // publishes it but the stream).
    let app = partner_hub::App::new(&gw.sdk, gw.config.clone());
    let good = partner_hub::domain::EventEnvelope {
        detail_type: "ConnectionCreated".into(),
        event_id: uuid::Uuid::new_v4(),
        occurred_at: chrono::Utc::now(),
        detail: json!({"partner_id": partner, "customer_id": customer, "origin": "invite"})
            .as_object()
            .cloned()
            .unwrap(),
    };
    app.store.append(std::slice::from_ref(&good)).await.unwrap();

    // The bad record is retried 5 times (about 5 s locally), then the good one goes.
    let mut mail = Vec::new();
    for _ in 0..200 {
        mail = gw.emails_to(&partner_email).await;
        if !mail.is_empty() {
            break;
        }
        tokio::time::sleep(std::time::Duration::from_millis(100)).await;
    }
    assert_eq!(mail.len(), 1, "the event behind the bad record is published");
    assert!(mail[0]["text"].as_str().unwrap().contains(&customer));

    let dead = relay_dead_letters(&gw).await;
    assert_eq!(dead.len(), 1, "{dead:?}");
    let info = &dead[0]["DDBStreamBatchInfo"];
    assert_eq!(dead[0]["requestContext"]["condition"], "RetryAttemptsExhausted");
    assert_eq!(dead[0]["requestContext"]["approximateInvokeCount"], 6, "the first attempt and 5 retries");
    assert_eq!(info["batchSize"], 1, "{info}");
    assert_eq!(info["startSequenceNumber"], info["endSequenceNumber"]);
    // What a replay tool does with it: the record, read back from the stream by its
    // place, is the bad item's.
    let streams = aws_sdk_dynamodbstreams::Client::new(&gw.sdk);
    let iterator = streams
        .get_shard_iterator()
        .stream_arn(info["streamArn"].as_str().unwrap())
        .shard_id(info["shardId"].as_str().unwrap())
        .shard_iterator_type(aws_sdk_dynamodbstreams::types::ShardIteratorType::AtSequenceNumber)
        .sequence_number(info["startSequenceNumber"].as_str().unwrap())
        .send()
        .await
        .unwrap()
        .shard_iterator
        .unwrap();
    let records = streams.get_records().shard_iterator(iterator).limit(1).send().await.unwrap();
    let keys = records.records()[0].dynamodb().and_then(|d| d.keys()).unwrap();
    assert_eq!(keys["PK"], aws_sdk_dynamodbstreams::types::AttributeValue::S(broken_pk));
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
