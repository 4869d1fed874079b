//! Helpers shared by the test modules.

use std::path::PathBuf;
use std::process::Command;

use callback_runtime::delivery::dispatcher::Outbox;
use callback_runtime::delivery::store::MemoryStore;

/// Whether tests that need an outside program must fail when it is missing.
pub fn required() -> bool {
    std::env::var("CI").is_ok_and(|v| v == "true" || v == "1")
}

/// Skips a test (with a printed notice) when an outside program is missing,
/// unless `CI=true`, where the missing program fails the test.
pub fn skip_or_fail(what: &str) {
    assert!(
        !required(),
        "{what} is missing, and CI=true requires it (run .ci/run to install it)"
    );
    eprintln!("notice: skipping, {what} is missing (set up by .ci/run)");
}

/// The workspace's root folder.
/// Held by the tests that need most of the machine (the trybuild suite, which
/// compiles the workspace, and the browser checks, which wait on Chromium), so
/// that they do not starve each other on a small runner.
pub fn heavy() -> std::sync::MutexGuard<'static, ()> {
    static HEAVY: std::sync::Mutex<()> = std::sync::Mutex::new(());
    HEAVY
        .lock()
        .unwrap_or_else(std::sync::PoisonError::into_inner)
}

pub fn workspace_root() -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR"))
        .parent()
        .expect("tests/ has a parent")
        .to_owned()
}

/// `openapi-spec-validator` from the workspace's `.venv`, or from `PATH`.
pub fn openapi_validator() -> Option<PathBuf> {
    let venv = workspace_root().join(".venv/bin/openapi-spec-validator");
    if venv.exists() {
        return Some(venv);
    }
    Command::new("openapi-spec-validator")
        .arg("--help")
        .output()
        .ok()
        .filter(|o| o.status.success())
        .map(|_| PathBuf::from("openapi-spec-validator"))
}

/// Writes `document` to `target/openapi-validation/NAME.json` for an
/// outside tool to read, and returns the file.
fn write_document(document: &serde_json::Value, name: &str) -> PathBuf {
    let dir = workspace_root().join("target/openapi-validation");
    std::fs::create_dir_all(&dir).expect("create target/openapi-validation");
    let file = dir.join(format!("{name}.json"));
    std::fs::write(
        &file,
        serde_json::to_vec_pretty(document).expect("serialize"),
    )
    .expect("write the document");
    file
}

/// The `major.minor` of the version `document` declares, e.g. `3.2`.
fn declared_version(document: &serde_json::Value) -> &str {
    let version = document["openapi"].as_str().expect("an `openapi` field");
    version
        .rsplit_once('.')
        .map_or(version, |(major_minor, _)| major_minor)
}

/// Validates a document with the real OpenAPI validator, against the
/// schema of the version it declares (`--schema 3.1` or `3.2`, not the
/// validator's guess); returns its output on failure. `None` when the
/// validator is missing (after the notice).
pub fn validate_openapi(document: &serde_json::Value, name: &str) -> Option<Result<(), String>> {
    let Some(validator) = openapi_validator() else {
        skip_or_fail("openapi-spec-validator");
        return None;
    };
    let file = write_document(document, name);
    let output = Command::new(validator)
        .arg("--schema")
        .arg(declared_version(document))
        .arg(&file)
        .output()
        .expect("run openapi-spec-validator");
    if output.status.success() {
        Some(Ok(()))
    } else {
        Some(Err(format!(
            "{}{}",
            String::from_utf8_lossy(&output.stdout),
            String::from_utf8_lossy(&output.stderr)
        )))
    }
}

