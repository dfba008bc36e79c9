//! The outbox: an event is written in the same transaction as the state change it
//! reports, then published. Publishing right away is the fast path; the relay
//! publishes whatever is still waiting (a failed PutEvents, a timed-out invocation),
//! so what committed always reaches the bus, at least once.

use crate::error::Result;
use crate::ports::{EventPublisher, OutboxStore};

use super::EventEnvelope;

/// Publishes events that were just committed. A failure is logged, not returned: the
/// state change stands and the relay will publish the event later.
pub async fn publish_committed(
    publisher: &dyn EventPublisher,
    outbox: &dyn OutboxStore,
    events: &[EventEnvelope],
) {
    if events.is_empty() {
        return;
    }
    match publisher.publish(events).await {
        Ok(()) => {
            let ids: Vec<uuid::Uuid> = events.iter().map(|e| e.event_id).collect();
            if let Err(error) = outbox.remove_published(&ids).await {
                tracing::warn!(error = %error, "published events stay in the outbox; the relay will resend them");
            }
        }
        Err(error) => {
            tracing::warn!(error = %error, count = events.len(), "publishing failed; left for the outbox relay")
        }
    }
}

/// Publishes every waiting event, oldest first; returns how many went out.
pub async fn relay(publisher: &dyn EventPublisher, outbox: &dyn OutboxStore) -> Result<usize> {
    let mut sent = 0;
    loop {
        let waiting = outbox.waiting(100).await?;
        if waiting.is_empty() {
            return Ok(sent);
        }
        publisher.publish(&waiting).await?;
        let ids: Vec<uuid::Uuid> = waiting.iter().map(|e| e.event_id).collect();
        outbox.remove_published(&ids).await?;
        sent += waiting.len();
    }
}
