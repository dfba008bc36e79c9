//! Services and entitlements: the catalog, adding a trial, a paid subscription or a
//! partner's own "Resell SD-WAN" account, and reading an org's entitlements.

use super::Context;
use chrono::{DateTime, Datelike, Months, NaiveDate, Utc};
use serde::{Deserialize, Serialize};

use super::access;
use crate::domain::DomainEvent;
use crate::domain::{
    service, time, trial_end, Actor, AuditAction, AuditEntry, Caller, Entitlement, EntitlementStatus, Kind,
    MachineClient, OrgId, Permission, Term, GATEWAY, MAX_TRIAL_LEAD, SDWAN_ORCHESTRATOR,
};
use crate::error::{AppError, Result};
use crate::store::AddEntitlement;

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
    #[serde(skip_serializing_if = "Option::is_none")]
    pub approved_at: Option<DateTime<Utc>>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub declined_at: Option<DateTime<Utc>>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub decline_reason: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub converted_at: Option<DateTime<Utc>>,
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
            approved_at: e.approved_at,
            declined_at: e.declined_at,
            decline_reason: e.decline_reason.clone(),
            converted_at: e.converted_at,
        }
    }
}

/// The most licenses one entitlement may count: far above any real subscription.
pub const MAX_LICENSE_COUNT: u32 = 1_000_000;
/// The most GB a gateway commitment may be: a million TB.
pub const MAX_COMMITTED_GB: u32 = 1_000_000_000;

fn count(field: &str, value: Option<i64>, max: u32) -> Result<Option<u32>> {
    match value {
        None => Ok(None),
        Some(n) => u32::try_from(n)
            .ok()
            .filter(|n| (1..=max).contains(n))
            .map(Some)
            .ok_or_else(|| AppError::invalid(format!("{field} must be an integer from 1 to {max}"))),
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
        input.starts_at.as_deref().map(|s| time::parse_instant("starts_at", s)).transpose()?.unwrap_or(now);
    if kind == Kind::Trial && starts_at > now + MAX_TRIAL_LEAD {
        return Err(AppError::invalid("starts_at of a trial must be at most one year ahead"));
    }
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
        approved_at: None,
        declined_at: None,
        decline_reason: None,
        converted_at: None,
    };
    match kind {
        Kind::Trial => {
            entitlement.pending_approval = offering.trial_requires_approval;
            if !entitlement.pending_approval {
                entitlement.expires_at = Some(trial_end(starts_at, offering));
            }
            entitlement.license_count = count("license_count", input.license_count, MAX_LICENSE_COUNT)?;
        }
        Kind::Paid => {
            let licenses = count("license_count", input.license_count, MAX_LICENSE_COUNT)?
                .ok_or_else(|| AppError::invalid("license_count is required for a paid service"))?;
            let term = term.ok_or_else(|| AppError::invalid("term is required for a paid service"))?;
            let expires_at = match (term, input.expires_at.as_deref()) {
                (_, Some(raw)) => time::parse_instant("expires_at", raw)?,
                (Term::Monthly, None) => starts_at.checked_add_months(Months::new(1)).unwrap_or(starts_at),
                (Term::Annual, None) => starts_at.checked_add_months(Months::new(12)).unwrap_or(starts_at),
                (Term::Termed, None) => {
                    return Err(AppError::invalid("expires_at is required for a termed subscription"))
                }
            };
            // A term computed from a late start may end after 9999.
            let expires_at = time::checked("expires_at", expires_at)?;
            if expires_at <= starts_at {
                return Err(AppError::invalid("expires_at must be after starts_at"));
            }
            if offering.service == GATEWAY {
                let gb = count("committed_gb", input.committed_gb, MAX_COMMITTED_GB)?.ok_or_else(|| {
                    AppError::invalid("committed_gb is required for a paid gateway service")
                })?;
                entitlement.committed_gb = Some(u64::from(gb));
            }
            entitlement.license_count = Some(licenses);
            entitlement.term = Some(term);
            entitlement.expires_at = Some(expires_at);
        }
        Kind::Resell if offering.service != SDWAN_ORCHESTRATOR => {
            return Err(AppError::invalid("kind resell is only offered for sdwan-orchestrator"))
        }
        Kind::Resell => {}
    }
    if let Some(end) = entitlement.expires_at {
        time::checked("expires_at", end)?;
    }
    Ok(entitlement)
}

