//! The audit log's items: written inside the change's own transaction (see
//! [`DynamoStore::audit_writes`]), read newest first, removed only by TTL.

use aws_sdk_dynamodb::types::AttributeValue;
use chrono::{DateTime, Utc};
use serde::{Deserialize, Serialize};

use super::dynamo::{cursor_of, start_key, to_item, DynamoStore};
use super::errors::{corrupt, StoreError};
use super::keys;
use super::page::{Page, PageRequest};
use super::transact::Write;
use crate::domain::{AuditAction, AuditEntry, OrgId, AUDIT_RETENTION};
use crate::error::Result;

const ENTITY: &str = "AuditEntry";

#[derive(Debug, Serialize, Deserialize)]
struct AuditItem {
    #[serde(rename = "PK")]
    pk: String,
    #[serde(rename = "SK")]
    sk: String,
    entity: String,
    /// Epoch seconds after which DynamoDB's TTL may remove the entry.
    ttl: i64,
    #[serde(flatten)]
    entry: AuditEntry,
}

impl From<&AuditEntry> for AuditItem {
    fn from(entry: &AuditEntry) -> Self {
        Self {
            pk: keys::org_pk(&entry.org_id),
            sk: keys::audit_sk(&entry.at, &entry.entry_id),
            entity: ENTITY.into(),
            ttl: (entry.at + AUDIT_RETENTION).timestamp(),
            entry: entry.clone(),
        }
    }
}

impl DynamoStore {
    /// The entries' puts, to go into the transaction of the change they record: an
    /// entry is never written without its change, nor a change without its entry.
    pub(super) fn audit_writes(&self, entries: &[AuditEntry]) -> Result<Vec<Write>> {
        entries.iter().map(|e| self.put_new(to_item(&AuditItem::from(e))?)).collect()
    }
}

impl DynamoStore {
    /// One page of the org's entries between `from` and `to` (inclusive; open where
    /// `None`), newest first.
    pub async fn audit_log(
        &self,
        org: &OrgId,
        from: Option<DateTime<Utc>>,
        to: Option<DateTime<Utc>>,
        action: Option<AuditAction>,
        page: &PageRequest,
    ) -> Result<Page<AuditEntry>> {
        let pk = keys::org_pk(org);
        let start = page
            .after
            .as_ref()
            .map(|cursor| start_key(cursor, None, &pk, keys::AUDIT_SK_PREFIX))
            .transpose()?;
        // `~` sorts after every digit, `#` and hex character of a key, so `to` is
        // inclusive and an open end covers everything.
        let bound = |at: Option<DateTime<Utc>>| at.map(|at| keys::timestamp(&at)).unwrap_or_default();
        let mut query = self
            .client
            .query()
            .table_name(&self.table)
            .key_condition_expression("#pk = :pk AND #sk BETWEEN :from AND :to")
            .expression_attribute_names("#pk", keys::PK)
            .expression_attribute_names("#sk", keys::SK)
            .expression_attribute_values(":pk", AttributeValue::S(pk.clone()))
            .expression_attribute_values(
                ":from",
                AttributeValue::S(format!("{}{}", keys::AUDIT_SK_PREFIX, bound(from))),
            )
            .expression_attribute_values(
                ":to",
                AttributeValue::S(format!("{}{}~", keys::AUDIT_SK_PREFIX, bound(to))),
            )
            .scan_index_forward(false)
            .limit(page.limit as i32)
            .set_exclusive_start_key(start);
        if let Some(action) = action {
            let name = serde_json::to_value(action).ok().and_then(|v| v.as_str().map(str::to_string));
            query = query
                .filter_expression("#action = :action")
                .expression_attribute_names("#action", "action")
                .expression_attribute_values(":action", AttributeValue::S(name.unwrap_or_default()));
        }
        let output = query.send().await.map_err(StoreError::from_sdk)?;
        let entries = output
            .items
            .unwrap_or_default()
            .into_iter()
            .map(|item| {
                serde_dynamo::from_item::<_, AuditItem>(item).map(|i| i.entry).map_err(|e| corrupt(ENTITY, e))
            })
            .collect::<Result<Vec<_>>>()?;
        Ok(Page::new(entries, output.last_evaluated_key.map(cursor_of)))
    }
}
