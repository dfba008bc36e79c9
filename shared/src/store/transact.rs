//! TransactWriteItems with the cancellation reasons read, and the conflicts real
//! DynamoDB raises under contention retried with jittered backoff.

use std::time::Duration;

use aws_sdk_dynamodb::operation::transact_write_items::TransactWriteItemsError;
use aws_sdk_dynamodb::types::{ConditionCheck, Delete, Put, TransactWriteItem, Update};
use rand::Rng;

use super::dynamo::{DynamoStore, Item};
use super::entity::Key;
use super::errors::StoreError;
use crate::error::{AppError, Result};

/// Attempts before a write under contention gives up with 503.
pub const MAX_ATTEMPTS: u32 = 5;
const BASE_BACKOFF_MS: u64 = 20;

/// What a write of a transaction is to the change it makes: a refusal is read by
/// the part whose condition failed, never by its position.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Part {
    /// The org item: its creation, or a change to it (programs, invite code).
    Org,
    /// The org item as a condition: the org stands.
    OrgExists,
    /// An administrator record, as the version that was read.
    Admin,
    /// The org's count of full administrators without an expiry (`full_admins`).
    FullAdmins,
    /// The partner's count of active customers (`customer_count`).
    CustomerCount,
    /// The org's count of open support tickets (`open_tickets`).
    OpenTickets,
    /// A side of a connection, or its `grants` version.
    Connection,
    /// The claim of a contact email by one added customer.
    ContactClaim,
    /// A pending administrator (the contact of an added customer).
    PendingAdmin,
    /// The lookup of a partner's invitation link code.
    InviteCode,
    /// An administrator invitation.
    Invitation,
    /// The lookup of an administrator invitation by its token.
    InvitationToken,
    /// A slot of a rolling-window limit.
    RateSlot,
    /// A federated domain of a CSP partner.
    FederatedDomain,
    /// A federated domain linked to a customer.
    DomainLink,
    /// A workspace theme.
    Theme,
    /// An entitlement.
    Entitlement,
    /// The slot holding the current entitlement of a service and kind.
    EntitlementSlot,
    /// The trial a new entitlement converts: its entitlement and its slot.
    Trial,
    /// A month marked for the usage rollup.
    DirtyMonth,
    /// An order (or its remainder of licenses).
    Order,
    /// A license allocation.
    Allocation,
    /// A support ticket.
    Ticket,
    /// An audit log entry.
    Audit,
    /// An outbox event.
    Outbox,
}

/// How a transaction ended, when it did not fail outright.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Transacted {
    Committed,
    /// A condition did not hold: the parts whose condition failed.
    ConditionFailed(Vec<Part>),
}

impl Transacted {
    /// Whether the condition of (a write of) this part failed.
    pub fn failed(&self, part: Part) -> bool {
        matches!(self, Self::ConditionFailed(failed) if failed.contains(&part))
    }
}

/// One item to write, with its condition and the part it is of its transaction.
pub struct Write {
    pub(super) part: Part,
    pub(super) item: TransactWriteItem,
}

impl DynamoStore {
    /// A put of a new item (made by `to_item`): none with its key may exist.
    pub(super) fn put_new(&self, part: Part, item: Item) -> Result<Write> {
        self.put_when(part, item, Some("attribute_not_exists(PK)"), &[])
    }

    /// A put with an optional condition and the values it names.
    pub(super) fn put_when(
        &self,
        part: Part,
        item: Item,
        condition: Option<&str>,
        values: &[(&str, aws_sdk_dynamodb::types::AttributeValue)],
    ) -> Result<Write> {
        let mut put = Put::builder()
            .table_name(&self.table)
            .set_item(Some(item))
            .set_condition_expression(condition.map(str::to_string));
        for (name, value) in values {
            put = put.expression_attribute_values(*name, value.clone());
        }
        let put = put.build().map_err(AppError::internal)?;
        Ok(Write { part, item: TransactWriteItem::builder().put(put).build() })
    }

