use aws_sdk_dynamodb::types::builders::UpdateBuilder;
use aws_sdk_dynamodb::types::{AttributeValue, Update};
use serde::{Deserialize, Serialize};

use super::admins::{self, PendingAdmin};
use super::dynamo::DynamoStore;
use super::entity::{to_item, Entity, Key};
use super::keys;
use super::orgs::OrgProfile;
use super::page::{Page, PageRequest};
use super::rate::RateUse;
use super::transact::{Part, Transacted, Write};
use crate::domain::EventEnvelope;
use crate::domain::{
    Access, Administrator, AuditEntry, Connection, Email, InviteCode, Org, OrgId, CUSTOMER_LIMIT_NEAR,
    PARTNER_CUSTOMER_LIMIT,
};
use crate::error::Result;

/// A connection under its partner, with `grants`: a version bumped by every
/// administrator right given (and domain linked) through it, so removing it revokes
/// exactly what it read.
#[derive(Debug, Clone, Serialize, Deserialize)]
pub(super) struct PartnerSide {
    #[serde(flatten)]
    pub connection: Connection,
    /// Moved by updates only.
    #[serde(default, skip_serializing)]
    pub grants: Option<u64>,
}

impl PartnerSide {
    pub fn key_of(partner: &OrgId, customer: &OrgId) -> Key {
        Key::new(keys::org_pk(partner), keys::customer_sk(customer))
    }
}

/// `ORG#<partner_id>` / `CUSTOMER#<customer_id>`.
impl Entity for PartnerSide {
    const TYPE: &'static str = "PartnerCustomer";

    fn key(&self) -> Key {
        Self::key_of(&self.connection.partner_id, &self.connection.customer_id)
    }
}

/// A connection under its customer.
#[derive(Debug, Clone, Serialize, Deserialize)]
#[serde(transparent)]
struct CustomerSide(Connection);

/// `ORG#<customer_id>` / `PARTNER#<partner_id>`.
impl Entity for CustomerSide {
    const TYPE: &'static str = "CustomerPartner";

    fn key(&self) -> Key {
        Key::new(keys::org_pk(&self.0.customer_id), keys::partner_sk(&self.0.partner_id))
    }
}

/// The lookup of a partner by its invitation link code.
#[derive(Debug, Serialize, Deserialize)]
struct CodeLookup {
    /// Its key only.
    #[serde(skip)]
    code: String,
    partner_id: OrgId,
}

/// `INVITE#<code>` / `INVITE`.
impl Entity for CodeLookup {
    const TYPE: &'static str = "InviteCode";

    fn key(&self) -> Key {
        Key::new(keys::invite_pk(&self.code), keys::INVITE_SK)
    }
}

/// A contact email taken by the customer account a partner added for it.
#[derive(Debug, Serialize, Deserialize)]
struct ContactClaim {
    /// Its key only.
    #[serde(skip)]
    email: String,
    org_id: OrgId,
}

/// `CONTACT#<email>` / `CONTACT`.
impl Entity for ContactClaim {
    const TYPE: &'static str = "ContactClaim";

    fn key(&self) -> Key {
        Key::new(keys::contact_pk(&self.email), keys::CONTACT_SK)
    }
}

/// What happened when a customer tried to connect to a partner.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Connect {
    Created,
    /// Already connected: the connection as it stands.
    AlreadyActive(Connection),
    /// The partner is at its customer limit.
    LimitReached,
}

/// What happened when a partner created a customer's account.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum AddCustomer {
    Created,
    /// The partner's counter moved since it was read: try again.
    CountMoved,
    EmailInUse,
    LimitReached,
    OrgIdTaken,
    /// Another use of the partner's email limit came first: take a new one.
    RateRaced,
}

/// A customer account a partner creates, written in one transaction.
#[derive(Debug, Clone)]
pub struct NewCustomer {
    pub org: Org,
    /// The partner administrator who created it, made its full administrator.
    pub partner_admin: Administrator,
    pub contact_email: Email,
    pub contact_name: Option<String>,
    pub connection: Connection,
}

const COUNTER: &str = "customer_count";
/// Set on the partner's org item by the one transaction that made its 90th customer.
const LIMIT_NEAR_MARK: &str = "limit_near_at";
/// Counter misses (the counter moved between its read and the write) retried.
const COUNT_ATTEMPTS: usize = 30;

