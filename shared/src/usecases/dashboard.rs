//! The partner's customer dashboard ("My Customers").

use futures::{StreamExt, TryStreamExt};
use serde::Serialize;

use super::Context;

use super::access;
use crate::domain::Order;
use crate::domain::{Caller, OrgId, Origin, Permission, Tenancy, PARTNER_CUSTOMER_LIMIT};
use crate::error::{AppError, Result};
use crate::store::{Cursor, Page, PageRequest};
use crate::usecases::services::EntitlementView;

#[derive(Debug, Serialize, PartialEq, Eq)]
pub struct ServiceStatus {
    pub service: String,
    pub status: String,
}

#[derive(Debug, Serialize, PartialEq, Eq)]
pub struct CustomerRow {
    pub org_id: OrgId,
    pub name: String,
    pub tenancy: Tenancy,
    pub origin: Origin,
    pub connected_at: chrono::DateTime<chrono::Utc>,
    pub services: Vec<ServiceStatus>,
    pub open_support_tickets: u32,
    pub notifications: u32,
}

#[derive(Debug, Serialize)]
pub struct CustomerList {
    pub items: Vec<CustomerRow>,
    /// Where the list continues: the handler gives it out as `next_token`.
    #[serde(skip)]
    pub next: Option<Cursor>,
    /// Active customers in all, across pages.
    pub count: u32,
    pub limit: u32,
    /// Places left under the limit.
    pub remaining: u32,
}

/// The dashboard is for the partner's administrators with full access or
/// `customer-dashboard.view`.
async fn dashboard_standing(cx: &Context<'_>, caller: &Caller, partner: &OrgId) -> Result<()> {
    access::partner_admin_with(cx, caller, partner, Some(Permission::CustomerDashboardView)).await.map(drop)
}

/// How many customers' reads the dashboard has in flight at once.
const CUSTOMER_READS_IN_FLIGHT: usize = 16;

pub async fn customers(
    cx: &Context<'_>,
    caller: &Caller,
    partner: &OrgId,
    page: &PageRequest,
    service: Option<&str>,
) -> Result<CustomerList> {
    dashboard_standing(cx, caller, partner).await?;
    let Page { items: connections, next } = cx.store.customers_of(partner, page).await?;
    let ids: Vec<OrgId> = connections.iter().map(|c| c.customer_id.clone()).collect();
    let mut orgs = cx.store.orgs(&ids).await?;
    // Kept by each ticket's own transaction: exact, without reading the tickets.
    let open_tickets = cx.store.open_ticket_counts(&ids).await?;
    // Each customer's notifications and services, read for several customers at once:
    // one after another, a page of 100 customers was 200 round trips in a row.
    let now = cx.clock.now();
    // Owned ids: a stream over borrowed connections makes the future not `Send` for
    // every lifetime, which the routes' boxed answers need.
    let reads: Vec<(u32, Vec<ServiceStatus>)> = futures::stream::iter(ids.clone())
        .map(|customer_id| async move {
            let first_page = PageRequest::first(100);
            let (recent, entitlements) = futures::try_join!(
                cx.store.notifications_of(&customer_id, &first_page),
                cx.store.entitlements_of(&customer_id),
            )?;
            let services = entitlements
                .iter()
                .map(|e| ServiceStatus {
                    service: e.service.clone(),
                    status: e.status(now).as_str().to_string(),
                })
                .collect();
            Ok::<_, AppError>((recent.items.len() as u32, services))
        })
        .buffered(CUSTOMER_READS_IN_FLIGHT)
        .try_collect()
        .await?;
    let mut items = Vec::with_capacity(connections.len());
    for (connection, (notifications, services)) in connections.into_iter().zip(reads) {
        let Some(org) = orgs.remove(&connection.customer_id) else { continue };
        items.push(CustomerRow {
            org_id: org.org_id,
            name: org.name,
            tenancy: org.tenancy,
            origin: connection.origin,
            connected_at: connection.connected_at,
            services,
            open_support_tickets: open_tickets.get(&connection.customer_id).copied().unwrap_or(0),
            notifications,
        });
    }
    if let Some(service) = service {
        items.retain(|row| row.services.iter().any(|s| s.service == service));
    }
    let count = cx.store.customer_count(partner).await?;
    Ok(CustomerList {
        items,
        next,
        count,
        limit: PARTNER_CUSTOMER_LIMIT,
        remaining: PARTNER_CUSTOMER_LIMIT.saturating_sub(count),
    })
}

#[derive(Debug, Serialize)]
pub struct CustomerDetail {
    pub org_id: OrgId,
    pub name: String,
    pub country: Option<String>,
    pub tenancy: Tenancy,
    pub origin: Origin,
    pub connected_at: chrono::DateTime<chrono::Utc>,
    pub entitlements: Vec<EntitlementView>,
    pub orders: Vec<Order>,
}

pub async fn customer(
    cx: &Context<'_>,
    caller: &Caller,
    partner: &OrgId,
    customer: &OrgId,
) -> Result<CustomerDetail> {
    dashboard_standing(cx, caller, partner).await?;
    let connection = cx.store.connection(partner, customer).await?.ok_or_else(AppError::not_connected)?;
    let org = cx.store.get_org(customer).await?.ok_or_else(AppError::not_connected)?;
    let now = cx.clock.now();
    let entitlements =
        cx.store.entitlements_of(customer).await?.iter().map(|e| EntitlementView::of(e, now)).collect();
    Ok(CustomerDetail {
        org_id: org.org_id,
        name: org.name,
        country: org.country,
        tenancy: org.tenancy,
        origin: connection.origin,
        connected_at: connection.connected_at,
        entitlements,
        orders: super::licenses::orders_of_customer(cx.store, partner, customer).await?,
    })
}
