//! The outbox: each event is an item written in the same transaction as the change
//! it reports. Its INSERT on the table's stream is what publishes it (the
//! `outbox-relay` function, `usecases::relay_events`); the item itself stays until
//! the table's TTL removes it.

use serde::{Deserialize, Serialize};

use super::dynamo::DynamoStore;
use super::entity::{to_item, Entity, Key};
use super::keys;
use super::transact::{Part, Write};
use crate::domain::EventEnvelope;
use crate::error::Result;

/// How long an outbox item stays in the table: well past the stream's 24 hours, so an
/// event whose stream record went to the relay's dead-letter queue can still be read
/// and replayed from the table.
pub const OUTBOX_RETENTION: chrono::TimeDelta = chrono::TimeDelta::days(7);

/// An event as the table holds it until the stream has carried it to the bus.
#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct OutboxEvent {
    pub event: EventEnvelope,
}

impl Entity for OutboxEvent {
    const TYPE: &'static str = "OutboxEvent";

    fn key(&self) -> Key {
        Key::new(keys::outbox_pk(&self.event.event_id), keys::OUTBOX_SK)
    }

    fn expires_at(&self) -> Option<i64> {
        Some((self.event.occurred_at + OUTBOX_RETENTION).timestamp())
    }
}

impl DynamoStore {
    /// The puts of `events`' outbox items, to go in the transaction of their change.
    pub(super) fn outbox_writes(&self, events: &[EventEnvelope]) -> Result<Vec<Write>> {
        events
            .iter()
            .map(|e| self.put_new(Part::Outbox, to_item(&OutboxEvent { event: e.clone() })?))
            .collect()
    }

    /// Writes events that accompany no other state change.
    pub async fn append(&self, events: &[EventEnvelope]) -> Result<()> {
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
struct EntityName {
    #[serde(default)]
    entity: Option<String>,
}

/// Reads a stream record's new image. `Err` names why an item that says it is an
/// outbox item does not hold an event (the message says where, never the values, so
/// that it can be logged: events carry email addresses).
pub fn outbox_image(image: serde_dynamo::Item) -> std::result::Result<OutboxImage, String> {
    let named: EntityName = serde_dynamo::from_item(image.clone()).map_err(|_| "the image is not an item")?;
    if named.entity.as_deref() != Some(OutboxEvent::TYPE) {
        return Ok(OutboxImage::NotOutbox);
    }
    match serde_dynamo::from_item::<_, OutboxEvent>(image) {
        Ok(OutboxEvent { event }) => Ok(OutboxImage::Event(Box::new(event))),
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
        let image = to_item(&OutboxEvent { event: event.clone() }).unwrap();
        let ttl = (event.occurred_at + chrono::TimeDelta::days(7)).timestamp().to_string();
        assert_eq!(image.get("ttl").and_then(|v| v.as_n().ok()), Some(&ttl));
        assert!(!image.contains_key("GSI1PK") && !image.contains_key("GSI1SK"), "on no index");
        assert_eq!(outbox_image(image.into()), Ok(OutboxImage::Event(Box::new(event))));
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
