//! A DynamoDB client interceptor, used only by the bench: every call asks for its
//! consumed capacity (`ReturnConsumedCapacity: TOTAL`), and while armed the
//! interceptor records each call's operation, shape, size and capacity, so that a
//! route's calls are counted rather than read off the code.

use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use aws_sdk_dynamodb::operation::{
    batch_get_item::BatchGetItemInput, batch_write_item::BatchWriteItemInput, delete_item::DeleteItemInput,
    get_item::GetItemInput, put_item::PutItemInput, query::QueryInput, scan::ScanInput,
    transact_get_items::TransactGetItemsInput, transact_write_items::TransactWriteItemsInput,
    update_item::UpdateItemInput,
};
use aws_sdk_dynamodb::types::ReturnConsumedCapacity;
use aws_smithy_runtime_api::box_error::BoxError;
use aws_smithy_runtime_api::client::interceptors::context::{
    AfterDeserializationInterceptorContextRef, BeforeSerializationInterceptorContextMut,
    BeforeSerializationInterceptorContextRef, BeforeTransmitInterceptorContextRef,
    FinalizerInterceptorContextRef,
};
use aws_smithy_runtime_api::client::interceptors::Intercept;
use aws_smithy_runtime_api::client::runtime_components::RuntimeComponents;
use aws_smithy_types::config_bag::{ConfigBag, Storable, StoreReplace};
use serde_json::Value;

/// One DynamoDB call as the wire saw it.
#[derive(Debug, Clone)]
pub struct Call {
    /// `PutItem`, `Query`, ...
    pub operation: String,
    /// What makes two calls of one operation the same shape: index, consistency,
    /// how many items a transaction or batch carries and of which kinds.
    pub shape: String,
    pub request_bytes: usize,
    pub index: Option<String>,
    pub consistent: bool,
    /// The kinds of a transaction's items (`Put`, `Update`, ...), or one per batch
    /// request.
    pub items: Vec<String>,
    /// Which items written whole carry GSI1's keys, so DynamoDB writes the index too.
    pub indexed: Vec<bool>,
    /// Items the answer carried (a query's `Count`, a batch get's responses).
    pub returned: usize,
    pub read_units: f64,
    pub write_units: f64,
    /// False when DynamoDB answered no `ConsumedCapacity` for the call.
    pub capacity_reported: bool,
    pub took: Duration,
}

impl Call {
    pub fn signature(&self) -> String {
        let returned = match self.operation.as_str() {
            "Query" | "Scan" | "BatchGetItem" => format!(" → {} items", self.returned),
            _ => String::new(),
        };
        format!("{}{}{returned}", self.operation, self.shape)
    }
}

#[derive(Clone, Default, Debug)]
pub struct Recorder;

tokio::task_local! {
    /// The calls of the task being recorded. Task-local, so that the gateway's
    /// background work (stream, bus, notifications) on the same client is left out.
    static RECORDED: Arc<Mutex<Vec<Call>>>;
}

impl Recorder {
    /// The calls `work` makes, in this task, through clients that carry the recorder.
    pub async fn calls_of<T>(&self, work: impl std::future::Future<Output = T>) -> (T, Vec<Call>) {
        let calls = Arc::new(Mutex::new(Vec::new()));
        let out = RECORDED.scope(Arc::clone(&calls), work).await;
        let calls = std::mem::take(&mut *calls.lock().expect("recorder lock"));
        (out, calls)
    }

    /// A DynamoDB client on `sdk` with this recorder in its interceptor chain.
    pub fn client(&self, sdk: &aws_config::SdkConfig) -> aws_sdk_dynamodb::Client {
        aws_sdk_dynamodb::Client::from_conf(
            aws_sdk_dynamodb::config::Builder::from(sdk).interceptor(self.clone()).build(),
        )
    }
}

#[derive(Debug, Clone)]
struct Started(Instant);

impl Storable for Started {
    type Storer = StoreReplace<Self>;
}

/// The answer's JSON.
#[derive(Debug, Clone)]
struct Answered(Value);

impl Storable for Answered {
    type Storer = StoreReplace<Self>;
}

/// What the request said, kept before transmission takes the request away.
#[derive(Debug, Clone)]
struct Sent {
    operation: String,
    shape: String,
    bytes: usize,
    index: Option<String>,
    consistent: bool,
    items: Vec<String>,
    indexed: Vec<bool>,
}

