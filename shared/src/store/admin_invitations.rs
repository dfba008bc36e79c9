use aws_sdk_dynamodb::types::{AttributeValue, Update};
use chrono::{DateTime, Utc};
use serde::{Deserialize, Serialize};

use super::admins::{self, PendingAdmin};
use super::connections::PartnerSide;
use super::dynamo::DynamoStore;
use super::entity::{to_item, Entity, Key};
use super::errors::StoreError;
use super::keys;
use super::transact::{Part, Transacted};
use crate::domain::EventEnvelope;
use crate::domain::{Access, AdminInvitation, Administrator, AuditEntry, Email, InviteCode, OrgId};
use crate::error::{AppError, Result};

/// How accepting an administrator invitation ended in the store.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum AcceptInvitation {
    Accepted,
    /// Used already, or past its end.
    Gone,
    /// The person's standing, or the connection the right comes through, changed
    /// since it was read: read again.
    Stale,
    /// Accepting would take the org's last full administrator without an expiry.
    LastFullAdmin,
}

/// An invitation, with what its accept link and accept condition need.
#[derive(Debug, Serialize, Deserialize)]
struct StoredInvitation {
    /// The accept link's secret, kept so the notify function can email it.
    token: String,
    /// Epoch seconds, for the accept condition.
    expires_epoch: i64,
    #[serde(flatten)]
    invitation: AdminInvitation,
}

impl StoredInvitation {
    fn key_of(org: &OrgId, invitation_id: &uuid::Uuid) -> Key {
        Key::new(keys::org_pk(org), keys::invitation_sk(invitation_id))
    }
}

/// `ORG#<org_id>` / `INVITATION#<invitation_id>`.
impl Entity for StoredInvitation {
    const TYPE: &'static str = "AdminInvitation";

    fn key(&self) -> Key {
        Self::key_of(&self.invitation.org_id, &self.invitation.invitation_id)
    }
}

/// The lookup of an invitation by its accept link's token.
#[derive(Debug, Serialize, Deserialize)]
struct TokenLookup {
    /// Its key only.
    #[serde(skip)]
    token: String,
    org_id: OrgId,
    invitation_id: uuid::Uuid,
}

/// `ADMIN_INVITE#<token>` / `ADMIN_INVITE`.
impl Entity for TokenLookup {
    const TYPE: &'static str = "AdminInvitationToken";

    fn key(&self) -> Key {
        Key::new(keys::admin_invite_pk(&self.token), keys::ADMIN_INVITE_SK)
    }
}

impl DynamoStore {
    /// The invitation, its lookup by token and its event, together.
    pub async fn create_invitation(
        &self,
        invitation: &AdminInvitation,
        token: &InviteCode,
        event: &EventEnvelope,
        audit: &AuditEntry,
    ) -> Result<()> {
        let item = StoredInvitation {
            token: token.as_str().to_string(),
            expires_epoch: invitation.expires_at.timestamp(),
            invitation: invitation.clone(),
        };
        let lookup = TokenLookup {
            token: token.as_str().to_string(),
            org_id: invitation.org_id.clone(),
            invitation_id: invitation.invitation_id,
        };
        let mut writes = vec![
            self.put_new(Part::Invitation, to_item(&item)?)?,
            self.put_new(Part::InvitationToken, to_item(&lookup)?)?,
        ];
        writes.extend(self.outbox_writes(std::slice::from_ref(event))?);
        writes.extend(self.audit_writes(std::slice::from_ref(audit))?);
        match self.transact(writes).await? {
            Transacted::Committed => Ok(()),
            Transacted::ConditionFailed(_) => Err(AppError::internal("invitation id or token collided")),
        }
    }

    pub async fn invitation_by_token(&self, token: &InviteCode) -> Result<Option<AdminInvitation>> {
        let lookup: Option<TokenLookup> =
            self.get(Key::new(keys::admin_invite_pk(token.as_str()), keys::ADMIN_INVITE_SK)).await?;
        match lookup {
            Some(l) => Ok(self.invitation(&l.org_id, &l.invitation_id).await?.map(|(i, _)| i)),
            None => Ok(None),
        }
    }

    pub async fn invitation(
        &self,
        org: &OrgId,
        invitation_id: &uuid::Uuid,
    ) -> Result<Option<(AdminInvitation, InviteCode)>> {
        let item: Option<StoredInvitation> = self.get(StoredInvitation::key_of(org, invitation_id)).await?;
        Ok(item.and_then(|i| Some((i.invitation, InviteCode::parse(&i.token)?))))
    }

