//! The table's stream, locally: what Lambda's event source mapping does deployed.
//! A loop per `DynamoDB` event of the template reads the stream of DynamoDB Local
//! (DescribeStream, GetShardIterator, GetRecords; `AWS_ENDPOINT_URL_DYNAMODB_STREAMS`),
//! follows shards that close into their children, keeps the records that pass the
//! event's `FilterCriteria`, and hands them to the function in batches of its
//! `BatchSize`, in the Lambda DynamoDB event's shape, in order per shard.
//!
//! Failures as Lambda handles them: with `ReportBatchItemFailures` the function's
//! `batchItemFailures` names the record to resume from (records before it are done);
//! a function error fails the whole batch. A failing batch is bisected first
//! (`BisectBatchOnFunctionError`: halved until the failing record is alone; halving
//! is not a retry), then retried with backoff up to `MaximumRetryAttempts`; then
//! Lambda's failure record for it (stream ARN, shard, sequence numbers) goes to the
//! `OnFailure` SQS queue (created in moto as `<bus>-<LogicalId>`) and the shard goes
//! on behind it. The shard waits while its front record is retried.
//!
//! Locally, the first retry waits 200 ms and each next one twice as long, at most
//! 2 s, so a record that never goes through reaches the queue within seconds.
//! Deployed, Lambda retries a failing stream batch on its own schedule (seconds,
//! growing), until the retries run out or the record is older than
//! `MaximumRecordAgeInSeconds` (by default: until it leaves the stream after 24 h).
//! `MaximumBatchingWindowInSeconds` is not waited for locally: it only trades
//! latency for fewer invocations.
//!
//! DynamoDB Local writes an empty map attribute into its stream records as `{}`
//! rather than `{"M": {}}` (GetItem answers it right), which the SDK cannot read: the
//! client [`client`] builds mends GetRecords answers before the SDK parses them.

use std::collections::{HashSet, VecDeque};
use std::time::{Duration, Instant};

use aws_sdk_dynamodbstreams::types::{AttributeValue, Record, ShardIteratorType};
use base64::Engine;
use serde_json::{json, Map, Value};

use crate::bus::{Background, EventHandler};
use crate::filter::{passes, Pattern};
use crate::template::{StartingPosition, StreamDef};

/// The first retry's wait; each next one waits twice as long, up to [`MAX_RETRY_DELAY`].
pub const FIRST_RETRY_DELAY: Duration = Duration::from_millis(200);
pub const MAX_RETRY_DELAY: Duration = Duration::from_secs(2);
/// How long a loop that found nothing sleeps before it reads the stream again: from
/// `IDLE`, doubling while nothing comes, up to `MAX_IDLE` (Lambda's pollers read a
/// shard about four times a second; a suite runs many gateways on one DynamoDB Local).
const IDLE: Duration = Duration::from_millis(100);
const MAX_IDLE: Duration = Duration::from_millis(400);
/// How often the stream's shards are listed again (a shard may have closed or split).
const DESCRIBE_EVERY: Duration = Duration::from_secs(5);
/// GetRecords answers at most this many records.
const READ_LIMIT: i32 = 1000;

/// The DynamoDB Streams client the stream loops read with (its endpoint from the
/// environment: `AWS_ENDPOINT_URL_DYNAMODB_STREAMS`), mending DynamoDB Local's empty
/// maps (see [`mend_empty_maps`]).
pub fn client(sdk: &aws_config::SdkConfig) -> aws_sdk_dynamodbstreams::Client {
    let config = aws_sdk_dynamodbstreams::config::Builder::from(sdk).interceptor(EmptyMaps).build();
    aws_sdk_dynamodbstreams::Client::from_conf(config)
}

#[derive(Debug)]
struct EmptyMaps;

