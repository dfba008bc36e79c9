use std::collections::HashSet;

use aws_sdk_dynamodb::types::AttributeValue;
use chrono::{DateTime, Utc};
use serde::{Deserialize, Serialize};

use super::dynamo::DynamoStore;
use super::entity::{to_item, Entity, Key};
use super::errors::StoreError;
use super::keys;
use super::page::{Cursor, Page, PageRequest};
use crate::domain::MailOutcome;
use crate::domain::{Email, Notification, OrgId};
use crate::error::Result;

/// The field of a feed cursor.
const FEED_POSITION: &str = "before";

/// How one event's email to one address stands, as `claim_email` found it.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum EmailClaim {
    /// This delivery holds the claim (its id settles or releases it) and sends now.
    Claimed(uuid::Uuid),
    /// It went out before: a repeated delivery sends nothing.
    Sent,
    /// The mail service refused it for good before.
    Refused,
    /// Another delivery of the event holds a live claim: try again later.
    InFlight,
}

/// How long an email delivery is remembered against redelivery of its event.
const DELIVERY_MEMORY: chrono::Duration = chrono::Duration::days(14);
/// How long a claim to send holds before another delivery of the event may take it
/// over (the holder crashed between claiming and settling). Well above notify's
/// `Timeout` in template.yaml, so a live sender is never overtaken.
const EMAIL_CLAIM_LEASE: chrono::Duration = chrono::Duration::seconds(60);

const SENDING: &str = "sending";
const SENT: &str = "sent";
const REFUSED: &str = "refused";

/// `ORG#<org_id>` / `NOTIFICATION#<created_at>#<id>`.
impl Entity for Notification {
    const TYPE: &'static str = "Notification";

    fn key(&self) -> Key {
        Key::new(keys::org_pk(&self.org_id), keys::notification_sk(&self.created_at, &self.notification_id))
    }
}

/// The marker of one event's email to one address: claimed (`sending`, under a
/// lease), then `sent` or `refused` by updates. Remembered for a while, then TTL.
#[derive(Debug, Serialize, Deserialize)]
struct EmailDelivery {
    /// Its key only.
    #[serde(skip)]
    event_id: uuid::Uuid,
    /// Its key only.
    #[serde(skip)]
    to: String,
    /// Absent on markers written before states existed (for sent emails).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    state: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    claim: Option<uuid::Uuid>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    claimed_epoch: Option<i64>,
}

impl EmailDelivery {
    fn key_of(event_id: &uuid::Uuid, to: &Email) -> Key {
        Key::new(keys::delivery_pk(event_id), keys::delivery_email_sk(to.as_str()))
    }
}

/// `DELIVERY#<event_id>` / `EMAIL#<address>`.
impl Entity for EmailDelivery {
    const TYPE: &'static str = "EmailDelivery";

    fn key(&self) -> Key {
        Key::new(keys::delivery_pk(&self.event_id), keys::delivery_email_sk(&self.to))
    }

    fn expires_at(&self) -> Option<i64> {
        Some(self.claimed_epoch? + DELIVERY_MEMORY.num_seconds())
    }
}

/// A notification a partner dismissed from its feed.
#[derive(Debug, Serialize, Deserialize)]
struct Dismissal {
    /// Its key only (the partner's org).
    #[serde(skip)]
    at: Key,
    notification_id: uuid::Uuid,
    /// As `keys::timestamp` writes it.
    dismissed_at: String,
}

/// `ORG#<partner_id>` / `DISMISSED#<notification_id>`.
impl Entity for Dismissal {
    const TYPE: &'static str = "Dismissal";

    fn key(&self) -> Key {
        self.at.clone()
    }
}

impl DynamoStore {
    /// How the marker of one event's email stands, read after a claim lost.
    async fn email_state(&self, event_id: &uuid::Uuid, to: &Email) -> Result<Option<EmailClaim>> {
        let marker: Option<EmailDelivery> = self.get(EmailDelivery::key_of(event_id, to)).await?;
        Ok(marker.map(|marker| match marker.state.as_deref() {
            Some(SENDING) => EmailClaim::InFlight,
            Some(REFUSED) => EmailClaim::Refused,
            // Markers written before states existed were written for sent emails.
            _ => EmailClaim::Sent,
        }))
    }
}

