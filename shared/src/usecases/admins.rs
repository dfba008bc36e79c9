//! Administrator delegation: a full administrator invites an email as administrator
//! (full, or custom with named permissions); only that email can accept, once,
//! within 7 days. This is how a customer makes its partner an administrator.

use serde::{Deserialize, Serialize};

use super::access;
use crate::domain::{
    Access, AdminInvitation, Administrator, Caller, Email, InvitationStatus, InviteCode, OrgId, Permission,
    ADMIN_INVITATION_LIFETIME,
};
use crate::error::{AppError, Result};
use crate::events::{outbox, DomainEvent};
use crate::ports::{
    AcceptInvitation, AdminInvitationStore, Clock, EventPublisher, IdSource, OrgStore, OutboxStore,
};

pub struct AdminPorts<'a> {
    pub orgs: &'a dyn OrgStore,
    pub invitations: &'a dyn AdminInvitationStore,
    pub outbox: &'a dyn OutboxStore,
    pub publisher: &'a dyn EventPublisher,
    pub clock: &'a dyn Clock,
    pub ids: &'a dyn IdSource,
}

#[derive(Debug, Deserialize)]
pub struct Invite {
    pub email: String,
    pub access: String,
    #[serde(default)]
    pub permissions: Option<Vec<String>>,
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
        }
    }
}

pub async fn invite(
    ports: &AdminPorts<'_>,
    caller: &Caller,
    org: &OrgId,
    input: Invite,
) -> Result<InvitationView> {
    access::full_admin_of(ports.orgs, caller, org).await?;
    let email = Email::parse(&input.email)?;
    let (access, permissions) = parse_access(&input.access, input.permissions)?;
    let now = ports.clock.now();
    let invitation = AdminInvitation {
        invitation_id: ports.ids.uuid(),
        org_id: org.clone(),
        email,
        access,
        permissions,
        status: InvitationStatus::Pending,
        invited_by: caller.sub.clone(),
        created_at: now,
        expires_at: now + ADMIN_INVITATION_LIFETIME,
    };
    let event = DomainEvent::AdminInvited { org_id: org.clone(), invitation_id: invitation.invitation_id }
        .envelope(ports.ids.uuid(), now)?;
    let token = InviteCode::from_random(ports.ids.secret());
    ports.invitations.create_invitation(&invitation, &token, &event).await?;
    outbox::publish_committed(ports.publisher, ports.outbox, std::slice::from_ref(&event)).await;
    Ok(InvitationView::of(&invitation, now))
}

#[derive(Debug, Serialize, PartialEq, Eq)]
pub struct Accepted {
    pub org_id: OrgId,
    pub access: Access,
    pub permissions: Vec<Permission>,
}

pub async fn accept(ports: &AdminPorts<'_>, caller: &Caller, raw_token: &str) -> Result<Accepted> {
    let unknown = || AppError::not_found("this invitation does not exist");
    let token = InviteCode::parse(raw_token).ok_or_else(unknown)?;
    let invitation = ports.invitations.invitation_by_token(&token).await?.ok_or_else(unknown)?;
    if invitation.email != caller.email {
        return Err(AppError::forbidden("this invitation was sent to another email address"));
    }
    let now = ports.clock.now();
    let gone = || AppError::Gone("this invitation was already used or has expired".into());
    if invitation.status != InvitationStatus::Pending || invitation.expires_at <= now {
        return Err(gone());
    }
    let admin = Administrator {
        org_id: invitation.org_id.clone(),
        sub: caller.sub.clone(),
        email: caller.email.clone(),
        access: invitation.access,
        permissions: invitation.permissions.clone(),
        added_at: now,
    };
    let event = DomainEvent::AdminInvitationAccepted {
        org_id: invitation.org_id.clone(),
        invitation_id: invitation.invitation_id,
        sub: caller.sub.clone(),
    }
    .envelope(ports.ids.uuid(), now)?;
    match ports.invitations.accept_invitation(&invitation, &admin, now, &event).await? {
        AcceptInvitation::Accepted => {
            outbox::publish_committed(ports.publisher, ports.outbox, std::slice::from_ref(&event)).await;
            Ok(Accepted { org_id: admin.org_id, access: admin.access, permissions: admin.permissions })
        }
        AcceptInvitation::Gone => Err(gone()),
    }
}

#[derive(Debug, Serialize)]
pub struct AdminEntry {
    /// `administrator`, `invitation`, or `pending` (an account a partner created).
    #[serde(rename = "type")]
    pub kind: &'static str,
    pub email: Email,
    pub access: Access,
    pub permissions: Vec<Permission>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub added_at: Option<chrono::DateTime<chrono::Utc>>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub invitation: Option<InvitationView>,
}

/// `GET /v1/orgs/{org_id}/admins`: any administrator of the org.
pub async fn list(ports: &AdminPorts<'_>, caller: &Caller, org: &OrgId) -> Result<Vec<AdminEntry>> {
    access::admin_of(ports.orgs, caller, org).await?;
    let now = ports.clock.now();
    let mut entries: Vec<AdminEntry> = ports
        .orgs
        .admins_of(org)
        .await?
        .into_iter()
        .map(|a| AdminEntry {
            kind: "administrator",
            email: a.email,
            access: a.access,
            permissions: a.permissions,
            added_at: Some(a.added_at),
            invitation: None,
        })
        .collect();
    for invitation in ports.invitations.invitations_of(org).await? {
        let view = InvitationView::of(&invitation, now);
        if view.status == "pending" {
            entries.push(AdminEntry {
                kind: "invitation",
                email: invitation.email,
                access: invitation.access,
                permissions: invitation.permissions,
                added_at: None,
                invitation: Some(view),
            });
        }
    }
    for (email, access) in ports.invitations.pending_admins_of(org).await? {
        entries.push(AdminEntry {
            kind: "pending",
            email,
            access,
            permissions: Vec::new(),
            added_at: None,
            invitation: None,
        });
    }
    Ok(entries)
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
}
