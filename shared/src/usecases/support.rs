//! Support tickets: an org's administrators open and close them; the administrators
//! of a partner connected to it (full, or `customer-dashboard.view`) read them. The
//! org item's `open_tickets` counter moves in the same transaction as each change, so
//! the partner's dashboard shows an exact number.

use serde::Deserialize;

use super::access;
use crate::domain::{
    ticket_id, ticket_subject, AuditAction, AuditEntry, Caller, OrgId, Permission, Severity, SupportTicket,
    TicketStatus,
};
use crate::error::{AppError, Result};
use crate::events::{outbox, DomainEvent};
use crate::http::pagination::{Page, PageRequest};
use crate::ports::{
    Clock, CloseTicket, ConnectionStore, EventPublisher, IdSource, OrgStore, OutboxStore, TicketStore,
};

pub struct SupportPorts<'a> {
    pub orgs: &'a dyn OrgStore,
    pub connections: &'a dyn ConnectionStore,
    pub tickets: &'a dyn TicketStore,
    pub outbox: &'a dyn OutboxStore,
    pub publisher: &'a dyn EventPublisher,
    pub clock: &'a dyn Clock,
    pub ids: &'a dyn IdSource,
}

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct OpenTicket {
    pub subject: String,
    #[serde(default)]
    pub severity: Option<Severity>,
}

/// `POST /v1/orgs/{org_id}/support-tickets`: any administrator of the org.
pub async fn open(
    ports: &SupportPorts<'_>,
    caller: &Caller,
    org: &OrgId,
    input: OpenTicket,
) -> Result<SupportTicket> {
    let standing = access::admin_of(ports.orgs, ports.clock, caller, org).await?;
    let subject = ticket_subject(&input.subject)?;
    let now = ports.clock.now();
    let ticket = SupportTicket {
        ticket_id: ticket_id(now, ports.ids.uuid()),
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
    .envelope(ports.ids.uuid(), now)?;
    let audit = AuditEntry::new(
        org,
        ports.ids.uuid(),
        now,
        standing.actor(caller),
        AuditAction::TicketOpened,
        ticket.ticket_id.to_string(),
        serde_json::json!({"subject": ticket.subject, "severity": ticket.severity}),
    );
    if !ports.tickets.open_ticket(&ticket, &event, &audit).await? {
        return Err(access::no_standing());
    }
    outbox::publish_committed(ports.publisher, ports.outbox, std::slice::from_ref(&event)).await;
    Ok(ticket)
}

/// `POST /v1/orgs/{org_id}/support-tickets/{ticket_id}/close`: any administrator of
/// the org. Closing a closed ticket answers it unchanged.
pub async fn close(
    ports: &SupportPorts<'_>,
    caller: &Caller,
    org: &OrgId,
    ticket: &str,
) -> Result<SupportTicket> {
    let standing = access::admin_of(ports.orgs, ports.clock, caller, org).await?;
    let not_found = || AppError::not_found("support ticket not found");
    let ticket_id = uuid::Uuid::parse_str(ticket).map_err(|_| not_found())?;
    let now = ports.clock.now();
    let audit = AuditEntry::new(
        org,
        ports.ids.uuid(),
        now,
        standing.actor(caller),
        AuditAction::TicketClosed,
        ticket_id.to_string(),
        serde_json::json!({}),
    );
    match ports.tickets.close_ticket(org, &ticket_id, now, &caller.email, &audit).await? {
        CloseTicket::Closed(ticket) | CloseTicket::AlreadyClosed(ticket) => Ok(ticket),
        CloseTicket::NotFound => Err(not_found()),
    }
}

/// `GET /v1/orgs/{org_id}/support-tickets?status=`: the org's administrators, or an
/// administrator of a connected partner with full access or `customer-dashboard.view`.
pub async fn list(
    ports: &SupportPorts<'_>,
    caller: &Caller,
    org: &OrgId,
    status: Option<&str>,
    page: &PageRequest,
) -> Result<Page<SupportTicket>> {
    let status = status.map(TicketStatus::parse).transpose()?;
    if access::admin_of(ports.orgs, ports.clock, caller, org).await.is_err() {
        connected_partner_reader(ports.orgs, ports.connections, ports.clock, caller, org).await?;
    }
    let (tickets, next) = ports.tickets.tickets_of(org, status, page).await?;
    Ok(page.answer(tickets, next))
}

/// The caller administers a partner connected to `customer` with full access or
/// `customer-dashboard.view`: 404 when they administer no connected partner (no
/// standing), 403 when they do but lack the access.
pub async fn connected_partner_reader(
    orgs: &dyn OrgStore,
    connections: &dyn ConnectionStore,
    clock: &dyn Clock,
    caller: &Caller,
    customer: &OrgId,
) -> Result<()> {
    let now = clock.now();
    let mut lacks_permission = false;
    for (admin, org) in orgs.orgs_of_admin(&caller.sub).await? {
        if !org.is_partner() || !admin.is_current(now) {
            continue;
        }
        if connections.connection(&org.org_id, customer).await?.is_none() {
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
