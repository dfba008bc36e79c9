//! Administrator delegation: a full administrator invites an email as administrator
//! (full, or custom with named permissions, optionally for a limited time); only that
//! (verified) email can accept, once, within 7 days. Administrators are changed and
//! removed by email; an org always keeps a full administrator without an expiry.
//! This is how a customer makes its partner an administrator.

use super::Context;
use crate::store::Page;
use chrono::{DateTime, Utc};
use serde::{Deserialize, Serialize};

use super::access::{self, Standing};
use crate::domain::DomainEvent;
use crate::domain::{
    Access, Actor, AdminInvitation, Administrator, AuditAction, Caller, Email, EmailDelivery,
    InvitationStatus, InviteCode, OrgId, Permission, ADMIN_INVITATION_LIFETIME, MAX_ACCESS_DURATION,
};
use crate::error::{AppError, Result};
use crate::store::PageRequest;
use crate::store::{AcceptInvitation, ChangeAdmin};

/// Reads and writes that raced another change are retried this often.
const STALE_ROUNDS: usize = 5;

#[derive(Debug, Deserialize)]
pub struct Invite {
    pub email: String,
    pub access: String,
    #[serde(default)]
    pub permissions: Option<Vec<String>>,
    #[serde(default)]
    pub access_expires_at: Option<String>,
}

/// `PUT /v1/orgs/{org_id}/admins/{email}`: the administrator's whole standing.
#[derive(Debug, Deserialize)]
pub struct ChangeInput {
    pub access: String,
    #[serde(default)]
    pub permissions: Option<Vec<String>>,
    #[serde(default)]
    pub access_expires_at: Option<String>,
}

/// Time-limited access: after now, and at most a year ahead.
fn access_end(raw: Option<&str>, now: DateTime<Utc>) -> Result<Option<DateTime<Utc>>> {
    let Some(raw) = raw else { return Ok(None) };
    let end = crate::domain::time::parse_instant("access_expires_at", raw)?;
    if end <= now {
        return Err(AppError::invalid("access_expires_at must be in the future"));
    }
    if end > now + MAX_ACCESS_DURATION {
        return Err(AppError::invalid("access_expires_at must be at most one year ahead"));
    }
    Ok(Some(end))
}

fn parse_access(access: &str, permissions: Option<Vec<String>>) -> Result<(Access, Vec<Permission>)> {
    let access: Access = serde_json::from_value(serde_json::Value::String(access.to_string()))
        .map_err(|_| AppError::invalid("access must be one of: full, custom"))?;
    let mut parsed = Vec::new();
    for name in permissions.unwrap_or_default() {
        let permission: Permission = serde_json::from_value(serde_json::Value::String(name.clone())).map_err(|_| {
            AppError::invalid(format!(
                "permissions: {name:?} is not one of customer-dashboard.view, licensing.view, notifications.view, services.manage"
            ))
        })?;
        if !parsed.contains(&permission) {
            parsed.push(permission);
        }
    }
    match access {
        Access::Full => Ok((Access::Full, Vec::new())),
        Access::Custom if parsed.is_empty() => {
            Err(AppError::invalid("permissions: custom access needs at least one permission"))
        }
        Access::Custom => Ok((Access::Custom, parsed)),
    }
}

#[derive(Debug, Serialize)]
pub struct InvitationView {
    pub invitation_id: uuid::Uuid,
    pub email: Email,
    pub access: Access,
    pub permissions: Vec<Permission>,
    pub status: String,
    pub expires_at: chrono::DateTime<chrono::Utc>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub access_expires_at: Option<chrono::DateTime<chrono::Utc>>,
    /// `bounced` when the mail service refused the invitation's email for good.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub delivery: Option<EmailDelivery>,
}

impl InvitationView {
    fn of(invitation: &AdminInvitation, now: chrono::DateTime<chrono::Utc>) -> Self {
        let status = match invitation.status {
            InvitationStatus::Accepted => "accepted",
            InvitationStatus::Pending if invitation.expires_at <= now => "expired",
            InvitationStatus::Pending => "pending",
        };
        Self {
            invitation_id: invitation.invitation_id,
            email: invitation.email.clone(),
            access: invitation.access,
            permissions: invitation.permissions.clone(),
            status: status.to_string(),
            expires_at: invitation.expires_at,
            access_expires_at: invitation.access_expires_at,
            delivery: invitation.delivery,
        }
    }
}

