//! The docs pages in a real browser: headless Chromium, driven by
//! playwright-core (`tests/browser/docs.mjs`), over the invoices example and
//! the marketplace fixture served on loopback, with documents of each
//! OpenAPI version. Screenshots are left in `target/browser/VERSION/`.

use std::path::PathBuf;
use std::process::Command;

use callback_runtime::openapi::OpenApiVersion;

use crate::support;

/// The checks of `docs.mjs`, by the name of their screenshot.
const CHECKS: [&str; 5] = [
    "swagger-callbacks",
    "swagger-shared-callback",
    "swagger-webhooks",
    "redoc-callbacks",
    "scalar-callbacks",
];

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
    for version in [OpenApiVersion::V3_1, OpenApiVersion::V3_2] {
        let invoices = support::serve(
            examples::invoices::describe()
                .openapi_version(version)
                .build()
                .expect("the invoices API assembles"),
        );
        let marketplace = support::serve(
            crate::breadth::marketplace_api()
                .openapi_version(version)
                .build()
                .expect("the marketplace API assembles"),
        );
        let shots = support::workspace_root().join(format!("target/browser/{version}"));
        let output = Command::new("node")
            .arg(browser_dir.join("docs.mjs"))
            .arg(format!("http://{invoices}"))
            .arg(format!("http://{marketplace}"))
            .arg(&shots)
            .arg(version.as_str())
            .env("CHROMIUM", &chromium)
            .output()
            .expect("run node");
        let stdout = String::from_utf8_lossy(&output.stdout);
        let stderr = String::from_utf8_lossy(&output.stderr);
        assert!(
            output.status.success(),
            "the browser checks failed on OpenAPI {version}:\n{stderr}\n{stdout}"
        );
        let passed: Vec<&str> = stdout
            .lines()
            .filter_map(|l| l.strip_prefix("ok: "))
            .collect();
        assert_eq!(passed, CHECKS, "OpenAPI {version}");
        for name in CHECKS {
            assert!(
                shots.join(format!("{name}.png")).exists(),
                "screenshot {version}/{name}.png"
            );
        }
    }
}
