//! Orders and license allocation under the program's rules.

use partner_hub_tests::Gateway;
use serde_json::{json, Value};

fn unique_email(name: &str) -> String {
    format!("{name}-{}@example.com", uuid::Uuid::new_v4().simple())
}

/// Orders come from the commerce system's feed (scope `orders:write`).
async fn order(gw: &Gateway, partner: &str, body: Value) -> partner_hub_tests::Answer {
    gw.record_order(partner, body).await
}

async fn allocate(
    gw: &Gateway,
    token: &str,
    partner: &str,
    order_id: &str,
    target: &str,
    quantity: Value,
) -> partner_hub_tests::Answer {
    gw.post(
        &format!("/v1/orgs/{partner}/license-allocations"),
        token,
        json!({"order_id": order_id, "target_org_id": target, "quantity": quantity}),
    )
    .await
}

#[tokio::test]
async fn orders_are_idempotent_on_their_id() {
    let gw = Gateway::start().await;
    let (token, partner) = gw.partner(&unique_email("p"), "Partner").await;
    let body = json!({"order_id": "SO-1", "service": "daas", "quantity": 10, "tenancy": "multi", "placed_at": "2026-01-05T10:00:00Z"});
    let first = order(&gw, &partner, body.clone()).await;
    assert_eq!(first.status, 201, "{}", first.text);
    assert_eq!((first.body["allocated"].clone(), first.body["remaining"].clone()), (json!(0), json!(10)));
    let again = order(&gw, &partner, body.clone()).await;
    assert_eq!(again.status, 200);
    assert_eq!(again.body, first.body);
    let mut other = body.clone();
    other["quantity"] = json!(11);
    let conflict = order(&gw, &partner, other).await;
    assert_eq!((conflict.status.as_u16(), conflict.error_code()), (409, "conflict"));

    for (bad, mentions) in [
        (
            json!({"order_id": "SO-2", "service": "daas", "quantity": 0, "tenancy": "multi", "placed_at": "2026-01-05"}),
            "quantity",
        ),
        (
            json!({"order_id": "SO-2", "service": "daas", "quantity": 5, "tenancy": "shared", "placed_at": "2026-01-05"}),
            "tenancy",
        ),
        (
            json!({"order_id": "SO-2", "service": "daas", "quantity": 5, "tenancy": "multi", "placed_at": "last week"}),
            "placed_at",
        ),
        (
            json!({"order_id": "", "service": "daas", "quantity": 5, "tenancy": "multi", "placed_at": "2026-01-05"}),
            "order_id",
        ),
        (
            json!({"order_id": "SO-2", "service": "beer", "quantity": 5, "tenancy": "multi", "placed_at": "2026-01-05"}),
            "service",
        ),
    ] {
        let refused = order(&gw, &partner, bad.clone()).await;
        assert_eq!(refused.status, 400, "{bad}");
        assert!(refused.body["error"]["message"].as_str().unwrap().contains(mentions), "{}", refused.text);
    }
    let licenses = gw.get(&format!("/v1/orgs/{partner}/licenses"), &token).await;
    assert_eq!(licenses.body["items"].as_array().unwrap().len(), 1);
}

#[tokio::test]
async fn the_program_rules_hold_at_their_edges() {
    let gw = Gateway::start().await;
    let (token, partner) = gw.partner(&unique_email("p"), "Partner").await;
    let (_, customer) = gw.connected_customer(&token, &partner, &unique_email("c")).await;
    let (_, stranger) = gw.customer(&unique_email("s"), "Stranger").await;
    for (id, tenancy, placed_at) in [
        ("NEW", "multi", "2024-09-26T00:00:00Z"),
        ("OLD", "multi", "2024-09-25T23:59:59Z"),
        ("SINGLE", "single", "2023-01-01T00:00:00Z"),
    ] {
        let placed = order(&gw, &partner, json!({"order_id": id, "service": "daas", "quantity": 10, "tenancy": tenancy, "placed_at": placed_at, "customer_org_id": customer})).await;
        assert_eq!(placed.status, 201, "{}", placed.text);
    }

    let to_customer = allocate(&gw, &token, &partner, "NEW", &customer, json!(1)).await;
    assert_eq!(
        (to_customer.status.as_u16(), to_customer.error_code()),
        (422, "allocation_target_not_permitted")
    );
    assert_eq!(
        to_customer.body["error"]["message"],
        "licenses can only be allocated to the partner's own cloud account"
    );
    let to_self = allocate(&gw, &token, &partner, "NEW", &partner, json!(4)).await;
    assert_eq!(to_self.status, 201, "{}", to_self.text);
    assert_eq!(to_self.body["target_org_id"], partner.as_str());
    assert_eq!(to_self.body["quantity"], 4);

    let old_to_customer = allocate(&gw, &token, &partner, "OLD", &customer, json!(3)).await;
    assert_eq!(old_to_customer.status, 201, "{}", old_to_customer.text);
    let old_to_stranger = allocate(&gw, &token, &partner, "OLD", &stranger, json!(1)).await;
    assert_eq!((old_to_stranger.status.as_u16(), old_to_stranger.error_code()), (404, "not_found"));

    let single = allocate(&gw, &token, &partner, "SINGLE", &partner, json!(1)).await;
    assert_eq!((single.status.as_u16(), single.error_code()), (422, "customer_service_required"));

    for bad in [json!(0), json!(-2), json!(1.5), json!("3")] {
        let refused = allocate(&gw, &token, &partner, "NEW", &partner, bad.clone()).await;
        assert_eq!((refused.status.as_u16(), refused.error_code()), (400, "invalid_request"), "{bad}");
    }
    let too_many = allocate(&gw, &token, &partner, "NEW", &partner, json!(7)).await;
    assert_eq!((too_many.status.as_u16(), too_many.error_code()), (409, "insufficient_licenses"));
    let exactly_the_rest = allocate(&gw, &token, &partner, "NEW", &partner, json!(6)).await;
    assert_eq!(exactly_the_rest.status, 201);
    let unknown = allocate(&gw, &token, &partner, "NOPE", &partner, json!(1)).await;
    assert_eq!(unknown.status, 404);

    let licenses = gw.get(&format!("/v1/orgs/{partner}/licenses"), &token).await;
    let by_id = |id: &str| {
        licenses.body["items"].as_array().unwrap().iter().find(|o| o["order_id"] == id).unwrap().clone()
    };
    assert_eq!((by_id("NEW")["allocated"].clone(), by_id("NEW")["remaining"].clone()), (json!(10), json!(0)));
    assert_eq!((by_id("OLD")["allocated"].clone(), by_id("OLD")["remaining"].clone()), (json!(3), json!(7)));

    let detail = gw.get(&format!("/v1/orgs/{partner}/customers/{customer}"), &token).await;
    let orders: Vec<&str> =
        detail.body["orders"].as_array().unwrap().iter().map(|o| o["order_id"].as_str().unwrap()).collect();
    assert_eq!(orders, vec!["NEW", "OLD", "SINGLE"]);
}