pub async fn add_service(
    cx: &Context<'_>,
    caller: &Caller,
    org: &OrgId,
    input: AddService,
) -> Result<EntitlementView> {
    let resell = input.kind == "resell";
    let standing = if resell {
        // A partner's own provider account: full administrators of a partner only.
        access::partner_admin_with(cx, caller, org, None).await?
    } else {
        access::admin_with(cx, caller, org, Permission::ServicesManage).await?
    };
    let now = cx.clock.now();
    let entitlement = entitlement_for(input, org, caller, now, cx.ids.uuid())?;
    let event = DomainEvent::ServiceAdded {
        org_id: org.clone(),
        entitlement_id: entitlement.entitlement_id,
        service: entitlement.service.clone(),
        kind: entitlement.kind,
    }
    .envelope(cx.ids.uuid(), now)?;
    let dirty = affected_months(&entitlement, now);
    for _ in 0..crate::store::MAX_TRANSACTION_ATTEMPTS {
        // A paid entitlement converts a trial of the same service that runs now.
        let converts = match entitlement.kind {
            Kind::Paid => cx
                .store
                .entitlements_of(org)
                .await?
                .into_iter()
                .find(|e| e.service == entitlement.service && e.is_running_trial(now)),
            _ => None,
        };
        let audit = vec![AuditEntry::new(
            org,
            cx.ids.uuid(),
            now,
            standing.actor(caller),
            AuditAction::ServiceAdded,
            entitlement.service.clone(),
            serde_json::json!({
                "entitlement_id": entitlement.entitlement_id,
                "kind": entitlement.kind,
                "status": entitlement.status(now),
                "converted_trial": converts.as_ref().map(|t| t.entitlement_id),
            }),
        )];
        match cx.store.add_entitlement(&entitlement, now, converts.as_ref(), &dirty, &event, &audit).await? {
            AddEntitlement::Added => {
                return Ok(EntitlementView::of(&entitlement, now));
            }
            AddEntitlement::AlreadyEntitled => return Err(AppError::AlreadyEntitled),
            // The trial ended or changed meanwhile: read again.
            AddEntitlement::Stale => {}
        }
    }
    Err(AppError::Unavailable { retry_after: std::time::Duration::from_secs(1) })
}

/// The months (their first days) whose rollups a paid entitlement changes: those it
/// covers up to the current one, at most the last 24. Marked in the entitlement's
/// own transaction, so purchased and overage never go stale.
fn affected_months(entitlement: &Entitlement, now: DateTime<Utc>) -> Vec<NaiveDate> {
    if entitlement.kind != Kind::Paid {
        return Vec::new();
    }
    let first_of = |d: NaiveDate| d.with_day(1).unwrap_or(d);
    let last = first_of(entitlement.expires_at.map_or(now, |end| end.min(now)).date_naive());
    let mut month = first_of(entitlement.starts_at.date_naive());
    let mut months = Vec::new();
    while month <= last {
        months.push(month);
        match month.checked_add_months(Months::new(1)) {
            Some(next) => month = next,
            None => break,
        }
    }
    let skip = months.len().saturating_sub(24);
    months.split_off(skip)
}

#[derive(Debug, Default, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Decline {
    #[serde(default)]
    pub reason: Option<String>,
}

/// `POST /v1/orgs/{org_id}/entitlements/{entitlement_id}/approve` (the sales desk):
/// a pending trial runs `trial_days` from now.
pub async fn approve(
    cx: &Context<'_>,
    desk: &MachineClient,
    org: &OrgId,
    entitlement_id: &str,
) -> Result<EntitlementView> {
    settle(cx, desk, org, entitlement_id, None).await
}

/// `POST /v1/orgs/{org_id}/entitlements/{entitlement_id}/decline` (the sales desk).
pub async fn decline(
    cx: &Context<'_>,
    desk: &MachineClient,
    org: &OrgId,
    entitlement_id: &str,
    input: Decline,
) -> Result<EntitlementView> {
    let reason = input.reason.map(|r| r.trim().to_string()).filter(|r| !r.is_empty());
    if reason.as_ref().is_some_and(|r| r.chars().count() > 1000) {
        return Err(AppError::invalid("reason must be at most 1000 characters"));
    }
    settle(cx, desk, org, entitlement_id, Some(reason)).await
}