impl aws_sdk_dynamodbstreams::config::Intercept for EmptyMaps {
    fn name(&self) -> &'static str {
        "MendEmptyMaps"
    }

    fn modify_before_deserialization(
        &self,
        context: &mut aws_sdk_dynamodbstreams::config::interceptors::BeforeDeserializationInterceptorContextMut<
            '_,
        >,
        _: &aws_sdk_dynamodbstreams::config::RuntimeComponents,
        _: &mut aws_sdk_dynamodbstreams::config::ConfigBag,
    ) -> Result<(), Box<dyn std::error::Error + Send + Sync>> {
        let body = context.response_mut().body_mut();
        let read = std::mem::replace(body, aws_smithy_types::body::SdkBody::taken());
        *body = aws_smithy_types::body::SdkBody::from_body_1_x(Mended {
            body: read,
            read: Vec::new(),
            done: false,
        });
        Ok(())
    }
}

/// A response body read whole, then answered mended in one piece.
struct Mended {
    body: aws_smithy_types::body::SdkBody,
    read: Vec<u8>,
    done: bool,
}

impl http_body::Body for Mended {
    type Data = bytes::Bytes;
    type Error = aws_smithy_types::body::Error;

    fn poll_frame(
        self: std::pin::Pin<&mut Self>,
        cx: &mut std::task::Context<'_>,
    ) -> std::task::Poll<Option<Result<http_body::Frame<Self::Data>, Self::Error>>> {
        use std::task::Poll;
        let this = self.get_mut();
        if this.done {
            return Poll::Ready(None);
        }
        loop {
            match std::pin::Pin::new(&mut this.body).poll_frame(cx) {
                Poll::Pending => return Poll::Pending,
                Poll::Ready(Some(Ok(frame))) => {
                    if let Ok(data) = frame.into_data() {
                        this.read.extend_from_slice(&data);
                    }
                }
                Poll::Ready(Some(Err(error))) => return Poll::Ready(Some(Err(error))),
                Poll::Ready(None) => {
                    this.done = true;
                    let mended = mend_empty_maps(&this.read);
                    return Poll::Ready(Some(Ok(http_body::Frame::data(bytes::Bytes::from(mended)))));
                }
            }
        }
    }
}

/// A GetRecords answer with every attribute value `{}` of its records' images
/// written as the empty map it is (`{"M": {}}`); anything else as it was.
pub fn mend_empty_maps(body: &[u8]) -> Vec<u8> {
    fn mend(value: &mut Value) {
        let Value::Object(fields) = value else { return };
        if fields.is_empty() {
            *value = json!({"M": {}});
            return;
        }
        if let Some(Value::Object(map)) = fields.get_mut("M") {
            map.values_mut().for_each(mend);
        }
        if let Some(Value::Array(list)) = fields.get_mut("L") {
            list.iter_mut().for_each(mend);
        }
    }
    let Ok(mut answer) = serde_json::from_slice::<Value>(body) else {
        return body.to_vec();
    };
    let Some(records) = answer.get_mut("Records").and_then(Value::as_array_mut) else {
        return body.to_vec();
    };
    for record in records {
        for image in ["Keys", "NewImage", "OldImage"] {
            if let Some(Value::Object(attributes)) = record.pointer_mut(&format!("/dynamodb/{image}")) {
                attributes.values_mut().for_each(mend);
            }
        }
    }
    serde_json::to_vec(&answer).unwrap_or_else(|_| body.to_vec())
}

/// The wait before retry `attempt` (1 for the first retry).
pub fn retry_delay(attempt: u32) -> Duration {
    let doubled = FIRST_RETRY_DELAY.saturating_mul(2u32.saturating_pow(attempt.saturating_sub(1)));
    doubled.min(MAX_RETRY_DELAY)
}

/// One event source mapping: the template's event, the stream it reads, the
/// function it invokes and the queue its failures go to.
pub struct Source {
    pub def: StreamDef,
    pub stream_arn: String,
    pub filters: Vec<Pattern>,
    pub handler: EventHandler,
    /// The `OnFailure` queue's URL.
    pub dead_letter: Option<String>,
}

/// The line `make run` prints for it.
pub fn describe(def: &StreamDef, table: &str) -> String {
    let retries = def.max_retries.map_or("unbounded".to_string(), |n| n.to_string());
    let then = def.on_failure.as_deref().map_or("then skipped".to_string(), |q| format!("then queue {q}"));
    format!(
        "stream of table {table} -> {} ({} filter(s), batches of {}, {retries} retries, {then})",
        def.function,
        def.filters.len(),
        def.batch_size
    )
}

