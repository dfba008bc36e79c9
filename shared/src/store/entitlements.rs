//! Entitlements: each one its own item (`ENTITLEMENT#<id>`), never overwritten by a
//! later one, so the list is the org's history. "One current entitlement per service
//! and kind" is kept by a slot item per service and kind (`CURRENT_ENTITLEMENT#…`),
//! put on a condition that the slot is free or its holder has ended; a declined trial
//! frees its slot, a converted trial's slot ends at the conversion.
//!
//! An entitlement with an end that has not yet been reported as ended sits in GSI1
//! under `ENTITLEMENT_ENDS`, sorted by its end, for the expiry schedule; once its
//! `EntitlementExpired` goes out (or it is converted) it leaves the index.

use aws_sdk_dynamodb::types::{AttributeValue, Update};
use chrono::{DateTime, Utc};
use serde::{Deserialize, Serialize};

use super::dynamo::DynamoStore;
use super::entity::{to_item, Entity, Key};
use super::keys;
use super::transact::{Part, Transacted};
use crate::domain::EventEnvelope;
use crate::domain::{AuditEntry, Entitlement, Kind, OrgId, GATEWAY};
use crate::error::Result;

/// How adding an entitlement ended in the store.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum AddEntitlement {
    Added,
    /// The org holds a current one of the same service and kind.
    AlreadyEntitled,
    /// The trial it was to convert changed (ended, converted) since it was read.
    Stale,
}

/// A notice of an entitlement's end, sent once each by the expiry schedule.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum EndNotice {
    /// 7 days before the end.
    Expiring,
    /// Once it has ended.
    Expired,
}

/// An entitlement with an end that has not yet been reported as ended.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Ending {
    pub entitlement: Entitlement,
    pub expiring_sent: bool,
}

/// An entitlement, with what the conditions and the expiry schedule need.
#[derive(Debug, Serialize, Deserialize)]
struct StoredEntitlement {
    /// Epoch seconds of the end; absent while it has none (a trial awaiting
    /// approval, an open-ended subscription).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    ends_epoch: Option<i64>,
    #[serde(default)]
    expiring_notified: bool,
    #[serde(flatten)]
    entitlement: Entitlement,
}

impl StoredEntitlement {
    fn new(e: &Entitlement) -> Self {
        Self {
            ends_epoch: e.expires_at.map(|end| end.timestamp()),
            expiring_notified: false,
            entitlement: e.clone(),
        }
    }

    fn key_of(org: &OrgId, entitlement_id: &uuid::Uuid) -> Key {
        Key::new(keys::org_pk(org), keys::entitlement_sk(entitlement_id))
    }
}

/// `ORG#<org_id>` / `ENTITLEMENT#<entitlement_id>`; on GSI1 under `ENTITLEMENT_ENDS`,
/// sorted by its end, while that end is still to be reported.
impl Entity for StoredEntitlement {
    const TYPE: &'static str = "Entitlement";

    fn key(&self) -> Key {
        Self::key_of(&self.entitlement.org_id, &self.entitlement.entitlement_id)
    }

    fn index_key(&self) -> Option<Key> {
        let e = &self.entitlement;
        // Only an entitlement that will end as it stands waits for end notices.
        let end = e
            .expires_at
            .filter(|_| e.declined_at.is_none() && e.converted_at.is_none() && !e.pending_approval)?;
        Some(Key::new(
            keys::ENTITLEMENT_ENDS_GSI1PK,
            keys::entitlement_ends_gsi1sk(&end, &e.org_id, &e.entitlement_id),
        ))
    }
}

/// Holds the one current entitlement of a service and kind.
#[derive(Debug, Serialize, Deserialize)]
struct EntitlementSlot {
    /// Its key only (the holder's org, service and slot kind).
    #[serde(skip)]
    at: Key,
    entitlement_id: uuid::Uuid,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    ends_epoch: Option<i64>,
}

impl EntitlementSlot {
    fn of(e: &Entitlement) -> Self {
        Self {
            at: Self::key_of(e),
            entitlement_id: e.entitlement_id,
            ends_epoch: e.expires_at.map(|end| end.timestamp()),
        }
    }

    /// The slot `e` takes.
    fn key_of(e: &Entitlement) -> Key {
        Key::new(keys::org_pk(&e.org_id), keys::entitlement_slot_sk(&e.service, &slot_kind(e)))
    }
}

