//! The notify function's work: turn an event from the bus into in-app notifications
//! and emails for the right party. A repeated delivery of one event makes no second
//! notification (their ids derive from the event) and no second email (a claim per
//! event and address is taken before sending).

use crate::domain::{Email, Notification, Org, OrgId, RemovedBy};
use crate::error::{AppError, Result};
use crate::events::{DomainEvent, EventEnvelope};
use crate::mail::{templates, OutgoingEmail};
use crate::ports::{
    AdminInvitationStore, Clock, ConnectionStore, EntitlementStore, Mailer, NotificationStore, OrgStore,
};

pub struct NotifyPorts<'a> {
    pub orgs: &'a dyn OrgStore,
    pub connections: &'a dyn ConnectionStore,
    pub invitations: &'a dyn AdminInvitationStore,
    pub entitlements: &'a dyn EntitlementStore,
    pub notifications: &'a dyn NotificationStore,
    pub mailer: &'a dyn Mailer,
    pub clock: &'a dyn Clock,
    pub public_base_url: &'a str,
}

/// What one event produced, for the function's log line and tests.
#[derive(Debug, Default, PartialEq, Eq)]
pub struct Delivered {
    pub notifications: usize,
    pub emails: usize,
}

pub async fn deliver(ports: &NotifyPorts<'_>, envelope: &EventEnvelope) -> Result<Delivered> {
    let Some(event) = DomainEvent::from_parts(&envelope.detail_type, &envelope.detail_json()) else {
        tracing::warn!(detail_type = %envelope.detail_type, "ignoring an event kind notify does not handle");
        return Ok(Delivered::default());
    };
    let mut delivered = Delivered::default();
    match event {
        DomainEvent::ConnectionCreated { partner_id, customer_id, .. } => {
            let customer = org(ports, &customer_id).await?;
            let note = notification(
                envelope,
                &partner_id,
                "connection_created",
                "New customer connected",
                format!("{} ({}) connected to you as a customer.", customer.name, customer.org_id),
                Some(customer_id),
            );
            let dashboard = format!("{}/orgs/{}/customers", ports.public_base_url, partner_id);
            tell_full_admins(
                ports,
                envelope,
                &partner_id,
                note,
                |to| templates::connection_created(to, &customer, &dashboard),
                &mut delivered,
            )
            .await?;
        }
        DomainEvent::ConnectionRemoved { partner_id, customer_id, removed_by } => match removed_by {
            RemovedBy::Customer => {
                let customer = org(ports, &customer_id).await?;
                let note = notification(
                    envelope,
                    &partner_id,
                    "connection_removed",
                    "A customer removed you",
                    format!("{} ({}) removed its connection to you.", customer.name, customer.org_id),
                    Some(customer_id),
                );
                tell_full_admins(
                    ports,
                    envelope,
                    &partner_id,
                    note,
                    |to| templates::customer_left(to, &customer),
                    &mut delivered,
                )
                .await?;
            }
            RemovedBy::Partner => {
                let partner = org(ports, &partner_id).await?;
                let note = notification(
                    envelope,
                    &customer_id,
                    "connection_removed",
                    "A partner removed its connection",
                    format!(
                        "{} ({}) removed its connection to your organization.",
                        partner.name, partner.org_id
                    ),
                    None,
                );
                tell_full_admins(
                    ports,
                    envelope,
                    &customer_id,
                    note,
                    |to| templates::partner_removed_you(to, &partner),
                    &mut delivered,
                )
                .await?;
            }
        },
        DomainEvent::CustomerAdded { partner_id, customer_id, contact_email, contact_name } => {
            let partner = org(ports, &partner_id).await?;
            let customer = org(ports, &customer_id).await?;
            let to = Email::parse(&contact_email)?;
            let sign_in = format!("{}/sign-in", ports.public_base_url);
            let mail =
                templates::account_created(&to, &customer, &partner, contact_name.as_deref(), &sign_in);
            delivered.emails += send_once(ports, envelope, &mail).await? as usize;
        }
        DomainEvent::CustomerInvited { partner_id, email, message } => {
            let partner = org(ports, &partner_id).await?;
            let to = Email::parse(&email)?;
            let code = ports.connections.invite_code_of(&partner_id).await?.ok_or_else(|| {
                AppError::internal(format!("partner {partner_id} has no invitation code to send"))
            })?;
            let link = super::invitations::link_url(ports.public_base_url, &code);
            let mail = templates::invitation(&to, &partner, &link, message.as_deref());
            delivered.emails += send_once(ports, envelope, &mail).await? as usize;
        }
        DomainEvent::AdminInvited { org_id, invitation_id } => {
            let org = org(ports, &org_id).await?;
            let (invitation, token) =
                ports.invitations.invitation(&org_id, &invitation_id).await?.ok_or_else(|| {
                    AppError::internal(format!("invitation {invitation_id} does not exist"))
                })?;
            let accept = format!("{}/admin-invitations/{}", ports.public_base_url, token.as_str());
            let access = if invitation.is_full() { "full" } else { "custom" };
            let mail = templates::admin_invited(&invitation.email, &org, access, &accept);
            delivered.emails += send_once(ports, envelope, &mail).await? as usize;
        }
        DomainEvent::AdminRemoved { org_id, email, by_self } => {
            let org = org(ports, &org_id).await?;
            let to = Email::parse(&email)?;
            let note = notification(
                envelope,
                &org_id,
                "admin_removed",
                "Administrator removed",
                format!("{to} is no longer an administrator of {}.", org.name),
                None,
            );
            delivered.notifications += ports.notifications.record(&note).await? as usize;
            delivered.emails +=
                send_once(ports, envelope, &templates::admin_removed(&to, &org, by_self)).await? as usize;
        }
        // Nobody is told of these: the inviter sees the list, the partner its licenses.
        DomainEvent::AdminInvitationAccepted { .. } | DomainEvent::LicenseAllocated { .. } => {}
        DomainEvent::ServiceAdded { org_id, entitlement_id, service, .. } => {
            let customer = org(ports, &org_id).await?;
            let name = crate::domain::service(&service).map_or(service.clone(), |s| s.name.to_string());
            let status = ports
                .entitlements
                .entitlements_of(&org_id)
                .await?
                .into_iter()
                .find(|e| e.entitlement_id == entitlement_id)
                .map_or("added", |e| e.status(ports.clock.now()).as_str());
            let note = notification(
                envelope,
                &org_id,
                "service_added",
                "Service added",
                format!("{name} was added to {} (status: {status}).", customer.name),
                None,
            );
            tell_full_admins(
                ports,
                envelope,
                &org_id,
                note,
                |to| templates::service_added(to, &customer, &name, status),
                &mut delivered,
            )
            .await?;
        }
        DomainEvent::SupportTicketOpened { org_id, subject, severity, .. } => {
            let customer = org(ports, &org_id).await?;
            let severity = serde_json::to_value(severity).ok();
            let severity = severity.as_ref().and_then(|v| v.as_str()).unwrap_or("normal");
            let body = format!("A support ticket was opened for {} ({severity}): {subject}", customer.name);
            let tickets = format!("{}/orgs/{}/support-tickets", ports.public_base_url, org_id);
            tell_org(
                ports,
                envelope,
                &org_id,
                "support_ticket_opened",
                "Support ticket opened",
                body,
                Some(&tickets),
                &mut delivered,
            )
            .await?;
        }
        DomainEvent::TrialApproved { org_id, service, expires_at, .. } => {
            let customer = org(ports, &org_id).await?;
            let body = format!(
                "The {} trial of {} was approved; it runs until {}.",
                service_name(&service),
                customer.name,
                expires_at.format("%Y-%m-%d")
            );
            tell_org(
                ports,
                envelope,
                &org_id,
                "trial_approved",
                "Trial approved",
                body,
                None,
                &mut delivered,
            )
            .await?;
        }
        DomainEvent::TrialDeclined { org_id, service, reason, .. } => {
            let customer = org(ports, &org_id).await?;
            let mut body =
                format!("The {} trial request of {} was declined.", service_name(&service), customer.name);
            if let Some(reason) = reason {
                body.push_str(&format!(" Reason: {reason}"));
            }
            tell_org(
                ports,
                envelope,
                &org_id,
                "trial_declined",
                "Trial declined",
                body,
                None,
                &mut delivered,
            )
            .await?;
        }
        DomainEvent::EntitlementExpiring { org_id, service, kind, expires_at, .. } => {
            let customer = org(ports, &org_id).await?;
            let body = format!(
                "The {} {} of {} ends on {}.",
                service_name(&service),
                term_word(kind),
                customer.name,
                expires_at.format("%Y-%m-%d %H:%M UTC")
            );
            let title = format!("{} ends in 7 days", service_name(&service));
            tell_org(ports, envelope, &org_id, "entitlement_expiring", &title, body, None, &mut delivered)
                .await?;
        }
        DomainEvent::EntitlementExpired { org_id, service, kind, expired_at, .. } => {
            let customer = org(ports, &org_id).await?;
            let body = format!(
                "The {} {} of {} ended on {}.",
                service_name(&service),
                term_word(kind),
                customer.name,
                expired_at.format("%Y-%m-%d %H:%M UTC")
            );
            let title = format!("{} has ended", service_name(&service));
            tell_org(ports, envelope, &org_id, "entitlement_expired", &title, body, None, &mut delivered)
                .await?;
        }
        DomainEvent::CustomerLimitNear { partner_id, customers, limit } => {
            let body = format!(
                "You have {customers} active customers of the {limit} a partner may have: {} places remain.",
                limit.saturating_sub(customers)
            );
            let dashboard = format!("{}/orgs/{}/customers", ports.public_base_url, partner_id);
            tell_org(
                ports,
                envelope,
                &partner_id,
                "customer_limit_near",
                "Nearing your customer limit",
                body,
                Some(&dashboard),
                &mut delivered,
            )
            .await?;
        }
    }
    Ok(delivered)
}