/// Starts reading the stream; it stops when `background` is dropped.
pub fn poll(
    client: aws_sdk_dynamodbstreams::Client,
    sqs: aws_sdk_sqs::Client,
    source: Source,
    background: &mut Background,
) {
    let poller = Poller {
        context: Context { client, sqs, source },
        shards: Vec::new(),
        finished: HashSet::new(),
        started: false,
        described: None,
    };
    background.spawn(poller.run());
}

struct Context {
    client: aws_sdk_dynamodbstreams::Client,
    sqs: aws_sdk_sqs::Client,
    source: Source,
}

struct Shard {
    id: String,
    parent: Option<String>,
    /// Where reading starts when nothing of it was read yet.
    start: ShardIteratorType,
    iterator: Option<String>,
    /// The sequence number of the last record read (a new iterator starts after it).
    last_read: Option<String>,
    /// GetRecords gave no next iterator: the shard is closed and read to its end.
    read_to_end: bool,
    /// Read, passed the filter, not done with yet: the front is the checkpoint.
    pending: VecDeque<Value>,
    /// Failed invocations of the batch at the front (not counting bisections).
    attempts: u32,
    /// The batch size now: the template's, halved by bisecting.
    limit: usize,
    not_before: Option<Instant>,
}

impl Shard {
    fn done(&self) -> bool {
        self.read_to_end && self.pending.is_empty()
    }

    fn wait(&mut self, delay: Duration) {
        self.not_before = Some(Instant::now() + delay);
    }
}

struct Poller {
    context: Context,
    shards: Vec<Shard>,
    /// Shards read to their end (their children may be read).
    finished: HashSet<String>,
    started: bool,
    described: Option<Instant>,
}

impl Poller {
    async fn run(mut self) {
        let mut idle = IDLE;
        loop {
            if self.described.is_none_or(|at| at.elapsed() >= DESCRIBE_EVERY) {
                self.described = Some(Instant::now());
                if let Err(error) = self.discover().await {
                    tracing::warn!(stream = %self.context.source.stream_arn, error = %error, "listing the stream's shards");
                }
            }
            let mut busy = false;
            let known: HashSet<String> = self.shards.iter().map(|s| s.id.clone()).collect();
            for shard in &mut self.shards {
                // A child shard is read once its parent is (records stay in order).
                let parent_pending = shard.parent.as_ref().is_some_and(|p| known.contains(p));
                if !parent_pending {
                    busy |= step(&self.context, shard).await;
                }
            }
            let before = self.shards.len();
            for shard in self.shards.iter().filter(|s| s.done()) {
                self.finished.insert(shard.id.clone());
            }
            self.shards.retain(|s| !s.done());
            if self.shards.len() != before {
                // Closed: its children are listed now, if not already.
                self.described = None;
            }
            if busy {
                idle = IDLE;
            } else {
                tokio::time::sleep(idle).await;
                idle = (idle * 2).min(MAX_IDLE);
            }
        }
    }

    /// Lists the stream's shards and starts reading the new ones.
    async fn discover(&mut self) -> Result<(), String> {
        let context = &self.context;
        let mut listed = Vec::new();
        let mut after: Option<String> = None;
        loop {
            let answer = context
                .client
                .describe_stream()
                .stream_arn(&context.source.stream_arn)
                .set_exclusive_start_shard_id(after.take())
                .send()
                .await
                .map_err(|e| format!("{e:?}"))?;
            let Some(description) = answer.stream_description else {
                break;
            };
            listed.extend(description.shards.unwrap_or_default());
            after = description.last_evaluated_shard_id;
            if after.is_none() {
                break;
            }
        }
        let batch_size = context.source.def.batch_size;
        for listed in listed {
            let Some(id) = listed.shard_id.clone() else { continue };
            if self.finished.contains(&id) || self.shards.iter().any(|s| s.id == id) {
                continue;
            }
            let closed = listed
                .sequence_number_range
                .as_ref()
                .and_then(|r| r.ending_sequence_number.as_ref())
                .is_some();
            // LATEST applies to the shards there when the mapping starts; shards that
            // open later are read from their beginning.
            let start = match (self.started, context.source.def.starting_position) {
                (false, StartingPosition::Latest) if closed => {
                    self.finished.insert(id);
                    continue;
                }
                (false, StartingPosition::Latest) => ShardIteratorType::Latest,
                _ => ShardIteratorType::TrimHorizon,
            };
            self.shards.push(Shard {
                id,
                parent: listed.parent_shard_id.clone(),
                start,
                iterator: None,
                last_read: None,
                read_to_end: false,
                pending: VecDeque::new(),
                attempts: 0,
                limit: batch_size,
                not_before: None,
            });
        }
        self.started = true;
        Ok(())
    }
}

