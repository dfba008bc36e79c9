//! The partner's customer dashboard ("My Customers").

use super::Context;
use serde::Serialize;

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
    let mut items = Vec::with_capacity(connections.len());
    for connection in connections {
        let Some(org) = orgs.remove(&connection.customer_id) else { continue };
        let recent = cx.store.notifications_of(&connection.customer_id, &PageRequest::first(100)).await?;
        let now = cx.clock.now();
        let services = cx
            .store
            .entitlements_of(&connection.customer_id)
            .await?
            .iter()
            .map(|e| ServiceStatus { service: e.service.clone(), status: e.status(now).as_str().to_string() })
            .collect();
        items.push(CustomerRow {
            org_id: org.org_id,
            name: org.name,
            tenancy: org.tenancy,
            origin: connection.origin,
            connected_at: connection.connected_at,
            services,
            open_support_tickets: open_tickets.get(&connection.customer_id).copied().unwrap_or(0),
            notifications: recent.items.len() as u32,
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