/// Approves (`declined: None`) or declines a pending trial.
async fn settle(
    cx: &Context<'_>,
    desk: &MachineClient,
    org: &OrgId,
    entitlement_id: &str,
    declined: Option<Option<String>>,
) -> Result<EntitlementView> {
    let not_found = || AppError::not_found("entitlement not found");
    let id = uuid::Uuid::parse_str(entitlement_id).map_err(|_| not_found())?;
    let before = cx.store.entitlement(org, &id).await?.ok_or_else(not_found)?;
    let now = cx.clock.now();
    if before.status(now) != EntitlementStatus::TrialPending {
        return Err(AppError::Conflict(format!(
            "the entitlement is {}, not a trial waiting for approval",
            before.status(now).as_str()
        )));
    }
    let mut after = before.clone();
    after.pending_approval = false;
    let (event, action) = match &declined {
        None => {
            let offering = service(&before.service)?;
            after.approved_at = Some(now);
            after.starts_at = now;
            after.expires_at = Some(trial_end(now, offering));
            let event = DomainEvent::TrialApproved {
                org_id: org.clone(),
                entitlement_id: id,
                service: before.service.clone(),
                expires_at: trial_end(now, offering),
            };
            (event, AuditAction::TrialApproved)
        }
        Some(reason) => {
            after.declined_at = Some(now);
            after.decline_reason = reason.clone();
            let event = DomainEvent::TrialDeclined {
                org_id: org.clone(),
                entitlement_id: id,
                service: before.service.clone(),
                reason: reason.clone(),
            };
            (event, AuditAction::TrialDeclined)
        }
    };
    let event = event.envelope(cx.ids.uuid(), now)?;
    let audit = AuditEntry::new(
        org,
        cx.ids.uuid(),
        now,
        Actor::machine(desk),
        action,
        before.service.clone(),
        serde_json::json!({
            "entitlement_id": id,
            "status": after.status(now),
            "reason": after.decline_reason,
            "expires_at": after.expires_at,
        }),
    );
    if !cx.store.settle_trial(&before, &after, &event, &audit).await? {
        return Err(AppError::Conflict("the trial is no longer waiting for approval".into()));
    }
    Ok(EntitlementView::of(&after, now))
}

/// `GET /v1/orgs/{org_id}/entitlements`: the org's own administrators, or an
/// administrator of a partner connected to it.
pub async fn entitlements(cx: &Context<'_>, caller: &Caller, org: &OrgId) -> Result<Vec<EntitlementView>> {
    if access::admin_of(cx, caller, org).await.is_err()
        && !is_connected_partner_admin(cx, caller, org).await?
    {
        return Err(AppError::not_found("organization not found"));
    }
    let now = cx.clock.now();
    Ok(cx.store.entitlements_of(org).await?.iter().map(|e| EntitlementView::of(e, now)).collect())
}

async fn is_connected_partner_admin(cx: &Context<'_>, caller: &Caller, customer: &OrgId) -> Result<bool> {
    let now = cx.clock.now();
    for (admin, org) in cx.store.orgs_of_admin(&caller.sub).await? {
        // A connected partner's administrators read what the customer holds.
        if org.is_partner()
            && admin.is_current(now)
            && cx.store.connection(&org.org_id, customer).await?.is_some()
        {
            return Ok(true);
        }
    }
    Ok(false)
}

#[cfg(test)]
mod tests {
    use chrono::Duration;
    use proptest::prelude::*;

    use super::*;

    fn now() -> DateTime<Utc> {
        DateTime::parse_from_rfc3339("2026-06-01T12:00:00Z").unwrap().with_timezone(&Utc)
    }

    fn caller() -> Caller {
        Caller { sub: "s".into(), email: crate::domain::Email::parse("ada@example.com").unwrap() }
    }

    fn input(json: serde_json::Value) -> AddService {
        serde_json::from_value(json).unwrap()
    }

    fn build(json: serde_json::Value) -> Result<Entitlement> {
        entitlement_for(input(json), &OrgId::from_number(1), &caller(), now(), uuid::Uuid::nil())
    }

    fn rfc3339(at: &DateTime<Utc>) -> String {
        serde_json::to_value(at).unwrap().as_str().unwrap().to_string()
    }

