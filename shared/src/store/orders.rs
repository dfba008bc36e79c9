use aws_sdk_dynamodb::types::{AttributeValue, Update};

use super::dynamo::{key, to_item, DynamoStore};
use super::items::Stored;
use super::keys;
use super::page::{Page, PageRequest};
use super::transact::Transacted;
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

const ORDER: &str = "Order";
const ALLOCATION: &str = "LicenseAllocation";

impl DynamoStore {
    pub async fn record_order(&self, order: &Order, audit: &AuditEntry) -> Result<RecordOrder> {
        let item = Stored::new(
            keys::org_pk(&order.partner_id),
            keys::order_sk(&order.order_id),
            ORDER,
            order.clone(),
        );
        let mut writes = vec![self.put_new(to_item(&item)?)?];
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
        let item: Option<Stored<Order>> =
            self.get(keys::org_pk(partner), &keys::order_sk(order_id), ORDER).await?;
        Ok(item.map(|i| i.value))
    }

    pub async fn orders_of(&self, partner: &OrgId, page: &PageRequest) -> Result<Page<Order>> {
        let Page { items, next } = self
            .query_page::<Stored<Order>>(
                None,
                &keys::org_pk(partner),
                keys::ORDER_SK_PREFIX,
                page,
                true,
                ORDER,
            )
            .await?;
        Ok(Page::new(items.into_iter().map(|i| i.value).collect(), next))
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
            .set_key(Some(key(keys::org_pk(partner), &keys::order_sk(&allocation.order_id))))
            .update_expression("SET remaining = remaining - :q, allocated = allocated + :q")
            .condition_expression("remaining >= :q")
            .expression_attribute_values(":q", AttributeValue::N(allocation.quantity.to_string()));
        let item = Stored::new(
            keys::org_pk(partner),
            keys::allocation_sk(&allocation.order_id, &allocation.allocation_id),
            ALLOCATION,
            allocation.clone(),
        );
        let mut writes = vec![self.update(take)?, self.put_new(to_item(&item)?)?];
        writes.extend(self.outbox_writes(std::slice::from_ref(event))?);
        writes.extend(self.audit_writes(audit)?);
        Ok(match self.transact(writes).await? {
            Transacted::Committed => Allocate::Allocated,
            Transacted::ConditionFailed(_) => Allocate::Insufficient,
        })
    }

    pub async fn allocations_of(&self, partner: &OrgId) -> Result<Vec<Allocation>> {
        let items: Vec<Stored<Allocation>> =
            self.query_all(None, &keys::org_pk(partner), keys::ALLOCATION_SK_PREFIX, ALLOCATION).await?;
        Ok(items.into_iter().map(|i| i.value).collect())
    }
}