pub async fn invite(cx: &Context<'_>, caller: &Caller, org: &OrgId, input: Invite) -> Result<InvitationView> {
    let standing = access::full_admin_of(cx, caller, org).await?;
    let email = Email::parse(&input.email)?;
    let (access, permissions) = parse_access(&input.access, input.permissions)?;
    let now = cx.clock.now();
    let access_expires_at = access_end(input.access_expires_at.as_deref(), now)?;
    let invitation = AdminInvitation {
        invitation_id: cx.ids.uuid(),
        org_id: org.clone(),
        email,
        access,
        permissions,
        status: InvitationStatus::Pending,
        invited_by: caller.sub.clone(),
        created_at: now,
        expires_at: now + ADMIN_INVITATION_LIFETIME,
        access_expires_at,
        delivery: None,
    };
    let event = DomainEvent::AdminInvited { org_id: org.clone(), invitation_id: invitation.invitation_id }
        .envelope(cx.ids.uuid(), now)?;
    let audit = cx.audit(
        org,
        standing.actor(caller),
        AuditAction::AdminInvited,
        invitation.email.as_str(),
        serde_json::json!({"access": access, "permissions": invitation.permissions, "access_expires_at": access_expires_at}),
    );
    let token = InviteCode::from_random(cx.ids.secret());
    cx.store.create_invitation(&invitation, &token, &event, &audit).await?;
    Ok(InvitationView::of(&invitation, now))
}

#[derive(Debug, Serialize, PartialEq, Eq)]
pub struct Accepted {
    pub org_id: OrgId,
    pub access: Access,
    pub permissions: Vec<Permission>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub granted_via: Option<GrantedVia>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub access_expires_at: Option<DateTime<Utc>>,
}

#[derive(Debug, Clone, Serialize, PartialEq, Eq)]
pub struct GrantedVia {
    pub partner_id: OrgId,
}

/// The connected partner (if any) that the person administers: access they take up
/// in the customer then comes through that partner, and ends with the connection.
async fn partner_through(cx: &Context<'_>, person: &str, customer: &OrgId) -> Result<Option<OrgId>> {
    let now = cx.clock.now();
    let administers: std::collections::HashSet<OrgId> = cx
        .store
        .orgs_of_admin(person)
        .await?
        .into_iter()
        .filter(|(admin, org)| admin.is_current(now) && org.is_partner())
        .map(|(_, org)| org.org_id)
        .collect();
    if administers.is_empty() {
        return Ok(None);
    }
    let mut page = PageRequest::first(100);
    loop {
        let Page { items: connections, next } = cx.store.partners_of(customer, &page).await?;
        if let Some(found) = connections.into_iter().find(|c| administers.contains(&c.partner_id)) {
            return Ok(Some(found.partner_id));
        }
        match next {
            Some(cursor) => page.after = Some(cursor),
            None => return Ok(None),
        }
    }
}

