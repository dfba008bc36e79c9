use async_trait::async_trait;
use aws_sdk_dynamodb::operation::transact_write_items::TransactWriteItemsError;
use aws_sdk_dynamodb::types::{AttributeValue, KeysAndAttributes, Put, ReturnValue, TransactWriteItem};

use super::dynamo::key;
use super::dynamo::{to_item, DynamoStore, Item};
use super::errors::{corrupt, StoreError};
use super::items::{AdminItem, OrgItem, PendingAdminItem};
use super::keys;
use super::transact::Transacted;
use chrono::{DateTime, Utc};

use crate::domain::{Administrator, Email, Org, OrgId, Program};
use crate::error::{AppError, Result};
use crate::ports::{CreateOrg, JoinProgram, OrgStore};

#[async_trait]
impl OrgStore for DynamoStore {
    async fn create_org(&self, org: &Org, first_admin: &Administrator) -> Result<CreateOrg> {
        let new_item = |item: Item| -> Result<TransactWriteItem> {
            let put = Put::builder()
                .table_name(&self.table)
                .set_item(Some(item))
                .condition_expression("attribute_not_exists(PK)")
                .build()
                .map_err(AppError::internal)?;
            Ok(TransactWriteItem::builder().put(put).build())
        };
        let result = self
            .client
            .transact_write_items()
            .transact_items(new_item(to_item(&OrgItem::from(org))?)?)
            .transact_items(new_item(to_item(&AdminItem::from(first_admin))?)?)
            .send()
            .await;
        match result {
            Ok(_) => Ok(CreateOrg::Created),
            Err(error) => {
                let org_id_taken = matches!(
                    error.as_service_error(),
                    Some(TransactWriteItemsError::TransactionCanceledException(cancelled))
                        if cancelled.cancellation_reasons().first()
                            .and_then(|reason| reason.code())
                            == Some("ConditionalCheckFailed")
                );
                if org_id_taken {
                    Ok(CreateOrg::OrgIdTaken)
                } else {
                    Err(StoreError::from_sdk(error).into())
                }
            }
        }
    }

    async fn get_org(&self, org_id: &OrgId) -> Result<Option<Org>> {
        let item: Option<OrgItem> =
            self.get(keys::org_pk(org_id), keys::ORG_PROFILE_SK, OrgItem::ENTITY).await?;
        Ok(item.map(Org::from))
    }

    async fn get_admin(&self, org_id: &OrgId, sub: &str) -> Result<Option<Administrator>> {
        let item: Option<AdminItem> =
            self.get(keys::org_pk(org_id), &keys::admin_sk(sub), AdminItem::ENTITY).await?;
        Ok(item.map(Administrator::from))
    }

    async fn orgs_of_admin(&self, sub: &str) -> Result<Vec<(Administrator, Org)>> {
        let admins: Vec<AdminItem> =
            self.query_all(Some(keys::GSI1), &keys::user_gsi1pk(sub), "ORG#", AdminItem::ENTITY).await?;
        let ids: Vec<OrgId> = admins.iter().map(|a| a.org_id.clone()).collect();
        let mut orgs = self.batch_get_orgs(&ids).await?;
        Ok(admins
            .into_iter()
            .filter_map(|admin| {
                let org = orgs.remove(&admin.org_id)?;
                Some((Administrator::from(admin), org))
            })
            .collect())
    }

    async fn join_program(&self, org_id: &OrgId, program: Program) -> Result<Option<JoinProgram>> {
        let code = AttributeValue::S(program.code().to_string());
        let result = self
            .client
            .update_item()
            .table_name(&self.table)
            .key(keys::PK, AttributeValue::S(keys::org_pk(org_id)))
            .key(keys::SK, AttributeValue::S(keys::ORG_PROFILE_SK.to_string()))
            .update_expression("SET programs = list_append(if_not_exists(programs, :empty), :program)")
            .condition_expression("attribute_exists(PK) AND NOT contains(programs, :code)")
            .expression_attribute_values(":program", AttributeValue::L(vec![code.clone()]))
            .expression_attribute_values(":empty", AttributeValue::L(vec![]))
            .expression_attribute_values(":code", code)
            .return_values(ReturnValue::AllNew)
            .send()
            .await;
        match result.map_err(StoreError::from_sdk) {
            Ok(output) => {
                let item: OrgItem = serde_dynamo::from_item(output.attributes.unwrap_or_default())
                    .map_err(|e| corrupt(OrgItem::ENTITY, e))?;
                Ok(Some(JoinProgram::Joined(item.into())))
            }
            // Either the org is gone or it already has the program: the read tells which.
            Err(StoreError::ConditionFailed) => {
                Ok(self.get_org(org_id).await?.map(JoinProgram::AlreadyMember))
            }
            Err(other) => Err(other.into()),
        }
    }

