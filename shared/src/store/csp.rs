//! CSP features: a partner's federated domains, their links to customers (one item
//! under the customer per link), and workspace themes.

use aws_sdk_dynamodb::types::{AttributeValue, ConditionCheck, TransactWriteItem, Update};

use super::dynamo::{key, to_item, DynamoStore};
use super::items::Stored;
use super::keys;
use super::transact::{Transacted, Write};
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

const DOMAIN: &str = "FederatedDomain";
const LINK: &str = "WorkspaceDomain";
const THEME: &str = "WorkspaceTheme";

impl DynamoStore {
    /// A condition on another item, checked in the transaction without writing it.
    fn check_exists(&self, item_key: super::dynamo::Item) -> Result<Write> {
        let check = ConditionCheck::builder()
            .table_name(&self.table)
            .set_key(Some(item_key))
            .condition_expression("attribute_exists(PK)")
            .build()
            .map_err(AppError::internal)?;
        Ok(Write { item: TransactWriteItem::builder().condition_check(check).build() })
    }

    /// The partner's domains linked to the customer, for removing the connection.
    pub(super) async fn links_between(&self, partner: &OrgId, customer: &OrgId) -> Result<Vec<DomainLink>> {
        let items: Vec<Stored<DomainLink>> = self
            .query_all(None, &keys::org_pk(customer), &keys::workspace_domains_of_partner(partner), LINK)
            .await?;
        Ok(items.into_iter().map(|i| i.value).collect())
    }

    pub(super) fn unlink_write(&self, link: &DomainLink) -> Result<Write> {
        self.delete_existing(key(
            keys::org_pk(&link.customer_id),
            &keys::workspace_domain_sk(&link.partner_id, &link.domain),
        ))
    }
}

impl DynamoStore {
    /// Registers it with its audit entry; `false` when the partner had it already.
    pub async fn add_domain(&self, domain: &FederatedDomain, audit: &AuditEntry) -> Result<bool> {
        let item = Stored::new(
            keys::org_pk(&domain.partner_id),
            keys::federated_domain_sk(&domain.domain),
            DOMAIN,
            domain,
        );
        let mut writes = vec![self.put_new(to_item(&item)?)?];
        writes.extend(self.audit_writes(std::slice::from_ref(audit))?);
        Ok(self.transact(writes).await? == Transacted::Committed)
    }

    pub async fn domain(&self, partner: &OrgId, domain: &str) -> Result<Option<FederatedDomain>> {
        let found: Option<Stored<FederatedDomain>> =
            self.get(keys::org_pk(partner), &keys::federated_domain_sk(domain), DOMAIN).await?;
        Ok(found.map(|i| i.value))
    }

    /// Every domain the partner registered.
    pub async fn domains_of(&self, partner: &OrgId) -> Result<Vec<FederatedDomain>> {
        let items: Vec<Stored<FederatedDomain>> =
            self.query_all(None, &keys::org_pk(partner), keys::FEDERATED_DOMAIN_SK_PREFIX, DOMAIN).await?;
        Ok(items.into_iter().map(|i| i.value).collect())
    }

    /// Links it in one transaction that needs the connection and the domain to stand
    /// (and records the link on the connection, so removing it sees every link).
    pub async fn link_domain(&self, link: &DomainLink, audit: &[AuditEntry]) -> Result<LinkDomain> {
        let item = Stored::new(
            keys::org_pk(&link.customer_id),
            keys::workspace_domain_sk(&link.partner_id, &link.domain),
            LINK,
            link,
        );
        // Recorded on the partner side of the connection (its `grants` version, as
        // administrator rights given through it are): a removal that read the links
        // before this one fails its condition and reads them again.
        let on_connection = Update::builder()
            .set_key(Some(key(keys::org_pk(&link.partner_id), &keys::customer_sk(&link.customer_id))))
            .update_expression("SET grants = if_not_exists(grants, :zero) + :one")
            .condition_expression("attribute_exists(PK)")
            .expression_attribute_values(":zero", AttributeValue::N("0".into()))
            .expression_attribute_values(":one", AttributeValue::N("1".into()));
        let mut writes = vec![
            self.put_new(to_item(&item)?)?,
            self.update(on_connection)?,
            self.check_exists(key(keys::org_pk(&link.partner_id), &keys::federated_domain_sk(&link.domain)))?,
        ];
        writes.extend(self.audit_writes(audit)?);
        Ok(match self.transact(writes).await? {
            Transacted::Committed => LinkDomain::Linked,
            outcome if outcome.failed(1) => LinkDomain::NotConnected,
            outcome if outcome.failed(2) => LinkDomain::NoDomain,
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
        let items: Vec<Stored<DomainLink>> =
            self.query_all(None, &keys::org_pk(customer), keys::WORKSPACE_DOMAIN_SK_PREFIX, LINK).await?;
        Ok(items.into_iter().map(|i| i.value).collect())
    }

    pub async fn set_theme(&self, theme: &WorkspaceTheme, audit: &[AuditEntry]) -> Result<()> {
        let item =
            Stored::new(keys::org_pk(&theme.org_id), keys::WORKSPACE_THEME_SK.to_string(), THEME, theme);
        // Only while the org stands: a theme never outlives nor precedes its org.
        let org_check = self.check_exists(key(keys::org_pk(&theme.org_id), keys::ORG_PROFILE_SK))?;
        let mut writes = vec![self.put_when(to_item(&item)?, None, &[])?, org_check];
        writes.extend(self.audit_writes(audit)?);
        match self.transact(writes).await? {
            Transacted::Committed => Ok(()),
            Transacted::ConditionFailed(_) => Err(AppError::not_found("organization not found")),
        }
    }

    pub async fn theme(&self, org: &OrgId) -> Result<Option<WorkspaceTheme>> {
        let found: Option<Stored<WorkspaceTheme>> =
            self.get(keys::org_pk(org), keys::WORKSPACE_THEME_SK, THEME).await?;
        Ok(found.map(|i| i.value))
    }
}
