use aws_sdk_eventbridge::types::PutEventsRequestEntry;
use aws_sdk_eventbridge::Client;

use crate::domain::{EventEnvelope, EVENT_SOURCE};
use crate::error::{AppError, Result};

/// PutEvents takes at most 10 entries a call.
const BATCH: usize = 10;

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

impl EventBridgePublisher {
    pub async fn publish(&self, events: &[EventEnvelope]) -> Result<()> {
        for batch in events.chunks(BATCH) {
            let entries = batch
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
            if output.failed_entry_count() > 0 {
                return Err(AppError::internal(format!(
                    "eventbridge rejected {} of {} events",
                    output.failed_entry_count(),
                    batch.len()
                )));
            }
        }
        Ok(())
    }
}
