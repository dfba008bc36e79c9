//! The audit log's items: written inside the change's own transaction (see
//! [`DynamoStore::audit_writes`]), read newest first, removed only by TTL.

use aws_sdk_dynamodb::types::AttributeValue;
use chrono::{DateTime, Utc};

use super::dynamo::{cursor_of, start_key, DynamoStore};
use super::entity::{from_item, to_item, Entity, Key};
use super::errors::StoreError;
use super::keys;
use super::page::{Page, PageRequest};
use super::transact::{Part, Write};
use crate::domain::{AuditAction, AuditEntry, OrgId, AUDIT_RETENTION};
use crate::error::Result;

/// `ORG#<org_id>` / `AUDIT#<at>#<entry_id>`; TTL removes it after the retention.
impl Entity for AuditEntry {
    const TYPE: &'static str = "AuditEntry";

    fn key(&self) -> Key {
        Key::new(keys::org_pk(&self.org_id), keys::audit_sk(&self.at, &self.entry_id))
    }

    fn expires_at(&self) -> Option<i64> {
        Some((self.at + AUDIT_RETENTION).timestamp())
    }
}

impl DynamoStore {
    /// The entries' puts, to go into the transaction of the change they record: an
    /// entry is never written without its change, nor a change without its entry.
    pub(super) fn audit_writes(&self, entries: &[AuditEntry]) -> Result<Vec<Write>> {
        entries.iter().map(|e| self.put_new(Part::Audit, to_item(e)?)).collect()
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
        let entries =
            output.items.unwrap_or_default().into_iter().map(from_item).collect::<Result<Vec<_>>>()?;
        Ok(Page::new(entries, output.last_evaluated_key.map(cursor_of)))
    }
}
