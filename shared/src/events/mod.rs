//! Events on the bus: `source: "partnerhub"`, one `detail-type` per kind, and a detail
//! that always carries a unique `event_id` and `occurred_at`.

mod eventbridge;
mod kinds;
pub mod outbox;
pub mod relay;

pub use eventbridge::EventBridgePublisher;
pub use kinds::DomainEvent;

use chrono::{DateTime, Utc};
use serde::{Deserialize, Serialize};

pub const SOURCE: &str = "partnerhub";

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct EventEnvelope {
    pub detail_type: String,
    pub event_id: uuid::Uuid,
    pub occurred_at: DateTime<Utc>,
    /// The event's own fields; `event_id` and `occurred_at` are added on publishing.
    pub detail: serde_json::Map<String, serde_json::Value>,
}

impl EventEnvelope {
    /// The detail as it goes on the bus.
    pub fn detail_json(&self) -> serde_json::Value {
        let mut detail = self.detail.clone();
        detail.insert("event_id".into(), self.event_id.to_string().into());
        detail.insert("occurred_at".into(), self.occurred_at.to_rfc3339().into());
        serde_json::Value::Object(detail)
    }
}
