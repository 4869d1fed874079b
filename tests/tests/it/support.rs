//! Helpers shared by the test modules.

use std::path::PathBuf;
use std::process::Command;

/// Whether tests that need an outside program must fail when it is missing.
pub fn required() -> bool {
    std::env::var("CI").is_ok_and(|v| v == "true" || v == "1")
}

/// Skips a test (with a printed notice) when an outside program is missing,
/// unless `CI=true`, where the missing program fails the test.
pub fn skip_or_fail(what: &str) {
    assert!(!required(), "{what} is missing, and CI=true requires it (run .ci/run to install it)");
    eprintln!("notice: skipping, {what} is missing (set up by .ci/run)");
}

/// The workspace's root folder.
pub fn workspace_root() -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR")).parent().expect("tests/ has a parent").to_owned()
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

/// Validates a document with the real OpenAPI validator; returns its output
/// on failure. `None` when the validator is missing (after the notice).
pub fn validate_openapi(document: &serde_json::Value, name: &str) -> Option<Result<(), String>> {
    let Some(validator) = openapi_validator() else {
        skip_or_fail("openapi-spec-validator");
        return None;
    };
    let dir = workspace_root().join("target/openapi-validation");
    std::fs::create_dir_all(&dir).expect("create target/openapi-validation");
    let file = dir.join(format!("{name}.json"));
    std::fs::write(&file, serde_json::to_vec_pretty(document).expect("serialize")).expect("write the document");
    let output = Command::new(validator).arg(&file).output().expect("run openapi-spec-validator");
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
    assert!(!refs.is_empty(), "the document has no $ref at all: the check would prove nothing");
    refs.into_iter()
        .filter(|r| r.strip_prefix('#').and_then(|p| document.pointer(p)).is_none())
        .map(str::to_owned)
        .collect()
}

/// Every operationId in `document` (paths, callbacks inline and in
/// components), in document order.
pub fn operation_ids(document: &serde_json::Value) -> Vec<String> {
    fn path_item(item: &serde_json::Value, out: &mut Vec<String>) {
        for operation in item.as_object().into_iter().flat_map(|m| m.values()) {
            if let Some(id) = operation.get("operationId").and_then(|v| v.as_str()) {
                out.push(id.to_owned());
            }
            for callback in operation.get("callbacks").and_then(|c| c.as_object()).into_iter().flat_map(|m| m.values()) {
                callback_object(callback, out);
            }
        }
    }
    fn callback_object(callback: &serde_json::Value, out: &mut Vec<String>) {
        if callback.get("$ref").is_some() {
            return;
        }
        for item in callback.as_object().into_iter().flat_map(|m| m.values()) {
            path_item(item, out);
        }
    }
    let mut ids = Vec::new();
    for item in document["paths"].as_object().into_iter().flat_map(|m| m.values()) {
        path_item(item, &mut ids);
    }
    for callback in document["components"]["callbacks"].as_object().into_iter().flat_map(|m| m.values()) {
        callback_object(callback, &mut ids);
    }
    ids
}
