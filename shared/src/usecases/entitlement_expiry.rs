//! The scheduled expiry notices: `EntitlementExpiring` 7 days before a trial or a paid
//! term ends and `EntitlementExpired` once it has, each once. Each notice is recorded
//! on the entitlement in the same transaction as its event's outbox item, on a
//! condition that it was not recorded before, so overlapping or repeated runs send
//! nothing twice.

use chrono::Duration;
use serde::Serialize;

use crate::domain::Kind;
use crate::error::Result;
use crate::events::{outbox, DomainEvent};
use crate::ports::{Clock, EndNotice, EntitlementStore, EventPublisher, IdSource, OutboxStore};

/// How long before its end an entitlement's `EntitlementExpiring` goes out.
pub const EXPIRING_NOTICE: Duration = Duration::days(7);

pub struct ExpiryPorts<'a> {
    pub entitlements: &'a dyn EntitlementStore,
    pub outbox: &'a dyn OutboxStore,
    pub publisher: &'a dyn EventPublisher,
    pub clock: &'a dyn Clock,
    pub ids: &'a dyn IdSource,
}

#[derive(Debug, Default, Serialize, PartialEq, Eq)]
pub struct ExpiryReport {
    pub expiring: usize,
    pub expired: usize,
}

pub async fn run(ports: &ExpiryPorts<'_>) -> Result<ExpiryReport> {
    let now = ports.clock.now();
    let mut report = ExpiryReport::default();
    let mut published = Vec::new();
    for ending in ports.entitlements.ending_before(now + EXPIRING_NOTICE).await? {
        let e = &ending.entitlement;
        let Some(end) = e.expires_at else { continue };
        // Resell accounts do not end; only trials and paid terms are told of.
        if e.kind == Kind::Resell {
            continue;
        }
        let (notice, event) = if end <= now {
            let event = DomainEvent::EntitlementExpired {
                org_id: e.org_id.clone(),
                entitlement_id: e.entitlement_id,
                service: e.service.clone(),
                kind: e.kind,
                expired_at: end,
            };
            (EndNotice::Expired, event)
        } else if !ending.expiring_sent {
            let event = DomainEvent::EntitlementExpiring {
                org_id: e.org_id.clone(),
                entitlement_id: e.entitlement_id,
                service: e.service.clone(),
                kind: e.kind,
                expires_at: end,
            };
            (EndNotice::Expiring, event)
        } else {
            continue;
        };
        let event = event.envelope(ports.ids.uuid(), now)?;
        if ports.entitlements.record_notice(e, notice, &event).await? {
            match notice {
                EndNotice::Expiring => report.expiring += 1,
                EndNotice::Expired => report.expired += 1,
            }
            published.push(event);
        }
    }
    for chunk in published.chunks(10) {
        outbox::publish_committed(ports.publisher, ports.outbox, chunk).await;
    }
    Ok(report)
}
