//! Reading notifications: an org's own, and a partner's view of its connected
//! customers' notifications, where it can dismiss them for itself only.

use super::access;
use crate::domain::{Caller, Notification, OrgId, Permission};
use crate::error::{AppError, Result};
use crate::http::pagination::{Cursor, Page, PageRequest};
use crate::ports::{Clock, ConnectionStore, NotificationStore, OrgStore};

/// How many of each customer's newest notifications the partner's feed considers.
const PER_CUSTOMER: u32 = 100;

pub async fn own(
    orgs: &dyn OrgStore,
    notifications: &dyn NotificationStore,
    clock: &dyn Clock,
    caller: &Caller,
    org: &OrgId,
    page: &PageRequest,
) -> Result<Page<Notification>> {
    access::admin_of(orgs, clock, caller, org).await?;
    let (items, next) = notifications.notifications_of(org, page).await?;
    Ok(page.answer(items, next))
}

pub struct FeedPorts<'a> {
    pub orgs: &'a dyn OrgStore,
    pub connections: &'a dyn ConnectionStore,
    pub notifications: &'a dyn NotificationStore,
    pub clock: &'a dyn Clock,
}

async fn feed_standing(ports: &FeedPorts<'_>, caller: &Caller, partner: &OrgId) -> Result<()> {
    access::partner_admin_with(ports.orgs, ports.clock, caller, partner, Some(Permission::NotificationsView))
        .await?;
    Ok(())
}

fn sort_key(n: &Notification) -> String {
    format!("{}#{}", crate::store::keys::timestamp(&n.created_at), n.notification_id)
}

/// Newest first, across the partner's connected customers (or one of them), without
/// the ones this partner dismissed.
pub async fn customer_feed(
    ports: &FeedPorts<'_>,
    caller: &Caller,
    partner: &OrgId,
    customer: Option<&str>,
    page: &PageRequest,
) -> Result<Page<Notification>> {
    feed_standing(ports, caller, partner).await?;
    let customers: Vec<OrgId> = match customer {
        Some(raw) => {
            let not_connected = || AppError::not_found("this customer is not connected to the partner");
            let id = OrgId::parse(raw).map_err(|_| not_connected())?;
            ports.connections.connection(partner, &id).await?.ok_or_else(not_connected)?;
            vec![id]
        }
        None => {
            let (all, _) = ports.connections.customers_of(partner, &PageRequest::first(100)).await?;
            all.into_iter().map(|c| c.customer_id).collect()
        }
    };
    let dismissed = ports.notifications.dismissed_by(partner).await?;
    let before = page.after.as_ref().and_then(|c| c.get("before").cloned());
    let mut merged = newest_of(ports, &customers).await?;
    merged.retain(|n| !dismissed.contains(&n.notification_id));
    merged.retain(|n| before.as_ref().is_none_or(|b| sort_key(n) < *b));
    merged.sort_by_key(|n| std::cmp::Reverse(sort_key(n)));
    let more = merged.len() > page.limit as usize;
    merged.truncate(page.limit as usize);
    let next =
        more.then(|| merged.last().map(|n| Cursor::from([("before".to_string(), sort_key(n))]))).flatten();
    Ok(page.answer(merged, next))
}

/// The newest notifications of each customer, each naming its customer: what the
/// partner's feed is made of.
async fn newest_of(ports: &FeedPorts<'_>, customers: &[OrgId]) -> Result<Vec<Notification>> {
    let mut all = Vec::new();
    for id in customers {
        let (items, _) = ports.notifications.notifications_of(id, &PageRequest::first(PER_CUSTOMER)).await?;
        all.extend(items.into_iter().map(|mut n| {
            n.customer_id.get_or_insert_with(|| id.clone());
            n
        }));
    }
    Ok(all)
}

/// Hides one notification of the partner's feed for this partner; a notification
/// that is not in its feed (not of a connected customer) is 404 and writes nothing.
pub async fn dismiss(
    ports: &FeedPorts<'_>,
    caller: &Caller,
    partner: &OrgId,
    notification_id: &str,
) -> Result<()> {
    feed_standing(ports, caller, partner).await?;
    let not_found = || AppError::not_found("notification not found");
    let id = uuid::Uuid::parse_str(notification_id).map_err(|_| not_found())?;
    let (connected, _) = ports.connections.customers_of(partner, &PageRequest::first(100)).await?;
    let customers: Vec<OrgId> = connected.into_iter().map(|c| c.customer_id).collect();
    if !newest_of(ports, &customers).await?.iter().any(|n| n.notification_id == id) {
        return Err(not_found());
    }
    ports.notifications.dismiss(partner, &id, ports.clock.now()).await
}
