//! Orders, which only the commerce system's feed records (a partner cannot declare
//! its own purchases or their dates), and license allocation under the program's
//! rules.

use super::Context;
use serde::Deserialize;

use super::access;
use crate::domain::DomainEvent;
use crate::domain::{
    service, time, Actor, Allocation, AuditAction, AuditEntry, Caller, MachineClient, Order, OrderTenancy,
    OrgId,
};
use crate::error::{AppError, Result};
use crate::store::{Allocate, DynamoStore, RecordOrder};
use crate::store::{Page, PageRequest};

const MAX_ORDER_ID_LEN: usize = 100;

#[derive(Debug, Deserialize)]
pub struct RecordOrderInput {
    pub order_id: String,
    pub service: String,
    pub quantity: i64,
    pub tenancy: String,
    pub placed_at: String,
    #[serde(default)]
    pub customer_org_id: Option<String>,
}

/// The most licenses one order (or one allocation) may hold: far above any real
/// order, and far inside what a `u32` counter and DynamoDB hold.
pub const MAX_QUANTITY: u32 = 1_000_000;

fn quantity(raw: i64) -> Result<u32> {
    u32::try_from(raw)
        .ok()
        .filter(|q| (1..=MAX_QUANTITY).contains(q))
        .ok_or_else(|| AppError::invalid(format!("quantity must be an integer from 1 to {MAX_QUANTITY}")))
}

/// An order id as the commerce feed writes it; it is part of a table key.
fn order_id(raw: &str) -> Result<String> {
    let order_id = raw.trim();
    if order_id.is_empty()
        || order_id.len() > MAX_ORDER_ID_LEN
        || !order_id.bytes().all(|b| b.is_ascii_alphanumeric() || b"-_.:".contains(&b))
    {
        return Err(AppError::invalid("order_id must be 1 to 100 characters of letters, digits, - _ . :"));
    }
    Ok(order_id.to_string())
}

/// `POST /v1/orgs/{partner_id}/orders`: idempotent on `order_id`. The answer says
/// whether it was new (`true`: 201) or a repeat of the same content (`false`: 200).
pub async fn record_order(
    cx: &Context<'_>,
    feed: &MachineClient,
    partner: &OrgId,
    input: RecordOrderInput,
) -> Result<(Order, bool)> {
    let org = cx.store.get_org(partner).await?.ok_or_else(access::no_standing)?;
    if !org.is_partner() {
        return Err(AppError::NotAPartner);
    }
    let order_id = order_id(&input.order_id)?;
    let tenancy: OrderTenancy = serde_json::from_value(serde_json::Value::String(input.tenancy.clone()))
        .map_err(|_| AppError::invalid("tenancy must be one of: multi, single"))?;
    let customer_org_id = input
        .customer_org_id
        .as_deref()
        .map(|raw| {
            OrgId::parse(raw)
                .map_err(|_| AppError::invalid("customer_org_id must be an org id of 8 decimal digits"))
        })
        .transpose()?;
    let quantity = quantity(input.quantity)?;
    let order = Order {
        order_id,
        partner_id: partner.clone(),
        service: service(&input.service)?.service.to_string(),
        quantity,
        tenancy,
        placed_at: time::parse_instant("placed_at", &input.placed_at)?,
        customer_org_id,
        allocated: 0,
        remaining: quantity,
        recorded_at: cx.clock.now(),
    };
    let audit = AuditEntry::new(
        partner,
        cx.ids.uuid(),
        order.recorded_at,
        Actor::machine(feed),
        AuditAction::OrderRecorded,
        order.order_id.clone(),
        serde_json::json!({
            "service": order.service,
            "quantity": order.quantity,
            "tenancy": order.tenancy,
            "placed_at": order.placed_at,
            "customer_org_id": order.customer_org_id,
        }),
    );
    match cx.store.record_order(&order, &audit).await? {
        RecordOrder::Recorded => Ok((order, true)),
        RecordOrder::Existing(existing) if existing.same_content(&order) => Ok((existing, false)),
        RecordOrder::Existing(_) => Err(AppError::Conflict(format!(
            "order {} was recorded before with other content",
            order.order_id
        ))),
    }
}

#[derive(Debug, Deserialize)]
pub struct AllocateInput {
    pub order_id: String,
    pub target_org_id: String,
    pub quantity: i64,
}

