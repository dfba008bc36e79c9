//! Bus delivery and schedules, locally. Each rule of the template is created on the
//! moto bus with its own event pattern and an SQS queue as target; a loop per queue
//! hands what arrives to the rule's function, as EventBridge invokes it deployed.
//! A failed invocation leaves the message for redelivery, as Lambda's async retries do.

use std::collections::HashMap;
use std::sync::Arc;
use std::time::Duration;

use aws_sdk_eventbridge::types::Target;
use aws_sdk_sqs::types::QueueAttributeName;
use lambda_http::BoxFuture;
use serde_json::{json, Value};

use crate::template::{RuleDef, ScheduleDef};

/// A function invoked with a JSON event.
pub type EventHandler = Arc<dyn Fn(Value) -> BoxFuture<'static, Result<Value, String>> + Send + Sync>;

/// Background work of the local stack; stopped when dropped.
#[derive(Default)]
pub struct Background(Vec<tokio::task::JoinHandle<()>>);

impl Drop for Background {
    fn drop(&mut self) {
        for task in &self.0 {
            task.abort();
        }
    }
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
        let queue_name = format!("{bus}-{}", rule.name);
        let queue = sqs
            .create_queue()
            .queue_name(&queue_name)
            .send()
            .await
            .map_err(|e| format!("creating queue {queue_name}: {e:?}"))?
            .queue_url
            .ok_or("moto returned no queue url")?;
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

pub fn deliver(
    sqs: aws_sdk_sqs::Client,
    queues: Vec<(RuleDef, String)>,
    handlers: &HashMap<String, EventHandler>,
    background: &mut Background,
) -> Result<(), String> {
    for (rule, queue) in queues {
        let handler = handlers
            .get(&rule.function)
            .cloned()
            .ok_or_else(|| format!("no handler for function {}", rule.function))?;
        let sqs = sqs.clone();
        background.0.push(tokio::spawn(async move {
            loop {
                let received =
                    sqs.receive_message().queue_url(&queue).max_number_of_messages(10).wait_time_seconds(1).send().await;
                let messages = match received {
                    Ok(output) => output.messages.unwrap_or_default(),
                    Err(error) => {
                        tracing::warn!(rule = %rule.name, error = ?error, "receiving from the rule's queue");
                        tokio::time::sleep(Duration::from_secs(1)).await;
                        continue;
                    }
                };
                for message in messages {
                    let event: Value = serde_json::from_str(message.body().unwrap_or("null")).unwrap_or(Value::Null);
                    match handler(event).await {
                        Ok(_) => {
                            if let Some(receipt) = message.receipt_handle() {
                                let _ = sqs.delete_message().queue_url(&queue).receipt_handle(receipt).send().await;
                            }
                        }
                        Err(error) => {
                            tracing::warn!(rule = %rule.name, function = %rule.function, error = %error, "delivery failed; it will be retried")
                        }
                    }
                }
            }
        }));
    }
    Ok(())
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
        let (function, every) = (schedule.function.clone(), schedule.every);
        background.0.push(tokio::spawn(async move {
            let mut ticks = tokio::time::interval(every);
            ticks.tick().await;
            loop {
                ticks.tick().await;
                if let Err(error) = handler(schedule_event(&function)).await {
                    tracing::warn!(function = %function, error = %error, "scheduled run failed");
                }
            }
        }));
    }
    Ok(())
}
