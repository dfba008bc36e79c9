use aws_sdk_dynamodb::types::{AttributeValue, Update};
use chrono::{DateTime, Utc};
use serde::{Deserialize, Serialize};

use super::admins;
use super::dynamo::{key, to_item, DynamoStore};
use super::errors::StoreError;
use super::items::PendingAdminItem;
use super::keys;
use super::transact::Transacted;
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

#[derive(Debug, Serialize, Deserialize)]
struct InvitationItem {
    #[serde(rename = "PK")]
    pk: String,
    #[serde(rename = "SK")]
    sk: String,
    entity: String,
    /// The accept link's secret, kept so the notify function can email it.
    token: String,
    /// Epoch seconds, for the accept condition.
    expires_epoch: i64,
    #[serde(flatten)]
    invitation: AdminInvitation,
}

#[derive(Debug, Serialize, Deserialize)]
struct TokenItem {
    #[serde(rename = "PK")]
    pk: String,
    #[serde(rename = "SK")]
    sk: String,
    entity: String,
    org_id: OrgId,
    invitation_id: uuid::Uuid,
}

const INVITATION: &str = "AdminInvitation";
const TOKEN: &str = "AdminInvitationToken";

impl DynamoStore {
    /// The invitation, its lookup by token and its event, together.
    pub async fn create_invitation(
        &self,
        invitation: &AdminInvitation,
        token: &InviteCode,
        event: &EventEnvelope,
        audit: &AuditEntry,
    ) -> Result<()> {
        let item = InvitationItem {
            pk: keys::org_pk(&invitation.org_id),
            sk: keys::invitation_sk(&invitation.invitation_id),
            entity: INVITATION.into(),
            token: token.as_str().to_string(),
            expires_epoch: invitation.expires_at.timestamp(),
            invitation: invitation.clone(),
        };
        let lookup = TokenItem {
            pk: keys::admin_invite_pk(token.as_str()),
            sk: keys::ADMIN_INVITE_SK.into(),
            entity: TOKEN.into(),
            org_id: invitation.org_id.clone(),
            invitation_id: invitation.invitation_id,
        };
        let mut writes = vec![self.put_new(to_item(&item)?)?, self.put_new(to_item(&lookup)?)?];
        writes.extend(self.outbox_writes(std::slice::from_ref(event))?);
        writes.extend(self.audit_writes(std::slice::from_ref(audit))?);
        match self.transact(writes).await? {
            Transacted::Committed => Ok(()),
            Transacted::ConditionFailed(_) => Err(AppError::internal("invitation id or token collided")),
        }
    }

    pub async fn invitation_by_token(&self, token: &InviteCode) -> Result<Option<AdminInvitation>> {
        let lookup: Option<TokenItem> =
            self.get(keys::admin_invite_pk(token.as_str()), keys::ADMIN_INVITE_SK, TOKEN).await?;
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
        let item: Option<InvitationItem> =
            self.get(keys::org_pk(org), &keys::invitation_sk(invitation_id), INVITATION).await?;
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
            .set_key(Some(key(
                keys::org_pk(&invitation.org_id),
                &keys::invitation_sk(&invitation.invitation_id),
            )))
            .update_expression("SET #status = :accepted, accepted_at = :now_text")
            .condition_expression("#status = :pending AND expires_epoch > :now")
            .expression_attribute_names("#status", "status")
            .expression_attribute_values(":accepted", AttributeValue::S("accepted".into()))
            .expression_attribute_values(":pending", AttributeValue::S("pending".into()))
            .expression_attribute_values(":now", AttributeValue::N(now.timestamp().to_string()))
            .expression_attribute_values(":now_text", AttributeValue::S(keys::timestamp(&now)));
        // The accepted access replaces whatever standing the person had there.
        let mut writes = vec![self.update(mark)?, self.put_admin(before, admin)?];
        if let Some(partner) = &admin.granted_via {
            // Recorded on the connection, which must still stand: its removal reads this.
            let grant = Update::builder()
                .set_key(Some(key(keys::org_pk(partner), &keys::customer_sk(&admin.org_id))))
                .update_expression("SET grants = if_not_exists(grants, :zero) + :one")
                .condition_expression("attribute_exists(PK)")
                .expression_attribute_values(":zero", AttributeValue::N("0".into()))
                .expression_attribute_values(":one", AttributeValue::N("1".into()));
            writes.push(self.update(grant)?);
        }
        let counter_at = writes.len();
        let counter =
            self.full_admins_moved(&admin.org_id, admins::keeps_delta(before, Some(admin)), true)?;
        let counted = counter.is_some();
        writes.extend(counter);
        writes.extend(self.outbox_writes(std::slice::from_ref(event))?);
        writes.extend(self.audit_writes(std::slice::from_ref(audit))?);
        Ok(match self.transact(writes).await? {
            Transacted::Committed => AcceptInvitation::Accepted,
            outcome if outcome.failed(0) => AcceptInvitation::Gone,
            outcome if counted && outcome.failed(counter_at) => AcceptInvitation::LastFullAdmin,
            Transacted::ConditionFailed(_) => AcceptInvitation::Stale,
        })
    }

    pub async fn invitations_of(&self, org: &OrgId) -> Result<Vec<AdminInvitation>> {
        let items: Vec<InvitationItem> =
            self.query_all(None, &keys::org_pk(org), keys::INVITATION_SK_PREFIX, INVITATION).await?;
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
            .set_key(Some(key(keys::org_pk(org), &keys::invitation_sk(invitation_id))))
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
        let items: Vec<PendingAdminItem> = self
            .query_all(None, &keys::org_pk(org), keys::PENDING_ADMIN_SK_PREFIX, PendingAdminItem::ENTITY)
            .await?;
        Ok(items.into_iter().map(|p| (p.email, p.access)).collect())
    }
}
