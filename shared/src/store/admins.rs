//! Administrator records and the org's count of full administrators without an
//! expiry (`full_admins` on the org item). Every write of an administrator holds
//! only while the record is still the version that was read, and moves the count
//! in the same transaction, so the count is exact and "the last one" is decided by
//! DynamoDB, never by a read first.

use aws_sdk_dynamodb::types::{AttributeValue, Update};

use super::dynamo::{key, to_item, DynamoStore};
use super::items::AdminItem;
use super::keys;
use super::transact::Write;
use crate::domain::{Administrator, OrgId};
use crate::error::Result;

const FULL_ADMINS: &str = "full_admins";

/// The condition that the stored record is still `before` (absent for `None`).
fn unchanged(before: Option<&Administrator>) -> (&'static str, Vec<(&'static str, AttributeValue)>) {
    match before {
        None => ("attribute_not_exists(PK)", vec![]),
        Some(admin) if admin.version == 0 => {
            ("attribute_exists(PK) AND attribute_not_exists(version)", vec![])
        }
        Some(admin) => {
            ("version = :version", vec![(":version", AttributeValue::N(admin.version.to_string()))])
        }
    }
}

/// How a change moves the org's count of full administrators without an expiry.
pub(super) fn keeps_delta(before: Option<&Administrator>, after: Option<&Administrator>) -> i64 {
    let keeps = |a: Option<&Administrator>| i64::from(a.is_some_and(Administrator::keeps_org));
    keeps(after) - keeps(before)
}

impl DynamoStore {
    /// Writes `after` in place of `before` (`None`: a new administrator), as the next version.
    pub(super) fn put_admin(&self, before: Option<&Administrator>, after: &Administrator) -> Result<Write> {
        let mut next = after.clone();
        next.version = before.map_or(1, |b| b.version + 1);
        let (condition, values) = unchanged(before);
        self.put_when(to_item(&AdminItem::from(&next))?, Some(condition), &values)
    }

    pub(super) fn delete_admin(&self, before: &Administrator) -> Result<Write> {
        let (condition, values) = unchanged(Some(before));
        self.delete_if(key(keys::org_pk(&before.org_id), &keys::admin_sk(&before.sub)), condition, &values)
    }

    /// Moves the org's count by `delta`. With `keep_last`, a decrease holds only while
    /// the count stays at least 1: its failure means "the last one".
    pub(super) fn full_admins_moved(
        &self,
        org: &OrgId,
        delta: i64,
        keep_last: bool,
    ) -> Result<Option<Write>> {
        if delta == 0 {
            return Ok(None);
        }
        let mut update = Update::builder()
            .set_key(Some(key(keys::org_pk(org), keys::ORG_PROFILE_SK)))
            .update_expression("SET #count = if_not_exists(#count, :zero) + :delta")
            .expression_attribute_names("#count", FULL_ADMINS)
            .expression_attribute_values(":zero", AttributeValue::N("0".into()))
            .expression_attribute_values(":delta", AttributeValue::N(delta.to_string()));
        update = if delta < 0 && keep_last {
            update
                .condition_expression("attribute_exists(PK) AND #count >= :least")
                .expression_attribute_values(":least", AttributeValue::N((1 - delta).to_string()))
        } else {
            update.condition_expression("attribute_exists(PK)")
        };
        Ok(Some(self.update(update)?))
    }
}

/// The count an org starts with, set on its item when it is created.
pub(super) fn with_first_admin(
    mut org_item: super::dynamo::Item,
    first: &Administrator,
) -> super::dynamo::Item {
    org_item.insert(FULL_ADMINS.into(), AttributeValue::N(i64::from(first.keeps_org()).to_string()));
    org_item
}
