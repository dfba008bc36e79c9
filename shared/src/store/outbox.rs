use super::dynamo::{key, DynamoStore};
use super::errors::StoreError;
use super::items::OutboxItem;
use super::keys;
use super::page::{Page, PageRequest};
use crate::domain::EventEnvelope;
use crate::error::Result;

impl DynamoStore {
    /// Writes events that accompany no other state change.
    pub async fn append(&self, events: &[EventEnvelope]) -> Result<()> {
        if events.is_empty() {
            return Ok(());
        }
        self.transact(self.outbox_writes(events)?).await?;
        Ok(())
    }

    /// Committed events not yet published, oldest first.
    pub async fn waiting(&self, limit: u32) -> Result<Vec<EventEnvelope>> {
        let Page { items, next: _ } = self
            .query_page::<OutboxItem>(
                Some(keys::GSI1),
                keys::OUTBOX_GSI1PK,
                "",
                &PageRequest::first(limit),
                true,
                OutboxItem::ENTITY,
            )
            .await?;
        Ok(items.into_iter().map(|i| i.event).collect())
    }

    pub async fn remove_published(&self, event_ids: &[uuid::Uuid]) -> Result<()> {
        for id in event_ids {
            self.client
                .delete_item()
                .table_name(&self.table)
                .set_key(Some(key(keys::outbox_pk(id), keys::OUTBOX_SK)))
                .send()
                .await
                .map_err(StoreError::from_sdk)?;
        }
        Ok(())
    }
}
