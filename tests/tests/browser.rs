//! The accept page in headless Chromium (Debian's), driven by playwright-core, against
//! the local gateway: tests/browser/accept.mjs does the clicking.

use partner_hub_tests::Gateway;

#[tokio::test]
async fn a_customer_accepts_an_invitation_in_a_real_browser() {
    let gw = Gateway::start().await;
    let script = std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("browser/accept.mjs");
    let output = tokio::process::Command::new("node")
        .arg(&script)
        .arg(&gw.base)
        .output()
        .await
        .expect("node runs (make test installs Chromium and playwright-core first)");
    let stdout = String::from_utf8_lossy(&output.stdout);
    let stderr = String::from_utf8_lossy(&output.stderr);
    assert!(output.status.success(), "browser test failed:\n{stdout}\n{stderr}");
    assert!(stdout.contains("browser accept flow: ok"), "{stdout}");
}