#[tokio::test]
async fn fifty_racing_allocations_never_exceed_the_order() {
    let gw = Gateway::start().await;
    let (token, partner) = gw.partner(&unique_email("p"), "Partner").await;
    let placed = order(&gw, &partner, json!({"order_id": "BIG", "service": "analytics", "quantity": 100, "tenancy": "multi", "placed_at": "2026-02-01T00:00:00Z"})).await;
    assert_eq!(placed.status, 201);
    let answers = futures::future::join_all(
        (0..50).map(|_| allocate(&gw, &token, &partner, "BIG", &partner, json!(3))),
    )
    .await;
    let created = answers.iter().filter(|a| a.status == 201).count();
    let refused =
        answers.iter().filter(|a| a.status == 409 && a.error_code() == "insufficient_licenses").count();
    assert_eq!((created, refused), (33, 17));
    let licenses = gw.get(&format!("/v1/orgs/{partner}/licenses"), &token).await;
    assert_eq!(licenses.body["items"][0]["allocated"], 99);
    assert_eq!(licenses.body["items"][0]["remaining"], 1);
}

#[tokio::test]
async fn allocations_go_on_the_bus_and_strangers_change_nothing() {
    let gw = Gateway::start().await;
    let sqs = aws_sdk_sqs::Client::new(&gw.sdk);
    let queue = partner_hub_tests::bus_tap(
        &gw.sdk,
        &gw.config.event_bus_name,
        json!({"source": ["partnerhub"], "detail-type": ["LicenseAllocated"]}),
    )
    .await;

    let (token, partner) = gw.partner(&unique_email("p"), "Partner").await;
    order(&gw, &partner, json!({"order_id": "A", "service": "daas", "quantity": 5, "tenancy": "multi", "placed_at": "2026-03-01"})).await;
    let allocated = allocate(&gw, &token, &partner, "A", &partner, json!(2)).await;
    assert_eq!(allocated.status, 201);
    let received = sqs.receive_message().queue_url(&queue).wait_time_seconds(2).send().await.unwrap();
    let event: Value = serde_json::from_str(received.messages()[0].body().unwrap()).unwrap();
    assert_eq!(event["detail-type"], "LicenseAllocated");
    assert_eq!(event["detail"]["allocation_id"], allocated.body["allocation_id"]);
    assert_eq!(event["detail"]["quantity"], 2);

    let (stranger_token, _) = gw.customer(&unique_email("s"), "Stranger").await;
    let viewer = gw
        .custom_admin(&partner, &unique_email("viewer"), vec![partner_hub::domain::Permission::LicensingView])
        .await;
    let before = gw.settled_items().await.len();
    let stranger = allocate(&gw, &stranger_token, &partner, "A", &partner, json!(1)).await;
    assert_eq!(stranger.status, 404);
    let custom = allocate(&gw, &viewer, &partner, "A", &partner, json!(1)).await;
    assert_eq!((custom.status.as_u16(), custom.error_code()), (403, "forbidden"));
    // A person's token never records an order, not even the partner's own: it
    // cannot declare its own purchases or their dates.
    let b = json!({"order_id": "B", "service": "daas", "quantity": 5, "tenancy": "multi", "placed_at": "2024-01-01"});
    for person in [&stranger_token, &token] {
        let refused = gw.post(&format!("/v1/orgs/{partner}/orders"), person, b.clone()).await;
        assert_eq!((refused.status.as_u16(), refused.error_code()), (403, "forbidden"), "{}", refused.text);
    }
    assert_eq!(
        gw.get(&format!("/v1/orgs/{partner}/licenses"), &viewer).await.status,
        200,
        "licensing.view may read"
    );
    assert_eq!(gw.get(&format!("/v1/orgs/{partner}/licenses"), &stranger_token).await.status, 404);
    assert_eq!(gw.items().await.len(), before);
}
