//! Reading notifications: an org's own, and a partner's view of its connected
//! customers' notifications, where it can dismiss them for itself only.

use super::access;
use super::Context;
use crate::domain::{Caller, Notification, OrgId, Permission};
use crate::error::{AppError, Result};
use crate::store::{Page, PageRequest};

/// How many of each customer's newest notifications the partner's feed considers.
const PER_CUSTOMER: u32 = 100;

pub async fn own(
    cx: &Context<'_>,
    caller: &Caller,
    org: &OrgId,
    page: &PageRequest,
) -> Result<Page<Notification>> {
    access::admin_of(cx, caller, org).await?;
    let Page { items, next } = cx.store.notifications_of(org, page).await?;
    Ok(Page::new(items, next))
}

async fn feed_standing(cx: &Context<'_>, caller: &Caller, partner: &OrgId) -> Result<()> {
    access::partner_admin_with(cx, caller, partner, Some(Permission::NotificationsView)).await?;
    Ok(())
}

/// Newest first, across the partner's connected customers (or one of them), without
/// the ones this partner dismissed.
pub async fn customer_feed(
    cx: &Context<'_>,
    caller: &Caller,
    partner: &OrgId,
    customer: Option<&str>,
    page: &PageRequest,
) -> Result<Page<Notification>> {
    feed_standing(cx, caller, partner).await?;
    let customers: Vec<OrgId> = match customer {
        Some(raw) => {
            let id = OrgId::parse(raw).map_err(|_| AppError::not_connected())?;
            cx.store.connection(partner, &id).await?.ok_or_else(AppError::not_connected)?;
            vec![id]
        }
        None => {
            let Page { items: all, next: _ } =
                cx.store.customers_of(partner, &PageRequest::first(100)).await?;
            all.into_iter().map(|c| c.customer_id).collect()
        }
    };
    let dismissed = cx.store.dismissed_by(partner).await?;
    cx.store.feed(&customers, PER_CUSTOMER, &dismissed, page).await
}

/// Hides one notification of the partner's feed for this partner; a notification
/// that is not in its feed (not of a connected customer) is 404 and writes nothing.
pub async fn dismiss(
    cx: &Context<'_>,
    caller: &Caller,
    partner: &OrgId,
    notification_id: &str,
) -> Result<()> {
    feed_standing(cx, caller, partner).await?;
    let not_found = || AppError::not_found("notification not found");
    let id = uuid::Uuid::parse_str(notification_id).map_err(|_| not_found())?;
    let Page { items: connected, next: _ } = cx.store.customers_of(partner, &PageRequest::first(100)).await?;
    let customers: Vec<OrgId> = connected.into_iter().map(|c| c.customer_id).collect();
    if !cx.store.newest_of(&customers, PER_CUSTOMER).await?.iter().any(|n| n.notification_id == id) {
        return Err(not_found());
    }
    cx.store.dismiss(partner, &id, cx.clock.now()).await
}