fn service_name(service: &str) -> String {
    crate::domain::service(service).map_or(service.to_string(), |s| s.name.to_string())
}

fn term_word(kind: crate::domain::Kind) -> &'static str {
    match kind {
        crate::domain::Kind::Trial => "trial",
        _ => "subscription",
    }
}

/// The org's notification, and the same words emailed to its full administrators.
#[allow(clippy::too_many_arguments)]
async fn tell_org(
    ports: &NotifyPorts<'_>,
    envelope: &EventEnvelope,
    org_id: &OrgId,
    kind: &str,
    title: &str,
    body: String,
    link: Option<&str>,
    delivered: &mut Delivered,
) -> Result<()> {
    let note = notification(envelope, org_id, kind, title, body.clone(), None);
    let link = link.map(|url| ("Open Partner Hub", url));
    tell_full_admins(ports, envelope, org_id, note, |to| templates::notice(to, title, &body, link), delivered)
        .await
}

async fn org(ports: &NotifyPorts<'_>, id: &OrgId) -> Result<Org> {
    ports
        .orgs
        .get_org(id)
        .await?
        .ok_or_else(|| AppError::internal(format!("event names org {id}, which does not exist")))
}

fn notification(
    envelope: &EventEnvelope,
    org_id: &OrgId,
    kind: &str,
    title: &str,
    body: String,
    customer_id: Option<OrgId>,
) -> Notification {
    // One event gives each org at most one notification: the id derives from both.
    let name = format!("{}#{org_id}", envelope.event_id);
    Notification {
        notification_id: uuid::Uuid::new_v5(&uuid::Uuid::NAMESPACE_OID, name.as_bytes()),
        org_id: org_id.clone(),
        kind: kind.to_string(),
        title: title.to_string(),
        body,
        created_at: envelope.occurred_at,
        customer_id,
    }
}

