//! The notify function's work: turn an event from the bus into in-app notifications
//! and emails for the right party.
//!
//! Every recipient is a send of its own, so one refused address stops nobody else's
//! email. A repeated delivery of one event makes no second notification (their ids
//! derive from the event) and no second email: each recipient's email is claimed
//! (a marker per event and address) before it is sent and settled after. A
//! permanent refusal is recorded and not retried — the in-app notification says the
//! email bounced (by the recipient's role), an invitation's sender sees `bounced`;
//! a transient failure releases its claim and fails the delivery once every other
//! recipient was tried, so the bus retries it (bounded by the template) and the
//! retry sends only what is still unsent.

use super::Context;
use crate::domain::{
    Clock, DomainEvent, Email, EventEnvelope, MailOutcome, Notification, Org, OrgId, RemovedBy,
};
use crate::error::{AppError, Result};
use crate::mail::{templates, OutgoingEmail, SesMailer};
use crate::store::{DynamoStore, EmailClaim};

/// What a delivery works with: the table and the time, the mail service, and the
/// console's address the emails link to.
pub struct Notifier<'a> {
    pub store: &'a DynamoStore,
    pub clock: &'a dyn Clock,
    pub mailer: &'a SesMailer,
    pub public_base_url: &'a str,
}

impl<'a> Notifier<'a> {
    pub fn new(cx: Context<'a>, mailer: &'a SesMailer, public_base_url: &'a str) -> Self {
        Self { store: cx.store, clock: cx.clock, mailer, public_base_url }
    }
}

/// What one event produced, for the function's log line and tests.
#[derive(Debug, Default, PartialEq, Eq)]
pub struct Delivered {
    pub notifications: usize,
    pub emails: usize,
    /// Emails the mail service refused for good (now or on an earlier delivery).
    pub bounced: usize,
}

