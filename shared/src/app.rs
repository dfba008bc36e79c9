//! Everything a function needs, built once per cold start from one `SdkConfig`.

use chrono::{DateTime, Utc};
use rand::Rng;

use crate::config::Config;
use crate::domain::OrgId;
use crate::error::Result;
use crate::events::EventBridgePublisher;
use crate::mail::SesMailer;
use crate::ports::{Clock, IdSource};
use crate::store::DynamoStore;

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

#[derive(Debug, Clone, Copy, Default)]
pub struct SystemClock;

impl Clock for SystemClock {
    fn now(&self) -> DateTime<Utc> {
        Utc::now()
    }
}

#[derive(Debug, Clone, Copy, Default)]
pub struct RandomIds;

impl IdSource for RandomIds {
    fn org_id(&self) -> OrgId {
        OrgId::from_number(rand::rng().random_range(0..90_000_000))
    }

    fn uuid(&self) -> uuid::Uuid {
        uuid::Uuid::new_v4()
    }

    fn secret(&self) -> [u8; 24] {
        // ThreadRng is a CSPRNG (ChaCha, seeded from the OS).
        rand::rng().random()
    }
}

/// The use cases' port bundles, wired to this app's adapters.
impl App {
    pub fn connection_ports(&self) -> crate::usecases::connections::ConnectionPorts<'_> {
        crate::usecases::connections::ConnectionPorts {
            orgs: &self.store,
            connections: &self.store,
            limiter: &self.store,
            outbox: &self.store,
            publisher: &self.events,
            clock: self.clock.as_ref(),
            ids: self.ids.as_ref(),
        }
    }

    pub fn email_invite_ports(&self) -> crate::usecases::invitations::EmailInvitePorts<'_> {
        crate::usecases::invitations::EmailInvitePorts {
            orgs: &self.store,
            connections: &self.store,
            limiter: &self.store,
            outbox: &self.store,
            publisher: &self.events,
            clock: self.clock.as_ref(),
            ids: self.ids.as_ref(),
        }
    }

    pub fn dashboard_ports(&self) -> crate::usecases::dashboard::DashboardPorts<'_> {
        crate::usecases::dashboard::DashboardPorts {
            orgs: &self.store,
            connections: &self.store,
            notifications: &self.store,
            entitlements: &self.store,
            orders: &self.store,
            tickets: &self.store,
            clock: self.clock.as_ref(),
        }
    }

    pub fn expiry_ports(&self) -> crate::usecases::entitlement_expiry::ExpiryPorts<'_> {
        crate::usecases::entitlement_expiry::ExpiryPorts {
            entitlements: &self.store,
            outbox: &self.store,
            publisher: &self.events,
            clock: self.clock.as_ref(),
            ids: self.ids.as_ref(),
        }
    }

    pub fn csp_ports(&self) -> crate::usecases::csp::CspPorts<'_> {
        crate::usecases::csp::CspPorts {
            orgs: &self.store,
            connections: &self.store,
            csp: &self.store,
            clock: self.clock.as_ref(),
            ids: self.ids.as_ref(),
        }
    }

    pub fn support_ports(&self) -> crate::usecases::support::SupportPorts<'_> {
        crate::usecases::support::SupportPorts {
            orgs: &self.store,
            connections: &self.store,
            tickets: &self.store,
            outbox: &self.store,
            publisher: &self.events,
            clock: self.clock.as_ref(),
            ids: self.ids.as_ref(),
        }
    }

    pub fn license_ports(&self) -> crate::usecases::licenses::LicensePorts<'_> {
        crate::usecases::licenses::LicensePorts {
            orgs: &self.store,
            connections: &self.store,
            orders: &self.store,
            outbox: &self.store,
            publisher: &self.events,
            clock: self.clock.as_ref(),
            ids: self.ids.as_ref(),
        }
    }

    pub fn admin_ports(&self) -> crate::usecases::admins::AdminPorts<'_> {
        crate::usecases::admins::AdminPorts {
            orgs: &self.store,
            connections: &self.store,
            invitations: &self.store,
            outbox: &self.store,
            publisher: &self.events,
            clock: self.clock.as_ref(),
            ids: self.ids.as_ref(),
        }
    }

    pub fn audit_ports(&self) -> crate::usecases::audit::AuditPorts<'_> {
        crate::usecases::audit::AuditPorts {
            orgs: &self.store,
            audit: &self.store,
            clock: self.clock.as_ref(),
        }
    }

    pub fn service_ports(&self) -> crate::usecases::services::ServicePorts<'_> {
        crate::usecases::services::ServicePorts {
            orgs: &self.store,
            connections: &self.store,
            entitlements: &self.store,
            outbox: &self.store,
            publisher: &self.events,
            clock: self.clock.as_ref(),
            ids: self.ids.as_ref(),
        }
    }

    pub fn feed_ports(&self) -> crate::usecases::notifications::FeedPorts<'_> {
        crate::usecases::notifications::FeedPorts {
            orgs: &self.store,
            connections: &self.store,
            notifications: &self.store,
            clock: self.clock.as_ref(),
        }
    }

    pub fn ingest_ports(&self) -> crate::usecases::usage_ingest::IngestPorts<'_> {
        crate::usecases::usage_ingest::IngestPorts {
            orgs: &self.store,
            usage: &self.store,
            clock: self.clock.as_ref(),
            ids: self.ids.as_ref(),
            hasher: &self.user_hasher,
        }
    }

    pub fn rollup_ports(&self) -> crate::usecases::usage_rollup::RollupPorts<'_> {
        crate::usecases::usage_rollup::RollupPorts {
            usage: &self.store,
            entitlements: &self.store,
            clock: self.clock.as_ref(),
        }
    }

    pub fn report_ports(&self) -> crate::usecases::usage_report::ReportPorts<'_> {
        crate::usecases::usage_report::ReportPorts {
            orgs: &self.store,
            connections: &self.store,
            usage: &self.store,
            clock: self.clock.as_ref(),
        }
    }

    pub fn export_ports(&self) -> crate::usecases::usage_export::ExportPorts<'_> {
        crate::usecases::usage_export::ExportPorts {
            orgs: &self.store,
            connections: &self.store,
            usage: &self.store,
            storage: &self.exports,
            clock: self.clock.as_ref(),
        }
    }

    pub fn notify_ports(&self) -> crate::usecases::notify::NotifyPorts<'_> {
        crate::usecases::notify::NotifyPorts {
            orgs: &self.store,
            connections: &self.store,
            invitations: &self.store,
            entitlements: &self.store,
            notifications: &self.store,
            mailer: &self.mailer,
            clock: self.clock.as_ref(),
            public_base_url: &self.config.public_base_url,
        }
    }
}
