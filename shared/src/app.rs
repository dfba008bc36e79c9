//! Everything a function needs, built once per cold start from one `SdkConfig`.
//!
//! Every function has the table. The other AWS clients are [`Client`]s a function
//! names in its `main`: only the functions that name one link its code, so a function
//! that never sends mail carries no SES client. Such a client is built the first time
//! it is used, which is its warm-up call. `runtime` builds the app when it is first
//! needed: on demand by the first invocation, so no client is built on init's path;
//! with provisioned concurrency inside init, with the warm-up.

use std::future::Future;
use std::pin::Pin;
use std::sync::OnceLock;

use aws_config::SdkConfig;

use crate::config::Config;
use crate::domain::{Clock, IdSource, RandomIds, SystemClock};
use crate::error::{AppError, Result};
use crate::events::EventBridgePublisher;
use crate::exports::S3Exports;
use crate::mail::SesMailer;
use crate::store::DynamoStore;
use crate::usecases::Context;

pub struct App {
    pub config: Config,
    pub store: DynamoStore,
    /// What the clients below are built from.
    sdk: SdkConfig,
    /// `None` where the function does not name the client; built on first use.
    events: Option<OnceLock<EventBridgePublisher>>,
    mailer: Option<OnceLock<SesMailer>>,
    exports: Option<OnceLock<S3Exports>>,
    pub user_hasher: crate::usecases::usage_ingest::UserHasher,
    /// Seals and opens the `next_token`s of the lists this function answers.
    pub page_tokens: crate::http::PageTokenKey,
    pub clock: Box<dyn Clock>,
    pub ids: Box<dyn IdSource>,
}

type WarmUp = for<'a> fn(&'a App) -> Pin<Box<dyn Future<Output = Result<()>> + Send + 'a>>;

/// An AWS client a function calls: how it is added to the [`App`], and the cheap call
/// that opens its connection at init, so the first request pays no DNS lookup or TLS
/// handshake (`runtime` runs it when the environment is made ahead of requests).
pub struct Client {
    pub name: &'static str,
    /// What the function's IAM policy must allow for the warm-up call.
    pub warm_up_action: &'static str,
    add: fn(&mut App),
    warm_up: WarmUp,
}

impl Client {
    /// The table: a `GetItem` of a key no item has.
    pub const TABLE: Client = Client {
        name: "dynamodb",
        warm_up_action: "dynamodb:GetItem",
        add: |_| {},
        warm_up: |app| Box::pin(app.store.warm_up()),
    };
    /// The event bus (the outbox relay): `DescribeEventBus`.
    pub const EVENTS: Client = Client {
        name: "eventbridge",
        warm_up_action: "events:DescribeEventBus",
        add: |app| app.events = Some(OnceLock::new()),
        warm_up: |app| Box::pin(async move { app.events()?.warm_up().await }),
    };
    /// Mail (notify): SES's `ListEmailIdentities`.
    pub const MAIL: Client = Client {
        name: "sesv2",
        warm_up_action: "ses:ListEmailIdentities",
        add: |app| app.mailer = Some(OnceLock::new()),
        warm_up: |app| Box::pin(async move { app.mailer()?.warm_up().await }),
    };
    /// The export bucket (usage-export): `HeadBucket`.
    pub const EXPORTS: Client = Client {
        name: "s3",
        warm_up_action: "s3:ListBucket",
        add: |app| app.exports = Some(OnceLock::new()),
        warm_up: |app| Box::pin(async move { app.exports()?.warm_up().await }),
    };
}

impl App {
    /// What a deployed function runs on: its config, the table, and `clients` (whose
    /// connections [`App::warm_up`] opens), built from `sdk`.
    pub fn for_function(sdk: &SdkConfig, config: Config, clients: &[Client]) -> Self {
        let mut app = Self::with_table(sdk, config);
        for client in clients {
            (client.add)(&mut app);
        }
        app
    }