    async fn admins_of(&self, org_id: &OrgId) -> Result<Vec<Administrator>> {
        let items: Vec<AdminItem> =
            self.query_all(None, &keys::org_pk(org_id), keys::ADMIN_SK_PREFIX, AdminItem::ENTITY).await?;
        Ok(items.into_iter().map(Administrator::from).collect())
    }

    async fn claim_pending_admin(&self, sub: &str, email: &Email, now: DateTime<Utc>) -> Result<usize> {
        let pending: Vec<PendingAdminItem> = self
            .query_all(
                Some(keys::GSI1),
                &keys::email_gsi1pk(email.as_str()),
                "ORG#",
                PendingAdminItem::ENTITY,
            )
            .await?;
        let mut claimed = 0;
        for invitation in pending {
            let mut admin =
                Administrator::full(invitation.org_id.clone(), sub.to_string(), email.clone(), now);
            admin.access = invitation.access;
            let writes = vec![
                self.put_new(to_item(&AdminItem::from(&admin))?)?,
                self.delete_existing(key(invitation.pk.clone(), &invitation.sk))?,
            ];
            match self.transact(writes).await? {
                Transacted::Committed => claimed += 1,
                // Already an administrator there, or claimed by a racing request.
                Transacted::ConditionFailed(failed) if failed.first() == Some(&true) => {
                    self.transact(vec![self.delete_existing(key(invitation.pk, &invitation.sk))?]).await?;
                }
                Transacted::ConditionFailed(_) => {}
            }
        }
        Ok(claimed)
    }

    async fn orgs(&self, ids: &[OrgId]) -> Result<std::collections::HashMap<OrgId, Org>> {
        self.batch_get_orgs(ids).await
    }
}

impl DynamoStore {
    pub(super) async fn batch_get_orgs(
        &self,
        ids: &[OrgId],
    ) -> Result<std::collections::HashMap<OrgId, Org>> {
        let mut found = std::collections::HashMap::new();
        for chunk in ids.chunks(100) {
            let mut keys_and_attributes = KeysAndAttributes::builder().consistent_read(true);
            for id in chunk {
                keys_and_attributes = keys_and_attributes.keys(
                    [
                        (keys::PK.to_string(), AttributeValue::S(keys::org_pk(id))),
                        (keys::SK.to_string(), AttributeValue::S(keys::ORG_PROFILE_SK.to_string())),
                    ]
                    .into(),
                );
            }
            let mut request = Some(keys_and_attributes.build().map_err(AppError::internal)?);
            let mut attempts = 0;
            while let Some(pending) = request.take() {
                attempts += 1;
                let output = self
                    .client
                    .batch_get_item()
                    .request_items(&self.table, pending)
                    .send()
                    .await
                    .map_err(StoreError::from_sdk)?;
                for item in output.responses.unwrap_or_default().remove(&self.table).unwrap_or_default() {
                    let org: OrgItem =
                        serde_dynamo::from_item(item).map_err(|e| corrupt(OrgItem::ENTITY, e))?;
                    found.insert(org.org_id.clone(), Org::from(org));
                }
                request = output
                    .unprocessed_keys
                    .and_then(|mut left| left.remove(&self.table))
                    .filter(|left| !left.keys().is_empty());
                if request.is_some() {
                    if attempts >= 5 {
                        return Err(StoreError::Busy("batch get left keys unprocessed".into()).into());
                    }
                    tokio::time::sleep(std::time::Duration::from_millis(20 << attempts)).await;
                }
            }
        }
        Ok(found)
    }
}
