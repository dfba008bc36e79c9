//! Everything a function needs, built once per cold start from one `SdkConfig`.

use crate::config::Config;
use crate::domain::{Clock, IdSource, RandomIds, SystemClock};
use crate::error::Result;
use crate::events::EventBridgePublisher;
use crate::mail::SesMailer;
use crate::store::DynamoStore;
use crate::usecases::Context;

pub struct App {
    pub config: Config,
    pub store: DynamoStore,
    pub events: EventBridgePublisher,
    pub mailer: SesMailer,
    pub exports: crate::exports::S3Exports,
    pub user_hasher: crate::usecases::usage_ingest::UserHasher,
    /// Seals and opens the `next_token`s of the lists this function answers.
    pub page_tokens: crate::http::PageTokenKey,
    pub clock: Box<dyn Clock>,
    pub ids: Box<dyn IdSource>,
}

impl App {
    /// Reads the environment and the standard AWS configuration (region, credentials,
    /// `AWS_ENDPOINT_URL_*`) once.
    pub async fn from_env() -> Result<Self> {
        let config = Config::from_env()?;
        let sdk = aws_config::load_defaults(aws_config::BehaviorVersion::latest()).await;
        Ok(Self::new(&sdk, config))
    }

    pub fn new(sdk: &aws_config::SdkConfig, config: Config) -> Self {
        let s3 = aws_sdk_s3::Client::from_conf(
            aws_sdk_s3::config::Builder::from(sdk).force_path_style(config.s3_force_path_style).build(),
        );
        Self::from_clients(
            config,
            aws_sdk_dynamodb::Client::new(sdk),
            aws_sdk_eventbridge::Client::new(sdk),
            aws_sdk_sesv2::Client::new(sdk),
            s3,
        )
    }

    pub fn from_clients(
        config: Config,
        dynamo: aws_sdk_dynamodb::Client,
        eventbridge: aws_sdk_eventbridge::Client,
        ses: aws_sdk_sesv2::Client,
        s3: aws_sdk_s3::Client,
    ) -> Self {
        Self {
            exports: crate::exports::S3Exports::new(s3, &config.export_bucket),
            user_hasher: crate::usecases::usage_ingest::UserHasher::new(&config.usage_hash_key),
            page_tokens: crate::http::PageTokenKey::new(&config.page_token_key),
            store: DynamoStore::new(dynamo, &config.table_name),
            events: EventBridgePublisher::new(eventbridge, &config.event_bus_name),
            mailer: SesMailer::new(ses, &config.mail_from),
            clock: Box::new(SystemClock),
            ids: Box::new(RandomIds),
            config,
        }
    }
}

impl App {
    /// What the use cases work with: this app's table, clock and ids.
    pub fn context(&self) -> Context<'_> {
        Context { store: &self.store, clock: self.clock.as_ref(), ids: self.ids.as_ref() }
    }
}
