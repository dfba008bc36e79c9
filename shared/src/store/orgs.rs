use aws_sdk_dynamodb::types::{AttributeValue, Update};
use chrono::{DateTime, Utc};
use serde::{Deserialize, Serialize};

use super::admins::{self, PendingAdmin};
use super::dynamo::DynamoStore;
use super::entity::{to_item, Entity, Key};
use super::keys;
use super::transact::{Part, Transacted};

use crate::domain::EventEnvelope;
use crate::domain::{Administrator, AuditEntry, Email, Org, OrgId, Program, Tenancy};
use crate::error::Result;

/// The org item: the org, and the counters and marks other writes keep on it (see
/// `keys`). Only its creation writes it whole; the counters are moved by updates.
#[derive(Debug, Clone, Serialize, Deserialize)]
pub(super) struct OrgProfile {
    pub org_id: OrgId,
    pub name: String,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub country: Option<String>,
    pub tenancy: Tenancy,
    #[serde(default)]
    pub programs: Vec<Program>,
    pub created_at: DateTime<Utc>,
    /// Active customers; kept by `store::connections`.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub customer_count: Option<u32>,
    /// Set once, by the connection that made the partner's 90th customer.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub limit_near_at: Option<String>,
    /// Set once, by the first call for the partner's invitation link.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub invite_code: Option<String>,
    /// Full administrators without an expiry; kept by `store::admins`.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub full_admins: Option<u32>,
    /// Support tickets open now; kept by `store::support`.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub open_tickets: Option<u32>,
}

impl OrgProfile {
    /// A new org's item, with its first administrator counted.
    pub fn new(org: &Org, first_admin: &Administrator) -> Self {
        Self {
            org_id: org.org_id.clone(),
            name: org.name.clone(),
            country: org.country.clone(),
            tenancy: org.tenancy,
            programs: org.programs.clone(),
            created_at: org.created_at,
            customer_count: None,
            limit_near_at: None,
            invite_code: None,
            full_admins: Some(admins::first_full_admins(first_admin)),
            open_tickets: None,
        }
    }

    /// Where the org item of `org` sits, for the updates of its counters.
    pub fn key_of(org: &OrgId) -> Key {
        Key::new(keys::org_pk(org), keys::ORG_PROFILE_SK)
    }

    pub fn org(self) -> Org {
        Org {
            org_id: self.org_id,
            name: self.name,
            country: self.country,
            tenancy: self.tenancy,
            programs: self.programs,
            created_at: self.created_at,
        }
    }
}

/// `ORG#<org_id>` / `PROFILE`.
impl Entity for OrgProfile {
    const TYPE: &'static str = "Org";

    fn key(&self) -> Key {
        Self::key_of(&self.org_id)
    }
}

/// What happened when a new org was written.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum CreateOrg {
    Created,
    /// Another org already holds this ORGID; the caller draws a new one.
    OrgIdTaken,
}

/// What happened when a program was joined.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum JoinProgram {
    Joined(Org),
    AlreadyMember(Org),
}

/// How a change to an administrator ended in the store.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum ChangeAdmin {
    Changed,
    /// The record changed (or went) since it was read: read it again.
    Stale,
    /// It would leave the org without a full administrator without an expiry.
    LastFullAdmin,
}

/// Builds the audit entry for taking up a pending role in one org.
pub type PendingAuditFn<'a> = &'a (dyn Fn(&OrgId) -> AuditEntry + Sync);

impl DynamoStore {
    /// Writes the org and its first administrator together, only if the ORGID is free.
    pub async fn create_org(
        &self,
        org: &Org,
        first_admin: &Administrator,
        audit: &[AuditEntry],
    ) -> Result<CreateOrg> {
        let org_item = to_item(&OrgProfile::new(org, first_admin))?;
        let mut writes = vec![self.put_new(Part::Org, org_item)?, self.put_admin(None, first_admin)?];
        writes.extend(self.audit_writes(audit)?);
        Ok(match self.transact(writes).await? {
            Transacted::Committed => CreateOrg::Created,
            // Only a taken ORGID can refuse the writes of a brand-new org.
            Transacted::ConditionFailed(_) => CreateOrg::OrgIdTaken,
        })
    }

    pub async fn get_org(&self, org_id: &OrgId) -> Result<Option<Org>> {
        Ok(self.profile(org_id).await?.map(OrgProfile::org))
    }

    pub async fn get_admin(&self, org_id: &OrgId, sub: &str) -> Result<Option<Administrator>> {
        self.get(Key::new(keys::org_pk(org_id), keys::admin_sk(sub))).await
    }

    /// Every org the person administers, with their standing in it.
    pub async fn orgs_of_admin(&self, sub: &str) -> Result<Vec<(Administrator, Org)>> {
        let admins: Vec<Administrator> =
            self.query_all(Some(keys::GSI1), &keys::user_gsi1pk(sub), "ORG#").await?;
        let ids: Vec<OrgId> = admins.iter().map(|a| a.org_id.clone()).collect();
        let mut orgs = self.batch_get_orgs(&ids).await?;
        Ok(admins
            .into_iter()
            .filter_map(|admin| {
                let org = orgs.remove(&admin.org_id)?;
                Some((admin, org))
            })
            .collect())
    }

