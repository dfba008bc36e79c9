//! The partner's customer dashboard ("My Customers").

use serde::Serialize;

use super::access;
use crate::domain::Order;
use crate::domain::{Caller, OrgId, Origin, Permission, Tenancy, PARTNER_CUSTOMER_LIMIT};
use crate::error::{AppError, Result};
use crate::http::pagination::{Cursor, PageRequest, PageToken};
use crate::ports::{
    Clock, ConnectionStore, EntitlementStore, NotificationStore, OrderStore, OrgStore, TicketStore,
};
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
    pub next_token: Option<PageToken>,
    /// Active customers in all, across pages.
    pub count: u32,
    pub limit: u32,
    /// Places left under the limit.
    pub remaining: u32,
}

pub struct DashboardPorts<'a> {
    pub orgs: &'a dyn OrgStore,
    pub connections: &'a dyn ConnectionStore,
    pub notifications: &'a dyn NotificationStore,
    pub entitlements: &'a dyn EntitlementStore,
    pub orders: &'a dyn OrderStore,
    pub tickets: &'a dyn TicketStore,
    pub clock: &'a dyn Clock,
}

/// The dashboard is for the partner's administrators with full access or
/// `customer-dashboard.view`.
async fn dashboard_standing(ports: &DashboardPorts<'_>, caller: &Caller, partner: &OrgId) -> Result<()> {
    access::partner_admin_with(
        ports.orgs,
        ports.clock,
        caller,
        partner,
        Some(Permission::CustomerDashboardView),
    )
    .await
    .map(drop)
}

pub async fn customers(
    ports: &DashboardPorts<'_>,
    caller: &Caller,
    partner: &OrgId,
    page: &PageRequest,
    service: Option<&str>,
) -> Result<CustomerList> {
    dashboard_standing(ports, caller, partner).await?;
    let (connections, next): (_, Option<Cursor>) = ports.connections.customers_of(partner, page).await?;
    let ids: Vec<OrgId> = connections.iter().map(|c| c.customer_id.clone()).collect();
    let mut orgs = ports.orgs.orgs(&ids).await?;
    // Kept by each ticket's own transaction: exact, without reading the tickets.
    let open_tickets = ports.tickets.open_ticket_counts(&ids).await?;
    let mut items = Vec::with_capacity(connections.len());
    for connection in connections {
        let Some(org) = orgs.remove(&connection.customer_id) else { continue };
        let (recent, _) =
            ports.notifications.notifications_of(&connection.customer_id, &PageRequest::first(100)).await?;
        let now = ports.clock.now();
        let services = ports
            .entitlements
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
            notifications: recent.len() as u32,
        });
    }
    if let Some(service) = service {
        items.retain(|row| row.services.iter().any(|s| s.service == service));
    }
    let count = ports.connections.customer_count(partner).await?;
    Ok(CustomerList {
        items,
        next_token: next.as_ref().map(|cursor| page.token(cursor)),
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
    ports: &DashboardPorts<'_>,
    caller: &Caller,
    partner: &OrgId,
    customer: &OrgId,
) -> Result<CustomerDetail> {
    dashboard_standing(ports, caller, partner).await?;
    let not_connected = || AppError::not_found("this customer is not connected to the partner");
    let connection = ports.connections.connection(partner, customer).await?.ok_or_else(not_connected)?;
    let org = ports.orgs.get_org(customer).await?.ok_or_else(not_connected)?;
    let now = ports.clock.now();
    let entitlements = ports
        .entitlements
        .entitlements_of(customer)
        .await?
        .iter()
        .map(|e| EntitlementView::of(e, now))
        .collect();
    Ok(CustomerDetail {
        org_id: org.org_id,
        name: org.name,
        country: org.country,
        tenancy: org.tenancy,
        origin: connection.origin,
        connected_at: connection.connected_at,
        entitlements,
        orders: super::licenses::orders_of_customer(ports.orders, partner, customer).await?,
    })
}
