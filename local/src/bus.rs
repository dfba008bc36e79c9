//! Bus delivery and schedules, locally. Each rule of the template is created on the
//! moto bus with its own event pattern and an SQS queue as target; a loop per queue
//! hands what arrives to the rule's function, as EventBridge invokes it deployed.
//! A failed invocation is retried as Lambda retries asynchronous invocations: as
//! many times as the function's `EventInvokeConfig.MaximumRetryAttempts` says
//! (the message's receive count is the attempt), then an invocation record goes to
//! its `OnFailure` queue (or the bare event to the rule's dead-letter queue), both
//! created in moto as `<bus>-<LogicalId>`, and the message is done with.

use std::collections::HashMap;
use std::sync::Arc;
use std::time::Duration;

use aws_sdk_eventbridge::types::Target;
use aws_sdk_sqs::types::{Message, MessageSystemAttributeName, QueueAttributeName};
use lambda_http::BoxFuture;
use serde_json::{json, Value};

use crate::template::{FailureDef, RuleDef, ScheduleDef, Template};

/// A function invoked with a JSON event.
pub type EventHandler = Arc<dyn Fn(Value) -> BoxFuture<'static, Result<Value, String>> + Send + Sync>;

/// Background work of the local stack; stopped when dropped.
#[derive(Default)]
pub struct Background(Vec<tokio::task::JoinHandle<()>>);

impl Background {
    /// Runs `task` until this is dropped.
    pub(crate) fn spawn(&mut self, task: impl std::future::Future<Output = ()> + Send + 'static) {
        self.0.push(tokio::spawn(task));
    }
}

impl Drop for Background {
    fn drop(&mut self) {
        for task in &self.0 {
            task.abort();
        }
    }
}

/// The local name of a queue the template declares: unique per bus, so each test's
/// stack has its own.
pub fn queue_name(bus: &str, logical_id: &str) -> String {
    format!("{bus}-{logical_id}")
}

pub(crate) async fn create_queue(sqs: &aws_sdk_sqs::Client, name: &str) -> Result<String, String> {
    sqs.create_queue()
        .queue_name(name)
        .send()
        .await
        .map_err(|e| format!("creating queue {name}: {e:?}"))?
        .queue_url
        .ok_or_else(|| "moto returned no queue url".to_string())
}

/// Where a rule's function's failures go once its retries are spent.
#[derive(Debug, Clone)]
pub struct OnFailure {
    pub max_retries: u32,
    /// The `OnFailure` destination's queue URL: it gets Lambda's invocation record.
    pub destination: Option<String>,
    /// The rule's dead-letter queue URL: it gets the bare event (when there is no
    /// destination).
    pub dead_letter: Option<String>,
}

/// Creates the queues the template names for the rules' failures.
pub async fn failure_queues(
    sqs: &aws_sdk_sqs::Client,
    bus: &str,
    template: &Template,
    rules: &[RuleDef],
) -> Result<HashMap<String, OnFailure>, String> {
    let mut policies = HashMap::new();
    for rule in rules {
        let FailureDef { max_retries, on_failure, dead_letter } = template.failure(rule);
        let destination = match on_failure {
            Some(id) => Some(create_queue(sqs, &queue_name(bus, &id)).await?),
            None => None,
        };
        let dead_letter = match dead_letter {
            Some(id) => Some(create_queue(sqs, &queue_name(bus, &id)).await?),
            None => None,
        };
        policies.insert(rule.name.clone(), OnFailure { max_retries, destination, dead_letter });
    }
    Ok(policies)
}

/// Creates each rule on the bus with a queue as its target; answers the queue URLs.
pub async fn create_rules(
    events: &aws_sdk_eventbridge::Client,
    sqs: &aws_sdk_sqs::Client,
    bus: &str,
    rules: &[RuleDef],
) -> Result<Vec<(RuleDef, String)>, String> {
    let mut created = Vec::new();
    for rule in rules {
        let queue_name = queue_name(bus, &rule.name);
        let queue = create_queue(sqs, &queue_name).await?;
        let arn = sqs
            .get_queue_attributes()
            .queue_url(&queue)
            .attribute_names(QueueAttributeName::QueueArn)
            .send()
            .await
            .map_err(|e| format!("reading queue {queue_name}: {e:?}"))?
            .attributes
            .and_then(|mut a| a.remove(&QueueAttributeName::QueueArn))
            .ok_or("moto returned no queue arn")?;
        events
            .put_rule()
            .name(&rule.name)
            .event_bus_name(bus)
            .event_pattern(rule.pattern.to_string())
            .send()
            .await
            .map_err(|e| format!("creating rule {}: {e:?}", rule.name))?;
        let target = Target::builder().id(&rule.function).arn(arn).build().map_err(|e| e.to_string())?;
        events
            .put_targets()
            .rule(&rule.name)
            .event_bus_name(bus)
            .targets(target)
            .send()
            .await
            .map_err(|e| format!("targeting rule {}: {e:?}", rule.name))?;
        created.push((rule.clone(), queue));
    }
    Ok(created)
}

/// How long a failed invocation waits before its next attempt, locally (Lambda
/// waits about a minute, then two).
fn retry_delay(attempt: u32) -> i32 {
    attempt.clamp(1, 5) as i32
}