pub async fn accept(cx: &Context<'_>, caller: &Caller, raw_token: &str) -> Result<Accepted> {
    let unknown = || AppError::not_found("this invitation does not exist");
    let token = InviteCode::parse(raw_token).ok_or_else(unknown)?;
    let invitation = cx.store.invitation_by_token(&token).await?.ok_or_else(unknown)?;
    if invitation.email != caller.email {
        return Err(AppError::forbidden("this invitation was sent to another email address"));
    }
    let gone = || AppError::Gone("this invitation was already used or has expired".into());
    for _ in 0..STALE_ROUNDS {
        let now = cx.clock.now();
        if invitation.status != InvitationStatus::Pending || invitation.expires_at <= now {
            return Err(gone());
        }
        let before = cx.store.get_admin(&invitation.org_id, &caller.sub).await?;
        let granted_via = partner_through(cx, &caller.sub, &invitation.org_id).await?;
        let admin = Administrator {
            org_id: invitation.org_id.clone(),
            sub: caller.sub.clone(),
            email: caller.email.clone(),
            access: invitation.access,
            permissions: invitation.permissions.clone(),
            added_at: now,
            granted_via: granted_via.clone(),
            access_expires_at: invitation.access_expires_at,
            version: 0,
        };
        let event = DomainEvent::AdminInvitationAccepted {
            org_id: invitation.org_id.clone(),
            invitation_id: invitation.invitation_id,
            sub: caller.sub.clone(),
        }
        .envelope(cx.ids.uuid(), now)?;
        let audit = cx.audit(
            &invitation.org_id,
            Actor::through(caller, granted_via.as_ref()),
            AuditAction::AdminAccepted,
            caller.email.as_str(),
            serde_json::json!({
                "invitation_id": invitation.invitation_id,
                "access": admin.access,
                "permissions": admin.permissions,
                "access_expires_at": admin.access_expires_at,
            }),
        );
        match cx.store.accept_invitation(&invitation, before.as_ref(), &admin, now, &event, &audit).await? {
            AcceptInvitation::Accepted => {
                return Ok(Accepted {
                    org_id: admin.org_id,
                    access: admin.access,
                    permissions: admin.permissions,
                    granted_via: granted_via.map(|partner_id| GrantedVia { partner_id }),
                    access_expires_at: admin.access_expires_at,
                });
            }
            AcceptInvitation::Gone => return Err(gone()),
            AcceptInvitation::LastFullAdmin => return Err(AppError::LastFullAdmin),
            AcceptInvitation::Stale => continue,
        }
    }
    Err(AppError::Unavailable { retry_after: std::time::Duration::from_secs(1) })
}

/// What the public page of an invitation link (`GET /admin-invitations/{token}`)
/// shows: the org, the access offered, to whom, and whether it can still be accepted.
#[derive(Debug, Serialize)]
pub struct OpenedInvitation {
    pub org_id: OrgId,
    pub org_name: String,
    pub email: Email,
    pub access: Access,
    pub permissions: Vec<Permission>,
    /// `pending`, `accepted` or `expired`.
    pub status: String,
    pub expires_at: DateTime<Utc>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub access_expires_at: Option<DateTime<Utc>>,
}

/// The invitation behind a link, for anyone holding the link (the token is the
/// capability); 404 for an unknown or malformed token.
pub async fn open_invitation(cx: &Context<'_>, raw_token: &str) -> Result<OpenedInvitation> {
    let unknown = || AppError::not_found("this invitation does not exist");
    let token = InviteCode::parse(raw_token).ok_or_else(unknown)?;
    let invitation = cx.store.invitation_by_token(&token).await?.ok_or_else(unknown)?;
    let org = cx.store.get_org(&invitation.org_id).await?.ok_or_else(unknown)?;
    let view = InvitationView::of(&invitation, cx.clock.now());
    Ok(OpenedInvitation {
        org_id: org.org_id,
        org_name: org.name,
        email: view.email,
        access: view.access,
        permissions: view.permissions,
        status: view.status,
        expires_at: view.expires_at,
        access_expires_at: view.access_expires_at,
    })
}

/// One line of `GET /v1/orgs/{org_id}/admins`: an administrator (`active`) or
/// someone who may become one (`pending`: an invitation, or the contact of an
/// account a partner created).
#[derive(Debug, Serialize)]
pub struct AdminEntry {
    /// `administrator`, `invitation`, or `pending` (an account a partner created).
    #[serde(rename = "type")]
    pub kind: &'static str,
    pub email: Email,
    pub access: Access,
    pub permissions: Vec<Permission>,
    pub status: &'static str,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub granted_via: Option<GrantedVia>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub access_expires_at: Option<DateTime<Utc>>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub added_at: Option<DateTime<Utc>>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub invitation: Option<InvitationView>,
    /// For a pending invitation: `bounced` when its email could not be delivered.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub delivery: Option<EmailDelivery>,
}

