//! Services and entitlements: the catalog, adding a trial, a paid subscription or a
//! partner's own "Resell SD-WAN" account, and reading an org's entitlements.

use chrono::{DateTime, Months, NaiveDate, Utc};
use serde::{Deserialize, Serialize};

use super::access;
use crate::domain::{
    service, trial_end, AuditAction, AuditEntry, Caller, Entitlement, EntitlementStatus, Kind, OrgId,
    Permission, Term, GATEWAY, SDWAN_ORCHESTRATOR,
};
use crate::error::{AppError, Result};
use crate::events::{outbox, DomainEvent};
use crate::ports::{
    Clock, ConnectionStore, EntitlementStore, EventPublisher, IdSource, OrgStore, OutboxStore,
};

pub struct ServicePorts<'a> {
    pub orgs: &'a dyn OrgStore,
    pub connections: &'a dyn ConnectionStore,
    pub entitlements: &'a dyn EntitlementStore,
    pub outbox: &'a dyn OutboxStore,
    pub publisher: &'a dyn EventPublisher,
    pub clock: &'a dyn Clock,
    pub ids: &'a dyn IdSource,
}

#[derive(Debug, Deserialize)]
pub struct AddService {
    pub service: String,
    pub kind: String,
    #[serde(default)]
    pub license_count: Option<i64>,
    #[serde(default)]
    pub term: Option<String>,
    #[serde(default)]
    pub starts_at: Option<String>,
    #[serde(default)]
    pub expires_at: Option<String>,
    #[serde(default)]
    pub committed_gb: Option<i64>,
}

/// An entitlement as the contract shows it, its status computed now.
#[derive(Debug, Serialize, PartialEq, Eq)]
pub struct EntitlementView {
    pub entitlement_id: uuid::Uuid,
    pub service: String,
    pub kind: Kind,
    pub status: EntitlementStatus,
    pub license_count: Option<u32>,
    pub term: Option<Term>,
    pub starts_at: DateTime<Utc>,
    pub expires_at: Option<DateTime<Utc>>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub committed_gb: Option<u64>,
}

impl EntitlementView {
    pub fn of(e: &Entitlement, now: DateTime<Utc>) -> Self {
        Self {
            entitlement_id: e.entitlement_id,
            service: e.service.clone(),
            kind: e.kind,
            status: e.status(now),
            license_count: e.license_count,
            term: e.term,
            starts_at: e.starts_at,
            expires_at: e.expires_at,
            committed_gb: e.committed_gb,
        }
    }
}

fn parse_time(field: &str, raw: &str) -> Result<DateTime<Utc>> {
    if let Ok(at) = DateTime::parse_from_rfc3339(raw) {
        return Ok(at.with_timezone(&Utc));
    }
    NaiveDate::parse_from_str(raw, "%Y-%m-%d")
        .ok()
        .and_then(|d| d.and_hms_opt(0, 0, 0))
        .map(|d| d.and_utc())
        .ok_or_else(|| {
            AppError::invalid(format!("{field} must be an RFC 3339 timestamp or a YYYY-MM-DD date"))
        })
}

fn positive(field: &str, value: Option<i64>) -> Result<Option<u32>> {
    match value {
        None => Ok(None),
        Some(n) if n > 0 && n <= i64::from(u32::MAX) => Ok(Some(n as u32)),
        Some(_) => Err(AppError::invalid(format!("{field} must be a positive integer"))),
    }
}