    /// Marks it accepted (only while pending and unexpired) and makes the
    /// administrator in place of `before` (the person's standing as read). A right
    /// given through a partner (`admin.granted_via`) is recorded on that connection,
    /// which must still exist.
    pub async fn accept_invitation(
        &self,
        invitation: &AdminInvitation,
        before: Option<&Administrator>,
        admin: &Administrator,
        now: DateTime<Utc>,
        event: &EventEnvelope,
        audit: &AuditEntry,
    ) -> Result<AcceptInvitation> {
        let mark = Update::builder()
            .update_expression("SET #status = :accepted, accepted_at = :now_text")
            .condition_expression("#status = :pending AND expires_epoch > :now")
            .expression_attribute_names("#status", "status")
            .expression_attribute_values(":accepted", AttributeValue::S("accepted".into()))
            .expression_attribute_values(":pending", AttributeValue::S("pending".into()))
            .expression_attribute_values(":now", AttributeValue::N(now.timestamp().to_string()))
            .expression_attribute_values(":now_text", AttributeValue::S(keys::timestamp(&now)));
        // The accepted access replaces whatever standing the person had there.
        let marked = StoredInvitation::key_of(&invitation.org_id, &invitation.invitation_id);
        let mut writes = vec![self.update(Part::Invitation, &marked, mark)?, self.put_admin(before, admin)?];
        if let Some(partner) = &admin.granted_via {
            // Recorded on the connection, which must still stand: its removal reads this.
            let grant = Update::builder()
                .update_expression("SET grants = if_not_exists(grants, :zero) + :one")
                .condition_expression("attribute_exists(PK)")
                .expression_attribute_values(":zero", AttributeValue::N("0".into()))
                .expression_attribute_values(":one", AttributeValue::N("1".into()));
            writes.push(self.update(
                Part::Connection,
                &PartnerSide::key_of(partner, &admin.org_id),
                grant,
            )?);
        }
        writes.extend(self.full_admins_moved(
            &admin.org_id,
            admins::keeps_delta(before, Some(admin)),
            true,
        )?);
        writes.extend(self.outbox_writes(std::slice::from_ref(event))?);
        writes.extend(self.audit_writes(std::slice::from_ref(audit))?);
        Ok(match self.transact(writes).await? {
            Transacted::Committed => AcceptInvitation::Accepted,
            outcome if outcome.failed(Part::Invitation) => AcceptInvitation::Gone,
            outcome if outcome.failed(Part::FullAdmins) => AcceptInvitation::LastFullAdmin,
            Transacted::ConditionFailed(_) => AcceptInvitation::Stale,
        })
    }

    pub async fn invitations_of(&self, org: &OrgId) -> Result<Vec<AdminInvitation>> {
        let items: Vec<StoredInvitation> =
            self.query_all(None, &keys::org_pk(org), keys::INVITATION_SK_PREFIX).await?;
        Ok(items.into_iter().map(|i| i.invitation).collect())
    }

    /// Marks the invitation's email as bounced (the mail service refused it for good).
    pub async fn mark_bounced(
        &self,
        org: &OrgId,
        invitation_id: &uuid::Uuid,
        at: DateTime<Utc>,
    ) -> Result<()> {
        let updated = self
            .client
            .update_item()
            .table_name(&self.table)
            .set_key(Some(StoredInvitation::key_of(org, invitation_id).item()))
            .update_expression("SET delivery = :bounced, bounced_at = :at")
            .condition_expression("attribute_exists(PK)")
            .expression_attribute_values(":bounced", AttributeValue::S("bounced".into()))
            .expression_attribute_values(":at", AttributeValue::S(keys::timestamp(&at)))
            .send()
            .await;
        match updated.map_err(StoreError::from_sdk) {
            Ok(_) | Err(StoreError::ConditionFailed) => Ok(()),
            Err(other) => Err(other.into()),
        }
    }

    /// People recorded as pending administrators (accounts a partner created).
    pub async fn pending_admins_of(&self, org: &OrgId) -> Result<Vec<(Email, Access)>> {
        let items: Vec<PendingAdmin> =
            self.query_all(None, &keys::org_pk(org), keys::PENDING_ADMIN_SK_PREFIX).await?;
        Ok(items.into_iter().map(|p| (p.email, p.access)).collect())
    }
}
