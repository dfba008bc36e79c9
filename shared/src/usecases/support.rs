//! Support tickets: an org's administrators open and close them; the administrators
//! of a partner connected to it (full, or `customer-dashboard.view`) read them. The
//! org item's `open_tickets` counter moves in the same transaction as each change, so
//! the partner's dashboard shows an exact number.

use super::Context;
use serde::Deserialize;

use super::access;
use crate::domain::DomainEvent;
use crate::domain::{
    ticket_id, ticket_subject, AuditAction, AuditEntry, Caller, OrgId, Permission, Severity, SupportTicket,
    TicketStatus,
};
use crate::error::{AppError, Result};
use crate::store::CloseTicket;
use crate::store::{Page, PageRequest};

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct OpenTicket {
    pub subject: String,
    #[serde(default)]
    pub severity: Option<Severity>,
}

/// `POST /v1/orgs/{org_id}/support-tickets`: any administrator of the org.
pub async fn open(
    cx: &Context<'_>,
    caller: &Caller,
    org: &OrgId,
    input: OpenTicket,
) -> Result<SupportTicket> {
    let standing = access::admin_of(cx, caller, org).await?;
    let subject = ticket_subject(&input.subject)?;
    let now = cx.clock.now();
    let ticket = SupportTicket {
        ticket_id: ticket_id(now, cx.ids.uuid()),
        org_id: org.clone(),
        subject,
        severity: input.severity.unwrap_or_default(),
        status: TicketStatus::Open,
        created_at: now,
        opened_by: caller.email.clone(),
        closed_at: None,
        closed_by: None,
    };
    let event = DomainEvent::SupportTicketOpened {
        org_id: org.clone(),
        ticket_id: ticket.ticket_id,
        subject: ticket.subject.clone(),
        severity: ticket.severity,
    }
    .envelope(cx.ids.uuid(), now)?;
    let audit = AuditEntry::new(
        org,
        cx.ids.uuid(),
        now,
        standing.actor(caller),
        AuditAction::TicketOpened,
        ticket.ticket_id.to_string(),
        serde_json::json!({"subject": ticket.subject, "severity": ticket.severity}),
    );
    if !cx.store.open_ticket(&ticket, &event, &audit).await? {
        return Err(access::no_standing());
    }
    Ok(ticket)
}

/// `POST /v1/orgs/{org_id}/support-tickets/{ticket_id}/close`: any administrator of
/// the org. Closing a closed ticket answers it unchanged.
pub async fn close(cx: &Context<'_>, caller: &Caller, org: &OrgId, ticket: &str) -> Result<SupportTicket> {
    let standing = access::admin_of(cx, caller, org).await?;
    let not_found = || AppError::not_found("support ticket not found");
    let ticket_id = uuid::Uuid::parse_str(ticket).map_err(|_| not_found())?;
    let now = cx.clock.now();
    let audit = AuditEntry::new(
        org,
        cx.ids.uuid(),
        now,
        standing.actor(caller),
        AuditAction::TicketClosed,
        ticket_id.to_string(),
        serde_json::json!({}),
    );
    match cx.store.close_ticket(org, &ticket_id, now, &caller.email, &audit).await? {
        CloseTicket::Closed(ticket) | CloseTicket::AlreadyClosed(ticket) => Ok(ticket),
        CloseTicket::NotFound => Err(not_found()),
    }
}

/// `GET /v1/orgs/{org_id}/support-tickets?status=`: the org's administrators, or an
/// administrator of a connected partner with full access or `customer-dashboard.view`.
pub async fn list(
    cx: &Context<'_>,
    caller: &Caller,
    org: &OrgId,
    status: Option<&str>,
    page: &PageRequest,
) -> Result<Page<SupportTicket>> {
    let status = status.map(TicketStatus::parse).transpose()?;
    if access::admin_of(cx, caller, org).await.is_err() {
        connected_partner_reader(cx, caller, org).await?;
    }
    let Page { items: tickets, next } = cx.store.tickets_of(org, status, page).await?;
    Ok(Page::new(tickets, next))
}

/// The caller administers a partner connected to `customer` with full access or
/// `customer-dashboard.view`: 404 when they administer no connected partner (no
/// standing), 403 when they do but lack the access.
pub async fn connected_partner_reader(cx: &Context<'_>, caller: &Caller, customer: &OrgId) -> Result<()> {
    let now = cx.clock.now();
    let mut lacks_permission = false;
    for (admin, org) in cx.store.orgs_of_admin(&caller.sub).await? {
        if !org.is_partner() || !admin.is_current(now) {
            continue;
        }
        if cx.store.connection(&org.org_id, customer).await?.is_none() {
            continue;
        }
        if admin.can(Permission::CustomerDashboardView) {
            return Ok(());
        }
        lacks_permission = true;
    }
    if lacks_permission {
        return Err(AppError::forbidden(
            "this requires full access or the customer-dashboard.view permission",
        ));
    }
    Err(access::no_standing())
}