    /// Adds the program atomically; `None` when the org does not exist.
    pub async fn join_program(
        &self,
        org_id: &OrgId,
        program: Program,
        audit: &AuditEntry,
    ) -> Result<Option<JoinProgram>> {
        let code = AttributeValue::S(program.code().to_string());
        let join = Update::builder()
            .update_expression("SET programs = list_append(if_not_exists(programs, :empty), :program)")
            .condition_expression("attribute_exists(PK) AND NOT contains(programs, :code)")
            .expression_attribute_values(":program", AttributeValue::L(vec![code.clone()]))
            .expression_attribute_values(":empty", AttributeValue::L(vec![]))
            .expression_attribute_values(":code", code);
        let mut writes = vec![self.update(Part::Org, &OrgProfile::key_of(org_id), join)?];
        writes.extend(self.audit_writes(std::slice::from_ref(audit))?);
        let joined = self.transact(writes).await? == Transacted::Committed;
        // Either way the org as it now stands answers; a refusal means it already had
        // the program, or is gone.
        Ok(self.get_org(org_id).await?.map(|org| {
            if joined {
                JoinProgram::Joined(org)
            } else {
                JoinProgram::AlreadyMember(org)
            }
        }))
    }

    pub async fn admins_of(&self, org_id: &OrgId) -> Result<Vec<Administrator>> {
        self.query_all(None, &keys::org_pk(org_id), keys::ADMIN_SK_PREFIX).await
    }

    /// Makes the person a full administrator of every org that recorded their email as
    /// a pending administrator (an account a partner created for them); answers how many.
    pub async fn claim_pending_admin(
        &self,
        sub: &str,
        email: &Email,
        now: DateTime<Utc>,
        audit: PendingAuditFn<'_>,
    ) -> Result<usize> {
        let pending: Vec<PendingAdmin> =
            self.query_all(Some(keys::GSI1), &keys::email_gsi1pk(email.as_str()), "ORG#").await?;
        let mut claimed = 0;
        for invitation in pending {
            let mut admin =
                Administrator::full(invitation.org_id.clone(), sub.to_string(), email.clone(), now);
            admin.access = invitation.access;
            let mut writes = vec![
                self.put_admin(None, &admin)?,
                self.delete_existing(Part::PendingAdmin, &invitation.key())?,
            ];
            writes.extend(self.full_admins_moved(
                &admin.org_id,
                admins::keeps_delta(None, Some(&admin)),
                false,
            )?);
            writes.extend(self.audit_writes(&[audit(&admin.org_id)])?);
            match self.transact(writes).await? {
                Transacted::Committed => claimed += 1,
                // Already an administrator there: the pending role has nothing to add.
                outcome if outcome.failed(Part::Admin) => {
                    self.transact(vec![self.delete_existing(Part::PendingAdmin, &invitation.key())?]).await?;
                }
                // Claimed by a racing request.
                Transacted::ConditionFailed(_) => {}
            }
        }
        Ok(claimed)
    }

    /// Replaces the administrator `before` (as read) with `after`, or removes it
    /// (`None`), keeping at least one full administrator without an expiry unless
    /// `keep_last` is false (an expiry that already took effect).
    pub async fn change_admin(
        &self,
        before: &Administrator,
        after: Option<&Administrator>,
        keep_last: bool,
        event: Option<&EventEnvelope>,
        audit: &AuditEntry,
    ) -> Result<ChangeAdmin> {
        let mut writes = vec![match after {
            Some(after) => self.put_admin(Some(before), after)?,
            None => self.delete_admin(before)?,
        }];
        writes.extend(self.full_admins_moved(
            &before.org_id,
            admins::keeps_delta(Some(before), after),
            keep_last,
        )?);
        writes.extend(self.audit_writes(std::slice::from_ref(audit))?);
        writes.extend(self.outbox_writes(event.map(std::slice::from_ref).unwrap_or_default())?);
        Ok(match self.transact(writes).await? {
            Transacted::Committed => ChangeAdmin::Changed,
            outcome if outcome.failed(Part::Admin) => ChangeAdmin::Stale,
            outcome if outcome.failed(Part::FullAdmins) => ChangeAdmin::LastFullAdmin,
            _ => ChangeAdmin::Stale,
        })
    }

    /// Removes a pending administrator (the contact of an added customer) before they
    /// took the role up; `false` when there was none.
    pub async fn remove_pending_admin(
        &self,
        org_id: &OrgId,
        email: &Email,
        audit: &AuditEntry,
    ) -> Result<bool> {
        let pending = Key::new(keys::org_pk(org_id), keys::pending_admin_sk(email.as_str()));
        let mut writes = vec![self.delete_existing(Part::PendingAdmin, &pending)?];
        writes.extend(self.audit_writes(std::slice::from_ref(audit))?);
        Ok(self.transact(writes).await? == Transacted::Committed)
    }

    pub async fn orgs(&self, ids: &[OrgId]) -> Result<std::collections::HashMap<OrgId, Org>> {
        self.batch_get_orgs(ids).await
    }
}

impl DynamoStore {
    /// The org item of `org`, with its counters.
    pub(super) async fn profile(&self, org: &OrgId) -> Result<Option<OrgProfile>> {
        self.get(OrgProfile::key_of(org)).await
    }

    pub(super) async fn batch_get_orgs(
        &self,
        ids: &[OrgId],
    ) -> Result<std::collections::HashMap<OrgId, Org>> {
        let items = self.batch_get_profiles(ids).await?;
        Ok(items.into_iter().map(|item| (item.org_id.clone(), item.org())).collect())
    }

    /// The org items of these ids, read consistently.
    pub(super) async fn batch_get_profiles(&self, ids: &[OrgId]) -> Result<Vec<OrgProfile>> {
        self.batch_get(ids.iter().map(OrgProfile::key_of).collect()).await
    }
}