/// Reads or invokes once; `true` when there was something to do.
async fn step(context: &Context, shard: &mut Shard) -> bool {
    if shard.not_before.is_some_and(|at| Instant::now() < at) {
        return false;
    }
    shard.not_before = None;
    if shard.pending.is_empty() {
        read(context, shard).await
    } else {
        invoke(context, shard).await;
        true
    }
}

/// A new iterator for the shard: after the last record read, or where the shard
/// starts being read. `None`: the shard cannot be read now (the error is logged).
async fn iterator(context: &Context, shard: &mut Shard) -> Option<String> {
    let request =
        context.client.get_shard_iterator().stream_arn(&context.source.stream_arn).shard_id(&shard.id);
    let request = match &shard.last_read {
        Some(sequence) => {
            request.shard_iterator_type(ShardIteratorType::AfterSequenceNumber).sequence_number(sequence)
        }
        None => request.shard_iterator_type(shard.start.clone()),
    };
    match request.send().await {
        Ok(answer) => {
            if answer.shard_iterator.is_none() {
                // Nothing to read there any more.
                shard.read_to_end = true;
            }
            answer.shard_iterator
        }
        Err(error) => {
            if error.as_service_error().is_some_and(|e| e.is_trimmed_data_access_exception()) {
                trimmed(shard);
            } else {
                tracing::warn!(shard = %shard.id, error = ?error, "getting a shard iterator");
                shard.wait(Duration::from_secs(1));
            }
            None
        }
    }
}

/// Records after the last one read left the stream (24 h) before they were read:
/// they are lost, as they are to Lambda; reading goes on from the oldest left.
fn trimmed(shard: &mut Shard) {
    tracing::error!(shard = %shard.id, after = ?shard.last_read, "stream records were trimmed before they were read");
    shard.last_read = None;
    shard.start = ShardIteratorType::TrimHorizon;
}

/// One GetRecords: what passes the filter joins the shard's pending records.
async fn read(context: &Context, shard: &mut Shard) -> bool {
    if shard.read_to_end {
        return false;
    }
    let iterator = match shard.iterator.clone() {
        Some(iterator) => iterator,
        None => match iterator(context, shard).await {
            Some(iterator) => iterator,
            None => return shard.read_to_end,
        },
    };
    let answer = match context.client.get_records().shard_iterator(iterator).limit(READ_LIMIT).send().await {
        Ok(answer) => answer,
        Err(error) => {
            // A new iterator next time, after the last record read.
            shard.iterator = None;
            match error.as_service_error() {
                // Iterators last 15 minutes.
                Some(e) if e.is_expired_iterator_exception() => {}
                Some(e) if e.is_trimmed_data_access_exception() => trimmed(shard),
                _ => {
                    tracing::warn!(shard = %shard.id, error = ?error, "reading the shard");
                    shard.wait(Duration::from_secs(1));
                }
            }
            return false;
        }
    };
    let records = answer.records.unwrap_or_default();
    for record in &records {
        if let Some(sequence) = record.dynamodb.as_ref().and_then(|d| d.sequence_number.clone()) {
            shard.last_read = Some(sequence);
        }
        let event = lambda_record(record, &context.source.stream_arn);
        if passes(&context.source.filters, &event) {
            shard.pending.push_back(event);
        }
    }
    shard.iterator = answer.next_shard_iterator;
    if shard.iterator.is_none() {
        shard.read_to_end = true;
    }
    !records.is_empty() || shard.read_to_end
}