impl DynamoStore {
    /// Records a notification; `false` when it was recorded before (a repeated event).
    pub async fn record(&self, notification: &Notification) -> Result<bool> {
        self.put_if_absent(notification).await
    }

    /// Claims the right to send one event's email to one address, or says how that
    /// email stands (sent, refused, being sent by another delivery of the event).
    pub async fn claim_email(
        &self,
        event_id: &uuid::Uuid,
        to: &Email,
        now: DateTime<Utc>,
    ) -> Result<EmailClaim> {
        // A claim lost to one just released (a transient failure) is tried again.
        for _ in 0..3 {
            let claim = uuid::Uuid::new_v4();
            let marker = EmailDelivery {
                event_id: *event_id,
                to: to.as_str().to_string(),
                state: Some(SENDING.into()),
                claim: Some(claim),
                claimed_epoch: Some(now.timestamp()),
            };
            let put = self
                .client
                .put_item()
                .table_name(&self.table)
                .set_item(Some(to_item(&marker)?))
                .condition_expression(
                    "attribute_not_exists(PK) OR (#state = :sending AND claimed_epoch < :stale)",
                )
                .expression_attribute_names("#state", "state")
                .expression_attribute_values(":sending", AttributeValue::S(SENDING.into()))
                .expression_attribute_values(
                    ":stale",
                    AttributeValue::N((now - EMAIL_CLAIM_LEASE).timestamp().to_string()),
                )
                .send()
                .await;
            match put.map_err(StoreError::from_sdk) {
                Ok(_) => return Ok(EmailClaim::Claimed(claim)),
                Err(StoreError::ConditionFailed) => {}
                Err(other) => return Err(other.into()),
            }
            if let Some(state) = self.email_state(event_id, to).await? {
                return Ok(state);
            }
        }
        Ok(EmailClaim::InFlight)
    }

    /// Gives the claim back after a transient failure, so a redelivery tries again.
    pub async fn release_email(&self, event_id: &uuid::Uuid, to: &Email, claim: &uuid::Uuid) -> Result<()> {
        let deleted = self
            .client
            .delete_item()
            .table_name(&self.table)
            .set_key(Some(EmailDelivery::key_of(event_id, to).item()))
            .condition_expression("claim = :claim")
            .expression_attribute_values(":claim", AttributeValue::S(claim.to_string()))
            .send()
            .await;
        match deleted.map_err(StoreError::from_sdk) {
            // Not ours any more: another delivery took the claim over.
            Ok(_) | Err(StoreError::ConditionFailed) => Ok(()),
            Err(other) => Err(other.into()),
        }
    }

    /// Records what the mail service did with the claimed email, for good.
    pub async fn settle_email(
        &self,
        event_id: &uuid::Uuid,
        to: &Email,
        claim: &uuid::Uuid,
        outcome: &MailOutcome,
        now: DateTime<Utc>,
    ) -> Result<()> {
        let (state, code) = match outcome {
            MailOutcome::Sent => (SENT, None),
            MailOutcome::Refused { code } => (REFUSED, Some(code.as_str())),
        };
        let mut update = self
            .client
            .update_item()
            .table_name(&self.table)
            .set_key(Some(EmailDelivery::key_of(event_id, to).item()))
            .condition_expression("claim = :claim")
            .expression_attribute_names("#state", "state")
            .expression_attribute_values(":claim", AttributeValue::S(claim.to_string()))
            .expression_attribute_values(":state", AttributeValue::S(state.into()))
            .expression_attribute_values(":at", AttributeValue::S(keys::timestamp(&now)));
        update = match code {
            Some(code) => update
                .update_expression("SET #state = :state, settled_at = :at, refusal = :code")
                .expression_attribute_values(":code", AttributeValue::S(code.to_string())),
            None => update.update_expression("SET #state = :state, settled_at = :at"),
        };
        match update.send().await.map_err(StoreError::from_sdk) {
            Ok(_) | Err(StoreError::ConditionFailed) => Ok(()),
            Err(other) => Err(other.into()),
        }
    }

