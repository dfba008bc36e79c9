//! The outbox: each event is an item written in the same transaction as the change
//! it reports. Its INSERT on the table's stream is what publishes it (see
//! `events::relay`); the item itself stays until the table's TTL removes it.

use async_trait::async_trait;
use serde::Deserialize;

use super::dynamo::DynamoStore;
use super::items::OutboxItem;
use crate::error::Result;
use crate::events::EventEnvelope;
use crate::ports::OutboxStore;

#[async_trait]
impl OutboxStore for DynamoStore {
    async fn append(&self, events: &[EventEnvelope]) -> Result<()> {
        if events.is_empty() {
            return Ok(());
        }
        self.transact(self.outbox_writes(events)?).await?;
        Ok(())
    }
}

/// What an item image from the table's stream holds, as far as the outbox goes.
#[derive(Debug, Clone, PartialEq)]
pub enum OutboxImage {
    /// An outbox item: its event.
    Event(Box<EventEnvelope>),
    /// Another kind of item (or none at all): not an event to publish.
    NotOutbox,
}

/// The image's `entity`, read alone so that a broken event still says what it is.
#[derive(Deserialize)]
struct Entity {
    #[serde(default)]
    entity: Option<String>,
}

#[derive(Deserialize)]
struct Event {
    event: EventEnvelope,
}

/// Reads a stream record's new image. `Err` names why an item that says it is an
/// outbox item does not hold an event (the message says where, never the values, so
/// that it can be logged: events carry email addresses).
pub fn outbox_image(image: serde_dynamo::Item) -> std::result::Result<OutboxImage, String> {
    let entity: Entity = serde_dynamo::from_item(image.clone()).map_err(|_| "the image is not an item")?;
    if entity.entity.as_deref() != Some(OutboxItem::ENTITY) {
        return Ok(OutboxImage::NotOutbox);
    }
    match serde_dynamo::from_item::<_, Event>(image) {
        Ok(Event { event }) => Ok(OutboxImage::Event(Box::new(event))),
        Err(error) => {
            Err(format!("the outbox item's event does not decode ({})", shape_of(&error.to_string())))
        }
    }
}

/// A decoding error without the values it may quote: the text up to the first quote
/// or colon (e.g. "missing field `event_id`" stays, "invalid type: string \"a@b\"…"
/// becomes "invalid type").
fn shape_of(error: &str) -> &str {
    let end = error.find(['"', ':']).unwrap_or(error.len());
    error[..end].trim()
}

#[cfg(test)]
mod tests {
    use super::*;

    fn envelope() -> EventEnvelope {
        EventEnvelope {
            detail_type: "ConnectionCreated".into(),
            event_id: uuid::Uuid::new_v4(),
            occurred_at: chrono::Utc::now(),
            detail: serde_json::json!({"partner_id": "12345678", "email": "a@example.com", "n": 3})
                .as_object()
                .cloned()
                .unwrap_or_default(),
        }
    }

    #[test]
    fn an_outbox_item_carries_its_event_and_expires_a_week_after_it() {
        let event = envelope();
        let item = OutboxItem::from(&event);
        assert_eq!(item.ttl, (event.occurred_at + chrono::TimeDelta::days(7)).timestamp());
        let image: serde_dynamo::Item = serde_dynamo::to_item(&item).unwrap();
        assert!(!image.contains_key("GSI1PK") && !image.contains_key("GSI1SK"), "on no index");
        assert!(image.contains_key("ttl"));
        assert_eq!(outbox_image(image), Ok(OutboxImage::Event(Box::new(event))));
    }

    #[test]
    fn other_items_are_not_events_and_a_broken_outbox_item_says_why_without_its_values() {
        let other: serde_dynamo::Item =
            serde_dynamo::to_item(serde_json::json!({"PK": "ORG#1", "entity": "Org"})).unwrap();
        assert_eq!(outbox_image(other), Ok(OutboxImage::NotOutbox));
        let none: serde_dynamo::Item = serde_dynamo::to_item(serde_json::json!({"PK": "X"})).unwrap();
        assert_eq!(outbox_image(none), Ok(OutboxImage::NotOutbox));

        let broken: serde_dynamo::Item = serde_dynamo::to_item(serde_json::json!({
            "PK": "OUTBOX#1", "SK": "OUTBOX", "entity": "OutboxEvent",
            "event": {"detail_type": "X", "event_id": "secret@example.com", "occurred_at": "never", "detail": {}}
        }))
        .unwrap();
        let why = outbox_image(broken).unwrap_err();
        assert!(why.starts_with("the outbox item's event does not decode"), "{why}");
        assert!(!why.contains('@'), "{why}");
        let missing: serde_dynamo::Item =
            serde_dynamo::to_item(serde_json::json!({"PK": "OUTBOX#1", "entity": "OutboxEvent"})).unwrap();
        assert!(outbox_image(missing).unwrap_err().contains("missing field"));
    }
}