fn sequence_of(record: &Value) -> Option<&str> {
    record.pointer("/dynamodb/SequenceNumber").and_then(Value::as_str)
}

/// Where in the batch the function's answer says to resume, if it failed any:
/// the earliest record it names; an identifier that names none of them (or is not a
/// string) fails the whole batch, as Lambda takes it.
fn first_failure(answer: &Value, batch: &[Value]) -> Option<usize> {
    let failures = match answer.get("batchItemFailures") {
        None | Some(Value::Null) => return None,
        Some(Value::Array(failures)) => failures,
        Some(_) => return Some(0),
    };
    failures
        .iter()
        .map(|failure| {
            let id = failure.get("itemIdentifier").and_then(Value::as_str).filter(|id| !id.is_empty());
            id.and_then(|id| batch.iter().position(|r| sequence_of(r) == Some(id))).unwrap_or(0)
        })
        .min()
}

/// One invocation with the batch at the front of the shard, and what follows from
/// its answer.
async fn invoke(context: &Context, shard: &mut Shard) {
    let def = &context.source.def;
    let n = shard.pending.len().min(shard.limit.max(1));
    let batch: Vec<Value> = shard.pending.iter().take(n).cloned().collect();
    let answer = (context.source.handler)(json!({"Records": batch})).await;
    let (failed_at, error, function_error) = match answer {
        Ok(answer) if def.report_batch_item_failures => match first_failure(&answer, &batch) {
            None => (None, String::new(), false),
            Some(at) => {
                let id = sequence_of(&batch[at]).unwrap_or_default();
                (Some(at), format!("the function reported record {id} as failed"), false)
            }
        },
        Ok(_) => (None, String::new(), false),
        Err(error) => (Some(0), error, true),
    };
    let Some(at) = failed_at else {
        shard.pending.drain(..n);
        shard.attempts = 0;
        shard.limit = def.batch_size;
        return;
    };
    if at > 0 {
        // Checkpointed before the failed record: what came before it is done.
        shard.pending.drain(..at);
        shard.attempts = 0;
    }
    let failing = n - at;
    if def.bisect_on_error && failing > 1 {
        shard.limit = failing.div_ceil(2);
        shard.wait(FIRST_RETRY_DELAY);
        return;
    }
    shard.attempts += 1;
    let exhausted = def.max_retries.is_some_and(|max| shard.attempts > max);
    if !exhausted {
        tracing::warn!(
            function = %def.function, shard = %shard.id, attempt = shard.attempts, error = %error,
            "stream batch failed; it will be retried"
        );
        shard.wait(retry_delay(shard.attempts));
        return;
    }
    let records: Vec<Value> = shard.pending.iter().take(failing).cloned().collect();
    if give_up(context, &shard.id, &records, shard.attempts, function_error, &error).await {
        shard.pending.drain(..failing);
        shard.attempts = 0;
        shard.limit = def.batch_size;
    } else {
        shard.wait(Duration::from_secs(1));
    }
}

/// Sends Lambda's failure record of `records` to the `OnFailure` queue; `false`
/// when the queue could not be reached (the records stay and are given up on again).
async fn give_up(
    context: &Context,
    shard: &str,
    records: &[Value],
    attempts: u32,
    function_error: bool,
    error: &str,
) -> bool {
    let def = &context.source.def;
    let Some(queue) = &context.source.dead_letter else {
        tracing::error!(
            function = %def.function, shard, records = records.len(), error,
            "stream records failed after their retries and the template names no queue for them: skipped"
        );
        return true;
    };
    let body =
        failure_record(&def.function, &context.source.stream_arn, shard, records, attempts, function_error);
    match context.sqs.send_message().queue_url(queue).message_body(body.to_string()).send().await {
        Ok(_) => {
            tracing::error!(
                function = %def.function, shard, records = records.len(), attempts, error, queue = %queue,
                "stream records failed after their retries; sent to the failure queue"
            );
            true
        }
        Err(send_error) => {
            tracing::warn!(function = %def.function, error = ?send_error, "could not reach the failure queue");
            false
        }
    }
}