pub async fn allocate(
    cx: &Context<'_>,
    caller: &Caller,
    partner: &OrgId,
    input: AllocateInput,
) -> Result<Allocation> {
    access::partner_admin_with(cx, caller, partner, None).await?;
    let quantity = quantity(input.quantity)?;
    let target = OrgId::parse(&input.target_org_id)
        .map_err(|_| AppError::invalid("target_org_id must be an org id of 8 decimal digits"))?;
    let order_id = order_id(&input.order_id)?;
    let order = cx
        .store
        .order(partner, &order_id)
        .await?
        .ok_or_else(|| AppError::not_found(format!("order {order_id} not found")))?;
    if order.tenancy == OrderTenancy::Single {
        return Err(AppError::CustomerServiceRequired);
    }
    if target != *partner {
        if order.own_account_only() {
            return Err(AppError::AllocationTargetNotPermitted);
        }
        // An older order may go to a connected customer, and to no stranger.
        if cx.store.connection(partner, &target).await?.is_none() {
            return Err(AppError::not_found("the target organization is not a connected customer"));
        }
    }
    if quantity > order.remaining {
        return Err(AppError::InsufficientLicenses { remaining: order.remaining });
    }
    let now = cx.clock.now();
    let allocation = Allocation {
        allocation_id: cx.ids.uuid(),
        order_id: order.order_id.clone(),
        target_org_id: target.clone(),
        quantity,
        allocated_at: now,
    };
    let event = DomainEvent::LicenseAllocated {
        partner_id: partner.clone(),
        order_id: order.order_id.clone(),
        allocation_id: allocation.allocation_id,
        target_org_id: target,
        quantity,
    }
    .envelope(cx.ids.uuid(), now)?;
    let detail = serde_json::json!({
        "allocation_id": allocation.allocation_id,
        "order_id": allocation.order_id,
        "target_org_id": allocation.target_org_id,
        "quantity": quantity,
    });
    let mut audit = vec![AuditEntry::new(
        partner,
        cx.ids.uuid(),
        now,
        Actor::person(caller),
        AuditAction::LicenseAllocated,
        allocation.target_org_id.to_string(),
        detail.clone(),
    )];
    if allocation.target_org_id != *partner {
        audit.push(AuditEntry::new(
            &allocation.target_org_id,
            cx.ids.uuid(),
            now,
            Actor::through(caller, Some(partner)),
            AuditAction::LicenseAllocated,
            allocation.target_org_id.to_string(),
            detail,
        ));
    }
    match cx.store.allocate(partner, &allocation, &event, &audit).await? {
        Allocate::Allocated => Ok(allocation),
        // Someone else took them between the read and the write; the read's number is stale.
        Allocate::Insufficient => {
            let left = cx.store.order(partner, &order.order_id).await?.map_or(0, |o| o.remaining);
            Err(AppError::InsufficientLicenses { remaining: left })
        }
    }
}

/// `GET /v1/orgs/{partner_id}/licenses`: any administrator of the partner.
pub async fn licenses(
    cx: &Context<'_>,
    caller: &Caller,
    partner: &OrgId,
    page: &PageRequest,
) -> Result<Page<Order>> {
    access::partner_admin_of(cx, caller, partner).await?;
    let Page { items: orders, next } = cx.store.orders_of(partner, page).await?;
    Ok(Page::new(orders, next))
}

/// The orders of one customer: placed for it, or allocated to it.
pub async fn orders_of_customer(
    orders: &DynamoStore,
    partner: &OrgId,
    customer: &OrgId,
) -> Result<Vec<Order>> {
    let allocated_to: std::collections::HashSet<String> = orders
        .allocations_of(partner)
        .await?
        .into_iter()
        .filter(|a| a.target_org_id == *customer)
        .map(|a| a.order_id)
        .collect();
    let mut page = PageRequest::first(100);
    let mut found = Vec::new();
    loop {
        let Page { items: batch, next } = orders.orders_of(partner, &page).await?;
        found.extend(
            batch.into_iter().filter(|o| {
                o.customer_org_id.as_ref() == Some(customer) || allocated_to.contains(&o.order_id)
            }),
        );
        match next {
            Some(cursor) => page.after = Some(cursor),
            None => return Ok(found),
        }
    }
}

#[cfg(test)]
mod tests {
    use proptest::prelude::*;

    use super::*;

    #[test]
    fn quantities_are_1_to_a_million() {
        assert_eq!(quantity(1).unwrap(), 1);
        assert_eq!(quantity(i64::from(MAX_QUANTITY)).unwrap(), MAX_QUANTITY);
        for bad in [0, -1, i64::from(MAX_QUANTITY) + 1, i64::from(u32::MAX) + 1, i64::MIN, i64::MAX] {
            let error = quantity(bad).unwrap_err();
            assert!(error.public_message().starts_with("quantity "), "{bad}");
        }
    }

    #[test]
    fn placed_at_is_written_back_as_rfc3339() {
        let at = time::parse_instant("placed_at", "2026-11-01T09:00:00-05:00").unwrap();
        assert_eq!(serde_json::to_value(at).unwrap(), "2026-11-01T14:00:00Z");
        let error = time::parse_instant("placed_at", "9999-12-31T23:59:59-14:00").unwrap_err();
        assert_eq!(error.status(), 400);
        assert!(error.public_message().starts_with("placed_at "));
    }

    proptest! {
        #[test]
        fn an_accepted_order_id_fits_a_table_key(raw in "\\PC{0,120}") {
            if let Ok(id) = order_id(&raw) {
                prop_assert!((1..=MAX_ORDER_ID_LEN).contains(&id.len()));
                prop_assert!(id.bytes().all(|b| b.is_ascii_graphic() && !b"#".contains(&b)));
            }
        }

        #[test]
        fn an_accepted_quantity_is_positive_and_bounded(raw in any::<i64>()) {
            if let Ok(q) = quantity(raw) {
                prop_assert!((1..=MAX_QUANTITY).contains(&q));
            }
        }
    }
}