impl Storable for Sent {
    type Storer = StoreReplace<Self>;
}

impl Intercept for Recorder {
    fn name(&self) -> &'static str {
        "bench-call-recorder"
    }

    fn read_before_execution(
        &self,
        _context: &BeforeSerializationInterceptorContextRef<'_>,
        cfg: &mut ConfigBag,
    ) -> Result<(), BoxError> {
        cfg.interceptor_state().store_put(Started(Instant::now()));
        Ok(())
    }

    fn modify_before_serialization(
        &self,
        context: &mut BeforeSerializationInterceptorContextMut<'_>,
        _components: &RuntimeComponents,
        _cfg: &mut ConfigBag,
    ) -> Result<(), BoxError> {
        let input = context.input_mut();
        macro_rules! total {
            ($($input:ty),*) => {$(
                if let Some(input) = input.downcast_mut::<$input>() {
                    input.return_consumed_capacity = Some(ReturnConsumedCapacity::Total);
                    return Ok(());
                }
            )*};
        }
        total!(
            GetItemInput,
            PutItemInput,
            UpdateItemInput,
            DeleteItemInput,
            QueryInput,
            ScanInput,
            BatchGetItemInput,
            BatchWriteItemInput,
            TransactGetItemsInput,
            TransactWriteItemsInput
        );
        Ok(())
    }

    fn read_before_transmit(
        &self,
        context: &BeforeTransmitInterceptorContextRef<'_>,
        _components: &RuntimeComponents,
        cfg: &mut ConfigBag,
    ) -> Result<(), BoxError> {
        let request = context.request();
        let operation = request
            .headers()
            .get("x-amz-target")
            .and_then(|t| t.rsplit('.').next())
            .unwrap_or("unknown")
            .to_string();
        let body = request.body().bytes().unwrap_or_default();
        let sent: Value = serde_json::from_slice(body).unwrap_or(Value::Null);
        cfg.interceptor_state().store_put(Sent {
            shape: shape(&operation, &sent),
            index: sent["IndexName"].as_str().map(str::to_string),
            consistent: sent["ConsistentRead"] == Value::Bool(true)
                || sent["RequestItems"]
                    .as_object()
                    .is_some_and(|t| t.values().any(|t| t["ConsistentRead"] == Value::Bool(true))),
            items: items_of(&sent),
            indexed: indexed_of(&sent),
            operation,
            bytes: body.len(),
        });
        Ok(())
    }

    fn read_after_deserialization(
        &self,
        context: &AfterDeserializationInterceptorContextRef<'_>,
        _components: &RuntimeComponents,
        cfg: &mut ConfigBag,
    ) -> Result<(), BoxError> {
        // The body was read whole before deserializing, so its bytes are at hand.
        if let Some(answered) = context.response().body().bytes().and_then(|b| serde_json::from_slice(b).ok())
        {
            cfg.interceptor_state().store_put(Answered(answered));
        }
        Ok(())
    }

    fn read_after_execution(
        &self,
        _context: &FinalizerInterceptorContextRef<'_>,
        _components: &RuntimeComponents,
        cfg: &mut ConfigBag,
    ) -> Result<(), BoxError> {
        let took = cfg.load::<Started>().map(|s| s.0.elapsed()).unwrap_or_default();
        let Ok(calls) = RECORDED.try_with(Arc::clone) else { return Ok(()) };
        let mut calls = calls.lock().expect("recorder lock");
        let Some(sent) = cfg.load::<Sent>().cloned() else { return Ok(()) };
        let answered = cfg.load::<Answered>().map(|a| a.0.clone()).unwrap_or(Value::Null);
        let (read_units, write_units, capacity_reported) = capacity(&sent.operation, &answered);
        let returned = answered["Count"].as_u64().map(|n| n as usize).unwrap_or_else(|| {
            answered["Responses"]
                .as_object()
                .map_or(0, |tables| tables.values().map(|t| t.as_array().map_or(0, Vec::len)).sum())
        });
        calls.push(Call {
            operation: sent.operation,
            shape: sent.shape,
            request_bytes: sent.bytes,
            index: sent.index,
            consistent: sent.consistent,
            items: sent.items,
            indexed: sent.indexed,
            returned,
            read_units,
            write_units,
            capacity_reported,
            took,
        });
        Ok(())
    }
}