pub async fn deliver(cx: &Notifier<'_>, envelope: &EventEnvelope) -> Result<Delivered> {
    let Some(event) = DomainEvent::from_parts(&envelope.detail_type, &envelope.detail_json()) else {
        tracing::warn!(detail_type = %envelope.detail_type, "ignoring an event kind notify does not handle");
        return Ok(Delivered::default());
    };
    let mut delivered = Delivered::default();
    match event {
        DomainEvent::ConnectionCreated { partner_id, customer_id, .. } => {
            let customer = org(cx, &customer_id).await?;
            let note = notification(
                &envelope.event_id.to_string(),
                envelope,
                &partner_id,
                "connection_created",
                "New customer connected",
                format!("{} ({}) connected to you as a customer.", customer.name, customer.org_id),
                Some(customer_id),
            );
            let dashboard = console_url(cx, &partner_id, "customers");
            tell_full_admins(
                cx,
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
                let customer = org(cx, &customer_id).await?;
                let note = notification(
                    &envelope.event_id.to_string(),
                    envelope,
                    &partner_id,
                    "connection_removed",
                    "A customer removed you",
                    format!("{} ({}) removed its connection to you.", customer.name, customer.org_id),
                    Some(customer_id),
                );
                tell_full_admins(
                    cx,
                    envelope,
                    &partner_id,
                    note,
                    |to| templates::customer_left(to, &customer, &console_url(cx, &partner_id, "customers")),
                    &mut delivered,
                )
                .await?;
            }
            RemovedBy::Partner => {
                let partner = org(cx, &partner_id).await?;
                let note = notification(
                    &envelope.event_id.to_string(),
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
                    cx,
                    envelope,
                    &customer_id,
                    note,
                    |to| {
                        templates::partner_removed_you(
                            to,
                            &partner,
                            &console_url(cx, &customer_id, "partners"),
                        )
                    },
                    &mut delivered,
                )
                .await?;
            }
        },
        DomainEvent::CustomerAdded { partner_id, customer_id, contact_email, contact_name } => {
            let partner = org(cx, &partner_id).await?;
            let customer = org(cx, &customer_id).await?;
            let sign_in = format!("{}/sign-in", cx.public_base_url);
            let bounce = Bounce {
                title: "Account email not delivered",
                body: format!(
                    "The email telling {contact_email} that the account of {} ({}) was created could not be delivered: the address was refused. Check the address, and invite the contact to administer {} with the right one.",
                    customer.name, customer.org_id, customer.name
                ),
                customer_id: Some(customer_id),
            };
            let mail = |to: &Email| {
                templates::account_created(to, &customer, &partner, contact_name.as_deref(), &sign_in)
            };
            mail_one(cx, envelope, &partner_id, &contact_email, mail, bounce, &mut delivered).await?;
        }
        DomainEvent::CustomerInvited { partner_id, email, message } => {
            let partner = org(cx, &partner_id).await?;
            let code = cx.store.invite_code_of(&partner_id).await?.ok_or_else(|| {
                AppError::internal(format!("partner {partner_id} has no invitation code to send"))
            })?;
            let link = super::invitations::link_url(cx.public_base_url, &code);
            let bounce = Bounce {
                title: "Invitation email not delivered",
                body: format!(
                    "The invitation email to {email} could not be delivered: the address was refused. Check the address and send your invitation link again."
                ),
                customer_id: None,
            };
            let mail = |to: &Email| templates::invitation(to, &partner, &link, message.as_deref());
            mail_one(cx, envelope, &partner_id, &email, mail, bounce, &mut delivered).await?;
        }
        DomainEvent::AdminInvited { org_id, invitation_id } => {
            let org = org(cx, &org_id).await?;
            let (invitation, token) =
                cx.store.invitation(&org_id, &invitation_id).await?.ok_or_else(|| {
                    AppError::internal(format!("invitation {invitation_id} does not exist"))
                })?;
            let accept = format!("{}/admin-invitations/{}", cx.public_base_url, token.as_str());
            let access = if invitation.is_full() { "full" } else { "custom" };
            // The address stays out of the org's feed (its partners read it): the
            // administrators list names it, marked bounced.
            let bounce = Bounce {
                title: "Administrator invitation not delivered",
                body: format!(
                    "The email inviting a new administrator ({access} access) of {} could not be delivered: the address was refused. The invitation is marked bounced in the administrators list; invite the person again with the right address.",
                    org.name
                ),
                customer_id: None,
            };
            let mail = |to: &Email| templates::admin_invited(to, &org, access, &accept);
            let address = invitation.email.as_str();
            if mail_one(cx, envelope, &org_id, address, mail, bounce, &mut delivered).await? {
                cx.store.mark_bounced(&org_id, &invitation_id, cx.clock.now()).await?;
            }
        }
        DomainEvent::AdminRemoved { org_id, email, by_self } => {
            let org = org(cx, &org_id).await?;
            let mut note = notification(
                &envelope.event_id.to_string(),
                envelope,
                &org_id,
                "admin_removed",
                "Administrator removed",
                format!("{email} is no longer an administrator of {}.", org.name),
                None,
            );
            delivered.notifications += cx.store.record(&note).await? as usize;
            let mut sends = Sends::default();
            if let Some(to) = sends.address(&email) {
                sends.add(&to, send_once(cx, envelope, &templates::admin_removed(&to, &org, by_self)).await);
            }
            if !sends.refused.is_empty() {
                note.body
                    .push_str(" The email telling them could not be delivered: the address was refused.");
                cx.store.amend(&note).await?;
            }
            sends.finish(&mut delivered)?;
        }
        // Nobody is told of these: the inviter sees the list, the partner its licenses.
        DomainEvent::AdminInvitationAccepted { .. } | DomainEvent::LicenseAllocated { .. } => {}
        DomainEvent::ServiceAdded { org_id, entitlement_id, service, .. } => {
            let customer = org(cx, &org_id).await?;
            let name = crate::domain::service(&service).map_or(service.clone(), |s| s.name.to_string());
            let status = cx
                .store
                .entitlements_of(&org_id)
                .await?
                .into_iter()
                .find(|e| e.entitlement_id == entitlement_id)
                .map_or("added", |e| e.status(cx.clock.now()).as_str());
            let note = notification(
                &envelope.event_id.to_string(),
                envelope,
                &org_id,
                "service_added",
                "Service added",
                format!("{name} was added to {} (status: {status}).", customer.name),
                None,
            );
            tell_full_admins(
                cx,
                envelope,
                &org_id,
                note,
                |to| {
                    templates::service_added(
                        to,
                        &customer,
                        &name,
                        status,
                        &console_url(cx, &org_id, "services"),
                    )
                },
                &mut delivered,
            )
            .await?;
        }
        DomainEvent::SupportTicketOpened { org_id, subject, severity, .. } => {
            let customer = org(cx, &org_id).await?;
            let severity = serde_json::to_value(severity).ok();
            let severity = severity.as_ref().and_then(|v| v.as_str()).unwrap_or("normal");
            let body = format!("A support ticket was opened for {} ({severity}): {subject}", customer.name);
            let tickets = console_url(cx, &org_id, "support-tickets");
            tell_org(
                cx,
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
            let customer = org(cx, &org_id).await?;
            let body = format!(
                "The {} trial of {} was approved; it runs until {}.",
                service_name(&service),
                customer.name,
                expires_at.format("%Y-%m-%d")
            );
            tell_org(
                cx,
                envelope,
                &org_id,
                "trial_approved",
                "Trial approved",
                body,
                Some(&console_url(cx, &org_id, "services")),
                &mut delivered,
            )
            .await?;
        }
        DomainEvent::TrialDeclined { org_id, service, reason, .. } => {
            let customer = org(cx, &org_id).await?;
            let mut body =
                format!("The {} trial request of {} was declined.", service_name(&service), customer.name);
            if let Some(reason) = reason {
                body.push_str(&format!(" Reason: {reason}"));
            }
            tell_org(
                cx,
                envelope,
                &org_id,
                "trial_declined",
                "Trial declined",
                body,
                Some(&console_url(cx, &org_id, "services")),
                &mut delivered,
            )
            .await?;
        }
        DomainEvent::EntitlementExpiring { org_id, service, kind, expires_at, .. } => {
            let customer = org(cx, &org_id).await?;
            let body = format!(
                "The {} {} of {} ends on {}.",
                service_name(&service),
                term_word(kind),
                customer.name,
                expires_at.format("%Y-%m-%d %H:%M UTC")
            );
            let title = format!("{} ends in 7 days", service_name(&service));
            let services = console_url(cx, &org_id, "services");
            tell_org(
                cx,
                envelope,
                &org_id,
                "entitlement_expiring",
                &title,
                body,
                Some(&services),
                &mut delivered,
            )
            .await?;
        }
        DomainEvent::EntitlementExpired { org_id, service, kind, expired_at, .. } => {
            let customer = org(cx, &org_id).await?;
            let body = format!(
                "The {} {} of {} ended on {}.",
                service_name(&service),
                term_word(kind),
                customer.name,
                expired_at.format("%Y-%m-%d %H:%M UTC")
            );
            let title = format!("{} has ended", service_name(&service));
            let services = console_url(cx, &org_id, "services");
            tell_org(
                cx,
                envelope,
                &org_id,
                "entitlement_expired",
                &title,
                body,
                Some(&services),
                &mut delivered,
            )
            .await?;
        }
        DomainEvent::CustomerLimitNear { partner_id, customers, limit } => {
            let body = format!(
                "You have {customers} active customers of the {limit} a partner may have: {} places remain.",
                limit.saturating_sub(customers)
            );
            let dashboard = console_url(cx, &partner_id, "customers");
            tell_org(
                cx,
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

/// A page of the console for one org: where an email's reader goes next.
fn console_url(cx: &Notifier<'_>, org: &OrgId, section: &str) -> String {
    format!("{}/orgs/{org}/{section}", cx.public_base_url)
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
    cx: &Notifier<'_>,
    envelope: &EventEnvelope,
    org_id: &OrgId,
    kind: &str,
    title: &str,
    body: String,
    link: Option<&str>,
    delivered: &mut Delivered,
) -> Result<()> {
    let note =
        notification(&envelope.event_id.to_string(), envelope, org_id, kind, title, body.clone(), None);
    let link = link.map(|url| ("Open Partner Hub", url));
    tell_full_admins(cx, envelope, org_id, note, |to| templates::notice(to, title, &body, link), delivered)
        .await
}

async fn org(cx: &Notifier<'_>, id: &OrgId) -> Result<Org> {
    cx.store
        .get_org(id)
        .await?
        .ok_or_else(|| AppError::internal(format!("event names org {id}, which does not exist")))
}

/// The notification kind that says an email bounced.
const BOUNCED: &str = "email_bounced";

/// The name a bounce notice's id derives from: one per event and org, apart from
/// the event's own notification.
fn bounce_name(envelope: &EventEnvelope) -> String {
    format!("{}#bounce", envelope.event_id)
}

fn notification(
    name: &str,
    envelope: &EventEnvelope,
    org_id: &OrgId,
    kind: &str,
    title: &str,
    body: String,
    customer_id: Option<OrgId>,
) -> Notification {
    // One name gives each org at most one notification: the id derives from both.
    let name = format!("{name}#{org_id}");
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
/// Each is sent on its own; when some bounced, the notification says so (by role:
/// customers' notifications are read by their partners too).
async fn tell_full_admins(
    cx: &Notifier<'_>,
    envelope: &EventEnvelope,
    org_id: &OrgId,
    mut note: Notification,
    mail_for: impl Fn(&Email) -> OutgoingEmail,
    delivered: &mut Delivered,
) -> Result<()> {
    delivered.notifications += cx.store.record(&note).await? as usize;
    let now = cx.clock.now();
    let mut sends = Sends::default();
    for admin in cx.store.admins_of(org_id).await?.into_iter().filter(|a| a.is_full() && a.is_current(now)) {
        sends.add(&admin.email, send_once(cx, envelope, &mail_for(&admin.email)).await);
    }
    if !sends.refused.is_empty() {
        let n = sends.refused.len();
        let whom =
            if n == 1 { "a full administrator".to_string() } else { format!("{n} full administrators") };
        note.body.push_str(&format!(
            " The email about this to {whom} could not be delivered: the address was refused."
        ));
        cx.store.amend(&note).await?;
    }
    sends.finish(delivered)
}

/// What became of one recipient's email in this delivery.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Sent {
    Now,
    /// By an earlier delivery of the event.
    Before,
    /// Refused for good, now or before.
    Refused,
}

/// The emails of one event, each tried whatever became of the others.
#[derive(Debug, Default)]
/// What the org that caused an email is told when it was refused.
struct Bounce {
    title: &'static str,
    body: String,
    customer_id: Option<OrgId>,
}

/// Mails one address on an org's behalf (a partner's invitation or the account it
/// created, an org's administrator invitation); a refusal becomes that org's
/// notification rather than a retry. `true` when the address was refused.
async fn mail_one(
    cx: &Notifier<'_>,
    envelope: &EventEnvelope,
    tell: &OrgId,
    address: &str,
    mail: impl FnOnce(&Email) -> OutgoingEmail,
    bounce: Bounce,
    delivered: &mut Delivered,
) -> Result<bool> {
    let mut sends = Sends::default();
    if let Some(to) = sends.address(address) {
        sends.add(&to, send_once(cx, envelope, &mail(&to)).await);
    }
    let refused = !sends.refused.is_empty();
    if refused {
        let note = notification(
            &bounce_name(envelope),
            envelope,
            tell,
            BOUNCED,
            bounce.title,
            bounce.body,
            bounce.customer_id,
        );
        delivered.notifications += cx.store.record(&note).await? as usize;
    }
    sends.finish(delivered)?;
    Ok(refused)
}

#[derive(Default)]
struct Sends {
    sent: usize,
    refused: Vec<String>,
    /// The first transient failure: the delivery fails once everyone was tried.
    failed: Option<AppError>,
}

impl Sends {
    /// The address an event names; one no mail service could take counts as refused
    /// (it came from before addresses were checked strictly) rather than failing
    /// every retry.
    fn address(&mut self, raw: &str) -> Option<Email> {
        match Email::parse(raw) {
            Ok(email) => Some(email),
            Err(error) => {
                tracing::warn!(error = %error, "an event names an address that cannot be mailed");
                self.refused.push(raw.to_string());
                None
            }
        }
    }

    fn add(&mut self, to: &Email, result: Result<Sent>) {
        match result {
            Ok(Sent::Now) => self.sent += 1,
            Ok(Sent::Before) => {}
            Ok(Sent::Refused) => self.refused.push(to.to_string()),
            Err(error) => {
                tracing::warn!(error = %error, "an email could not be sent now; the delivery will be retried");
                self.failed.get_or_insert(error);
            }
        }
    }

    fn finish(self, delivered: &mut Delivered) -> Result<()> {
        delivered.emails += self.sent;
        delivered.bounced += self.refused.len();
        match self.failed {
            Some(error) => Err(error),
            None => Ok(()),
        }
    }
}

/// Sends unless this event's email to this address went out (or was refused)
/// before. A transient failure gives the claim back and is an error, so a redelivery
/// tries again; a permanent refusal is settled as refused and never retried.
async fn send_once(cx: &Notifier<'_>, envelope: &EventEnvelope, mail: &OutgoingEmail) -> Result<Sent> {
    let claim = match cx.store.claim_email(&envelope.event_id, &mail.to, cx.clock.now()).await? {
        EmailClaim::Claimed(claim) => claim,
        EmailClaim::Sent => return Ok(Sent::Before),
        EmailClaim::Refused => return Ok(Sent::Refused),
        EmailClaim::InFlight => {
            return Err(AppError::Unavailable { retry_after: std::time::Duration::from_secs(60) })
        }
    };
    let outcome = match cx.mailer.send(mail).await {
        Ok(outcome) => outcome,
        Err(error) => {
            cx.store.release_email(&envelope.event_id, &mail.to, &claim).await?;
            return Err(error);
        }
    };
    cx.store.settle_email(&envelope.event_id, &mail.to, &claim, &outcome, cx.clock.now()).await?;
    Ok(match outcome {
        MailOutcome::Sent => Sent::Now,
        MailOutcome::Refused { .. } => Sent::Refused,
    })
}