/// The partner's counter of active customers, +1 only below the limit. Enforced by
/// DynamoDB in the same transaction as the connection, never by a read first.
///
/// `CustomerLimitNear` is decided in the same transaction, race-free, though a
/// transaction cannot read the value it increments: the move from 89 to 90 is only
/// ever made by the `crossing` form of this update, which also sets the org item's
/// `limit_near_at` mark and goes with the event's outbox put. The ordinary form's
/// condition refuses to move the counter from 89 while the mark is absent, and the
/// crossing form holds only at exactly 89 with no mark. The caller picks the form
/// from a read of the counter; a stale read fails the condition (nothing written)
/// and is read and tried again. So of any number of racing connections exactly one
/// makes the 90th customer and carries the event, and only once per partner ever
/// (once marked, the ordinary form moves 89 to 90 too).
fn count_in(crossing: Option<chrono::DateTime<chrono::Utc>>) -> UpdateBuilder {
    let update = Update::builder()
        .expression_attribute_names("#count", COUNTER)
        .expression_attribute_names("#near", LIMIT_NEAR_MARK)
        .expression_attribute_values(":one", AttributeValue::N("1".into()))
        .expression_attribute_values(":before", AttributeValue::N((CUSTOMER_LIMIT_NEAR - 1).to_string()));
    match crossing {
        Some(at) => update
            .update_expression("SET #count = #count + :one, #near = :at")
            .condition_expression("attribute_exists(PK) AND #count = :before AND attribute_not_exists(#near)")
            .expression_attribute_values(":at", AttributeValue::S(keys::timestamp(&at))),
        None => update
            .update_expression("SET #count = if_not_exists(#count, :zero) + :one")
            .condition_expression(
                "attribute_exists(PK) AND (attribute_not_exists(#count) OR \
                 (#count < :limit AND (#count <> :before OR attribute_exists(#near))))",
            )
            .expression_attribute_values(":zero", AttributeValue::N("0".into()))
            .expression_attribute_values(":limit", AttributeValue::N(PARTNER_CUSTOMER_LIMIT.to_string())),
    }
}

fn count_out() -> UpdateBuilder {
    Update::builder()
        .update_expression("SET #count = #count - :one")
        .condition_expression("#count > :zero")
        .expression_attribute_names("#count", COUNTER)
        .expression_attribute_values(":zero", AttributeValue::N("0".into()))
        .expression_attribute_values(":one", AttributeValue::N("1".into()))
}

impl DynamoStore {
    /// The partner's counter as read now, and whether the next connection is the one
    /// that makes its 90th customer (see [`count_in`]).
    async fn counted(&self, partner: &OrgId) -> Result<(u32, bool)> {
        Ok(self.profile(partner).await?.map_or((0, false), |o| {
            let count = o.customer_count.unwrap_or(0);
            (count, count == CUSTOMER_LIMIT_NEAR - 1 && o.limit_near_at.is_none())
        }))
    }

    /// The counter's update for this connection and, when it makes the 90th customer,
    /// the `CustomerLimitNear` event's outbox put to go with it.
    async fn count_writes(
        &self,
        partner: &OrgId,
        at: chrono::DateTime<chrono::Utc>,
    ) -> Result<(Write, Vec<Write>)> {
        let (_, crossing) = self.counted(partner).await?;
        let org = OrgProfile::key_of(partner);
        if !crossing {
            return Ok((self.update(Part::CustomerCount, &org, count_in(None))?, Vec::new()));
        }
        let event = crate::domain::DomainEvent::limit_near(partner, at)?;
        Ok((
            self.update(Part::CustomerCount, &org, count_in(Some(at)))?,
            self.outbox_writes(std::slice::from_ref(&event))?,
        ))
    }

    /// The two items of one connection: under the partner, and under the customer.
    fn connection_writes(&self, connection: &Connection) -> Result<Vec<Write>> {
        let partner_side = PartnerSide { connection: connection.clone(), grants: None };
        Ok(vec![
            self.put_new(Part::Connection, to_item(&partner_side)?)?,
            self.put_new(Part::Connection, to_item(&CustomerSide(connection.clone()))?)?,
        ])
    }
}

impl DynamoStore {
    pub async fn invite_code_of(&self, partner: &OrgId) -> Result<Option<InviteCode>> {
        let org = self.profile(partner).await?;
        Ok(org.and_then(|o| o.invite_code).and_then(|c| InviteCode::parse(&c)))
    }

