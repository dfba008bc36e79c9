//! Each function's real binary handles its sample in events/, run through a local
//! Lambda Runtime API with the same environment the template gives it.

use std::path::PathBuf;

use partner_hub_tests::{fresh_table, sdk, template};

fn bin_dir() -> PathBuf {
    std::env::var_os("PARTNER_HUB_BIN_DIR")
        .map(PathBuf::from)
        .unwrap_or_else(|| PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("../target/debug"))
}

#[tokio::test]
async fn every_function_binary_answers_its_sample_event() {
    let sdk = sdk().await;
    let table = fresh_table(&sdk).await;
    for (_, function) in template().functions() {
        let binary = bin_dir().join(&function);
        assert!(binary.exists(), "{} is not built (make test builds every binary first)", binary.display());
        let sample =
            PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("../events").join(format!("{function}.json"));
        let event = std::fs::read_to_string(&sample).unwrap();
        let answer = local_gateway::runtime_api::invoke_binary(
            &binary,
            &event,
            &[("TABLE_NAME", table.as_str()), ("EVENT_BUS_NAME", "partner-hub"), ("RUST_LOG", "warn")],
        )
        .await
        .unwrap_or_else(|e| panic!("{function}: {e}"));
        let status = answer["statusCode"].as_u64().unwrap_or_default();
        assert!((200..300).contains(&status), "{function} answered its sample with {answer}");
    }
}
