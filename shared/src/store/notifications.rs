use std::collections::HashSet;

use async_trait::async_trait;
use aws_sdk_dynamodb::types::AttributeValue;
use chrono::{DateTime, Utc};

use super::dynamo::{key, to_item, DynamoStore};
use super::errors::StoreError;
use super::items::{notification_item, Stored, NOTIFICATION_ENTITY};
use super::keys;
use crate::domain::{Email, Notification, OrgId};
use crate::error::Result;
use crate::http::pagination::{Cursor, PageRequest};
use crate::ports::NotificationStore;

/// How long an email delivery is remembered against redelivery of its event.
const DELIVERY_MEMORY: chrono::Duration = chrono::Duration::days(14);

#[async_trait]
impl NotificationStore for DynamoStore {
    async fn record(&self, notification: &Notification) -> Result<bool> {
        self.put_if_absent(to_item(&notification_item(notification))?).await
    }

    async fn claim_email(&self, event_id: &uuid::Uuid, to: &Email, now: DateTime<Utc>) -> Result<bool> {
        let mut item = key(keys::delivery_pk(event_id), &keys::delivery_email_sk(to.as_str()));
        item.insert(keys::ENTITY.into(), AttributeValue::S("EmailDelivery".into()));
        item.insert(keys::TTL.into(), AttributeValue::N((now + DELIVERY_MEMORY).timestamp().to_string()));
        self.put_if_absent(item).await
    }

    async fn release_email(&self, event_id: &uuid::Uuid, to: &Email) -> Result<()> {
        self.client
            .delete_item()
            .table_name(&self.table)
            .set_key(Some(key(keys::delivery_pk(event_id), &keys::delivery_email_sk(to.as_str()))))
            .send()
            .await
            .map_err(StoreError::from_sdk)?;
        Ok(())
    }

    async fn notifications_of(
        &self,
        org: &OrgId,
        page: &PageRequest,
    ) -> Result<(Vec<Notification>, Option<Cursor>)> {
        let (items, next) = self
            .query_page::<Stored<Notification>>(
                None,
                &keys::org_pk(org),
                keys::NOTIFICATION_SK_PREFIX,
                page,
                false,
                NOTIFICATION_ENTITY,
            )
            .await?;
        Ok((items.into_iter().map(|i| i.value).collect(), next))
    }

    async fn dismiss(&self, partner: &OrgId, notification_id: &uuid::Uuid, now: DateTime<Utc>) -> Result<()> {
        let mut item = key(keys::org_pk(partner), &keys::dismissed_sk(notification_id));
        item.insert(keys::ENTITY.into(), AttributeValue::S("Dismissal".into()));
        item.insert("notification_id".into(), AttributeValue::S(notification_id.to_string()));
        item.insert("dismissed_at".into(), AttributeValue::S(keys::timestamp(&now)));
        self.put(item).await
    }

    async fn dismissed_by(&self, partner: &OrgId) -> Result<HashSet<uuid::Uuid>> {
        #[derive(serde::Deserialize)]
        struct Dismissal {
            notification_id: uuid::Uuid,
        }
        let all: Vec<Dismissal> =
            self.query_all(None, &keys::org_pk(partner), keys::DISMISSED_SK_PREFIX, "Dismissal").await?;
        Ok(all.into_iter().map(|d| d.notification_id).collect())
    }
}