/// `ORG#<org_id>` / `CURRENT_ENTITLEMENT#<service>#<kind>`.
impl Entity for EntitlementSlot {
    const TYPE: &'static str = "EntitlementSlot";

    fn key(&self) -> Key {
        self.at.clone()
    }
}

/// The slot's kind: a paid gateway entitlement's includes its term, so a customer may
/// hold a monthly, an annual and a termed commitment at once (one of each).
fn slot_kind(e: &Entitlement) -> String {
    match (e.kind, e.term) {
        (Kind::Paid, Some(term)) if e.service == GATEWAY => {
            let term = serde_json::to_value(term).ok().and_then(|v| v.as_str().map(str::to_string));
            format!("paid#{}", term.unwrap_or_default())
        }
        _ => e.kind.as_str().to_string(),
    }
}

fn epoch(at: DateTime<Utc>) -> AttributeValue {
    AttributeValue::N(at.timestamp().to_string())
}

impl DynamoStore {
    /// Adds it (its own item: none is ever overwritten) with its event, audit entry
    /// and the rollup marks of `dirty_months` (first days), unless the org holds a
    /// current one of the same service and kind. `converts`, a running trial of the
    /// same service (as read), ends at `now` as `converted` in the same transaction.
    pub async fn add_entitlement(
        &self,
        entitlement: &Entitlement,
        now: DateTime<Utc>,
        converts: Option<&Entitlement>,
        dirty_months: &[chrono::NaiveDate],
        event: &EventEnvelope,
        audit: &[AuditEntry],
    ) -> Result<AddEntitlement> {
        // The slot: free, or its holder ended (a declined trial has freed it).
        let mut writes = vec![
            self.put_when(
                Part::EntitlementSlot,
                to_item(&EntitlementSlot::of(entitlement))?,
                Some("attribute_not_exists(PK) OR ends_epoch <= :now"),
                &[(":now", epoch(now))],
            )?,
            self.put_new(Part::Entitlement, to_item(&StoredEntitlement::new(entitlement))?)?,
        ];
        if let Some(trial) = converts {
            let mut converted = trial.clone();
            converted.converted_at = Some(now);
            converted.expires_at = Some(now);
            // Only while it still runs as read: not ended, converted or declined.
            writes.push(self.put_when(
                Part::Trial,
                to_item(&StoredEntitlement::new(&converted))?,
                Some(
                    "attribute_exists(PK) AND ends_epoch > :now AND attribute_not_exists(converted_at) \
                     AND attribute_not_exists(declined_at)",
                ),
                &[(":now", epoch(now))],
            )?);
            let trial_slot = Update::builder()
                .update_expression("SET ends_epoch = :now")
                .condition_expression("entitlement_id = :id")
                .expression_attribute_values(":now", epoch(now))
                .expression_attribute_values(":id", AttributeValue::S(trial.entitlement_id.to_string()));
            writes.push(self.update(Part::Trial, &EntitlementSlot::key_of(trial), trial_slot)?);
        }
        let touched = format!("{}#entitlement#{}", keys::timestamp(&now), entitlement.entitlement_id);
        for first in dirty_months {
            writes.push(self.dirty_write(&entitlement.org_id, &entitlement.service, *first, &touched)?);
        }
        writes.extend(self.outbox_writes(std::slice::from_ref(event))?);
        writes.extend(self.audit_writes(audit)?);
        Ok(match self.transact(writes).await? {
            Transacted::Committed => AddEntitlement::Added,
            outcome if outcome.failed(Part::EntitlementSlot) => AddEntitlement::AlreadyEntitled,
            _ => AddEntitlement::Stale,
        })
    }

    pub async fn entitlements_of(&self, org: &OrgId) -> Result<Vec<Entitlement>> {
        let items: Vec<StoredEntitlement> =
            self.query_all(None, &keys::org_pk(org), keys::ENTITLEMENT_SK_PREFIX).await?;
        Ok(oldest_first(items))
    }

    /// [`Self::entitlements_of`], read consistently (for the usage rollup, which must
    /// see every entitlement written before it ran).
    pub async fn entitlements_of_consistent(&self, org: &OrgId) -> Result<Vec<Entitlement>> {
        let items: Vec<StoredEntitlement> =
            self.query_all_consistent(&keys::org_pk(org), keys::ENTITLEMENT_SK_PREFIX).await?;
        Ok(oldest_first(items))
    }