impl AdminEntry {
    fn active(admin: Administrator) -> Self {
        Self {
            kind: "administrator",
            email: admin.email,
            access: admin.access,
            permissions: admin.permissions,
            status: "active",
            granted_via: admin.granted_via.map(|partner_id| GrantedVia { partner_id }),
            access_expires_at: admin.access_expires_at,
            added_at: Some(admin.added_at),
            invitation: None,
            delivery: None,
        }
    }
}

async fn current_admins(cx: &Context<'_>, org: &OrgId) -> Result<Vec<Administrator>> {
    access::current_admins(cx.store, org, cx.clock.now()).await
}

/// `GET /v1/orgs/{org_id}/admins`: any administrator of the org.
pub async fn list(cx: &Context<'_>, caller: &Caller, org: &OrgId) -> Result<Vec<AdminEntry>> {
    access::admin_of(cx, caller, org).await?;
    let now = cx.clock.now();
    let mut entries: Vec<AdminEntry> =
        current_admins(cx, org).await?.into_iter().map(AdminEntry::active).collect();
    for invitation in cx.store.invitations_of(org).await? {
        let view = InvitationView::of(&invitation, now);
        if view.status == "pending" {
            entries.push(AdminEntry {
                kind: "invitation",
                email: invitation.email,
                access: invitation.access,
                permissions: invitation.permissions,
                status: "pending",
                granted_via: None,
                access_expires_at: invitation.access_expires_at,
                added_at: None,
                delivery: invitation.delivery,
                invitation: Some(view),
            });
        }
    }
    for (email, access) in cx.store.pending_admins_of(org).await? {
        entries.push(AdminEntry {
            kind: "pending",
            email,
            access,
            permissions: Vec::new(),
            status: "pending",
            granted_via: None,
            access_expires_at: None,
            added_at: None,
            invitation: None,
            delivery: None,
        });
    }
    Ok(entries)
}

/// The email in a path: API Gateway may hand it over percent-encoded.
fn email_param(raw: &str) -> Result<Email> {
    let decoded =
        percent_decode(raw).ok_or_else(|| AppError::not_found("no administrator has this email"))?;
    Email::parse(&decoded).map_err(|_| AppError::not_found("no administrator has this email"))
}

fn percent_decode(raw: &str) -> Option<String> {
    let bytes = raw.as_bytes();
    let mut out = Vec::with_capacity(bytes.len());
    let mut i = 0;
    while i < bytes.len() {
        if bytes[i] == b'%' {
            let hex = std::str::from_utf8(bytes.get(i + 1..i + 3)?).ok()?;
            out.push(u8::from_str_radix(hex, 16).ok()?);
            i += 3;
        } else {
            out.push(bytes[i]);
            i += 1;
        }
    }
    String::from_utf8(out).ok()
}

async fn admin_by_email(cx: &Context<'_>, org: &OrgId, email: &Email) -> Result<Option<Administrator>> {
    Ok(current_admins(cx, org).await?.into_iter().find(|a| a.email == *email))
}

/// `PUT /v1/orgs/{org_id}/admins/{email}`: a full administrator sets another's (or
/// their own) access, permissions and expiry.
pub async fn change(
    cx: &Context<'_>,
    caller: &Caller,
    org: &OrgId,
    raw_email: &str,
    input: ChangeInput,
) -> Result<AdminEntry> {
    let standing = access::full_admin_of(cx, caller, org).await?;
    let email = email_param(raw_email)?;
    let (access, permissions) = parse_access(&input.access, input.permissions)?;
    let access_expires_at = access_end(input.access_expires_at.as_deref(), cx.clock.now())?;
    for _ in 0..STALE_ROUNDS {
        let before = admin_by_email(cx, org, &email)
            .await?
            .ok_or_else(|| AppError::not_found("no administrator has this email"))?;
        let after =
            Administrator { access, permissions: permissions.clone(), access_expires_at, ..before.clone() };
        let audit = cx.audit(
            org,
            standing.actor(caller),
            AuditAction::AdminChanged,
            email.as_str(),
            serde_json::json!({
                "from": {"access": before.access, "permissions": before.permissions, "access_expires_at": before.access_expires_at},
                "to": {"access": after.access, "permissions": after.permissions, "access_expires_at": after.access_expires_at},
            }),
        );
        match cx.store.change_admin(&before, Some(&after), true, None, &audit).await? {
            ChangeAdmin::Changed => return Ok(AdminEntry::active(after)),
            ChangeAdmin::LastFullAdmin => return Err(AppError::LastFullAdmin),
            ChangeAdmin::Stale => continue,
        }
    }
    Err(AppError::Unavailable { retry_after: std::time::Duration::from_secs(1) })
}

