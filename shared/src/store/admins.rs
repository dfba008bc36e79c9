//! Administrator records and the org's count of full administrators without an
//! expiry (`full_admins` on the org item). Every write of an administrator holds
//! only while the record is still the version that was read, and moves the count
//! in the same transaction, so the count is exact and "the last one" is decided by
//! DynamoDB, never by a read first.

use aws_sdk_dynamodb::types::{AttributeValue, Update};
use chrono::{DateTime, Utc};
use serde::{Deserialize, Serialize};

use super::dynamo::DynamoStore;
use super::entity::{to_item, Entity, Key};
use super::keys;
use super::orgs::OrgProfile;
use super::transact::{Part, Write};
use crate::domain::{Access, Administrator, Email, OrgId};
use crate::error::Result;

const FULL_ADMINS: &str = "full_admins";

/// `ORG#<org_id>` / `ADMIN#<sub>`, and on GSI1 under the person: `USER#<sub>` / `ORG#<org_id>`.
impl Entity for Administrator {
    const TYPE: &'static str = "Administrator";

    fn key(&self) -> Key {
        Key::new(keys::org_pk(&self.org_id), keys::admin_sk(&self.sub))
    }

    fn index_key(&self) -> Option<Key> {
        Some(Key::new(keys::user_gsi1pk(&self.sub), keys::org_pk(&self.org_id)))
    }
}

/// A person recorded as an org's administrator-to-be (the contact of a customer a
/// partner added), until they sign in and take the role up.
#[derive(Debug, Clone, Serialize, Deserialize)]
pub(super) struct PendingAdmin {
    pub org_id: OrgId,
    pub email: Email,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub name: Option<String>,
    pub access: Access,
    pub invited_by: String,
    pub invited_at: DateTime<Utc>,
}

/// `ORG#<org_id>` / `PENDING_ADMIN#<email>`, and on GSI1 by email:
/// `EMAIL#<email>` / `ORG#<org_id>`.
impl Entity for PendingAdmin {
    const TYPE: &'static str = "PendingAdministrator";

    fn key(&self) -> Key {
        Key::new(keys::org_pk(&self.org_id), keys::pending_admin_sk(self.email.as_str()))
    }

    fn index_key(&self) -> Option<Key> {
        Some(Key::new(keys::email_gsi1pk(self.email.as_str()), keys::org_pk(&self.org_id)))
    }
}

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
        self.put_when(Part::Admin, to_item(&next)?, Some(condition), &values)
    }

    pub(super) fn delete_admin(&self, before: &Administrator) -> Result<Write> {
        let (condition, values) = unchanged(Some(before));
        self.delete_if(Part::Admin, &before.key(), condition, &values)
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
        Ok(Some(self.update(Part::FullAdmins, &OrgProfile::key_of(org), update)?))
    }
}

/// The count an org starts with, set on its item when it is created.
pub(super) fn first_full_admins(first: &Administrator) -> u32 {
    u32::from(first.keeps_org())
}
