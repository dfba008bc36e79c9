use async_trait::async_trait;
use aws_sdk_dynamodb::types::AttributeValue;
use chrono::{DateTime, Utc};
use serde::{Deserialize, Serialize};

use super::dynamo::{to_item, DynamoStore};
use super::keys;
use super::transact::Transacted;
use crate::domain::{AuditEntry, Entitlement, OrgId};
use crate::error::Result;
use crate::events::EventEnvelope;
use crate::ports::EntitlementStore;

#[derive(Debug, Serialize, Deserialize)]
struct EntitlementItem {
    #[serde(rename = "PK")]
    pk: String,
    #[serde(rename = "SK")]
    sk: String,
    entity: String,
    /// Epoch seconds of the end, for the "no second current one" condition; absent
    /// while it has no end (a trial awaiting approval, an open-ended subscription).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    ends_epoch: Option<i64>,
    #[serde(flatten)]
    entitlement: Entitlement,
}

const ENTITY: &str = "Entitlement";

#[async_trait]
impl EntitlementStore for DynamoStore {
    async fn add_entitlement(
        &self,
        entitlement: &Entitlement,
        now: DateTime<Utc>,
        event: &EventEnvelope,
        audit: &AuditEntry,
    ) -> Result<bool> {
        let item = EntitlementItem {
            pk: keys::org_pk(&entitlement.org_id),
            sk: keys::entitlement_sk(&entitlement.service, entitlement.kind.as_str()),
            entity: ENTITY.into(),
            ends_epoch: entitlement.expires_at.map(|e| e.timestamp()),
            entitlement: entitlement.clone(),
        };
        // One current entitlement per service and kind: an ended one may be replaced.
        let now = AttributeValue::N(now.timestamp().to_string());
        let mut writes = vec![self.put_when(
            to_item(&item)?,
            Some("attribute_not_exists(PK) OR ends_epoch <= :now"),
            &[(":now", now)],
        )?];
        writes.extend(self.outbox_writes(std::slice::from_ref(event))?);
        writes.extend(self.audit_writes(std::slice::from_ref(audit))?);
        Ok(self.transact(writes).await? == Transacted::Committed)
    }

    async fn entitlements_of(&self, org: &OrgId) -> Result<Vec<Entitlement>> {
        let items: Vec<EntitlementItem> =
            self.query_all(None, &keys::org_pk(org), keys::ENTITLEMENT_SK_PREFIX, ENTITY).await?;
        Ok(items.into_iter().map(|i| i.entitlement).collect())
    }
}
