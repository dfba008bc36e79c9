//! Connecting a customer to a partner through the invitation link, removing the
//! connection from either side, and the customer's list of partners.

use super::Context;
use serde::{Deserialize, Serialize};

use super::access;
use super::invitations::resolve;
use crate::domain::DomainEvent;
use crate::domain::{
    Actor, AuditAction, AuditEntry, Caller, Connection, ConnectionStatus, OrgId, Origin, Program, RemovedBy,
    PARTNER_CUSTOMER_LIMIT,
};
use crate::error::{AppError, Result};
use crate::store::Connect;
use crate::store::{Page, PageRequest};

#[derive(Debug, Deserialize)]
pub struct Accept {
    pub customer_org_id: String,
}

#[derive(Debug, PartialEq, Eq)]
pub enum Accepted {
    Created(Connection),
    AlreadyActive(Connection),
}

/// `POST /v1/invite/{code}/accept`: a full administrator of `customer_org_id`
/// connects it to the link's partner, within the partner's customer limit.
pub async fn accept_invitation(
    cx: &Context<'_>,
    caller: &Caller,
    code: &str,
    input: Accept,
) -> Result<Accepted> {
    let (_, partner) = resolve(cx.store, code).await?;
    let customer = OrgId::parse(&input.customer_org_id)
        .map_err(|_| AppError::invalid("customer_org_id must be an org id of 8 decimal digits"))?;
    let standing = access::full_admin_of(cx, caller, &customer).await?;
    if customer == partner {
        return Err(AppError::SelfConnection);
    }
    let now = cx.clock.now();
    let audit = connection_audit(
        cx,
        &partner,
        &customer,
        AuditAction::ConnectionCreated,
        standing.actor(caller),
        Actor::person(caller),
        serde_json::json!({"origin": Origin::Invite}),
    );
    let connection = Connection {
        partner_id: partner.clone(),
        customer_id: customer.clone(),
        status: ConnectionStatus::Active,
        origin: Origin::Invite,
        connected_at: now,
    };
    let event =
        DomainEvent::ConnectionCreated { partner_id: partner, customer_id: customer, origin: Origin::Invite }
            .envelope(cx.ids.uuid(), now)?;
    match cx.store.connect(&connection, &event, &audit).await? {
        Connect::Created => Ok(Accepted::Created(connection)),
        Connect::AlreadyActive(existing) => Ok(Accepted::AlreadyActive(existing)),
        Connect::LimitReached => Err(AppError::PartnerCustomerLimit { limit: PARTNER_CUSTOMER_LIMIT }),
    }
}

/// Removes a connection; `by` says which side's full administrator asked.
pub async fn remove_connection(
    cx: &Context<'_>,
    caller: &Caller,
    partner: &OrgId,
    customer: &OrgId,
    by: RemovedBy,
) -> Result<()> {
    // The partner's side is a partner route: an org without a badge is told so.
    let standing = match by {
        RemovedBy::Partner => access::partner_admin_with(cx, caller, partner, None).await?,
        RemovedBy::Customer => access::full_admin_of(cx, caller, customer).await?,
    };
    let now = cx.clock.now();
    // Each side's log names who acted; the customer's says which partner acted for it.
    let (for_customer, for_partner) = match by {
        RemovedBy::Partner => (Actor::through(caller, Some(partner)), Actor::person(caller)),
        RemovedBy::Customer => (standing.actor(caller), Actor::person(caller)),
    };
    let audit = connection_audit(
        cx,
        partner,
        customer,
        AuditAction::ConnectionRemoved,
        for_customer,
        for_partner,
        serde_json::json!({"removed_by": by}),
    );
    let event = DomainEvent::ConnectionRemoved {
        partner_id: partner.clone(),
        customer_id: customer.clone(),
        removed_by: by,
    }
    .envelope(cx.ids.uuid(), now)?;
    if !cx.store.disconnect(partner, customer, &event, &audit).await? {
        return Err(AppError::not_found("there is no such connection"));
    }
    Ok(())
}

#[derive(Debug, Serialize, PartialEq, Eq)]
pub struct PartnerOfCustomer {
    pub org_id: OrgId,
    pub name: String,
    pub programs: Vec<Program>,
    pub connected_at: chrono::DateTime<chrono::Utc>,
}

/// A connection's entries for both logs: the customer's and the partner's.
pub(super) fn connection_audit(
    cx: &Context<'_>,
    partner: &OrgId,
    customer: &OrgId,
    action: AuditAction,
    customer_actor: Actor,
    partner_actor: Actor,
    detail: serde_json::Value,
) -> [AuditEntry; 2] {
    let now = cx.clock.now();
    [
        AuditEntry::new(
            customer,
            cx.ids.uuid(),
            now,
            customer_actor,
            action,
            partner.to_string(),
            detail.clone(),
        ),
        AuditEntry::new(partner, cx.ids.uuid(), now, partner_actor, action, customer.to_string(), detail),
    ]
}

/// `GET /v1/orgs/{customer_id}/partners`: any administrator of the customer.
pub async fn partners_of(
    cx: &Context<'_>,
    caller: &Caller,
    customer: &OrgId,
    page: &PageRequest,
) -> Result<Page<PartnerOfCustomer>> {
    access::admin_of(cx, caller, customer).await?;
    let Page { items: found, next } = cx.store.partners_of(customer, page).await?;
    let ids: Vec<OrgId> = found.iter().map(|c| c.partner_id.clone()).collect();
    let mut partner_orgs = cx.store.orgs(&ids).await?;
    let items = found
        .into_iter()
        .filter_map(|c| {
            let org = partner_orgs.remove(&c.partner_id)?;
            Some(PartnerOfCustomer {
                org_id: org.org_id,
                name: org.name,
                programs: org.programs,
                connected_at: c.connected_at,
            })
        })
        .collect();
    Ok(Page::new(items, next))
}
