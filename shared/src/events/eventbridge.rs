use async_trait::async_trait;
use aws_sdk_eventbridge::types::PutEventsRequestEntry;
use aws_sdk_eventbridge::Client;

use super::relay::{EntryPublisher, MAX_ENTRIES};
use super::{EventEnvelope, SOURCE};
use crate::error::{AppError, Result};
use crate::ports::EventPublisher;

#[derive(Clone, Debug)]
pub struct EventBridgePublisher {
    client: Client,
    bus: String,
}

impl EventBridgePublisher {
    pub fn new(client: Client, bus: impl Into<String>) -> Self {
        Self { client, bus: bus.into() }
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
                    .source(SOURCE)
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

#[async_trait]
impl EventPublisher for EventBridgePublisher {
    async fn publish(&self, events: &[EventEnvelope]) -> Result<()> {
        for batch in events.chunks(MAX_ENTRIES) {
            let outcome = self.put_entries(batch).await?;
            let failed = outcome.iter().filter(|o| o.is_some()).count();
            if failed > 0 {
                return Err(AppError::internal(format!(
                    "eventbridge rejected {failed} of {} events",
                    batch.len()
                )));
            }
        }
        Ok(())
    }
}