    #[test]
    fn a_trial_starts_at_most_a_year_ahead_and_waits_until_then() {
        let ahead = now() + Duration::days(200);
        let trial = build(serde_json::json!({"service": "sdwan-orchestrator", "kind": "trial", "starts_at": rfc3339(&ahead)}))
            .unwrap();
        assert_eq!(trial.status(now()), EntitlementStatus::TrialPending);
        assert_eq!(trial.status(ahead), EntitlementStatus::TrialActive);
        for late in ["9999-01-01T00:00:00Z", "2027-06-02T12:00:01Z", "9999-12-31T23:59:59-14:00"] {
            let error = build(
                serde_json::json!({"service": "sdwan-orchestrator", "kind": "trial", "starts_at": late}),
            )
            .unwrap_err();
            assert_eq!((error.status(), error.code()), (400, "invalid_request"), "{late}");
            assert!(error.public_message().starts_with("starts_at "), "{late}");
        }
    }

    #[test]
    fn a_term_that_would_end_after_9999_is_400() {
        let error = build(serde_json::json!({
            "service": "daas", "kind": "paid", "term": "annual", "license_count": 5, "starts_at": "9999-06-01"
        }))
        .unwrap_err();
        assert_eq!(error.status(), 400);
        assert!(error.public_message().starts_with("expires_at "), "{}", error.public_message());
    }

    #[test]
    fn counts_are_within_the_domain_s_range() {
        let paid = |count: i64, gb: i64| {
            build(serde_json::json!({
                "service": "gateway", "kind": "paid", "term": "monthly", "license_count": count, "committed_gb": gb
            }))
        };
        assert!(paid(1, 1).is_ok());
        assert!(paid(i64::from(MAX_LICENSE_COUNT), i64::from(MAX_COMMITTED_GB)).is_ok());
        for (count, gb, field) in [
            (0, 1, "license_count"),
            (-1, 1, "license_count"),
            (i64::from(MAX_LICENSE_COUNT) + 1, 1, "license_count"),
            (i64::MAX, 1, "license_count"),
            (1, 0, "committed_gb"),
            (1, i64::from(MAX_COMMITTED_GB) + 1, "committed_gb"),
        ] {
            let error = paid(count, gb).unwrap_err();
            assert!(error.public_message().starts_with(field), "{count} {gb}: {}", error.public_message());
        }
    }

    proptest! {
        #[test]
        fn what_is_accepted_is_written_back_as_rfc3339(
            kind in "(trial|paid)",
            service in "(sdwan-orchestrator|daas|gateway)",
            term in "(monthly|annual|termed)",
            starts_at in proptest::option::of("\\PC{0,30}|[0-9]{4}-[0-9]{2}-[0-9]{2}(T[0-9]{2}:[0-9]{2}:[0-9]{2}([+-][0-9]{2}:[0-9]{2}|Z))?"),
            expires_at in proptest::option::of("[0-9]{4}-[0-9]{2}-[0-9]{2}(T[0-9]{2}:[0-9]{2}:[0-9]{2}([+-][0-9]{2}:[0-9]{2}|Z))?"),
            count in proptest::option::of(any::<i64>()),
            gb in proptest::option::of(any::<i64>()),
        ) {
            let built = build(serde_json::json!({
                "service": service, "kind": kind, "term": term, "starts_at": starts_at, "expires_at": expires_at,
                "license_count": count, "committed_gb": gb,
            }));
            if let Ok(e) = built {
                let view = serde_json::to_value(EntitlementView::of(&e, now())).unwrap();
                for field in ["starts_at", "expires_at"] {
                    if let Some(at) = view[field].as_str() {
                        prop_assert!(at.len() >= 20 && at.as_bytes()[4] == b'-' && at.ends_with('Z'), "{}", at);
                    }
                }
                prop_assert!(e.license_count.is_none_or(|n| (1..=MAX_LICENSE_COUNT).contains(&n)));
                prop_assert!(e.committed_gb.is_none_or(|n| (1..=u64::from(MAX_COMMITTED_GB)).contains(&n)));
                if e.kind == Kind::Trial {
                    prop_assert!(e.starts_at <= now() + MAX_TRIAL_LEAD);
                }
            }
        }
    }
}