fn arrival(record: Option<&Value>) -> Value {
    record
        .and_then(|r| r.pointer("/dynamodb/ApproximateCreationDateTime"))
        .and_then(Value::as_f64)
        .and_then(|secs| chrono::DateTime::from_timestamp(secs as i64, 0))
        .map_or(Value::Null, |at| at.to_rfc3339_opts(chrono::SecondsFormat::Millis, true).into())
}

/// What Lambda sends to a stream event source's `OnFailure` destination: the batch
/// it gave up on, by position on the stream (not the records themselves).
pub fn failure_record(
    function: &str,
    stream_arn: &str,
    shard: &str,
    records: &[Value],
    attempts: u32,
    function_error: bool,
) -> Value {
    let mut response = json!({"statusCode": 200, "executedVersion": "$LATEST"});
    if function_error {
        response["functionError"] = "Unhandled".into();
    }
    json!({
        "requestContext": {
            "requestId": uuid::Uuid::new_v4().to_string(),
            "functionArn": format!("arn:aws:lambda:us-east-1:000000000000:function:{function}"),
            "condition": "RetryAttemptsExhausted",
            "approximateInvokeCount": attempts,
        },
        "responseContext": response,
        "version": "1.0",
        "timestamp": chrono::Utc::now().to_rfc3339_opts(chrono::SecondsFormat::Millis, true),
        "DDBStreamBatchInfo": {
            "shardId": shard,
            "startSequenceNumber": records.first().and_then(sequence_of),
            "endSequenceNumber": records.last().and_then(sequence_of),
            "approximateArrivalOfFirstRecord": arrival(records.first()),
            "approximateArrivalOfLastRecord": arrival(records.last()),
            "batchSize": records.len(),
            "streamArn": stream_arn,
        },
    })
}

/// A stream record in the shape Lambda hands it to the function
/// (`aws_lambda_events::event::dynamodb::EventRecord`).
pub fn lambda_record(record: &Record, stream_arn: &str) -> Value {
    let mut change = Map::new();
    if let Some(data) = &record.dynamodb {
        if let Some(at) = &data.approximate_creation_date_time {
            change.insert("ApproximateCreationDateTime".into(), json!(at.secs()));
        }
        for (name, image) in
            [("Keys", &data.keys), ("NewImage", &data.new_image), ("OldImage", &data.old_image)]
        {
            if let Some(image) = image {
                change.insert(name.into(), image_json(image));
            }
        }
        if let Some(sequence) = &data.sequence_number {
            change.insert("SequenceNumber".into(), sequence.clone().into());
        }
        change.insert("SizeBytes".into(), data.size_bytes.unwrap_or_default().into());
        if let Some(view) = &data.stream_view_type {
            change.insert("StreamViewType".into(), view.as_str().into());
        }
    }
    let mut event = json!({
        "eventID": record.event_id.clone().unwrap_or_default(),
        "eventName": record.event_name.as_ref().map(|n| n.as_str().to_string()).unwrap_or_default(),
        "eventVersion": record.event_version.clone().unwrap_or_else(|| "1.1".into()),
        "eventSource": record.event_source.clone().unwrap_or_else(|| "aws:dynamodb".into()),
        "awsRegion": record.aws_region.clone().unwrap_or_else(|| "us-east-1".into()),
        "dynamodb": change,
        "eventSourceARN": stream_arn,
    });
    if let Some(identity) = &record.user_identity {
        event["userIdentity"] = json!({
            "type": identity.r#type.clone().unwrap_or_default(),
            "principalId": identity.principal_id.clone().unwrap_or_default(),
        });
    }
    event
}

fn image_json(image: &std::collections::HashMap<String, AttributeValue>) -> Value {
    Value::Object(image.iter().map(|(k, v)| (k.clone(), attribute_json(v))).collect())
}

