//! Each function's real binary handles its sample in events/, run through a local
//! Lambda Runtime API with the environment the template gives it, against the
//! samples' fixture (`partner_hub_tests::samples`).

use std::path::PathBuf;

use partner_hub_tests::samples::{self, SampleStack};
use partner_hub_tests::{sdk, template};

fn bin_dir() -> PathBuf {
    std::env::var_os("PARTNER_HUB_BIN_DIR")
        .map(PathBuf::from)
        .unwrap_or_else(|| PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("../target/debug"))
}

#[tokio::test]
async fn every_function_binary_answers_its_sample_event() {
    let sdk = sdk().await;
    let stack = SampleStack::create(&sdk).await;
    let http_functions: Vec<String> = template().routes().into_iter().map(|r| r.function).collect();

    for (_, function) in template().functions() {
        let binary = bin_dir().join(&function);
        assert!(binary.exists(), "{} is not built (make test builds every binary first)", binary.display());
        let answer =
            local_gateway::runtime_api::invoke_binary(&binary, &samples::event(&function), &stack.env())
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
