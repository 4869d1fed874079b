//! The invoices example's OpenAPI document: whole, and part by part.

use serde_json::{json, Value};

use crate::support;

fn document() -> Value {
    let api = examples::invoices::api().expect("the invoices API assembles");
    serde_json::to_value(api.document()).expect("serialize")
}

#[test]
fn whole_document_snapshot() {
    insta::assert_json_snapshot!("invoices_openapi", document());
}

#[test]
fn callback_is_keyed_by_a_spec_valid_expression() {
    let doc = document();
    let callbacks = &doc["paths"]["/invoices/"]["post"]["callbacks"];
    let keys: Vec<&String> = callbacks["invoice_notification"]
        .as_object()
        .unwrap()
        .keys()
        .collect();
    assert_eq!(
        keys,
        ["{$request.query.callback_url}/invoices/{$request.body#/id}"]
    );
    let operation = &callbacks["invoice_notification"][keys[0]]["post"];
    assert_eq!(operation["operationId"], "invoice_notification");
    assert_eq!(
        operation["x-optional-expressions"],
        json!(["$request.query.callback_url"]),
        "the callback is only sent when the optional callback_url is given"
    );
    assert_eq!(
        operation["summary"],
        "Notify the client of an invoice event."
    );
    assert_eq!(
        operation["requestBody"],
        json!({"content": {"application/json": {"schema": {"$ref": "#/components/schemas/InvoiceEvent"}}}, "required": true})
    );
    assert_eq!(
        operation["responses"]["200"]["content"]["application/json"]["schema"],
        json!({"$ref": "#/components/schemas/InvoiceEventReceived"})
    );
}

#[test]
fn operation_from_doc_comment_and_extractors() {
    let doc = document();
    let op = &doc["paths"]["/invoices/"]["post"];
    assert_eq!(op["operationId"], "create_invoice");
    assert_eq!(op["summary"], "Create an invoice.");
    let description = op["description"].as_str().unwrap();
    assert!(
        description.starts_with(
            "The API user (a developer integrating with this service) creates an\ninvoice"
        ),
        "{description}"
    );
    assert!(
        description.contains("\n* sends the invoice to the customer;\n"),
        "markdown list kept: {description}"
    );
    assert_eq!(op["tags"], json!(["invoices"]));
    assert_eq!(
        op["parameters"],
        json!([{
            "name": "callback_url",
            "in": "query",
            "description": "Where to send invoice events.",
            "required": false,
            "schema": {"description": "Where to send invoice events.", "format": "uri", "type": ["string", "null"]}
        }])
    );
    assert_eq!(
        op["requestBody"],
        json!({"content": {"application/json": {"schema": {"$ref": "#/components/schemas/Invoice"}}}, "required": true})
    );
    assert_eq!(
        op["responses"]["200"],
        json!({"description": "Successful Response", "content": {"application/json": {"schema": {"$ref": "#/components/schemas/InvoiceReceived"}}}})
    );
    assert_eq!(
        op["responses"]["422"],
        json!({"description": "Validation Error", "content": {"application/json": {"schema": {"$ref": "#/components/schemas/HTTPValidationError"}}}})
    );
}

#[test]
fn components_hold_every_schema() {
    let doc = document();
    let schemas: Vec<&String> = doc["components"]["schemas"]
        .as_object()
        .unwrap()
        .keys()
        .collect();
    assert_eq!(
        schemas,
        [
            "Delivery",
            "DeliveryAttempt",
            "DeliveryCounts",
            "DeliveryDetail",
            "DeliveryList",
            "DeliveryStatus",
            "HTTPValidationError",
            "Invoice",
            "InvoiceEvent",
            "InvoiceEventReceived",
            "InvoiceReceived",
            "LocationItem",
            "ValidationError"
        ]
    );
    let invoice = &doc["components"]["schemas"]["Invoice"];
    assert_eq!(invoice["required"], json!(["id", "customer", "total"]));
    assert_eq!(
        invoice["properties"]["title"]["type"],
        json!(["string", "null"])
    );
    assert_eq!(invoice["properties"]["total"]["type"], "number");
    assert_eq!(doc["openapi"], "3.1.0");
}

#[test]
fn every_ref_resolves_and_operation_ids_are_unique() {
    let doc = document();
    assert_eq!(support::unresolved_refs(&doc), Vec::<String>::new());
    assert_eq!(
        support::operation_ids(&doc),
        [
            "create_invoice",
            "invoice_notification",
            "list_deliveries",
            "count_deliveries",
            "deliveries_page",
            "get_delivery",
            "retry_delivery",
            "cancel_delivery"
        ]
    );
}

#[test]
fn passes_the_openapi_validator() {
    if let Some(result) = support::validate_openapi(&document(), "invoices") {
        result.unwrap_or_else(|e| panic!("openapi-spec-validator rejected the document:\n{e}"));
    }
}