    /// Rewrites the title and body of a recorded notification (to say an email
    /// about it bounced); nothing when it is not there.
    pub async fn amend(&self, notification: &Notification) -> Result<()> {
        let updated = self
            .client
            .update_item()
            .table_name(&self.table)
            .set_key(Some(notification.key().item()))
            .update_expression("SET title = :title, body = :body")
            .condition_expression("attribute_exists(PK)")
            .expression_attribute_values(":title", AttributeValue::S(notification.title.clone()))
            .expression_attribute_values(":body", AttributeValue::S(notification.body.clone()))
            .send()
            .await;
        match updated.map_err(StoreError::from_sdk) {
            Ok(_) | Err(StoreError::ConditionFailed) => Ok(()),
            Err(other) => Err(other.into()),
        }
    }

    /// Newest first.
    pub async fn notifications_of(&self, org: &OrgId, page: &PageRequest) -> Result<Page<Notification>> {
        self.query(None, &keys::org_pk(org), keys::NOTIFICATION_SK_PREFIX, page, false).await
    }

    /// The newest `per_org` notifications of each org, each naming its org.
    pub async fn newest_of(&self, orgs: &[OrgId], per_org: u32) -> Result<Vec<Notification>> {
        let mut all = Vec::new();
        for org in orgs {
            let page = self.notifications_of(org, &PageRequest::first(per_org)).await?;
            all.extend(page.items.into_iter().map(|mut n| {
                n.customer_id.get_or_insert_with(|| org.clone());
                n
            }));
        }
        Ok(all)
    }

    /// A partner's feed: the newest `per_org` notifications of each of `orgs`, merged
    /// newest first, without the `hidden` ones, a page at a time.
    pub async fn feed(
        &self,
        orgs: &[OrgId],
        per_org: u32,
        hidden: &HashSet<uuid::Uuid>,
        page: &PageRequest,
    ) -> Result<Page<Notification>> {
        // The feed's cursor: the position (`<created_at>#<id>`, as in the sort key)
        // of the last notification given out.
        let before = match &page.after {
            None => None,
            Some(cursor) => {
                Some(cursor.fields().get(FEED_POSITION).filter(|_| cursor.fields().len() == 1).ok_or_else(
                    || crate::error::AppError::invalid("next_token does not belong to this list"),
                )?)
            }
        };
        let position = |n: &Notification| format!("{}#{}", keys::timestamp(&n.created_at), n.notification_id);
        let mut merged = self.newest_of(orgs, per_org).await?;
        merged.retain(|n| !hidden.contains(&n.notification_id));
        merged.retain(|n| before.is_none_or(|b| position(n) < *b));
        merged.sort_by_key(|n| std::cmp::Reverse(position(n)));
        let more = merged.len() > page.limit as usize;
        merged.truncate(page.limit as usize);
        let next = merged
            .last()
            .filter(|_| more)
            .map(|n| Cursor::new([(FEED_POSITION.to_string(), position(n))].into()));
        Ok(Page::new(merged, next))
    }

    pub async fn dismiss(
        &self,
        partner: &OrgId,
        notification_id: &uuid::Uuid,
        now: DateTime<Utc>,
    ) -> Result<()> {
        self.put(&Dismissal {
            at: Key::new(keys::org_pk(partner), keys::dismissed_sk(notification_id)),
            notification_id: *notification_id,
            dismissed_at: keys::timestamp(&now),
        })
        .await
    }

    pub async fn dismissed_by(&self, partner: &OrgId) -> Result<HashSet<uuid::Uuid>> {
        let all: Vec<Dismissal> =
            self.query_all(None, &keys::org_pk(partner), keys::DISMISSED_SK_PREFIX).await?;
        Ok(all.into_iter().map(|d| d.notification_id).collect())
    }
}
