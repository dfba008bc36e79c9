//! "Add a customer": a partner creates a multi-tenant customer org, becomes its full
//! administrator, records the contact as a pending full administrator, and is
//! connected to it (origin `added`), all in one transaction.

use super::Context;
use serde::{Deserialize, Serialize};

use super::access;
use super::connections::connection_audit;
use super::invitations::{invite_emails_limited, INVITE_EMAILS, INVITE_EMAILS_PER_HOUR};
use crate::domain::DomainEvent;
use crate::domain::{
    Actor, Administrator, AuditAction, AuditEntry, Caller, Connection, ConnectionStatus, Country, Email, Org,
    OrgName, Origin, Tenancy, PARTNER_CUSTOMER_LIMIT,
};
use crate::error::{AppError, Result};
use crate::store::{AddCustomer, NewCustomer};

const MAX_ORG_ID_DRAWS: usize = 10;
/// How long racing uses of the hourly email limit (or of the customer counter) are
/// retried before 503: each round one racer wins, so a burst settles long before.
const RACE_PATIENCE: std::time::Duration = std::time::Duration::from_secs(6);

/// Full jitter, up to a ceiling that doubles with each lost race (5 ms to 100 ms).
fn race_pause(round: u32) -> std::time::Duration {
    use rand::Rng;
    let ceiling = (5u64 << round.min(10)).min(100);
    std::time::Duration::from_millis(rand::rng().random_range(0..=ceiling))
}

#[derive(Debug, Deserialize)]
pub struct AddCustomerInput {
    pub company_name: String,
    pub contact_email: String,
    #[serde(default)]
    pub contact_name: Option<String>,
    #[serde(default)]
    pub country: Option<String>,
}

#[derive(Debug, Serialize)]
pub struct AddedCustomer {
    pub customer: Org,
    pub connection: Connection,
}

pub async fn add_customer(
    cx: &Context<'_>,
    caller: &Caller,
    partner: &crate::domain::OrgId,
    input: AddCustomerInput,
) -> Result<AddedCustomer> {
    let standing = access::partner_admin_with(cx, caller, partner, None).await?;
    let name = OrgName::parse("company_name", &input.company_name)?.into_inner();
    let contact_email = Email::parse(&input.contact_email)
        .map_err(|_| AppError::invalid("contact_email is not a valid email address"))?;
    let contact_name = match input.contact_name.as_deref().map(str::trim).filter(|n| !n.is_empty()) {
        Some(n) => Some(OrgName::parse("contact_name", n)?.into_inner()),
        None => None,
    };
    let country = input.country.as_deref().map(Country::parse).transpose()?.map(Country::into_inner);
    let now = cx.clock.now();
    let started = std::time::Instant::now();
    let (mut draws, mut races) = (0, 0);
    while draws < MAX_ORG_ID_DRAWS {
        // The contact's email counts in the partner's hourly limit of invitation emails.
        let email_use = match cx
            .store
            .reserve(partner, INVITE_EMAILS, INVITE_EMAILS_PER_HOUR, chrono::Duration::hours(1), now)
            .await?
        {
            Ok(email_use) => email_use,
            Err(retry_after) => return Err(invite_emails_limited(retry_after)),
        };
        let org = Org {
            org_id: cx.ids.org_id(),
            name: name.clone(),
            country: country.clone(),
            tenancy: Tenancy::Multi,
            programs: Vec::new(),
            created_at: now,
        };
        let connection = Connection {
            partner_id: partner.clone(),
            customer_id: org.org_id.clone(),
            status: ConnectionStatus::Active,
            origin: Origin::Added,
            connected_at: now,
        };
        let events = [
            DomainEvent::CustomerAdded {
                partner_id: partner.clone(),
                customer_id: org.org_id.clone(),
                contact_email: contact_email.to_string(),
                contact_name: contact_name.clone(),
            }
            .envelope(cx.ids.uuid(), now)?,
            DomainEvent::ConnectionCreated {
                partner_id: partner.clone(),
                customer_id: org.org_id.clone(),
                origin: Origin::Added,
            }
            .envelope(cx.ids.uuid(), now)?,
        ];
        let customer_id = org.org_id.clone();
        let mut audit = connection_audit(
            cx,
            partner,
            &customer_id,
            AuditAction::ConnectionCreated,
            Actor::through(caller, Some(partner)),
            Actor::person(caller),
            serde_json::json!({"origin": Origin::Added}),
        )
        .to_vec();
        audit.push(AuditEntry::new(
            &customer_id,
            cx.ids.uuid(),
            now,
            Actor::through(caller, Some(partner)),
            AuditAction::OrgCreated,
            customer_id.to_string(),
            serde_json::json!({"name": org.name, "tenancy": Tenancy::Multi, "pending_admin": contact_email}),
        ));
        let mut partner_admin =
            Administrator::full(customer_id.clone(), caller.sub.clone(), caller.email.clone(), now);
        partner_admin.granted_via = Some(partner.clone());
        let new = NewCustomer {
            partner_admin,
            contact_email: contact_email.clone(),
            contact_name: contact_name.clone(),
            connection: connection.clone(),
            org,
        };
        let added = match cx.store.add_customer(&new, &events, &audit, &email_use).await {
            // Transactions kept meeting others on the same items: one more round.
            Err(AppError::Unavailable { .. }) if started.elapsed() < RACE_PATIENCE => AddCustomer::RateRaced,
            other => other?,
        };
        match added {
            AddCustomer::Created => {
                tracing::info!(partner_id = %partner, customer_id = %new.org.org_id, by = %standing.admin.sub, "customer added");
                return Ok(AddedCustomer { customer: new.org, connection });
            }
            AddCustomer::EmailInUse => return Err(AppError::EmailInUse),
            AddCustomer::LimitReached => {
                return Err(AppError::PartnerCustomerLimit { limit: PARTNER_CUSTOMER_LIMIT })
            }
            AddCustomer::OrgIdTaken => draws += 1,
            AddCustomer::RateRaced | AddCustomer::CountMoved => {
                if started.elapsed() >= RACE_PATIENCE {
                    break;
                }
                tokio::time::sleep(race_pause(races)).await;
                races += 1;
            }
        }
    }
    Err(AppError::Unavailable { retry_after: std::time::Duration::from_secs(1) })
}
