//! Support tickets: one item per ticket under its org, and the org item's
//! `open_tickets` counter moved in the same transaction as every open and close, so
//! the dashboard reads an exact number without scanning.

use std::collections::HashMap;

use aws_sdk_dynamodb::types::{AttributeValue, Update};
use chrono::{DateTime, Utc};

use super::dynamo::{cursor_of, start_key, DynamoStore};
use super::entity::{from_item, to_item, Entity, Key};
use super::errors::StoreError;
use super::keys;
use super::orgs::OrgProfile;
use super::page::{Page, PageRequest};
use super::transact::{Part, Transacted};
use crate::domain::EventEnvelope;
use crate::domain::{AuditEntry, Email, OrgId, SupportTicket, TicketStatus};
use crate::error::{AppError, Result};

/// How closing a support ticket ended in the store.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum CloseTicket {
    Closed(SupportTicket),
    /// It was closed before: as it stands, unchanged.
    AlreadyClosed(SupportTicket),
    NotFound,
}

const COUNTER: &str = "open_tickets";

/// `ORG#<org_id>` / `TICKET#<ticket_id>`.
impl Entity for SupportTicket {
    const TYPE: &'static str = "SupportTicket";

    fn key(&self) -> Key {
        ticket_key(&self.org_id, &self.ticket_id)
    }
}

fn ticket_key(org: &OrgId, ticket_id: &uuid::Uuid) -> Key {
    Key::new(keys::org_pk(org), keys::ticket_sk(ticket_id))
}

fn counter_moved(up: bool) -> aws_sdk_dynamodb::types::builders::UpdateBuilder {
    let update = Update::builder()
        .expression_attribute_names("#count", COUNTER)
        .expression_attribute_values(":one", AttributeValue::N("1".into()))
        .expression_attribute_values(":zero", AttributeValue::N("0".into()));
    if up {
        update
            .update_expression("SET #count = if_not_exists(#count, :zero) + :one")
            .condition_expression("attribute_exists(PK)")
    } else {
        update.update_expression("SET #count = #count - :one").condition_expression("#count > :zero")
    }
}

impl DynamoStore {
    /// The ticket, the org's open-ticket counter +1, its event and its audit entry in
    /// one transaction; `false` when the org does not exist.
    pub async fn open_ticket(
        &self,
        ticket: &SupportTicket,
        event: &EventEnvelope,
        audit: &AuditEntry,
    ) -> Result<bool> {
        let mut writes = vec![
            self.put_new(Part::Ticket, to_item(ticket)?)?,
            self.update(Part::OpenTickets, &OrgProfile::key_of(&ticket.org_id), counter_moved(true))?,
        ];
        writes.extend(self.outbox_writes(std::slice::from_ref(event))?);
        writes.extend(self.audit_writes(std::slice::from_ref(audit))?);
        Ok(self.transact(writes).await? == Transacted::Committed)
    }

    /// Closes it only while open, with the counter -1 and the audit entry, together.
    pub async fn close_ticket(
        &self,
        org: &OrgId,
        ticket_id: &uuid::Uuid,
        closed_at: DateTime<Utc>,
        closed_by: &Email,
        audit: &AuditEntry,
    ) -> Result<CloseTicket> {
        let close = Update::builder()
            .update_expression("SET #status = :closed, closed_at = :at, closed_by = :by")
            .condition_expression("#status = :open")
            .expression_attribute_names("#status", "status")
            .expression_attribute_values(":closed", AttributeValue::S(TicketStatus::Closed.as_str().into()))
            .expression_attribute_values(":open", AttributeValue::S(TicketStatus::Open.as_str().into()))
            .expression_attribute_values(
                ":at",
                AttributeValue::S(closed_at.to_rfc3339_opts(chrono::SecondsFormat::AutoSi, true)),
            )
            .expression_attribute_values(":by", AttributeValue::S(closed_by.to_string()));
        let mut writes = vec![
            self.update(Part::Ticket, &ticket_key(org, ticket_id), close)?,
            self.update(Part::OpenTickets, &OrgProfile::key_of(org), counter_moved(false))?,
        ];
        writes.extend(self.audit_writes(std::slice::from_ref(audit))?);
        let committed = self.transact(writes).await? == Transacted::Committed;
        // Closed now, or (the condition refused) closed before or never there.
        Ok(match (committed, self.ticket(org, ticket_id).await?) {
            (true, Some(ticket)) => CloseTicket::Closed(ticket),
            (false, Some(ticket)) if ticket.status == TicketStatus::Closed => {
                CloseTicket::AlreadyClosed(ticket)
            }
            (false, Some(_)) => {
                return Err(AppError::internal(format!("ticket {ticket_id} is open but could not be closed")))
            }
            (_, None) => CloseTicket::NotFound,
        })
    }

    pub async fn ticket(&self, org: &OrgId, ticket_id: &uuid::Uuid) -> Result<Option<SupportTicket>> {
        self.get(ticket_key(org, ticket_id)).await
    }

    /// Newest first, optionally only those with `status`.
    pub async fn tickets_of(
        &self,
        org: &OrgId,
        status: Option<TicketStatus>,
        page: &PageRequest,
    ) -> Result<Page<SupportTicket>> {
        let pk = keys::org_pk(org);
        let start = page
            .after
            .as_ref()
            .map(|cursor| start_key(cursor, None, &pk, keys::TICKET_SK_PREFIX))
            .transpose()?;
        let mut query = self
            .client
            .query()
            .table_name(&self.table)
            .key_condition_expression("#pk = :pk AND begins_with(#sk, :prefix)")
            .expression_attribute_names("#pk", keys::PK)
            .expression_attribute_names("#sk", keys::SK)
            .expression_attribute_values(":pk", AttributeValue::S(pk.clone()))
            .expression_attribute_values(":prefix", AttributeValue::S(keys::TICKET_SK_PREFIX.into()))
            .consistent_read(true)
            .scan_index_forward(false)
            .limit(page.limit as i32)
            .set_exclusive_start_key(start);
        if let Some(status) = status {
            query = query
                .filter_expression("#status = :status")
                .expression_attribute_names("#status", "status")
                .expression_attribute_values(":status", AttributeValue::S(status.as_str().into()));
        }
        let output = query.send().await.map_err(StoreError::from_sdk)?;
        let tickets =
            output.items.unwrap_or_default().into_iter().map(from_item).collect::<Result<Vec<_>>>()?;
        Ok(Page::new(tickets, output.last_evaluated_key.map(cursor_of)))
    }

    /// Each org's counter of open tickets (absent: 0).
    pub async fn open_ticket_counts(&self, orgs: &[OrgId]) -> Result<HashMap<OrgId, u32>> {
        let counted = self.batch_get_profiles(orgs).await?;
        Ok(counted.into_iter().map(|c| (c.org_id, c.open_tickets.unwrap_or(0))).collect())
    }
}
