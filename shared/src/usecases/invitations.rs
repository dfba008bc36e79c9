//! The partner's invitation link: one per partner, the same forever; the public view
//! of it a customer opens; and emailing it to a customer.

use super::Context;
use serde::{Deserialize, Serialize};

use super::access;
use crate::domain::DomainEvent;
use crate::domain::{Caller, Email, InviteCode, OrgId, Permission, Program};
use crate::error::{AppError, Result};
use crate::store::DynamoStore;

/// At most this many invitation emails per partner per rolling hour.
pub const INVITE_EMAILS_PER_HOUR: u32 = 50;
pub const MAX_MESSAGE_CHARS: usize = 1_000;
/// The limit's name: emailed links and the emails of "Add a customer" share it.
pub const INVITE_EMAILS: &str = "invite-emails";

pub fn invite_emails_limited(retry_after: std::time::Duration) -> AppError {
    AppError::RateLimited {
        message: format!("at most {INVITE_EMAILS_PER_HOUR} invitation emails per hour; try again later"),
        retry_after,
    }
}

#[derive(Debug, Serialize, PartialEq, Eq)]
pub struct InviteLink {
    pub code: String,
    pub url: String,
}

pub fn link_url(base_url: &str, code: &InviteCode) -> String {
    format!("{base_url}/invite/{}", code.as_str())
}

/// A partner admin (full, or `customer-dashboard.view`) of a partner-badged org.
async fn partner_admin(cx: &Context<'_>, caller: &Caller, partner: &OrgId) -> Result<access::Standing> {
    access::partner_admin_with(cx, caller, partner, Some(Permission::CustomerDashboardView)).await
}

pub async fn invite_link(
    cx: &Context<'_>,
    caller: &Caller,
    partner: &OrgId,
    base_url: &str,
) -> Result<InviteLink> {
    partner_admin(cx, caller, partner).await?;
    let code = match cx.store.invite_code_of(partner).await? {
        Some(code) => code,
        None => cx.store.assign_invite_code(partner, &InviteCode::from_random(cx.ids.secret())).await?,
    };
    Ok(InviteLink { url: link_url(base_url, &code), code: code.as_str().to_string() })
}

#[derive(Debug, Serialize, PartialEq, Eq)]
pub struct PublicPartner {
    pub org_id: OrgId,
    pub name: String,
    pub programs: Vec<Program>,
}

#[derive(Debug, Serialize, PartialEq, Eq)]
pub struct PublicInvitation {
    pub partner: PublicPartner,
    pub accept_url: String,
}

/// What anyone holding the link may see. Unknown and malformed codes are one 404.
pub async fn open_invitation(
    store: &DynamoStore,
    raw_code: &str,
    base_url: &str,
) -> Result<PublicInvitation> {
    let (code, partner) = resolve(store, raw_code).await?;
    let org = store.get_org(&partner).await?.ok_or_else(unknown_link)?;
    Ok(PublicInvitation {
        partner: PublicPartner { org_id: org.org_id, name: org.name, programs: org.programs },
        accept_url: format!("{base_url}/v1/invite/{}/accept", code.as_str()),
    })
}

pub fn unknown_link() -> AppError {
    AppError::not_found("this invitation link is not valid")
}

/// The partner a code belongs to.
pub async fn resolve(connections: &DynamoStore, raw_code: &str) -> Result<(InviteCode, OrgId)> {
    let code = InviteCode::parse(raw_code).ok_or_else(unknown_link)?;
    let partner = connections.partner_of_code(&code).await?.ok_or_else(unknown_link)?;
    Ok((code, partner))
}

#[derive(Debug, Deserialize)]
pub struct EmailInvite {
    pub email: String,
    #[serde(default)]
    pub message: Option<String>,
}

/// Sends the partner's link to a customer's address, through `CustomerInvited`.
pub async fn email_invite_link(
    cx: &Context<'_>,
    caller: &Caller,
    partner: &OrgId,
    input: EmailInvite,
    base_url: &str,
) -> Result<Email> {
    partner_admin(cx, caller, partner).await?;
    let email = Email::parse(&input.email)?;
    let message = input.message.map(|m| m.trim().to_string()).filter(|m| !m.is_empty());
    if message.as_ref().is_some_and(|m| m.chars().count() > MAX_MESSAGE_CHARS) {
        return Err(AppError::invalid(format!("message must be at most {MAX_MESSAGE_CHARS} characters")));
    }
    // Make sure the link exists before anyone is told about it.
    invite_link(cx, caller, partner, base_url).await?;
    let now = cx.clock.now();
    if let Err(retry_after) =
        cx.store.take(partner, INVITE_EMAILS, INVITE_EMAILS_PER_HOUR, chrono::Duration::hours(1), now).await?
    {
        return Err(invite_emails_limited(retry_after));
    }
    let event =
        DomainEvent::CustomerInvited { partner_id: partner.clone(), email: email.to_string(), message }
            .envelope(cx.ids.uuid(), now)?;
    cx.store.append(std::slice::from_ref(&event)).await?;
    Ok(email)
}
