use aws_sdk_dynamodb::types::{AttributeValue, Update};
use serde::{Deserialize, Serialize};

use super::dynamo::DynamoStore;
use super::entity::{to_item, Entity, Key};
use super::keys;
use super::page::{Page, PageRequest};
use super::transact::{Part, Transacted};
use crate::domain::EventEnvelope;
use crate::domain::{Allocation, AuditEntry, Order, OrgId};
use crate::error::Result;

/// How recording an order from the feed ended.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum RecordOrder {
    Recorded,
    /// The order id was recorded before: the order as it stands.
    Existing(Order),
}

/// How an allocation ended in the store.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Allocate {
    Allocated,
    /// Fewer licenses remain than asked for.
    Insufficient,
}

/// `ORG#<partner_id>` / `ORDER#<order_id>`.
impl Entity for Order {
    const TYPE: &'static str = "Order";

    fn key(&self) -> Key {
        order_key(&self.partner_id, &self.order_id)
    }
}

fn order_key(partner: &OrgId, order_id: &str) -> Key {
    Key::new(keys::org_pk(partner), keys::order_sk(order_id))
}

/// An allocation, under the partner whose order it takes from.
#[derive(Debug, Serialize, Deserialize)]
struct LicenseAllocation {
    /// Its key only (the partner is not among its attributes).
    #[serde(skip)]
    at: Key,
    #[serde(flatten)]
    allocation: Allocation,
}

/// `ORG#<partner_id>` / `ALLOCATION#<order_id>#<allocation_id>`.
impl Entity for LicenseAllocation {
    const TYPE: &'static str = "LicenseAllocation";

    fn key(&self) -> Key {
        self.at.clone()
    }
}

impl DynamoStore {
    pub async fn record_order(&self, order: &Order, audit: &AuditEntry) -> Result<RecordOrder> {
        let mut writes = vec![self.put_new(Part::Order, to_item(order)?)?];
        writes.extend(self.audit_writes(std::slice::from_ref(audit))?);
        if self.transact(writes).await? == Transacted::Committed {
            return Ok(RecordOrder::Recorded);
        }
        let existing = self.order(&order.partner_id, &order.order_id).await?;
        Ok(RecordOrder::Existing(existing.ok_or_else(|| {
            crate::error::AppError::internal("an order vanished between its write and its read")
        })?))
    }

    pub async fn order(&self, partner: &OrgId, order_id: &str) -> Result<Option<Order>> {
        self.get(order_key(partner, order_id)).await
    }

    pub async fn orders_of(&self, partner: &OrgId, page: &PageRequest) -> Result<Page<Order>> {
        self.query(None, &keys::org_pk(partner), keys::ORDER_SK_PREFIX, page, true).await
    }

    /// Takes the licenses off the order's remainder, only if enough remain, together
    /// with the allocation and its event.
    pub async fn allocate(
        &self,
        partner: &OrgId,
        allocation: &Allocation,
        event: &EventEnvelope,
        audit: &[AuditEntry],
    ) -> Result<Allocate> {
        // The remainder only ever goes down by what is allocated, and never below zero:
        // DynamoDB checks it in the same transaction that records the allocation.
        let take = Update::builder()
            .update_expression("SET remaining = remaining - :q, allocated = allocated + :q")
            .condition_expression("remaining >= :q")
            .expression_attribute_values(":q", AttributeValue::N(allocation.quantity.to_string()));
        let item = LicenseAllocation {
            at: Key::new(
                keys::org_pk(partner),
                keys::allocation_sk(&allocation.order_id, &allocation.allocation_id),
            ),
            allocation: allocation.clone(),
        };
        let mut writes = vec![
            self.update(Part::Order, &order_key(partner, &allocation.order_id), take)?,
            self.put_new(Part::Allocation, to_item(&item)?)?,
        ];
        writes.extend(self.outbox_writes(std::slice::from_ref(event))?);
        writes.extend(self.audit_writes(audit)?);
        Ok(match self.transact(writes).await? {
            Transacted::Committed => Allocate::Allocated,
            Transacted::ConditionFailed(_) => Allocate::Insufficient,
        })
    }

    pub async fn allocations_of(&self, partner: &OrgId) -> Result<Vec<Allocation>> {
        let items: Vec<LicenseAllocation> =
            self.query_all(None, &keys::org_pk(partner), keys::ALLOCATION_SK_PREFIX).await?;
        Ok(items.into_iter().map(|i| i.allocation).collect())
    }
}