pub fn deliver(
    sqs: aws_sdk_sqs::Client,
    queues: Vec<(RuleDef, String)>,
    handlers: &HashMap<String, EventHandler>,
    failures: &HashMap<String, OnFailure>,
    background: &mut Background,
) -> Result<(), String> {
    for (rule, queue) in queues {
        let handler = handlers
            .get(&rule.function)
            .cloned()
            .ok_or_else(|| format!("no handler for function {}", rule.function))?;
        let on_failure = failures.get(&rule.name).cloned().unwrap_or(OnFailure {
            max_retries: crate::template::DEFAULT_MAXIMUM_RETRY_ATTEMPTS,
            destination: None,
            dead_letter: None,
        });
        let sqs = sqs.clone();
        background.0.push(tokio::spawn(async move {
            loop {
                let received = sqs
                    .receive_message()
                    .queue_url(&queue)
                    .max_number_of_messages(10)
                    .wait_time_seconds(1)
                    .message_system_attribute_names(MessageSystemAttributeName::ApproximateReceiveCount)
                    .send()
                    .await;
                let messages = match received {
                    Ok(output) => output.messages.unwrap_or_default(),
                    Err(error) => {
                        tracing::warn!(rule = %rule.name, error = ?error, "receiving from the rule's queue");
                        tokio::time::sleep(Duration::from_secs(1)).await;
                        continue;
                    }
                };
                for message in messages {
                    invoke(&sqs, &queue, &rule, &handler, &on_failure, &message).await;
                }
            }
        }));
    }
    Ok(())
}

/// One attempt at one message: done, retried later, or given up on into the
/// failure queue.
async fn invoke(
    sqs: &aws_sdk_sqs::Client,
    queue: &str,
    rule: &RuleDef,
    handler: &EventHandler,
    on_failure: &OnFailure,
    message: &Message,
) {
    let event: Value = serde_json::from_str(message.body().unwrap_or("null")).unwrap_or(Value::Null);
    let attempt: u32 = message
        .attributes()
        .and_then(|a| a.get(&MessageSystemAttributeName::ApproximateReceiveCount))
        .and_then(|n| n.parse().ok())
        .unwrap_or(1);
    let Some(receipt) = message.receipt_handle() else {
        return;
    };
    let error = match handler(event.clone()).await {
        Ok(_) => {
            let _ = sqs.delete_message().queue_url(queue).receipt_handle(receipt).send().await;
            return;
        }
        Err(error) => error,
    };
    if attempt <= on_failure.max_retries {
        tracing::warn!(
            rule = %rule.name, function = %rule.function, error = %error, attempt,
            retries = on_failure.max_retries, "invocation failed; it will be retried"
        );
        let _ = sqs
            .change_message_visibility()
            .queue_url(queue)
            .receipt_handle(receipt)
            .visibility_timeout(retry_delay(attempt))
            .send()
            .await;
        return;
    }
    let (target, body) = match (&on_failure.destination, &on_failure.dead_letter) {
        (Some(destination), _) => (destination, invocation_record(&rule.function, &event, &error, attempt)),
        (None, Some(dead_letter)) => (dead_letter, event.clone()),
        (None, None) => {
            tracing::error!(
                rule = %rule.name, function = %rule.function, error = %error, event = %event,
                "invocation failed after its retries and the template names no queue for it: dropped"
            );
            let _ = sqs.delete_message().queue_url(queue).receipt_handle(receipt).send().await;
            return;
        }
    };
    match sqs.send_message().queue_url(target).message_body(body.to_string()).send().await {
        Ok(_) => {
            tracing::error!(
                rule = %rule.name, function = %rule.function, error = %error, attempts = attempt, queue = %target,
                "invocation failed after its retries; sent to the failure queue"
            );
            let _ = sqs.delete_message().queue_url(queue).receipt_handle(receipt).send().await;
        }
        // Kept on the rule's queue: it comes back and is given up on again.
        Err(send_error) => {
            tracing::warn!(rule = %rule.name, error = ?send_error, "could not reach the failure queue")
        }
    }
}

/// What Lambda sends to an `OnFailure` destination once an asynchronous invocation
/// failed for the last time.
pub fn invocation_record(function: &str, event: &Value, error: &str, attempts: u32) -> Value {
    json!({
        "version": "1.0",
        "timestamp": chrono::Utc::now().to_rfc3339_opts(chrono::SecondsFormat::Millis, true),
        "requestContext": {
            "requestId": uuid::Uuid::new_v4().to_string(),
            "functionArn": format!("arn:aws:lambda:us-east-1:000000000000:function:{function}:$LATEST"),
            "condition": "RetriesExhausted",
            "approximateInvokeCount": attempts,
        },
        "requestPayload": event,
        "responseContext": {"statusCode": 200, "executedVersion": "$LATEST", "functionError": "Unhandled"},
        "responsePayload": {"errorType": "Error", "errorMessage": error},
    })
}

/// The event a schedule sends.
pub fn schedule_event(function: &str) -> Value {
    json!({
        "version": "0",
        "id": uuid::Uuid::new_v4().to_string(),
        "detail-type": "Scheduled Event",
        "source": "aws.events",
        "account": "000000000000",
        "time": chrono::Utc::now().to_rfc3339(),
        "region": "us-east-1",
        "resources": [format!("arn:aws:events:us-east-1:000000000000:rule/{function}")],
        "detail": {}
    })
}

pub fn run_schedules(
    schedules: &[ScheduleDef],
    handlers: &HashMap<String, EventHandler>,
    background: &mut Background,
) -> Result<(), String> {
    for schedule in schedules {
        let handler = handlers
            .get(&schedule.function)
            .cloned()
            .ok_or_else(|| format!("no handler for function {}", schedule.function))?;
        let (function, every, input) = (schedule.function.clone(), schedule.every, schedule.input.clone());
        background.0.push(tokio::spawn(async move {
            let mut ticks = tokio::time::interval(every);
            ticks.tick().await;
            loop {
                ticks.tick().await;
                let event = input.clone().unwrap_or_else(|| schedule_event(&function));
                if let Err(error) = handler(event).await {
                    tracing::warn!(function = %function, error = %error, "scheduled run failed");
                }
            }
        }));
    }
    Ok(())
}
