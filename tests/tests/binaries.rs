//! Each function's real binary handles its sample in events/, run through a local
//! Lambda Runtime API with the environment the template gives it, against the
//! samples' fixture (`partner_hub_tests::samples`), started both ways Lambda starts
//! an environment: on demand (the warm-up runs beside the runtime's start) and with
//! provisioned concurrency (init waits for the warm-up).

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
    let http_functions: Vec<String> = template().routes().into_iter().map(|r| r.function).collect();

    // A fixture each: some samples change what they act on (an added service is there
    // the second time).
    for initialization in ["on-demand", "provisioned-concurrency"] {
        let stack = SampleStack::create(&sdk).await;
        for (_, function) in template().functions() {
            answers_its_sample(&stack, &function, initialization, &http_functions).await;
        }
    }
}

async fn answers_its_sample(
    stack: &SampleStack,
    function: &str,
    initialization: &str,
    http_functions: &[String],
) {
    let binary = bin_dir().join(function);
    assert!(binary.exists(), "{} is not built (make test builds every binary first)", binary.display());
    let mut env = stack.env();
    env.push((partner_hub::runtime::INITIALIZATION_TYPE, initialization));
    let answer = local_gateway::runtime_api::invoke_binary(&binary, &samples::event(function), &env)
        .await
        .unwrap_or_else(|e| panic!("{function} ({initialization}): {e}"));
    if http_functions.iter().any(|f| f == function) {
        let status = answer["statusCode"].as_u64().unwrap_or_default();
        assert!(
            (200..300).contains(&status),
            "{function} ({initialization}) answered its sample with {answer}"
        );
    }
    if function == "outbox-relay" {
        // Its sample is a stream batch of one outbox item: published, none failed.
        assert_eq!(answer, serde_json::json!({"batchItemFailures": []}), "{function} ({initialization})");
    }
}