/// An attribute value in DynamoDB's JSON (`{"S": "…"}`, binary as base64).
fn attribute_json(value: &AttributeValue) -> Value {
    let b64 = |blob: &aws_sdk_dynamodbstreams::primitives::Blob| {
        base64::engine::general_purpose::STANDARD.encode(blob.as_ref())
    };
    match value {
        AttributeValue::S(s) => json!({"S": s}),
        AttributeValue::N(n) => json!({"N": n}),
        AttributeValue::B(b) => json!({"B": b64(b)}),
        AttributeValue::Bool(b) => json!({"BOOL": b}),
        AttributeValue::Null(b) => json!({"NULL": b}),
        AttributeValue::Ss(items) => json!({"SS": items}),
        AttributeValue::Ns(items) => json!({"NS": items}),
        AttributeValue::Bs(items) => json!({"BS": items.iter().map(b64).collect::<Vec<_>>()}),
        AttributeValue::L(items) => json!({"L": items.iter().map(attribute_json).collect::<Vec<_>>()}),
        AttributeValue::M(map) => json!({"M": image_json(map)}),
        _ => Value::Null,
    }
}

#[cfg(test)]
mod tests {
    use std::collections::HashMap;

    use aws_sdk_dynamodbstreams::types::{OperationType, StreamRecord, StreamViewType};

    use super::*;

    #[test]
    fn empty_maps_of_dynamodb_local_records_are_mended_and_nothing_else() {
        let body = json!({
            "Records": [{"eventName": "INSERT", "dynamodb": {
                "Keys": {"PK": {"S": "a"}},
                "NewImage": {"PK": {"S": "a"}, "m": {}, "l": {"L": [{}, {"S": "x"}]},
                             "nested": {"M": {"x": {}, "y": {"L": []}}}}
            }}],
            "NextShardIterator": "it"
        });
        let mended: Value = serde_json::from_slice(&mend_empty_maps(body.to_string().as_bytes())).unwrap();
        let image = &mended["Records"][0]["dynamodb"]["NewImage"];
        assert_eq!(image["m"], json!({"M": {}}));
        assert_eq!(image["l"], json!({"L": [{"M": {}}, {"S": "x"}]}));
        assert_eq!(image["nested"], json!({"M": {"x": {"M": {}}, "y": {"L": []}}}));
        assert_eq!(mended["NextShardIterator"], "it");
        // Other answers, and what is not JSON, pass as they are.
        assert_eq!(mend_empty_maps(b"{\"Shards\": {}}"), b"{\"Shards\": {}}".to_vec());
        assert_eq!(mend_empty_maps(b"not json"), b"not json".to_vec());
    }

    #[test]
    fn retries_wait_longer_each_time_up_to_a_cap() {
        let waits: Vec<u128> = (1..=6).map(|n| retry_delay(n).as_millis()).collect();
        assert_eq!(waits, vec![200, 400, 800, 1600, 2000, 2000]);
        assert_eq!(retry_delay(u32::MAX), MAX_RETRY_DELAY);
    }

    fn stream_record(sequence: &str, image: HashMap<String, AttributeValue>) -> Record {
        Record::builder()
            .event_id("e1")
            .event_name(OperationType::Insert)
            .event_version("1.1")
            .event_source("aws:dynamodb")
            .aws_region("ddblocal")
            .dynamodb(
                StreamRecord::builder()
                    .approximate_creation_date_time(aws_sdk_dynamodbstreams::primitives::DateTime::from_secs(
                        1_764_000_000,
                    ))
                    .keys("PK", AttributeValue::S("OUTBOX#1".into()))
                    .set_new_image(Some(image))
                    .sequence_number(sequence)
                    .size_bytes(42)
                    .stream_view_type(StreamViewType::NewImage)
                    .build(),
            )
            .build()
    }

