//! The scheduled expiry notices: `EntitlementExpiring` 7 days before a trial or a paid
//! term ends and `EntitlementExpired` once it has, each once. Each notice is recorded
//! on the entitlement in the same transaction as its event's outbox item, on a
//! condition that it was not recorded before, so overlapping or repeated runs send
//! nothing twice.

use super::Context;
use chrono::Duration;
use serde::Serialize;

use crate::domain::DomainEvent;
use crate::domain::Kind;
use crate::error::Result;
use crate::store::EndNotice;

/// How long before its end an entitlement's `EntitlementExpiring` goes out.
pub const EXPIRING_NOTICE: Duration = Duration::days(7);

#[derive(Debug, Default, Serialize, PartialEq, Eq)]
pub struct ExpiryReport {
    pub expiring: usize,
    pub expired: usize,
}

pub async fn run(cx: &Context<'_>) -> Result<ExpiryReport> {
    let now = cx.clock.now();
    let mut report = ExpiryReport::default();
    for ending in cx.store.ending_before(now + EXPIRING_NOTICE).await? {
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
        let event = event.envelope(cx.ids.uuid(), now)?;
        if cx.store.record_notice(e, notice, &event).await? {
            match notice {
                EndNotice::Expiring => report.expiring += 1,
                EndNotice::Expired => report.expired += 1,
            }
        }
    }
    Ok(report)
}