    pub async fn entitlement(&self, org: &OrgId, entitlement_id: &uuid::Uuid) -> Result<Option<Entitlement>> {
        let found: Option<StoredEntitlement> =
            self.get(StoredEntitlement::key_of(org, entitlement_id)).await?;
        Ok(found.map(|i| i.entitlement))
    }

    /// Replaces a pending trial (`before`) with its approved or declined self, with
    /// the event and audit entry; `false` when it was no longer pending.
    pub async fn settle_trial(
        &self,
        before: &Entitlement,
        after: &Entitlement,
        event: &EventEnvelope,
        audit: &AuditEntry,
    ) -> Result<bool> {
        let pending = [(":true", AttributeValue::Bool(true))];
        let mut writes = vec![self.put_when(
            Part::Entitlement,
            to_item(&StoredEntitlement::new(after))?,
            Some("pending_approval = :true AND attribute_not_exists(declined_at)"),
            &pending,
        )?];
        let slot_key = EntitlementSlot::key_of(before);
        let held = [(":id", AttributeValue::S(before.entitlement_id.to_string()))];
        if after.declined_at.is_some() {
            // A declined trial blocks nothing: its slot goes.
            writes.push(self.delete_if(Part::EntitlementSlot, &slot_key, "entitlement_id = :id", &held)?);
        } else {
            let slot = to_item(&EntitlementSlot::of(after))?;
            writes.push(self.put_when(Part::EntitlementSlot, slot, Some("entitlement_id = :id"), &held)?);
        }
        writes.extend(self.outbox_writes(std::slice::from_ref(event))?);
        writes.extend(self.audit_writes(std::slice::from_ref(audit))?);
        Ok(self.transact(writes).await? == Transacted::Committed)
    }

    /// Entitlements ending before `until` whose `EntitlementExpired` has not gone out.
    pub async fn ending_before(&self, until: DateTime<Utc>) -> Result<Vec<Ending>> {
        // Index sort keys start with the end's timestamp: every year 0001–9999 sorts
        // after "0", and "~" after any id that follows the timestamp.
        let until = format!("{}~", keys::timestamp(&until));
        let found: Vec<StoredEntitlement> =
            self.query_range(Some(keys::GSI1), keys::ENTITLEMENT_ENDS_GSI1PK, "0", &until).await?;
        Ok(found
            .into_iter()
            .map(|item| Ending { entitlement: item.entitlement, expiring_sent: item.expiring_notified })
            .collect())
    }

    /// Records that the notice went out, with its event, unless it did before (or
    /// the end moved meanwhile): `false` then.
    pub async fn record_notice(
        &self,
        entitlement: &Entitlement,
        notice: EndNotice,
        event: &EventEnvelope,
    ) -> Result<bool> {
        let Some(end) = entitlement.expires_at else { return Ok(false) };
        let update = Update::builder().expression_attribute_values(":ends", epoch(end));
        let update = match notice {
            // Still waiting, the end as read, not sent before.
            EndNotice::Expiring => update
                .update_expression("SET expiring_notified = :true")
                .condition_expression(
                    "attribute_exists(GSI1PK) AND ends_epoch = :ends AND \
                     (attribute_not_exists(expiring_notified) OR expiring_notified = :false)",
                )
                .expression_attribute_values(":true", AttributeValue::Bool(true))
                .expression_attribute_values(":false", AttributeValue::Bool(false)),
            // Sent once: the entitlement leaves the index with it.
            EndNotice::Expired => update
                .update_expression("REMOVE GSI1PK, GSI1SK")
                .condition_expression("attribute_exists(GSI1PK) AND ends_epoch = :ends"),
        };
        let stored = StoredEntitlement::key_of(&entitlement.org_id, &entitlement.entitlement_id);
        let mut writes = vec![self.update(Part::Entitlement, &stored, update)?];
        writes.extend(self.outbox_writes(std::slice::from_ref(event))?);
        Ok(self.transact(writes).await? == Transacted::Committed)
    }
}

fn oldest_first(items: Vec<StoredEntitlement>) -> Vec<Entitlement> {
    let mut all: Vec<Entitlement> = items.into_iter().map(|i| i.entitlement).collect();
    all.sort_by_key(|e| (e.added_at, e.entitlement_id));
    all
}
