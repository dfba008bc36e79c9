//! The fixture the sample events in `events/` name: partner 10000001 (CSP) and
//! customer 10000002, both administered by the samples' caller, and the partner's
//! invitation code. The binaries test and the cold-start benchmark run each
//! function's real binary against it.

use std::path::PathBuf;

use aws_config::SdkConfig;
use chrono::Utc;
use partner_hub::domain::{Administrator, Email, InviteCode, Org, OrgId, Program, Tenancy};

pub const SAMPLE_SUB: &str = "5f1a7c3e-2b8d-4e6f-9a01-3c4d5e6f7a8b";
pub const SAMPLE_EMAIL: &str = "ada@acme.example.com";
pub const SAMPLE_CODE: &str = "SampleInviteCode0123456789_-abcd";
pub const MAIL_FROM: &str = "no-reply@partnerhub.test";

/// A table, bus and mail identity with the samples' fixture in them.
pub struct SampleStack {
    pub table: String,
    pub bus: String,
}

impl SampleStack {
    pub async fn create(sdk: &SdkConfig) -> Self {
        let table = crate::fresh_table(sdk).await;
        let mut config = crate::config(&table);
        config.mail_from = MAIL_FROM.into();
        let bus = config.event_bus_name.clone();
        local_gateway::setup::create_bus(&aws_sdk_eventbridge::Client::new(sdk), &bus).await.expect("bus");
        let app = partner_hub::App::new(sdk, config);
        seed(&app).await;
        local_gateway::setup::create_email_identity(&aws_sdk_sesv2::Client::new(sdk), MAIL_FROM)
            .await
            .expect("mail identity");
        Self { table, bus }
    }

    /// The environment a function's binary gets (as `template.yaml` gives it).
    pub fn env(&self) -> Vec<(&str, &str)> {
        vec![
            ("TABLE_NAME", self.table.as_str()),
            ("MAIL_FROM", MAIL_FROM),
            ("EVENT_BUS_NAME", self.bus.as_str()),
            ("RUST_LOG", "warn"),
        ]
    }
}

/// The sample event of `function`, from `events/`.
pub fn event(function: &str) -> String {
    let path = PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("../events").join(format!("{function}.json"));
    std::fs::read_to_string(&path).unwrap_or_else(|e| panic!("{}: {e}", path.display()))
}

async fn seed(app: &partner_hub::App) {
    for (id, name) in [(10000001, "Sample Partner"), (10000002, "Sample Customer")] {
        let org = Org {
            org_id: OrgId::parse(&id.to_string()).expect("org id"),
            name: name.into(),
            country: None,
            tenancy: Tenancy::Standard,
            programs: vec![],
            created_at: Utc::now(),
        };
        let admin = Administrator::full(
            org.org_id.clone(),
            SAMPLE_SUB.into(),
            Email::parse(SAMPLE_EMAIL).expect("email"),
            Utc::now(),
        );
        app.store.create_org(&org, &admin, &[]).await.expect("org");
    }
    let partner = OrgId::parse("10000001").expect("org id");
    let joined = partner_hub::domain::AuditEntry::new(
        &partner,
        uuid::Uuid::new_v4(),
        Utc::now(),
        partner_hub::domain::Actor::default(),
        partner_hub::domain::AuditAction::ProgramJoined,
        "CSP",
        serde_json::json!({}),
    );
    app.store.join_program(&partner, Program::Csp, &joined).await.expect("program");
    app.store
        .assign_invite_code(&partner, &InviteCode::parse(SAMPLE_CODE).expect("code"))
        .await
        .expect("code");
}