/// Redocly CLI's `redocly lint` with its `spec` rules (the specification's
/// own requirements, for the version the document declares; the config is
/// `tests/redocly/redocly.yaml`), offline: no telemetry, no update check.
/// Returns its problems, less the one it reports on every callback nested
/// in a callback (`path-parameters-defined` stops at that depth: a limit
/// of the linter, not a problem of the document). `None` when Redocly CLI
/// is missing (after the notice).
pub fn redocly_problems(document: &serde_json::Value, name: &str) -> Option<Vec<String>> {
    let dir = workspace_root().join("tests/redocly");
    let cli = dir.join("node_modules/@redocly/cli/bin/cli.js");
    if !cli.exists() {
        skip_or_fail("Redocly CLI (npm ci --prefix tests/redocly)");
        return None;
    }
    let file = write_document(document, &format!("{name}.redocly"));
    let output = Command::new("node")
        .arg(&cli)
        .args(["lint", "--format", "json", "--config"])
        .arg(dir.join("redocly.yaml"))
        .arg(&file)
        .env("REDOCLY_TELEMETRY", "off")
        .env("REDOCLY_SUPPRESS_NOTIFICATIONS", "true")
        .output()
        .expect("run node");
    let stdout = String::from_utf8_lossy(&output.stdout);
    let report: serde_json::Value = serde_json::from_str(&stdout).unwrap_or_else(|e| {
        panic!(
            "redocly lint printed no JSON report ({e}):\n{stdout}\n{}",
            String::from_utf8_lossy(&output.stderr)
        )
    });
    let version = report["version"].as_str().unwrap_or("?");
    Some(
        report["problems"]
            .as_array()
            .expect("a list of problems")
            .iter()
            .filter(|p| {
                !(p["ruleId"] == "path-parameters-defined"
                    && p["message"]
                        .as_str()
                        .is_some_and(|m| m.starts_with("Maximum callback nesting depth")))
            })
            .map(|p| {
                format!(
                    "redocly {version} {} {}: {} at {}",
                    p["severity"].as_str().unwrap_or("?"),
                    p["ruleId"].as_str().unwrap_or("?"),
                    p["message"].as_str().unwrap_or("?"),
                    p["location"][0]["pointer"].as_str().unwrap_or("?")
                )
            })
            .collect(),
    )
}

/// Every `$ref` in `document` and whether it resolves.
pub fn unresolved_refs(document: &serde_json::Value) -> Vec<String> {
    fn walk<'v>(value: &'v serde_json::Value, out: &mut Vec<&'v str>) {
        match value {
            serde_json::Value::Object(map) => {
                for (k, v) in map {
                    match (k.as_str(), v) {
                        ("$ref", serde_json::Value::String(r)) => out.push(r),
                        _ => walk(v, out),
                    }
                }
            }
            serde_json::Value::Array(items) => items.iter().for_each(|v| walk(v, out)),
            _ => {}
        }
    }
    let mut refs = Vec::new();
    walk(document, &mut refs);
    assert!(
        !refs.is_empty(),
        "the document has no $ref at all: the check would prove nothing"
    );
    refs.into_iter()
        .filter(|r| {
            r.strip_prefix('#')
                .and_then(|p| document.pointer(p))
                .is_none()
        })
        .map(str::to_owned)
        .collect()
}

/// Every operationId in `document` (paths, callbacks inline and in
/// `components/pathItems`, webhooks), in document order.
pub fn operation_ids(document: &serde_json::Value) -> Vec<String> {
    fn path_item(item: &serde_json::Value, out: &mut Vec<String>) {
        for operation in item.as_object().into_iter().flat_map(|m| m.values()) {
            if let Some(id) = operation.get("operationId").and_then(|v| v.as_str()) {
                out.push(id.to_owned());
            }
            for callback in operation
                .get("callbacks")
                .and_then(|c| c.as_object())
                .into_iter()
                .flat_map(|m| m.values())
            {
                callback_object(callback, out);
            }
        }
    }
    fn callback_object(callback: &serde_json::Value, out: &mut Vec<String>) {
        for item in callback.as_object().into_iter().flat_map(|m| m.values()) {
            // A shared request is counted once, in components.
            if item.get("$ref").is_none() {
                path_item(item, out);
            }
        }
    }
    let mut ids = Vec::new();
    for item in document["paths"]
        .as_object()
        .into_iter()
        .flat_map(|m| m.values())
    {
        path_item(item, &mut ids);
    }
    for item in document["components"]["pathItems"]
        .as_object()
        .into_iter()
        .flat_map(|m| m.values())
    {
        path_item(item, &mut ids);
    }
    for item in document["webhooks"]
        .as_object()
        .into_iter()
        .flat_map(|m| m.values())
    {
        path_item(item, &mut ids);
    }
    ids
}