/// `DELETE /v1/orgs/{org_id}/admins/{email}`: a full administrator removes anyone,
/// any administrator removes themselves; from then on that person has no standing.
/// The pending contact of an account a partner created can be removed too.
pub async fn remove(cx: &Context<'_>, caller: &Caller, org: &OrgId, raw_email: &str) -> Result<()> {
    let standing: Standing = access::admin_of(cx, caller, org).await?;
    let email = email_param(raw_email)?;
    if email != standing.admin.email && !standing.admin.is_full() {
        return Err(AppError::forbidden("this requires full administrator access"));
    }
    for _ in 0..STALE_ROUNDS {
        let now = cx.clock.now();
        let Some(before) = admin_by_email(cx, org, &email).await? else {
            let audit = cx.audit(
                org,
                standing.actor(caller),
                AuditAction::AdminRemoved,
                email.as_str(),
                serde_json::json!({"status": "pending"}),
            );
            if cx.store.remove_pending_admin(org, &email, &audit).await? {
                return Ok(());
            }
            return Err(AppError::not_found("no administrator has this email"));
        };
        let event = DomainEvent::AdminRemoved {
            org_id: org.clone(),
            email: email.to_string(),
            by_self: email == standing.admin.email,
        }
        .envelope(cx.ids.uuid(), now)?;
        let audit = cx.audit(
            org,
            standing.actor(caller),
            AuditAction::AdminRemoved,
            email.as_str(),
            serde_json::json!({"access": before.access, "permissions": before.permissions, "granted_via": before.granted_via}),
        );
        match cx.store.change_admin(&before, None, true, Some(&event), &audit).await? {
            ChangeAdmin::Changed => {
                return Ok(());
            }
            ChangeAdmin::LastFullAdmin => return Err(AppError::LastFullAdmin),
            ChangeAdmin::Stale => continue,
        }
    }
    Err(AppError::Unavailable { retry_after: std::time::Duration::from_secs(1) })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn access_and_permissions_are_validated() {
        assert_eq!(
            parse_access("full", Some(vec!["licensing.view".into()])).unwrap(),
            (Access::Full, vec![])
        );
        assert_eq!(
            parse_access("custom", Some(vec!["services.manage".into(), "services.manage".into()])).unwrap(),
            (Access::Custom, vec![Permission::ServicesManage])
        );
        assert!(parse_access("custom", None).is_err());
        assert!(parse_access("owner", None).is_err());
        assert!(parse_access("custom", Some(vec!["admin.all".into()])).is_err());
    }

    #[test]
    fn time_limited_access_is_in_the_future_and_at_most_a_year_ahead() {
        let now = Utc::now();
        let at = |d: chrono::Duration| (now + d).to_rfc3339();
        assert!(access_end(Some(&at(chrono::Duration::hours(1))), now).unwrap().is_some());
        assert!(access_end(Some(&at(chrono::Duration::days(365))), now).is_ok());
        assert!(access_end(Some(&at(chrono::Duration::days(367))), now).is_err());
        assert!(access_end(Some(&at(-chrono::Duration::hours(1))), now).is_err());
        assert!(access_end(Some("tomorrow"), now).is_err());
        assert_eq!(access_end(None, now).unwrap(), None);
    }

    #[test]
    fn emails_in_paths_may_be_percent_encoded() {
        assert_eq!(email_param("ada%40example.com").unwrap().as_str(), "ada@example.com");
        assert_eq!(email_param("Ada+ops@Example.com").unwrap().as_str(), "ada+ops@example.com");
        assert!(email_param("%zz").is_err());
    }
}