    /// An update of the item at `key`.
    pub(super) fn update(
        &self,
        part: Part,
        key: &Key,
        update: aws_sdk_dynamodb::types::builders::UpdateBuilder,
    ) -> Result<Write> {
        let update: Update =
            update.table_name(&self.table).set_key(Some(key.item())).build().map_err(AppError::internal)?;
        Ok(Write { part, item: TransactWriteItem::builder().update(update).build() })
    }

    pub(super) fn delete_existing(&self, part: Part, key: &Key) -> Result<Write> {
        self.delete_if(part, key, "attribute_exists(PK)", &[])
    }

    /// A delete under a condition, with the values it names.
    pub(super) fn delete_if(
        &self,
        part: Part,
        key: &Key,
        condition: &str,
        values: &[(&str, aws_sdk_dynamodb::types::AttributeValue)],
    ) -> Result<Write> {
        let mut delete = Delete::builder()
            .table_name(&self.table)
            .set_key(Some(key.item()))
            .condition_expression(condition);
        for (name, value) in values {
            delete = delete.expression_attribute_values(*name, value.clone());
        }
        let delete = delete.build().map_err(AppError::internal)?;
        Ok(Write { part, item: TransactWriteItem::builder().delete(delete).build() })
    }

    /// A condition on another item (that it exists), checked without writing it.
    pub(super) fn check_exists(&self, part: Part, key: &Key) -> Result<Write> {
        let check = ConditionCheck::builder()
            .table_name(&self.table)
            .set_key(Some(key.item()))
            .condition_expression("attribute_exists(PK)")
            .build()
            .map_err(AppError::internal)?;
        Ok(Write { part, item: TransactWriteItem::builder().condition_check(check).build() })
    }

    /// Writes all items or none. Conflicts with concurrent transactions are retried a
    /// bounded number of times; then the caller gets 503 with `Retry-After`.
    pub(super) async fn transact(&self, writes: Vec<Write>) -> Result<Transacted> {
        let (parts, items): (Vec<Part>, Vec<TransactWriteItem>) =
            writes.into_iter().map(|w| (w.part, w.item)).unzip();
        for attempt in 1..=MAX_ATTEMPTS {
            let result =
                self.client.transact_write_items().set_transact_items(Some(items.clone())).send().await;
            let error = match result {
                Ok(_) => return Ok(Transacted::Committed),
                Err(error) => error,
            };
            let reasons: Option<Vec<String>> = match error.as_service_error() {
                Some(TransactWriteItemsError::TransactionCanceledException(cancelled)) => Some(
                    cancelled
                        .cancellation_reasons()
                        .iter()
                        .map(|r| r.code().unwrap_or("None").to_string())
                        .collect(),
                ),
                _ => None,
            };
            let conflict = match &reasons {
                Some(codes) if codes.iter().any(|c| c == "ConditionalCheckFailed") => {
                    return Ok(Transacted::ConditionFailed(
                        codes
                            .iter()
                            .zip(&parts)
                            .filter(|(code, _)| *code == "ConditionalCheckFailed")
                            .map(|(_, part)| *part)
                            .collect(),
                    ))
                }
                Some(codes) => codes.iter().any(|c| c == "TransactionConflict" || c == "ThrottlingError"),
                None => match StoreError::from_sdk(error) {
                    StoreError::Busy(_) => true,
                    other => return Err(other.into()),
                },
            };
            if !conflict {
                return Err(AppError::internal(format!("transaction cancelled: {reasons:?}")));
            }
            if attempt < MAX_ATTEMPTS {
                tokio::time::sleep(backoff(attempt)).await;
            }
        }
        tracing::warn!(attempts = MAX_ATTEMPTS, "transaction kept conflicting");
        Err(AppError::Unavailable { retry_after: Duration::from_secs(1) })
    }
}

/// Full jitter: a random wait up to an exponentially growing ceiling.
fn backoff(attempt: u32) -> Duration {
    let ceiling = BASE_BACKOFF_MS << attempt.min(6);
    Duration::from_millis(rand::rng().random_range(ceiling / 2..=ceiling))
}
