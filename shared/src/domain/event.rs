//! The events Partner Hub puts on the bus, one variant per `detail-type`, and the
//! envelope each is written to the table's outbox in (the stream carries it to the
//! bus): `source: "partnerhub"`, and a detail that always carries a unique
//! `event_id` and `occurred_at`.

use chrono::{DateTime, Utc};
use serde::{Deserialize, Serialize};

use crate::domain::{Kind, OrgId, Origin, RemovedBy, Severity};
use crate::error::{AppError, Result};

/// The bus's `source` of every event.
pub const EVENT_SOURCE: &str = "partnerhub";

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct EventEnvelope {
    pub detail_type: String,
    pub event_id: uuid::Uuid,
    pub occurred_at: DateTime<Utc>,
    /// The event's own fields; `event_id` and `occurred_at` are added on publishing.
    pub detail: serde_json::Map<String, serde_json::Value>,
}

/// An event's `detail` as the bus delivers it: its own fields beside the
/// `event_id` and `occurred_at` every Partner Hub event carries.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct EventDetail {
    pub event_id: uuid::Uuid,
    pub occurred_at: DateTime<Utc>,
    #[serde(flatten)]
    pub fields: serde_json::Map<String, serde_json::Value>,
}

impl EventEnvelope {
    /// The event a rule delivered, from its `detail-type` and `detail`.
    pub fn from_bus(detail_type: String, detail: EventDetail) -> Self {
        Self {
            detail_type,
            event_id: detail.event_id,
            occurred_at: detail.occurred_at,
            detail: detail.fields,
        }
    }

    /// The detail as it goes on the bus.
    pub fn detail_json(&self) -> serde_json::Value {
        let mut detail = self.detail.clone();
        detail.insert("event_id".into(), self.event_id.to_string().into());
        detail.insert("occurred_at".into(), self.occurred_at.to_rfc3339().into());
        serde_json::Value::Object(detail)
    }
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(tag = "detail_type", content = "detail")]
pub enum DomainEvent {
    ConnectionCreated {
        partner_id: OrgId,
        customer_id: OrgId,
        origin: Origin,
    },
    ConnectionRemoved {
        partner_id: OrgId,
        customer_id: OrgId,
        removed_by: RemovedBy,
    },
    CustomerAdded {
        partner_id: OrgId,
        customer_id: OrgId,
        contact_email: String,
        #[serde(default)]
        contact_name: Option<String>,
    },
    CustomerInvited {
        partner_id: OrgId,
        email: String,
        #[serde(default)]
        message: Option<String>,
    },
    AdminInvited {
        org_id: OrgId,
        invitation_id: uuid::Uuid,
    },
    AdminInvitationAccepted {
        org_id: OrgId,
        invitation_id: uuid::Uuid,
        sub: String,
    },
    AdminRemoved {
        org_id: OrgId,
        /// The removed person, who is told.
        email: String,
        /// Whether they removed themselves.
        by_self: bool,
    },
    LicenseAllocated {
        partner_id: OrgId,
        order_id: String,
        allocation_id: uuid::Uuid,
        target_org_id: OrgId,
        quantity: u32,
    },
    ServiceAdded {
        org_id: OrgId,
        entitlement_id: uuid::Uuid,
        service: String,
        kind: Kind,
    },
    TrialApproved {
        org_id: OrgId,
        entitlement_id: uuid::Uuid,
        service: String,
        expires_at: DateTime<Utc>,
    },
    TrialDeclined {
        org_id: OrgId,
        entitlement_id: uuid::Uuid,
        service: String,
        #[serde(default)]
        reason: Option<String>,
    },
    /// A trial or paid term ends within 7 days.
    EntitlementExpiring {
        org_id: OrgId,
        entitlement_id: uuid::Uuid,
        service: String,
        kind: Kind,
        expires_at: DateTime<Utc>,
    },
    EntitlementExpired {
        org_id: OrgId,
        entitlement_id: uuid::Uuid,
        service: String,
        kind: Kind,
        expired_at: DateTime<Utc>,
    },
    SupportTicketOpened {
        org_id: OrgId,
        ticket_id: uuid::Uuid,
        subject: String,
        severity: Severity,
    },
    /// The partner's active customers reached the "near the limit" mark (90 of 100).
    CustomerLimitNear {
        partner_id: OrgId,
        customers: u32,
        limit: u32,
    },
}

impl DomainEvent {
    /// The one `CustomerLimitNear` of a partner. Its id derives from the partner, so
    /// the store (which writes it in the connecting transaction) and the use case
    /// (which publishes it) build the same envelope.
    pub fn limit_near(partner: &OrgId, at: DateTime<Utc>) -> Result<EventEnvelope> {
        let id = uuid::Uuid::new_v5(&uuid::Uuid::NAMESPACE_URL, format!("limit-near:{partner}").as_bytes());
        Self::CustomerLimitNear {
            partner_id: partner.clone(),
            customers: crate::domain::CUSTOMER_LIMIT_NEAR,
            limit: crate::domain::PARTNER_CUSTOMER_LIMIT,
        }
        .envelope(id, at)
    }

    pub fn envelope(&self, event_id: uuid::Uuid, occurred_at: DateTime<Utc>) -> Result<EventEnvelope> {
        let tagged = serde_json::to_value(self).map_err(AppError::internal)?;
        let detail_type = tagged["detail_type"].as_str().unwrap_or_default().to_string();
        let detail = tagged["detail"].as_object().cloned().unwrap_or_default();
        Ok(EventEnvelope { detail_type, event_id, occurred_at, detail })
    }

    /// Reads an event back from its `detail-type` and detail; `None` for kinds this
    /// version does not know.
    pub fn from_parts(detail_type: &str, detail: &serde_json::Value) -> Option<Self> {
        serde_json::from_value(serde_json::json!({"detail_type": detail_type, "detail": detail})).ok()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn events_round_trip_through_their_bus_shape() {
        let event = DomainEvent::ConnectionRemoved {
            partner_id: OrgId::from_number(1),
            customer_id: OrgId::from_number(2),
            removed_by: RemovedBy::Customer,
        };
        let envelope = event.envelope(uuid::Uuid::new_v4(), Utc::now()).unwrap();
        assert_eq!(envelope.detail_type, "ConnectionRemoved");
        let detail = envelope.detail_json();
        assert_eq!(detail["removed_by"], "customer");
        assert!(detail["event_id"].is_string() && detail["occurred_at"].is_string());
        assert_eq!(DomainEvent::from_parts("ConnectionRemoved", &detail), Some(event));
        assert_eq!(DomainEvent::from_parts("Unknown", &detail), None);
    }
}