/// A response read off the wire.
#[derive(Debug)]
pub struct WireResponse {
    pub status: u16,
    pub headers: Vec<(String, String)>,
    pub body: Vec<u8>,
}

impl WireResponse {
    pub fn header(&self, name: &str) -> Option<&str> {
        self.headers
            .iter()
            .find(|(n, _)| n.eq_ignore_ascii_case(name))
            .map(|(_, v)| v.as_str())
    }

    pub fn json(&self) -> serde_json::Value {
        serde_json::from_slice(&self.body)
            .unwrap_or_else(|e| panic!("not JSON ({e}): {}", String::from_utf8_lossy(&self.body)))
    }

    pub fn text(&self) -> String {
        String::from_utf8(self.body.clone()).expect("UTF-8 body")
    }
}

/// Serves `service` with a real actix-web server on an ephemeral loopback
/// port, in a background thread that lives as long as the test process.
pub fn serve(service: callback_runtime::ApiService) -> std::net::SocketAddr {
    let (tx, rx) = std::sync::mpsc::channel();
    std::thread::spawn(move || {
        actix_web::rt::System::new().block_on(async move {
            let server = actix_web::HttpServer::new(move || {
                // The invoices example queues its callbacks: give it an
                // outbox (no dispatcher runs, nothing is sent).
                actix_web::App::new()
                    .app_data(actix_web::web::Data::new(Outbox::new(MemoryStore::new())))
                    .service(service.clone())
            })
            .workers(1)
            .bind(("127.0.0.1", 0))
            .expect("bind a loopback port");
            tx.send(server.addrs()[0]).expect("send the address");
            server.run().await.expect("the server runs");
        });
    });
    rx.recv().expect("the server starts")
}

/// Sends one HTTP/1.1 request and reads the whole response.
pub fn request(
    addr: std::net::SocketAddr,
    method: &str,
    target: &str,
    headers: &[(&str, &str)],
    body: &[u8],
) -> WireResponse {
    use std::io::{Read, Write};
    let mut stream = std::net::TcpStream::connect(addr).expect("connect");
    stream
        .set_read_timeout(Some(std::time::Duration::from_secs(10)))
        .expect("set a timeout");
    let mut head = format!(
        "{method} {target} HTTP/1.1\r\nHost: {addr}\r\nConnection: close\r\nContent-Length: {}\r\n",
        body.len()
    );
    for (name, value) in headers {
        head.push_str(&format!("{name}: {value}\r\n"));
    }
    head.push_str("\r\n");
    stream.write_all(head.as_bytes()).expect("write the head");
    stream.write_all(body).expect("write the body");
    let mut raw = Vec::new();
    stream.read_to_end(&mut raw).expect("read the response");
    let split = raw
        .windows(4)
        .position(|w| w == b"\r\n\r\n")
        .expect("a complete head");
    let head = String::from_utf8(raw[..split].to_vec()).expect("an ASCII head");
    let mut lines = head.split("\r\n");
    let status = lines
        .next()
        .and_then(|l| l.split(' ').nth(1))
        .and_then(|s| s.parse().ok())
        .expect("a status line");
    let headers = lines
        .filter_map(|l| l.split_once(':'))
        .map(|(n, v)| (n.trim().to_owned(), v.trim().to_owned()))
        .collect::<Vec<_>>();
    let body = raw[split + 4..].to_vec();
    let response = WireResponse {
        status,
        headers,
        body,
    };
    if let Some(length) = response.header("content-length") {
        assert_eq!(
            length.parse::<usize>().ok(),
            Some(response.body.len()),
            "Content-Length matches the body"
        );
    }
    response
}

/// The problems `Api::build` reports; panics if the document assembles.
pub fn problems(api: callback_runtime::Api) -> Vec<String> {
    match api.build() {
        Ok(_) => panic!("the document should not assemble"),
        Err(error) => error.problems,
    }
}
