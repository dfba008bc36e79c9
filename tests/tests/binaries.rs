//! Each function's real binary handles its sample in events/, run through a local
//! Lambda Runtime API with the environment the template gives it. The samples name
//! a fixture: partner 10000001 (CSP) and customer 10000002, both administered by the
//! samples' caller, and the partner's invitation code.

use std::path::PathBuf;

use chrono::Utc;
use partner_hub::domain::{Administrator, Email, InviteCode, Org, OrgId, Program, Tenancy};
use partner_hub_tests::{fresh_table, sdk, template};

const SAMPLE_SUB: &str = "5f1a7c3e-2b8d-4e6f-9a01-3c4d5e6f7a8b";
const SAMPLE_EMAIL: &str = "ada@acme.example.com";
const SAMPLE_CODE: &str = "SampleInviteCode0123456789_-abcd";
const MAIL_FROM: &str = "no-reply@partnerhub.test";

fn bin_dir() -> PathBuf {
    std::env::var_os("PARTNER_HUB_BIN_DIR")
        .map(PathBuf::from)
        .unwrap_or_else(|| PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("../target/debug"))
}

async fn seed(app: &partner_hub::App) {
    for (id, name) in [(10000001, "Sample Partner"), (10000002, "Sample Customer")] {
        let org = Org {
            org_id: OrgId::parse(&id.to_string()).unwrap(),
            name: name.into(),
            country: None,
            tenancy: Tenancy::Standard,
            programs: vec![],
            created_at: Utc::now(),
        };
        let admin = Administrator::full(
            org.org_id.clone(),
            SAMPLE_SUB.into(),
            Email::parse(SAMPLE_EMAIL).unwrap(),
            Utc::now(),
        );
        app.store.create_org(&org, &admin, &[]).await.unwrap();
    }
    let partner = OrgId::parse("10000001").unwrap();
    let joined = partner_hub::domain::AuditEntry::new(
        &partner,
        uuid::Uuid::new_v4(),
        Utc::now(),
        partner_hub::domain::Actor::default(),
        partner_hub::domain::AuditAction::ProgramJoined,
        "CSP",
        serde_json::json!({}),
    );
    app.store.join_program(&partner, Program::Csp, &joined).await.unwrap();
    app.store.assign_invite_code(&partner, &InviteCode::parse(SAMPLE_CODE).unwrap()).await.unwrap();
}

#[tokio::test]
async fn every_function_binary_answers_its_sample_event() {
    let sdk = sdk().await;
    let table = fresh_table(&sdk).await;
    let mut config = partner_hub_tests::config(&table);
    config.mail_from = MAIL_FROM.into();
    let bus = config.event_bus_name.clone();
    local_gateway::setup::create_bus(&aws_sdk_eventbridge::Client::new(&sdk), &bus).await.unwrap();
    let app = partner_hub::App::new(&sdk, config);
    seed(&app).await;
    local_gateway::setup::create_email_identity(&aws_sdk_sesv2::Client::new(&sdk), MAIL_FROM).await.unwrap();
    let http_functions: Vec<String> = template().routes().into_iter().map(|r| r.function).collect();

    for (_, function) in template().functions() {
        let binary = bin_dir().join(&function);
        assert!(binary.exists(), "{} is not built (make test builds every binary first)", binary.display());
        let sample =
            PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("../events").join(format!("{function}.json"));
        let event = std::fs::read_to_string(&sample).unwrap();
        let answer = local_gateway::runtime_api::invoke_binary(
            &binary,
            &event,
            &[
                ("TABLE_NAME", table.as_str()),
                ("MAIL_FROM", MAIL_FROM),
                ("EVENT_BUS_NAME", bus.as_str()),
                ("RUST_LOG", "warn"),
            ],
        )
        .await
        .unwrap_or_else(|e| panic!("{function}: {e}"));
        if http_functions.contains(&function) {
            let status = answer["statusCode"].as_u64().unwrap_or_default();
            assert!((200..300).contains(&status), "{function} answered its sample with {answer}");
        }
        if function == "outbox-relay" {
            // Its sample is a stream batch of one outbox item: published, none failed.
            assert_eq!(answer, serde_json::json!({"batchItemFailures": []}), "{function}");
        }
    }
}
