//! The bare SDK calls of a route's shape, replayed from the calls the route was
//! recorded making: the same operation, index and consistency, the same number of
//! items in each transaction or batch, reads that find as many items as the route's
//! did, and written items padded to about the route's request size, with GSI1's keys
//! where the route's had them. Fresh keys every time, so conditional puts succeed as
//! the route's did.

use aws_sdk_dynamodb::types::{
    AttributeValue, ConditionCheck, Delete, KeysAndAttributes, Put, PutRequest, TransactWriteItem, Update,
    WriteRequest,
};
use aws_sdk_dynamodb::Client;

use super::recorder::Call;

/// Items to read, under one partition and (the same items) one GSI1 partition.
const READ_PK: &str = "BARE#READ";
const SEEDED: usize = 100;

fn s(value: impl Into<String>) -> AttributeValue {
    AttributeValue::S(value.into())
}

fn read_key(k: usize) -> std::collections::HashMap<String, AttributeValue> {
    [("PK".to_string(), s(READ_PK)), ("SK".to_string(), s(format!("ITEM#{k:03}")))].into()
}

/// Items of about the size of the table's profiles, for the reads to find.
pub async fn seed(dynamo: &Client, table: &str) {
    for k in 0..SEEDED {
        dynamo
            .put_item()
            .table_name(table)
            .set_item(Some(read_key(k)))
            .item("GSI1PK", s(READ_PK))
            .item("GSI1SK", s(format!("ITEM#{k:03}")))
            .item("name", s("Bare Item Org"))
            .item("pad", s("x".repeat(300)))
            .item("n", AttributeValue::N("0".into()))
            .send()
            .await
            .expect("seed bare item");
    }
}

/// A new item of about `bytes` of JSON on the wire, in GSI1 too when `indexed`.
fn new_item(key: &str, bytes: usize, indexed: bool) -> std::collections::HashMap<String, AttributeValue> {
    // About what the keys and names take on the wire, so the item's JSON is `bytes`.
    let overhead = if indexed { 180 } else { 120 };
    let mut item: std::collections::HashMap<String, AttributeValue> = [
        ("PK".to_string(), s(key)),
        ("SK".to_string(), s("ITEM")),
        ("pad".to_string(), s("x".repeat(bytes.saturating_sub(overhead)))),
    ]
    .into();
    if indexed {
        item.insert("GSI1PK".into(), s(format!("{key}#GSI1")));
        item.insert("GSI1SK".into(), s("ITEM"));
    }
    item
}

/// Replays `calls` in order, writing fresh keys every time.
pub async fn replay(dynamo: &Client, table: &str, calls: &[Call]) {
    static RUNS: std::sync::atomic::AtomicUsize = std::sync::atomic::AtomicUsize::new(0);
    let run = RUNS.fetch_add(1, std::sync::atomic::Ordering::Relaxed);
    for (c, call) in calls.iter().enumerate() {
        let key = |k: usize| format!("BARE#{run}#{c}#{k}");
        // Every item of a write shares the request's bytes.
        let per_item = call.request_bytes / call.items.len().max(1);
        let indexed = |k: usize| call.indexed.get(k).copied().unwrap_or(false);
        match call.operation.as_str() {
            "GetItem" => {
                dynamo
                    .get_item()
                    .table_name(table)
                    .set_key(Some(read_key(0)))
                    .consistent_read(call.consistent)
                    .send()
                    .await
                    .expect("bare get");
            }
            "Query" => {
                let (pk_name, pk) = match call.index {
                    Some(_) => ("GSI1PK", if call.returned == 0 { "BARE#NONE" } else { READ_PK }),
                    None => ("PK", if call.returned == 0 { "BARE#NONE" } else { READ_PK }),
                };
                dynamo
                    .query()
                    .table_name(table)
                    .set_index_name(call.index.clone())
                    .key_condition_expression("#pk = :pk")
                    .expression_attribute_names("#pk", pk_name)
                    .expression_attribute_values(":pk", s(pk))
                    .limit(call.returned.max(1) as i32)
                    .consistent_read(call.consistent)
                    .send()
                    .await
                    .expect("bare query");
            }
            "BatchGetItem" => {
                let keys = (0..call.returned.max(1)).map(read_key).collect();
                let request = KeysAndAttributes::builder()
                    .set_keys(Some(keys))
                    .consistent_read(call.consistent)
                    .build();
                dynamo
                    .batch_get_item()
                    .request_items(table, request.expect("keys"))
                    .send()
                    .await
                    .expect("bare batch get");
            }
            "PutItem" => {
                dynamo
                    .put_item()
                    .table_name(table)
                    .set_item(Some(new_item(&key(0), call.request_bytes, indexed(0))))
                    .condition_expression("attribute_not_exists(PK)")
                    .send()
                    .await
                    .expect("bare put");
            }
            "UpdateItem" => {
                dynamo
                    .update_item()
                    .table_name(table)
                    .set_key(Some(read_key(1)))
                    .update_expression("SET n = n + :one")
                    .expression_attribute_values(":one", AttributeValue::N("1".into()))
                    .send()
                    .await
                    .expect("bare update");
            }
            "BatchWriteItem" => {
                let writes = (0..call.items.len())
                    .map(|k| {
                        let put = PutRequest::builder()
                            .set_item(Some(new_item(&key(k), per_item, indexed(k))))
                            .build();
                        WriteRequest::builder().put_request(put.expect("put request")).build()
                    })
                    .collect();
                dynamo
                    .batch_write_item()
                    .request_items(table, writes)
                    .send()
                    .await
                    .expect("bare batch write");
            }
            "TransactWriteItems" => {
                let items = call
                    .items
                    .iter()
                    .enumerate()
                    .map(|(k, kind)| transact_item(table, kind, &key(k), k, per_item, indexed(k)))
                    .collect();
                dynamo
                    .transact_write_items()
                    .set_transact_items(Some(items))
                    .send()
                    .await
                    .expect("bare transaction");
            }
            other => panic!("the bare replay has no {other}"),
        }
    }
}

fn transact_item(
    table: &str,
    kind: &str,
    key: &str,
    k: usize,
    bytes: usize,
    indexed: bool,
) -> TransactWriteItem {
    let item = TransactWriteItem::builder();
    match kind {
        "Put" => item.put(
            Put::builder()
                .table_name(table)
                .set_item(Some(new_item(key, bytes, indexed)))
                .condition_expression("attribute_not_exists(PK)")
                .build()
                .expect("put"),
        ),
        // Counters and the like: an existing item (one per position) changed in place.
        "Update" => item.update(
            Update::builder()
                .table_name(table)
                .set_key(Some(read_key(10 + k)))
                .update_expression("SET n = n + :one")
                .condition_expression("attribute_exists(PK)")
                .expression_attribute_values(":one", AttributeValue::N("1".into()))
                .build()
                .expect("update"),
        ),
        "ConditionCheck" => item.condition_check(
            ConditionCheck::builder()
                .table_name(table)
                .set_key(Some(read_key(10 + k)))
                .condition_expression("attribute_exists(PK)")
                .build()
                .expect("condition check"),
        ),
        "Delete" => item.delete(
            Delete::builder()
                .table_name(table)
                .key("PK", s(key))
                .key("SK", s("ITEM"))
                .build()
                .expect("delete"),
        ),
        other => panic!("the bare replay has no transaction item {other}"),
    }
    .build()
}
