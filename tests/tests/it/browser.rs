//! The pages in a real browser: headless Chromium, driven by playwright-core
//! (`tests/browser/*.mjs`), over the invoices example and the marketplace
//! fixture served on loopback: the docs pages, with documents of each
//! OpenAPI version, and the deliveries page. Screenshots are left in
//! `target/browser/` (the docs pages' in `target/browser/VERSION/`).

use std::path::PathBuf;
use std::process::Command;
use std::sync::Arc;
use std::time::Duration;

use callback_runtime::delivery::dispatcher::Outbox;
use callback_runtime::delivery::store::{MemoryStore, Store};
use callback_runtime::delivery::Status;
use callback_runtime::openapi::OpenApiVersion;

use crate::delivery::{
    dispatcher, eventually, post_invoice, runtime, serve_invoices, urlencode, Answer, Receiver,
};
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

/// Chromium, when it and the driver (Node.js and playwright-core) are
/// installed; otherwise the notice of [`support::skip_or_fail`].
fn browser() -> Option<PathBuf> {
    let browser_dir = support::workspace_root().join("tests/browser");
    let has_driver = browser_dir.join("node_modules/playwright-core").exists();
    let has_node = Command::new("node")
        .arg("--version")
        .output()
        .is_ok_and(|o| o.status.success());
    let found = chromium().filter(|_| has_driver && has_node);
    if found.is_none() {
        support::skip_or_fail(
            "Chromium, Node.js or tests/browser/node_modules (npm ci --prefix tests/browser)",
        );
    }
    found
}

#[test]
fn docs_pages_render_callbacks_and_webhooks() {
    let browser_dir = support::workspace_root().join("tests/browser");
    let Some(chromium) = browser() else {
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

/// The deliveries page (`tests/browser/deliveries.mjs`): it shows a failed
/// delivery with its attempt log, its retry button sends it again to a real
/// receiver on loopback, and no request of the page leaves the app.
#[test]
fn deliveries_page_shows_a_failed_delivery_and_retries_it() {
    let Some(chromium) = browser() else {
        return;
    };
    let _machine = support::heavy();
    let receiver = Receiver::default();
    let hooks = receiver.start();
    receiver.script("/client/invoices/inv-ui", [Answer::Status(500)]);
    let store = Arc::new(MemoryStore::new());
    let outbox = Outbox::from_arc(store.clone());
    let app = serve_invoices(outbox.clone(), true);
    let rt = runtime();
    // One attempt per delivery: the 500 fails it.
    let dispatch = rt.block_on(async { dispatcher(&outbox, &[]) });
    let query = format!(
        "?callback_url={}",
        urlencode(&format!("http://{hooks}/client"))
    );
    let created = post_invoice(app, &query, r#"{"id":"inv-ui","customer":"Ada","total":3}"#);
    assert_eq!(created.status, 200);
    let id = rt.block_on(async {
        let failed = || {
            let store = store.clone();
            async move {
                let list = store.list(&Default::default()).await.unwrap();
                list.into_iter().find(|d| d.status == Status::Failed)
            }
        };
        let start = std::time::Instant::now();
        loop {
            if let Some(d) = failed().await {
                return d.id;
            }
            assert!(start.elapsed() < Duration::from_secs(10), "never failed");
            tokio::time::sleep(Duration::from_millis(20)).await;
        }
    });

    let shots = support::workspace_root().join("target/browser");
    let output = Command::new("node")
        .arg(support::workspace_root().join("tests/browser/deliveries.mjs"))
        .arg(format!("http://{app}"))
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
    assert!(stdout.contains("ok: deliveries page"), "{stdout}");
    assert!(shots.join("deliveries.png").exists());

    // What the page showed is what happened: two requests to the receiver
    // under one webhook-id, the second answered 200.
    rt.block_on(async {
        assert!(
            eventually(Duration::from_secs(5), || receiver
                .on("/client/invoices/inv-ui")
                .len()
                == 2)
            .await
        );
        let (delivery, log) = store.get(id).await.unwrap().unwrap();
        assert_eq!((delivery.status, delivery.attempts), (Status::Delivered, 2));
        assert_eq!(
            log.iter().map(|a| a.status).collect::<Vec<_>>(),
            [Some(500), Some(200)]
        );
        let got = receiver.on("/client/invoices/inv-ui");
        assert!(got
            .iter()
            .all(|r| r.verified && r.webhook_id == delivery.webhook_id));
        dispatch.shutdown().await;
    });
}