/// A transaction's item kinds, or a batch write's requests.
fn items_of(sent: &Value) -> Vec<String> {
    requests_of(sent).into_iter().filter_map(|r| r.as_object()?.keys().next().cloned()).collect()
}

/// A transaction's items, or a batch write's requests, in order.
fn requests_of(sent: &Value) -> Vec<&Value> {
    match sent["TransactItems"].as_array() {
        Some(items) => items.iter().collect(),
        None => sent["RequestItems"]
            .as_object()
            .map(|tables| tables.values().filter_map(Value::as_array).flatten().collect())
            .unwrap_or_default(),
    }
}

/// The items a write carries whole (a put, a transaction's items, a batch's
/// requests), each with whether it has GSI1's partition key.
fn indexed_of(sent: &Value) -> Vec<bool> {
    let has_index_key = |item: &Value| item.get(partner_hub::store::keys::GSI1PK).is_some();
    if sent.get("Item").is_some() {
        return vec![has_index_key(&sent["Item"])];
    }
    requests_of(sent)
        .into_iter()
        .map(|request| {
            has_index_key(&request["Put"]["Item"]) || has_index_key(&request["PutRequest"]["Item"])
        })
        .collect()
}

/// Index, consistency and item counts: what decides a call's cost and work.
fn shape(operation: &str, sent: &Value) -> String {
    let mut parts = Vec::new();
    if let Some(index) = sent["IndexName"].as_str() {
        parts.push(index.to_string());
    }
    if sent["ConsistentRead"] == Value::Bool(true) {
        parts.push("consistent".into());
    }
    match operation {
        "TransactWriteItems" | "TransactGetItems" => {
            let kinds = items_of(sent);
            parts.push(format!("{}: {}", kinds.len(), kinds.join("+")));
        }
        "BatchGetItem" => {
            let (keys, consistent) = sent["RequestItems"]
                .as_object()
                .map(|tables| {
                    tables.values().fold((0, false), |(n, c), t| {
                        (
                            n + t["Keys"].as_array().map_or(0, Vec::len),
                            c || t["ConsistentRead"] == Value::Bool(true),
                        )
                    })
                })
                .unwrap_or_default();
            parts.push(format!("{keys} keys"));
            if consistent {
                parts.push("consistent".into());
            }
        }
        "BatchWriteItem" => {
            let requests: usize = sent["RequestItems"]
                .as_object()
                .map(|tables| tables.values().map(|t| t.as_array().map_or(0, Vec::len)).sum())
                .unwrap_or_default();
            parts.push(format!("{requests} puts/deletes"));
        }
        _ => {}
    }
    if sent.get("ConditionExpression").is_some() {
        parts.push("conditional".into());
    }
    let indexed = indexed_of(sent).into_iter().filter(|&indexed| indexed).count();
    if indexed > 0 {
        parts.push(format!("{indexed} with GSI1 keys"));
    }
    if parts.is_empty() {
        String::new()
    } else {
        format!(" ({})", parts.join(", "))
    }
}

/// Read and write units from the answer's `ConsumedCapacity` (one object, or one per
/// table for batches and transactions).
fn capacity(operation: &str, answered: &Value) -> (f64, f64, bool) {
    let entries: Vec<&Value> = match &answered["ConsumedCapacity"] {
        Value::Array(list) => list.iter().collect(),
        Value::Object(_) => vec![&answered["ConsumedCapacity"]],
        _ => return (0.0, 0.0, false),
    };
    let writes = matches!(
        operation,
        "PutItem" | "UpdateItem" | "DeleteItem" | "BatchWriteItem" | "TransactWriteItems"
    );
    let (mut read, mut write) = (0.0, 0.0);
    for entry in entries {
        let total = entry["CapacityUnits"].as_f64().unwrap_or(0.0);
        match (entry["ReadCapacityUnits"].as_f64(), entry["WriteCapacityUnits"].as_f64()) {
            (Some(r), Some(w)) => {
                read += r;
                write += w;
            }
            (Some(r), None) => read += r,
            (None, Some(w)) => write += w,
            (None, None) if writes => write += total,
            (None, None) => read += total,
        }
    }
    (read, write, true)
}