/// Checks the request against the rules of its kind and builds the entitlement.
fn entitlement_for(
    input: AddService,
    org: &OrgId,
    caller: &Caller,
    now: DateTime<Utc>,
    id: uuid::Uuid,
) -> Result<Entitlement> {
    let offering = service(&input.service)?;
    let kind: Kind = serde_json::from_value(serde_json::Value::String(input.kind.clone()))
        .map_err(|_| AppError::invalid("kind must be one of: trial, paid, resell"))?;
    let term = input
        .term
        .as_deref()
        .map(|t| {
            serde_json::from_value::<Term>(serde_json::Value::String(t.to_string()))
                .map_err(|_| AppError::invalid("term must be one of: monthly, annual, termed"))
        })
        .transpose()?;
    let starts_at =
        input.starts_at.as_deref().map(|s| parse_time("starts_at", s)).transpose()?.unwrap_or(now);
    let mut entitlement = Entitlement {
        entitlement_id: id,
        org_id: org.clone(),
        service: offering.service.to_string(),
        kind,
        pending_approval: false,
        license_count: None,
        term: None,
        starts_at,
        expires_at: None,
        committed_gb: None,
        added_by: caller.sub.clone(),
        added_at: now,
    };
    match kind {
        Kind::Trial => {
            entitlement.pending_approval = offering.trial_requires_approval;
            if !entitlement.pending_approval {
                entitlement.expires_at = Some(trial_end(starts_at, offering));
            }
            entitlement.license_count = positive("license_count", input.license_count)?;
        }
        Kind::Paid => {
            let count = positive("license_count", input.license_count)?
                .ok_or_else(|| AppError::invalid("license_count is required for a paid service"))?;
            let term = term.ok_or_else(|| AppError::invalid("term is required for a paid service"))?;
            let expires_at = match (term, input.expires_at.as_deref()) {
                (_, Some(raw)) => parse_time("expires_at", raw)?,
                (Term::Monthly, None) => starts_at.checked_add_months(Months::new(1)).unwrap_or(starts_at),
                (Term::Annual, None) => starts_at.checked_add_months(Months::new(12)).unwrap_or(starts_at),
                (Term::Termed, None) => {
                    return Err(AppError::invalid("expires_at is required for a termed subscription"))
                }
            };
            if expires_at <= starts_at {
                return Err(AppError::invalid("expires_at must be after starts_at"));
            }
            if offering.service == GATEWAY {
                let gb = positive("committed_gb", input.committed_gb)?.ok_or_else(|| {
                    AppError::invalid("committed_gb is required for a paid gateway service")
                })?;
                entitlement.committed_gb = Some(u64::from(gb));
            }
            entitlement.license_count = Some(count);
            entitlement.term = Some(term);
            entitlement.expires_at = Some(expires_at);
        }
        Kind::Resell if offering.service != SDWAN_ORCHESTRATOR => {
            return Err(AppError::invalid("kind resell is only offered for sdwan-orchestrator"))
        }
        Kind::Resell => {}
    }
    Ok(entitlement)
}

pub async fn add_service(
    ports: &ServicePorts<'_>,
    caller: &Caller,
    org: &OrgId,
    input: AddService,
) -> Result<EntitlementView> {
    let resell = input.kind == "resell";
    let standing = if resell {
        // A partner's own provider account: full administrators of a partner only.
        access::partner_admin_with(ports.orgs, ports.clock, caller, org, None).await?
    } else {
        access::admin_with(ports.orgs, ports.clock, caller, org, Permission::ServicesManage).await?
    };
    let now = ports.clock.now();
    let entitlement = entitlement_for(input, org, caller, now, ports.ids.uuid())?;
    let event = DomainEvent::ServiceAdded {
        org_id: org.clone(),
        entitlement_id: entitlement.entitlement_id,
        service: entitlement.service.clone(),
        kind: entitlement.kind,
    }
    .envelope(ports.ids.uuid(), now)?;
    let audit = AuditEntry::new(
        org,
        ports.ids.uuid(),
        now,
        standing.actor(caller),
        AuditAction::ServiceAdded,
        entitlement.service.clone(),
        serde_json::json!({
            "entitlement_id": entitlement.entitlement_id,
            "kind": entitlement.kind,
            "status": entitlement.status(now),
        }),
    );
    if !ports.entitlements.add_entitlement(&entitlement, now, &event, &audit).await? {
        return Err(AppError::AlreadyEntitled);
    }
    outbox::publish_committed(ports.publisher, ports.outbox, std::slice::from_ref(&event)).await;
    Ok(EntitlementView::of(&entitlement, now))
}

/// `GET /v1/orgs/{org_id}/entitlements`: the org's own administrators, or an
/// administrator of a partner connected to it.
pub async fn entitlements(
    ports: &ServicePorts<'_>,
    caller: &Caller,
    org: &OrgId,
) -> Result<Vec<EntitlementView>> {
    if access::admin_of(ports.orgs, ports.clock, caller, org).await.is_err()
        && !is_connected_partner_admin(ports, caller, org).await?
    {
        return Err(AppError::not_found("organization not found"));
    }
    let now = ports.clock.now();
    Ok(ports.entitlements.entitlements_of(org).await?.iter().map(|e| EntitlementView::of(e, now)).collect())
}

async fn is_connected_partner_admin(
    ports: &ServicePorts<'_>,
    caller: &Caller,
    customer: &OrgId,
) -> Result<bool> {
    let now = ports.clock.now();
    for (admin, org) in ports.orgs.orgs_of_admin(&caller.sub).await? {
        // A connected partner's administrators read what the customer holds.
        if org.is_partner()
            && admin.is_current(now)
            && ports.connections.connection(&org.org_id, customer).await?.is_some()
        {
            return Ok(true);
        }
    }
    Ok(false)
}