    #[test]
    fn a_stream_record_becomes_what_the_lambda_event_type_reads() {
        let image = HashMap::from([
            ("PK".to_string(), AttributeValue::S("OUTBOX#1".into())),
            ("ttl".to_string(), AttributeValue::N("1764604800".into())),
            ("flag".to_string(), AttributeValue::Bool(true)),
            ("nothing".to_string(), AttributeValue::Null(true)),
            (
                "bytes".to_string(),
                AttributeValue::B(aws_sdk_dynamodbstreams::primitives::Blob::new(vec![0, 1, 2])),
            ),
            ("tags".to_string(), AttributeValue::Ss(vec!["a".into()])),
            (
                "event".to_string(),
                AttributeValue::M(HashMap::from([(
                    "list".to_string(),
                    AttributeValue::L(vec![AttributeValue::N("1".into())]),
                )])),
            ),
        ]);
        let arn = "arn:aws:dynamodb:ddblocal:000000000000:table/t/stream/x";
        let json = lambda_record(&stream_record("000000000000000000007", image), arn);
        assert_eq!(json["eventSourceARN"], arn);
        assert_eq!(json["dynamodb"]["NewImage"]["bytes"], json!({"B": "AAEC"}));
        assert_eq!(json["dynamodb"]["NewImage"]["event"], json!({"M": {"list": {"L": [{"N": "1"}]}}}));

        let event: aws_lambda_events::event::dynamodb::Event =
            serde_json::from_value(json!({"Records": [json]})).unwrap();
        let record = &event.records[0];
        assert_eq!(record.event_name, "INSERT");
        assert_eq!(record.event_source_arn.as_deref(), Some(arn));
        assert_eq!(record.change.sequence_number.as_deref(), Some("000000000000000000007"));
        assert_eq!(record.change.size_bytes, 42);
        assert_eq!(record.change.approximate_creation_date_time.timestamp(), 1_764_000_000);
        assert_eq!(record.change.new_image.len(), 7);
        assert_eq!(record.change.keys.len(), 1);
    }

    fn batch(sequences: &[&str]) -> Vec<Value> {
        sequences.iter().map(|s| json!({"dynamodb": {"SequenceNumber": s}})).collect()
    }

    #[test]
    fn the_answer_names_where_to_resume() {
        let records = batch(&["1", "2", "3"]);
        assert_eq!(first_failure(&json!({"batchItemFailures": []}), &records), None);
        assert_eq!(first_failure(&json!({}), &records), None);
        assert_eq!(first_failure(&json!(null), &records), None);
        assert_eq!(
            first_failure(&json!({"batchItemFailures": [{"itemIdentifier": "2"}]}), &records),
            Some(1)
        );
        assert_eq!(
            first_failure(
                &json!({"batchItemFailures": [{"itemIdentifier": "3"}, {"itemIdentifier": "2"}]}),
                &records
            ),
            Some(1),
            "the earliest named"
        );
        // What names no record of the batch fails all of it.
        for answer in [
            json!({"batchItemFailures": [{"itemIdentifier": "9"}]}),
            json!({"batchItemFailures": [{"itemIdentifier": ""}]}),
            json!({"batchItemFailures": [{}]}),
            json!({"batchItemFailures": "3"}),
        ] {
            assert_eq!(first_failure(&answer, &records), Some(0), "{answer}");
        }
    }

    #[test]
    fn the_failure_record_names_the_batch_by_its_place_on_the_stream() {
        let records = vec![
            json!({"dynamodb": {"SequenceNumber": "5", "ApproximateCreationDateTime": 1_764_000_000}}),
            json!({"dynamodb": {"SequenceNumber": "6", "ApproximateCreationDateTime": 1_764_000_001}}),
        ];
        let record = failure_record("outbox-relay", "arn:s", "shard-1", &records, 6, false);
        let info = &record["DDBStreamBatchInfo"];
        assert_eq!(
            (&info["shardId"], &info["startSequenceNumber"], &info["endSequenceNumber"], &info["batchSize"]),
            (&json!("shard-1"), &json!("5"), &json!("6"), &json!(2))
        );
        assert_eq!(info["streamArn"], "arn:s");
        assert_eq!(info["approximateArrivalOfFirstRecord"], "2025-11-24T16:00:00.000Z");
        assert_eq!(record["requestContext"]["condition"], "RetryAttemptsExhausted");
        assert_eq!(record["requestContext"]["approximateInvokeCount"], 6);
        assert!(record["responseContext"].get("functionError").is_none());
    }
}
