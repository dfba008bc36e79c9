//! The outbox's item, which still names its own keys; every other item is an
//! [`Entity`](super::entity::Entity) that says its keys next to it.

use serde::{Deserialize, Serialize};

use super::keys;
use crate::domain::EventEnvelope;

#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct OutboxItem {
    #[serde(rename = "PK")]
    pub pk: String,
    #[serde(rename = "SK")]
    pub sk: String,
    #[serde(rename = "GSI1PK")]
    pub gsi1pk: String,
    #[serde(rename = "GSI1SK")]
    pub gsi1sk: String,
    pub entity: String,
    pub event: EventEnvelope,
}

impl OutboxItem {
    pub const ENTITY: &'static str = "OutboxEvent";
}

impl From<&EventEnvelope> for OutboxItem {
    fn from(event: &EventEnvelope) -> Self {
        Self {
            pk: keys::outbox_pk(&event.event_id),
            sk: keys::OUTBOX_SK.to_string(),
            gsi1pk: keys::OUTBOX_GSI1PK.to_string(),
            gsi1sk: format!("{}#{}", keys::timestamp(&event.occurred_at), event.event_id),
            entity: Self::ENTITY.to_string(),
            event: event.clone(),
        }
    }
}
