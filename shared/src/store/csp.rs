//! CSP features: a partner's federated domains, their links to customers (one item
//! under the customer per link), and workspace themes.

use aws_sdk_dynamodb::types::{AttributeValue, Update};

use super::connections::PartnerSide;
use super::dynamo::DynamoStore;
use super::entity::{to_item, Entity, Key};
use super::keys;
use super::orgs::OrgProfile;
use super::transact::{Part, Transacted, Write};
use crate::domain::{AuditEntry, DomainLink, FederatedDomain, OrgId, WorkspaceTheme};
use crate::error::{AppError, Result};

/// How linking a federated domain to a customer ended in the store.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum LinkDomain {
    Linked,
    /// Linked before: nothing changed.
    AlreadyLinked,
    /// The partner and the customer are not connected.
    NotConnected,
    /// The partner has no such federated domain.
    NoDomain,
}

/// `ORG#<partner_id>` / `FEDERATED_DOMAIN#<domain>`.
impl Entity for FederatedDomain {
    const TYPE: &'static str = "FederatedDomain";

    fn key(&self) -> Key {
        Key::new(keys::org_pk(&self.partner_id), keys::federated_domain_sk(&self.domain))
    }
}

/// Under the customer: `ORG#<customer_id>` / `WORKSPACE_DOMAIN#<partner_id>#<domain>`.
impl Entity for DomainLink {
    const TYPE: &'static str = "WorkspaceDomain";

    fn key(&self) -> Key {
        Key::new(keys::org_pk(&self.customer_id), keys::workspace_domain_sk(&self.partner_id, &self.domain))
    }
}

/// `ORG#<org_id>` / `WORKSPACE_THEME`.
impl Entity for WorkspaceTheme {
    const TYPE: &'static str = "WorkspaceTheme";

    fn key(&self) -> Key {
        Key::new(keys::org_pk(&self.org_id), keys::WORKSPACE_THEME_SK)
    }
}

impl DynamoStore {
    /// The partner's domains linked to the customer, for removing the connection.
    pub(super) async fn links_between(&self, partner: &OrgId, customer: &OrgId) -> Result<Vec<DomainLink>> {
        self.query_all(None, &keys::org_pk(customer), &keys::workspace_domains_of_partner(partner)).await
    }

    pub(super) fn unlink_write(&self, link: &DomainLink) -> Result<Write> {
        self.delete_existing(Part::DomainLink, &link.key())
    }
}

impl DynamoStore {
    /// Registers it with its audit entry; `false` when the partner had it already.
    pub async fn add_domain(&self, domain: &FederatedDomain, audit: &AuditEntry) -> Result<bool> {
        let mut writes = vec![self.put_new(Part::FederatedDomain, to_item(domain)?)?];
        writes.extend(self.audit_writes(std::slice::from_ref(audit))?);
        Ok(self.transact(writes).await? == Transacted::Committed)
    }

    pub async fn domain(&self, partner: &OrgId, domain: &str) -> Result<Option<FederatedDomain>> {
        self.get(Key::new(keys::org_pk(partner), keys::federated_domain_sk(domain))).await
    }

    /// Every domain the partner registered.
    pub async fn domains_of(&self, partner: &OrgId) -> Result<Vec<FederatedDomain>> {
        self.query_all(None, &keys::org_pk(partner), keys::FEDERATED_DOMAIN_SK_PREFIX).await
    }

    /// Links it in one transaction that needs the connection and the domain to stand
    /// (and records the link on the connection, so removing it sees every link).
    pub async fn link_domain(&self, link: &DomainLink, audit: &[AuditEntry]) -> Result<LinkDomain> {
        // Recorded on the partner side of the connection (its `grants` version, as
        // administrator rights given through it are): a removal that read the links
        // before this one fails its condition and reads them again.
        let on_connection = Update::builder()
            .update_expression("SET grants = if_not_exists(grants, :zero) + :one")
            .condition_expression("attribute_exists(PK)")
            .expression_attribute_values(":zero", AttributeValue::N("0".into()))
            .expression_attribute_values(":one", AttributeValue::N("1".into()));
        let domain = Key::new(keys::org_pk(&link.partner_id), keys::federated_domain_sk(&link.domain));
        let mut writes = vec![
            self.put_new(Part::DomainLink, to_item(link)?)?,
            self.update(
                Part::Connection,
                &PartnerSide::key_of(&link.partner_id, &link.customer_id),
                on_connection,
            )?,
            self.check_exists(Part::FederatedDomain, &domain)?,
        ];
        writes.extend(self.audit_writes(audit)?);
        Ok(match self.transact(writes).await? {
            Transacted::Committed => LinkDomain::Linked,
            outcome if outcome.failed(Part::Connection) => LinkDomain::NotConnected,
            outcome if outcome.failed(Part::FederatedDomain) => LinkDomain::NoDomain,
            _ => LinkDomain::AlreadyLinked,
        })
    }

    /// `false` when it was not linked.
    pub async fn unlink_domain(
        &self,
        partner: &OrgId,
        customer: &OrgId,
        domain: &str,
        audit: &[AuditEntry],
    ) -> Result<bool> {
        let link = DomainLink {
            domain: domain.to_string(),
            partner_id: partner.clone(),
            customer_id: customer.clone(),
            linked_at: chrono::Utc::now(),
        };
        let mut writes = vec![self.unlink_write(&link)?];
        writes.extend(self.audit_writes(audit)?);
        Ok(self.transact(writes).await? == Transacted::Committed)
    }

    /// The domains linked to the customer, by any partner.
    pub async fn links_of(&self, customer: &OrgId) -> Result<Vec<DomainLink>> {
        self.query_all(None, &keys::org_pk(customer), keys::WORKSPACE_DOMAIN_SK_PREFIX).await
    }

    pub async fn set_theme(&self, theme: &WorkspaceTheme, audit: &[AuditEntry]) -> Result<()> {
        // Only while the org stands: a theme never outlives nor precedes its org.
        let org_check = self.check_exists(Part::OrgExists, &OrgProfile::key_of(&theme.org_id))?;
        let mut writes = vec![self.put_when(Part::Theme, to_item(theme)?, None, &[])?, org_check];
        writes.extend(self.audit_writes(audit)?);
        match self.transact(writes).await? {
            Transacted::Committed => Ok(()),
            Transacted::ConditionFailed(_) => Err(AppError::not_found("organization not found")),
        }
    }

    pub async fn theme(&self, org: &OrgId) -> Result<Option<WorkspaceTheme>> {
        self.get(Key::new(keys::org_pk(org), keys::WORKSPACE_THEME_SK)).await
    }
}
