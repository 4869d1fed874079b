//! The docs pages in a real browser: headless Chromium, driven by
//! playwright-core (`tests/browser/docs.mjs`), over the invoices example and
//! the marketplace fixture served on loopback. Screenshots are left in
//! `target/browser/`.

use std::path::PathBuf;
use std::process::Command;

use crate::support;

fn chromium() -> Option<PathBuf> {
    let path = std::env::var_os("CHROMIUM")
        .map_or_else(|| PathBuf::from("/usr/bin/chromium"), PathBuf::from);
    path.exists().then_some(path)
}

#[test]
fn docs_pages_render_callbacks_and_webhooks() {
    let browser_dir = support::workspace_root().join("tests/browser");
    let has_driver = browser_dir.join("node_modules/playwright-core").exists();
    let has_node = Command::new("node")
        .arg("--version")
        .output()
        .is_ok_and(|o| o.status.success());
    let Some(chromium) = chromium().filter(|_| has_driver && has_node) else {
        support::skip_or_fail(
            "Chromium, Node.js or tests/browser/node_modules (npm ci --prefix tests/browser)",
        );
        return;
    };
    let _machine = support::heavy();
    let invoices = support::serve(examples::invoices::api().expect("the invoices API assembles"));
    let marketplace = support::serve(
        crate::breadth::marketplace_api()
            .build()
            .expect("the marketplace API assembles"),
    );
    let shots = support::workspace_root().join("target/browser");
    let output = Command::new("node")
        .arg(browser_dir.join("docs.mjs"))
        .arg(format!("http://{invoices}"))
        .arg(format!("http://{marketplace}"))
        .arg(&shots)
        .env("CHROMIUM", chromium)
        .output()
        .expect("run node");
    let stdout = String::from_utf8_lossy(&output.stdout);
    let stderr = String::from_utf8_lossy(&output.stderr);
    assert!(
        output.status.success(),
        "the browser checks failed:\n{stderr}\n{stdout}"
    );
    assert_eq!(
        stdout.lines().filter(|l| l.starts_with("ok: ")).count(),
        4,
        "{stdout}"
    );
    for name in [
        "swagger-callbacks",
        "swagger-webhooks",
        "redoc-callbacks",
        "scalar-callbacks",
    ] {
        assert!(
            shots.join(format!("{name}.png")).exists(),
            "screenshot {name}.png"
        );
    }
}