    /// Gives the partner this code unless it already has one; answers the partner's
    /// code either way, so racing first calls agree.
    pub async fn assign_invite_code(&self, partner: &OrgId, code: &InviteCode) -> Result<InviteCode> {
        let lookup = CodeLookup { code: code.as_str().to_string(), partner_id: partner.clone() };
        let set_on_org = Update::builder()
            .update_expression("SET invite_code = :code")
            .condition_expression("attribute_exists(PK) AND attribute_not_exists(invite_code)")
            .expression_attribute_values(":code", AttributeValue::S(code.as_str().to_string()));
        let writes = vec![
            self.put_new(Part::InviteCode, to_item(&lookup)?)?,
            self.update(Part::Org, &OrgProfile::key_of(partner), set_on_org)?,
        ];
        match self.transact(writes).await? {
            Transacted::Committed => Ok(code.clone()),
            // Another call gave the partner its code first: that one stands forever.
            Transacted::ConditionFailed(_) => self
                .invite_code_of(partner)
                .await?
                .ok_or_else(|| crate::error::AppError::not_found("organization not found")),
        }
    }

    pub async fn partner_of_code(&self, code: &InviteCode) -> Result<Option<OrgId>> {
        let found: Option<CodeLookup> =
            self.get(Key::new(keys::invite_pk(code.as_str()), keys::INVITE_SK)).await?;
        Ok(found.map(|l| l.partner_id))
    }

    /// Connects within the partner's customer limit, with the event in the same
    /// transaction.
    pub async fn connect(
        &self,
        connection: &Connection,
        event: &EventEnvelope,
        audit: &[AuditEntry],
    ) -> Result<Connect> {
        // A connection removed between the failed write and the read is rare, and so
        // is a counter that moved since it was read; another round settles either.
        for _ in 0..COUNT_ATTEMPTS {
            let (count, near_event) =
                self.count_writes(&connection.partner_id, connection.connected_at).await?;
            let mut writes = vec![count];
            writes.extend(self.connection_writes(connection)?);
            writes.extend(self.outbox_writes(std::slice::from_ref(event))?);
            writes.extend(self.audit_writes(audit)?);
            writes.extend(near_event);
            match self.transact(writes).await? {
                Transacted::Committed => return Ok(Connect::Created),
                outcome if outcome.failed(Part::Connection) => {
                    if let Some(existing) =
                        self.connection(&connection.partner_id, &connection.customer_id).await?
                    {
                        return Ok(Connect::AlreadyActive(existing));
                    }
                }
                _ if self.counted(&connection.partner_id).await?.0 >= PARTNER_CUSTOMER_LIMIT => {
                    return Ok(Connect::LimitReached)
                }
                // The counter moved between its read and the write: read it again.
                _ => {}
            }
        }
        Err(crate::error::AppError::Unavailable { retry_after: std::time::Duration::from_secs(1) })
    }

    /// Removes the connection and, in the same transaction, every administrator right
    /// given through it; `false` when there was no such connection.
    pub async fn disconnect(
        &self,
        partner: &OrgId,
        customer: &OrgId,
        event: &EventEnvelope,
        audit: &[AuditEntry],
    ) -> Result<bool> {
        // The rights given through the connection go in the same transaction. The
        // connection's `grants` version makes a right given meanwhile fail the
        // transaction, which then reads again: nothing given through it survives it.
        for _ in 0..crate::store::MAX_TRANSACTION_ATTEMPTS {
            let partner_side = PartnerSide::key_of(partner, customer);
            let side: Option<PartnerSide> = self.get(partner_side.clone()).await?;
            let Some(side) = side else { return Ok(false) };
            let granted: Vec<Administrator> = self
                .admins_of(customer)
                .await?
                .into_iter()
                .filter(|admin| admin.granted_via.as_ref() == Some(partner))
                .collect();
            let mut writes = vec![match side.grants {
                None => self.delete_if(
                    Part::Connection,
                    &partner_side,
                    "attribute_exists(PK) AND attribute_not_exists(grants)",
                    &[],
                )?,
                Some(grants) => self.delete_if(
                    Part::Connection,
                    &partner_side,
                    "grants = :grants",
                    &[(":grants", AttributeValue::N(grants.to_string()))],
                )?,
            }];
            let customer_side = Key::new(keys::org_pk(customer), keys::partner_sk(partner));
            writes.push(self.delete_existing(Part::Connection, &customer_side)?);
            writes.push(self.update(Part::CustomerCount, &OrgProfile::key_of(partner), count_out())?);
            let mut kept_org = 0;
            for admin in &granted {
                writes.push(self.delete_admin(admin)?);
                kept_org += admins::keeps_delta(Some(admin), None);
            }
            writes.extend(self.full_admins_moved(customer, kept_org, false)?);
            // So do the partner's federated domains linked to the customer (each link
            // bumps `grants` too, so none linked meanwhile survives).
            let links = self.links_between(partner, customer).await?;
            for link in &links {
                writes.push(self.unlink_write(link)?);
            }
            writes.extend(self.outbox_writes(std::slice::from_ref(event))?);
            let revoked: Vec<String> = granted.iter().map(|a| a.email.to_string()).collect();
            let unlinked: Vec<&str> = links.iter().map(|l| l.domain.as_str()).collect();
            let audit: Vec<AuditEntry> = audit
                .iter()
                .cloned()
                .map(|mut entry| {
                    if entry.org_id == *customer && !revoked.is_empty() {
                        entry.detail["revoked_admins"] = serde_json::json!(revoked);
                    }
                    if entry.org_id == *customer && !unlinked.is_empty() {
                        entry.detail["unlinked_domains"] = serde_json::json!(unlinked);
                    }
                    entry
                })
                .collect();
            writes.extend(self.audit_writes(&audit)?);
            if self.transact(writes).await? == Transacted::Committed {
                return Ok(true);
            }
        }
        Err(crate::error::AppError::Unavailable { retry_after: std::time::Duration::from_secs(1) })
    }

