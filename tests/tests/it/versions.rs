//! OpenAPI 3.1.0 and 3.2.0: the invoices example and the marketplace
//! fixture (shared groups, nested callbacks, webhooks) in each version pass
//! openapi-spec-validator and Redocly CLI for the version they declare,
//! and every `$ref` in them resolves.

use callback_runtime::openapi::OpenApiVersion;
use callback_runtime::Api;
use serde_json::{json, Value};

use crate::support;

const VERSIONS: [OpenApiVersion; 2] = [OpenApiVersion::V3_1, OpenApiVersion::V3_2];

fn document(api: Api, version: OpenApiVersion) -> Value {
    let service = api
        .openapi_version(version)
        .build()
        .expect("the API assembles");
    serde_json::to_value(service.document()).unwrap()
}

/// Every document under test, named by app and version.
fn documents() -> Vec<(String, Value)> {
    let mut documents = Vec::new();
    for version in VERSIONS {
        documents.push((
            format!("invoices-{version}"),
            document(examples::invoices::describe(), version),
        ));
        documents.push((
            format!("marketplace-{version}"),
            document(crate::breadth::marketplace_api(), version),
        ));
    }
    documents
}

/// Every `$ref` of a document, in document order.
fn references(value: &Value, out: &mut Vec<String>) {
    match value {
        Value::Object(map) => {
            for (key, value) in map {
                match (key.as_str(), value) {
                    ("$ref", Value::String(r)) => out.push(r.clone()),
                    _ => references(value, out),
                }
            }
        }
        Value::Array(items) => items.iter().for_each(|v| references(v, out)),
        _ => {}
    }
}

#[test]
fn each_document_declares_its_version_and_differs_only_there() {
    for (app, api) in [
        ("invoices", examples::invoices::describe as fn() -> Api),
        ("marketplace", crate::breadth::marketplace_api),
    ] {
        let v31 = document(api(), OpenApiVersion::V3_1);
        let mut v32 = document(api(), OpenApiVersion::V3_2);
        assert_eq!(v31["openapi"], "3.1.0", "{app}");
        assert_eq!(v32["openapi"], "3.2.0", "{app}");
        assert_eq!(
            serde_json::to_value(api().build().unwrap().document()).unwrap()["openapi"],
            "3.1.0",
            "{app}: 3.1.0 unless chosen"
        );
        v32["openapi"] = json!("3.1.0");
        assert_eq!(v31, v32, "{app}");
    }
}

#[test]
fn every_ref_resolves_in_both_versions() {
    for (name, document) in documents() {
        assert_eq!(
            support::unresolved_refs(&document),
            Vec::<String>::new(),
            "{name}"
        );
        let mut refs = Vec::new();
        references(&document, &mut refs);
        // What the walk saw: schemas everywhere, and the marketplace's
        // shared requests by path item.
        assert!(
            refs.iter().any(|r| r.starts_with("#/components/schemas/")),
            "{name}: {refs:?}"
        );
        if name.starts_with("marketplace") {
            let shared: Vec<&String> = refs
                .iter()
                .filter(|r| r.starts_with("#/components/pathItems/"))
                .collect();
            assert_eq!(
                shared.len(),
                // `audited` from each of the 6 documented operations, and
                // `status_changed` from each of the 4 in `/orders`.
                10,
                "{name}: {shared:?}"
            );
            for reference in shared {
                let item = document.pointer(&reference[1..]).unwrap();
                assert!(item["post"]["operationId"].is_string(), "{reference}");
            }
        }
    }
}

#[test]
fn both_versions_pass_openapi_spec_validator() {
    for (name, document) in documents() {
        let Some(result) = support::validate_openapi(&document, &name) else {
            return;
        };
        result.unwrap_or_else(|e| panic!("openapi-spec-validator rejected {name}:\n{e}"));
    }
}

#[test]
fn both_versions_pass_redocly_lint() {
    for (name, document) in documents() {
        let Some(problems) = support::redocly_problems(&document, &name) else {
            return;
        };
        assert_eq!(problems, Vec::<String>::new(), "{name}");
    }
}

/// The validators read the version a document declares: a `query`
/// operation, new in 3.2, passes in a 3.2 document and is refused in a 3.1
/// one. Without this, a validator that read every document as 3.1 (or as
/// 3.2) would pass the tests above just the same.
#[test]
fn the_validators_check_each_document_against_its_own_version() {
    let mut with_query = document(examples::invoices::describe(), OpenApiVersion::V3_2);
    let mut query = with_query["paths"]["/invoices/"]["post"].clone();
    query["operationId"] = json!("query_invoices");
    query.as_object_mut().unwrap().remove("callbacks");
    with_query["paths"]["/invoices/"]["query"] = query;
    let mut as_31 = with_query.clone();
    as_31["openapi"] = json!("3.1.0");

    if let Some(result) = support::validate_openapi(&with_query, "query-3.2.0") {
        result.unwrap_or_else(|e| panic!("a 3.2 `query` operation was refused:\n{e}"));
        let refused = support::validate_openapi(&as_31, "query-3.1.0").unwrap();
        assert!(
            refused.as_ref().is_err_and(|e| e.contains("query")),
            "{refused:?}"
        );
    }
    if let Some(problems) = support::redocly_problems(&with_query, "query-3.2.0") {
        assert_eq!(problems, Vec::<String>::new());
        let refused = support::redocly_problems(&as_31, "query-3.1.0").unwrap();
        assert!(
            refused
                .iter()
                .any(|p| p.contains("struct") && p.contains("`query`")),
            "{refused:?}"
        );
    }
}