/// The in-app notification, and an email to each full administrator of the org.
async fn tell_full_admins(
    ports: &NotifyPorts<'_>,
    envelope: &EventEnvelope,
    org_id: &OrgId,
    note: Notification,
    mail_for: impl Fn(&Email) -> OutgoingEmail,
    delivered: &mut Delivered,
) -> Result<()> {
    delivered.notifications += ports.notifications.record(&note).await? as usize;
    let now = ports.clock.now();
    for admin in ports.orgs.admins_of(org_id).await?.into_iter().filter(|a| a.is_full() && a.is_current(now))
    {
        delivered.emails += send_once(ports, envelope, &mail_for(&admin.email)).await? as usize;
    }
    Ok(())
}

/// Sends unless this event's email to this address went out before. A failed send
/// gives the claim back and fails the delivery, so the bus retries it.
async fn send_once(ports: &NotifyPorts<'_>, envelope: &EventEnvelope, mail: &OutgoingEmail) -> Result<bool> {
    if !ports.notifications.claim_email(&envelope.event_id, &mail.to, ports.clock.now()).await? {
        return Ok(false);
    }
    if let Err(error) = ports.mailer.send(mail).await {
        ports.notifications.release_email(&envelope.event_id, &mail.to).await?;
        return Err(error);
    }
    Ok(true)
}
