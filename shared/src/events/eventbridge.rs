use async_trait::async_trait;
use aws_sdk_eventbridge::types::PutEventsRequestEntry;
use aws_sdk_eventbridge::Client;

use crate::domain::{EventEnvelope, EVENT_SOURCE};
use crate::error::{warm_up_outcome, AppError, Result};

/// PutEvents takes at most 10 entries a call.
pub const MAX_ENTRIES: usize = 10;

/// What the outbox relay needs of the bus: one PutEvents call, entry by entry. (A
/// trait for the relay's unit tests, which put a bus that refuses entries in its place.)
#[async_trait]
pub trait EntryPublisher: Send + Sync {
    /// Puts at most [`MAX_ENTRIES`] events in one call, in order. Answers, for each
    /// event, `None` when it is on the bus or why it is not; `Err` when the call
    /// failed as a whole (none of them is on the bus).
    async fn put_entries(&self, events: &[EventEnvelope]) -> Result<Vec<Option<String>>>;
}

#[derive(Clone, Debug)]
pub struct EventBridgePublisher {
    client: Client,
    bus: String,
}

impl EventBridgePublisher {
    pub fn new(client: Client, bus: impl Into<String>) -> Self {
        Self { client, bus: bus.into() }
    }

    /// Opens the connection at init: `DescribeEventBus` of this bus.
    pub async fn warm_up(&self) -> Result<()> {
        warm_up_outcome(
            "eventbridge DescribeEventBus",
            self.client.describe_event_bus().name(&self.bus).send().await,
        )
    }
}

#[async_trait]
impl EntryPublisher for EventBridgePublisher {
    /// One PutEvents call. Its answer lists one result entry per request entry, in
    /// order; an entry with an error code was not put (`FailedEntryCount` counts them).
    async fn put_entries(&self, events: &[EventEnvelope]) -> Result<Vec<Option<String>>> {
        if events.is_empty() {
            return Ok(Vec::new());
        }
        if events.len() > MAX_ENTRIES {
            return Err(AppError::internal(format!(
                "PutEvents takes at most {MAX_ENTRIES} entries, not {}",
                events.len()
            )));
        }
        let entries = events
            .iter()
            .map(|event| {
                PutEventsRequestEntry::builder()
                    .event_bus_name(&self.bus)
                    .source(EVENT_SOURCE)
                    .detail_type(&event.detail_type)
                    .detail(event.detail_json().to_string())
                    .build()
            })
            .collect::<Vec<_>>();
        let output = self
            .client
            .put_events()
            .set_entries(Some(entries))
            .send()
            .await
            .map_err(|e| AppError::internal(format!("eventbridge put_events: {e:?}")))?;
        let results = output.entries();
        let outcome = (0..events.len())
            .map(|n| match results.get(n) {
                Some(entry) => entry.error_code().map(|code| {
                    format!(
                        "eventbridge refused the event: {code} {}",
                        entry.error_message().unwrap_or_default()
                    )
                }),
                // No result for it: put, unless the answer counts failures it does not
                // name (then only what it names as put is trusted).
                None if output.failed_entry_count() > 0 => {
                    Some("eventbridge gave no result for the event".to_string())
                }
                None => None,
            })
            .collect();
        Ok(outcome)
    }
}