    /// Opens each client's connection, all at once. A failure is logged, not fatal: the
    /// first request then connects itself, and reports what is wrong if it still is.
    pub async fn warm_up(&self, clients: &[Client]) {
        let calls = clients.iter().map(|client| async move { (client.name, (client.warm_up)(self).await) });
        for (name, outcome) in futures::future::join_all(calls).await {
            if let Err(error) = outcome {
                tracing::warn!(client = name, error = %error, "warm-up call failed");
            }
        }
    }

    /// Every client: what the local gateway and the tests run, one app for all routes.
    pub fn new(sdk: &SdkConfig, config: Config) -> Self {
        let mut app = Self::with_table(sdk, config);
        for client in [Client::EVENTS, Client::MAIL, Client::EXPORTS] {
            (client.add)(&mut app);
        }
        app
    }

    fn with_table(sdk: &SdkConfig, config: Config) -> Self {
        Self::with_table_client(sdk, config, aws_sdk_dynamodb::Client::new(sdk))
    }

    /// Every client given: for tests that put a fault in front of one of them.
    pub fn from_clients(
        config: Config,
        dynamo: aws_sdk_dynamodb::Client,
        eventbridge: aws_sdk_eventbridge::Client,
        ses: aws_sdk_sesv2::Client,
        s3: aws_sdk_s3::Client,
    ) -> Self {
        // Every client is given, so nothing is built from this.
        let sdk = SdkConfig::builder().build();
        Self {
            events: Some(OnceLock::from(EventBridgePublisher::new(eventbridge, &config.event_bus_name))),
            mailer: Some(OnceLock::from(SesMailer::new(ses, &config.mail_from))),
            exports: Some(OnceLock::from(S3Exports::new(s3, &config.export_bucket))),
            ..Self::with_table_client(&sdk, config, dynamo)
        }
    }

    fn with_table_client(sdk: &SdkConfig, config: Config, dynamo: aws_sdk_dynamodb::Client) -> Self {
        Self {
            sdk: sdk.clone(),
            user_hasher: crate::usecases::usage_ingest::UserHasher::new(&config.usage_hash_key),
            page_tokens: crate::http::PageTokenKey::new(&config.page_token_key),
            store: DynamoStore::new(dynamo, &config.table_name),
            events: None,
            mailer: None,
            exports: None,
            clock: Box::new(SystemClock),
            ids: Box::new(RandomIds),
            config,
        }
    }

    /// The event bus; only the function that relays events has it.
    pub fn events(&self) -> Result<&EventBridgePublisher> {
        first_use(&self.events, "eventbridge", || {
            EventBridgePublisher::new(
                aws_sdk_eventbridge::Client::new(&self.sdk),
                &self.config.event_bus_name,
            )
        })
    }

    /// Mail; only `notify` has it.
    pub fn mailer(&self) -> Result<&SesMailer> {
        first_use(&self.mailer, "sesv2", || {
            SesMailer::new(aws_sdk_sesv2::Client::new(&self.sdk), &self.config.mail_from)
        })
    }

    /// The export bucket; only `usage-export` has it.
    pub fn exports(&self) -> Result<&S3Exports> {
        first_use(&self.exports, "s3", || {
            let s3 = aws_sdk_s3::config::Builder::from(&self.sdk)
                .force_path_style(self.config.s3_force_path_style)
                .build();
            S3Exports::new(aws_sdk_s3::Client::from_conf(s3), &self.config.export_bucket)
        })
    }

    /// What the use cases work with: this app's table, clock and ids.
    pub fn context(&self) -> Context<'_> {
        Context { store: &self.store, clock: self.clock.as_ref(), ids: self.ids.as_ref() }
    }
}

/// A client the function names, built by `build` the first time it is asked for.
fn first_use<'a, T>(cell: &'a Option<OnceLock<T>>, name: &str, build: impl FnOnce() -> T) -> Result<&'a T> {
    Ok(cell.as_ref().ok_or_else(|| missing(name))?.get_or_init(build))
}

fn missing(client: &str) -> AppError {
    AppError::internal(format!(
        "this function was built without the {client} client (its main names its clients)"
    ))
}
