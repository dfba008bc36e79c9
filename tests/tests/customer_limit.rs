//! The 100-customer cap under concurrency, and the conflict path real DynamoDB takes
//! under contention (injected: DynamoDB Local never raises it).

use aws_sdk_dynamodb::types::AttributeValue;
use partner_hub::store::MAX_TRANSACTION_ATTEMPTS;
use partner_hub_tests::Gateway;
use serde_json::json;

fn email(n: usize) -> String {
    format!("customer{n}-{}@example.com", uuid::Uuid::new_v4().simple())
}

async fn connection_items(gw: &Gateway, partner: &str) -> usize {
    let dynamo = aws_sdk_dynamodb::Client::new(&gw.sdk);
    let out = dynamo
        .query()
        .table_name(gw.table())
        .key_condition_expression("PK = :pk AND begins_with(SK, :sk)")
        .expression_attribute_values(":pk", AttributeValue::S(format!("ORG#{partner}")))
        .expression_attribute_values(":sk", AttributeValue::S("CUSTOMER#".into()))
        .consistent_read(true)
        .send()
        .await
        .unwrap();
    out.count() as usize
}

async fn counter(gw: &Gateway, partner: &str) -> i64 {
    let dynamo = aws_sdk_dynamodb::Client::new(&gw.sdk);
    let item = dynamo
        .get_item()
        .table_name(gw.table())
        .key("PK", AttributeValue::S(format!("ORG#{partner}")))
        .key("SK", AttributeValue::S("PROFILE".into()))
        .consistent_read(true)
        .send()
        .await
        .unwrap()
        .item
        .unwrap();
    item.get("customer_count").and_then(|v| v.as_n().ok()).map_or(0, |n| n.parse().unwrap())
}

#[tokio::test]
async fn one_hundred_and_fifty_racing_accepts_leave_exactly_one_hundred() {
    let gw = Gateway::start().await;
    let (partner_token, partner) = gw.partner("busy-partner@example.com", "Busy Partner").await;
    let code = gw.invite_code(&partner_token, &partner).await;
    let mut customers = Vec::new();
    for n in 0..150 {
        customers.push(gw.customer(&email(n), &format!("Customer {n}")).await);
    }
    let answers = futures::future::join_all(
        customers.iter().map(|(token, customer)| gw.accept(token, &code, customer)),
    )
    .await;
    let created = answers.iter().filter(|a| a.status == 201).count();
    let limited: Vec<_> = answers.iter().filter(|a| a.status == 409).collect();
    assert_eq!(created, 100);
    assert_eq!(limited.len(), 50);
    assert!(limited.iter().all(|a| a.error_code() == "partner_customer_limit"));
    assert_eq!(connection_items(&gw, &partner).await, 100);
    assert_eq!(counter(&gw, &partner).await, 100);
    let dashboard = gw.get(&format!("/v1/orgs/{partner}/customers?limit=100"), &partner_token).await;
    assert_eq!(
        (dashboard.body["count"].clone(), dashboard.body["items"].as_array().unwrap().len()),
        (json!(100), 100)
    );

    // Adding one more the other way is refused too.
    let added = gw
        .post(
            &format!("/v1/orgs/{partner}/customers"),
            &partner_token,
            json!({"company_name": "One Too Many", "contact_email": email(999)}),
        )
        .await;
    assert_eq!((added.status.as_u16(), added.error_code()), (409, "partner_customer_limit"));

    // Removing one frees a place, for exactly one of the waiting customers.
    let connected = answers.iter().position(|a| a.status == 201).unwrap();
    let removed = gw
        .send(
            reqwest::Method::DELETE,
            &format!("/v1/orgs/{partner}/customers/{}", customers[connected].1),
            Some(&partner_token),
            None,
        )
        .await;
    assert_eq!(removed.status, 204);
    let waiting: Vec<usize> =
        answers.iter().enumerate().filter(|(_, a)| a.status == 409).map(|(i, _)| i).take(2).collect();
    let retried = futures::future::join_all(
        waiting.iter().map(|&i| gw.accept(&customers[i].0, &code, &customers[i].1)),
    )
    .await;
    let mut statuses: Vec<u16> = retried.iter().map(|a| a.status.as_u16()).collect();
    statuses.sort();
    assert_eq!(statuses, vec![201, 409]);
    assert_eq!(connection_items(&gw, &partner).await, 100);
    assert_eq!(counter(&gw, &partner).await, 100);
}

#[tokio::test]
async fn transaction_conflicts_are_retried_until_the_write_goes_through() {
    let (gw, _proxy, conflicts) = partner_hub_tests::gateway_behind_proxy(2).await;
    let (partner_token, partner) = gw.partner("p@example.com", "Partner").await;
    let code = gw.invite_code(&partner_token, &partner).await;
    let (customer_token, customer) = gw.customer("c@example.com", "Customer").await;
    conflicts.arm();
    let accepted = gw.accept(&customer_token, &code, &customer).await;
    assert_eq!(accepted.status, 201, "{}", accepted.text);
    assert_eq!(conflicts.seen(), 3, "two conflicts, then the third attempt");
    assert_eq!(counter(&gw, &partner).await, 1);
    assert_eq!(connection_items(&gw, &partner).await, 1);
}

#[tokio::test]
async fn endless_conflicts_give_up_with_503_and_write_nothing() {
    let (gw, _proxy, conflicts) = partner_hub_tests::gateway_behind_proxy(usize::MAX).await;
    let (partner_token, partner) = gw.partner("p@example.com", "Partner").await;
    let code = gw.invite_code(&partner_token, &partner).await;
    let (customer_token, customer) = gw.customer("c@example.com", "Customer").await;
    let before = gw.items().await.len();
    conflicts.arm();
    let refused = gw.accept(&customer_token, &code, &customer).await;
    assert_eq!((refused.status.as_u16(), refused.error_code()), (503, "unavailable"));
    assert!(refused.headers.contains_key("retry-after"));
    assert_eq!(conflicts.seen(), MAX_TRANSACTION_ATTEMPTS as usize, "bounded attempts");
    assert_eq!(counter(&gw, &partner).await, 0);
    assert_eq!(connection_items(&gw, &partner).await, 0);
    assert_eq!(gw.items().await.len(), before);
}
