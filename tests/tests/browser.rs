//! The console and the emailed pages in headless Chromium (Debian's), driven by
//! playwright-core, against the local gateway: tests/browser/journeys.mjs does the
//! clicking (the four journeys, every emailed link, axe-core on every page, phone
//! width) and keeps a screenshot of every step in .local/browser-artifacts/.

use partner_hub_tests::Gateway;

#[tokio::test]
async fn people_walk_the_journeys_and_open_every_emailed_link_in_a_real_browser() {
    let gw = Gateway::start().await;
    let script = std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("browser/journeys.mjs");
    let output = tokio::process::Command::new("node")
        .arg(&script)
        .arg(&gw.base)
        .output()
        .await
        .expect("node runs (make test installs Chromium, playwright-core and the console first)");
    let stdout = String::from_utf8_lossy(&output.stdout);
    let stderr = String::from_utf8_lossy(&output.stderr);
    assert!(output.status.success(), "browser journeys failed:\n{stdout}\n{stderr}");
    assert!(stdout.contains("journeys: ok"), "{stdout}");
}