    pub async fn connection(&self, partner: &OrgId, customer: &OrgId) -> Result<Option<Connection>> {
        let side: Option<PartnerSide> = self.get(PartnerSide::key_of(partner, customer)).await?;
        Ok(side.map(|s| s.connection))
    }

    pub async fn customers_of(&self, partner: &OrgId, page: &PageRequest) -> Result<Page<Connection>> {
        let Page { items, next } = self
            .query::<PartnerSide>(None, &keys::org_pk(partner), keys::CUSTOMER_SK_PREFIX, page, true)
            .await?;
        Ok(Page::new(items.into_iter().map(|s| s.connection).collect(), next))
    }

    pub async fn partners_of(&self, customer: &OrgId, page: &PageRequest) -> Result<Page<Connection>> {
        let Page { items, next } = self
            .query::<CustomerSide>(None, &keys::org_pk(customer), keys::PARTNER_SK_PREFIX, page, true)
            .await?;
        Ok(Page::new(items.into_iter().map(|s| s.0).collect(), next))
    }

    /// The account, its connection and one use of the partner's email limit, together.
    pub async fn add_customer(
        &self,
        customer: &NewCustomer,
        events: &[EventEnvelope],
        audit: &[AuditEntry],
        email_use: &RateUse,
    ) -> Result<AddCustomer> {
        let email = customer.contact_email.as_str();
        let claim = ContactClaim { email: email.to_string(), org_id: customer.org.org_id.clone() };
        let pending = PendingAdmin {
            org_id: customer.org.org_id.clone(),
            email: customer.contact_email.clone(),
            name: customer.contact_name.clone(),
            access: Access::Full,
            invited_by: customer.partner_admin.sub.clone(),
            invited_at: customer.org.created_at,
        };
        let org_item = to_item(&OrgProfile::new(&customer.org, &customer.partner_admin))?;
        let partner = &customer.connection.partner_id;
        let (count, near_event) = self.count_writes(partner, customer.connection.connected_at).await?;
        let mut writes = vec![
            self.put_new(Part::Org, org_item)?,
            self.put_new(Part::ContactClaim, to_item(&claim)?)?,
            count,
            self.put_admin(None, &customer.partner_admin)?,
            self.put_new(Part::PendingAdmin, to_item(&pending)?)?,
        ];
        writes.extend(self.connection_writes(&customer.connection)?);
        writes.push(self.rate_write(email_use)?);
        writes.extend(self.outbox_writes(events)?);
        writes.extend(self.audit_writes(audit)?);
        writes.extend(near_event);
        Ok(match self.transact(writes).await? {
            Transacted::Committed => AddCustomer::Created,
            outcome if outcome.failed(Part::ContactClaim) => AddCustomer::EmailInUse,
            outcome
                if outcome.failed(Part::CustomerCount)
                    && self.counted(partner).await?.0 >= PARTNER_CUSTOMER_LIMIT =>
            {
                AddCustomer::LimitReached
            }
            outcome if outcome.failed(Part::CustomerCount) => AddCustomer::CountMoved,
            outcome if outcome.failed(Part::RateSlot) => AddCustomer::RateRaced,
            _ => AddCustomer::OrgIdTaken,
        })
    }

    /// The partner's counter of active customers.
    pub async fn customer_count(&self, partner: &OrgId) -> Result<u32> {
        Ok(self.profile(partner).await?.and_then(|o| o.customer_count).unwrap_or(0))
    }
}
