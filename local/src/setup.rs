//! Creates the local table and bus from `template.yaml`'s own definitions, so the
//! local stack cannot drift from what CloudFormation deploys.

use aws_sdk_dynamodb::types::{
    AttributeDefinition, BillingMode, GlobalSecondaryIndex, KeySchemaElement, KeyType, Projection,
    ProjectionType, ScalarAttributeType, StreamSpecification, StreamViewType, TimeToLiveSpecification,
};
use aws_sdk_dynamodb::Client as Dynamo;
use aws_sdk_eventbridge::Client as EventBridge;
use aws_sdk_sesv2::Client as Ses;

use crate::template::{KeyDef, TableDef, Template};

pub type SetupError = String;

fn key_schema(keys: &[KeyDef]) -> Result<Vec<KeySchemaElement>, SetupError> {
    keys.iter()
        .map(|k| {
            KeySchemaElement::builder()
                .attribute_name(&k.attribute_name)
                .key_type(KeyType::from(k.key_type.as_str()))
                .build()
                .map_err(|e| e.to_string())
        })
        .collect()
}

/// Creates the table (if it is not there yet) exactly as the template defines it.
pub async fn create_table(dynamo: &Dynamo, name: &str, def: &TableDef) -> Result<bool, SetupError> {
    if dynamo.describe_table().table_name(name).send().await.is_ok() {
        return Ok(false);
    }
    let mut request = dynamo
        .create_table()
        .table_name(name)
        .billing_mode(BillingMode::PayPerRequest)
        .set_key_schema(Some(key_schema(&def.key_schema)?));
    for attribute in &def.attribute_definitions {
        request = request.attribute_definitions(
            AttributeDefinition::builder()
                .attribute_name(&attribute.attribute_name)
                .attribute_type(ScalarAttributeType::from(attribute.attribute_type.as_str()))
                .build()
                .map_err(|e| e.to_string())?,
        );
    }
    for index in &def.global_secondary_indexes {
        let projection = Projection::builder()
            .projection_type(ProjectionType::from(index.projection.projection_type.as_str()))
            .set_non_key_attributes(
                Some(index.projection.non_key_attributes.clone()).filter(|a| !a.is_empty()),
            )
            .build();
        request = request.global_secondary_indexes(
            GlobalSecondaryIndex::builder()
                .index_name(&index.index_name)
                .set_key_schema(Some(key_schema(&index.key_schema)?))
                .projection(projection)
                .build()
                .map_err(|e| e.to_string())?,
        );
    }
    if let Some(stream) = &def.stream_specification {
        request = request.stream_specification(
            StreamSpecification::builder()
                .stream_enabled(true)
                .stream_view_type(StreamViewType::from(stream.stream_view_type.as_str()))
                .build()
                .map_err(|e| e.to_string())?,
        );
    }
    request.send().await.map_err(|e| format!("creating table {name}: {e:?}"))?;
    if let Some(ttl) = &def.time_to_live_specification {
        dynamo
            .update_time_to_live()
            .table_name(name)
            .time_to_live_specification(
                TimeToLiveSpecification::builder()
                    .attribute_name(&ttl.attribute_name)
                    .enabled(ttl.enabled)
                    .build()
                    .map_err(|e| e.to_string())?,
            )
            .send()
            .await
            .map_err(|e| format!("enabling TTL on {name}: {e:?}"))?;
    }
    Ok(true)
}

/// The ARN of the table's stream (the latest one, as `!GetAtt Table.StreamArn` is).
pub async fn stream_arn(dynamo: &Dynamo, table: &str) -> Result<String, SetupError> {
    dynamo
        .describe_table()
        .table_name(table)
        .send()
        .await
        .map_err(|e| format!("describing table {table}: {e:?}"))?
        .table
        .and_then(|t| t.latest_stream_arn)
        .ok_or_else(|| {
            format!("table {table} has no stream (was it created before the template declared one?)")
        })
}

/// Creates the event bus (if it is not there yet).
pub async fn create_bus(events: &EventBridge, name: &str) -> Result<bool, SetupError> {
    if events.describe_event_bus().name(name).send().await.is_ok() {
        return Ok(false);
    }
    events
        .create_event_bus()
        .name(name)
        .send()
        .await
        .map_err(|e| format!("creating event bus {name}: {e:?}"))?;
    Ok(true)
}

pub struct Names<'a> {
    pub table: &'a str,
    pub bus: &'a str,
    pub mail_from: &'a str,
    pub bucket: &'a str,
}

/// The export bucket (if it is not there yet).
pub async fn create_bucket(s3: &aws_sdk_s3::Client, name: &str) -> Result<bool, SetupError> {
    if s3.head_bucket().bucket(name).send().await.is_ok() {
        return Ok(false);
    }
    s3.create_bucket().bucket(name).send().await.map_err(|e| format!("creating bucket {name}: {e:?}"))?;
    Ok(true)
}

/// Lets the local SES send from the configured address, as the template's
/// `AWS::SES::EmailIdentity` does deployed.
pub async fn create_email_identity(ses: &Ses, identity: &str) -> Result<bool, SetupError> {
    if ses.get_email_identity().email_identity(identity).send().await.is_ok() {
        return Ok(false);
    }
    ses.create_email_identity()
        .email_identity(identity)
        .send()
        .await
        .map_err(|e| format!("creating SES identity {identity}: {e:?}"))?;
    Ok(true)
}

fn said(what: String, created: bool) -> String {
    format!("{what} ({})", if created { "created" } else { "already there" })
}

/// Everything the template declares that the local stack needs before serving.
pub async fn provision(
    template: &Template,
    dynamo: &Dynamo,
    events: &EventBridge,
    ses: &Ses,
    s3: &aws_sdk_s3::Client,
    names: &Names<'_>,
) -> Result<Vec<String>, SetupError> {
    let mut done = Vec::new();
    let created = create_table(dynamo, names.table, &template.table()?).await?;
    done.push(said(format!("DynamoDB table {}", names.table), created));
    if template.declares("AWS::Events::EventBus") {
        let created = create_bus(events, names.bus).await?;
        done.push(said(format!("EventBridge bus {}", names.bus), created));
    }
    if template.declares("AWS::SES::EmailIdentity") {
        let created = create_email_identity(ses, names.mail_from).await?;
        done.push(said(format!("SES identity {}", names.mail_from), created));
    }
    if template.declares("AWS::S3::Bucket") {
        let created = create_bucket(s3, names.bucket).await?;
        done.push(said(format!("S3 bucket {}", names.bucket), created));
    }
    Ok(done)
}
