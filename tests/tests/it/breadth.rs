//! A fixture app using every documentation feature: scope-level and nested
//! callbacks, shared groups, webhooks, responses with headers and a default
//! error, parameters of every kind, security schemes, metadata, Markdown.

#![allow(
    dead_code,
    reason = "fixture types exist for their schemas; handlers do not read them"
)]

use std::collections::BTreeMap;

use actix_web::{web, HttpResponse, Responder};
use callback_runtime::openapi::{
    ApiKeyLocation, Contact, License, OAuthFlow, OAuthFlows, SecurityScheme,
};
use callback_runtime::{callbacks, delete, get, post, webhooks, Api, ApiScope, Cookies, Headers};
use schemars::JsonSchema;
use serde::{Deserialize, Serialize};
use serde_json::{json, Value};

use crate::support;

/// A problem, as every error response of the API describes it.
#[derive(Serialize, Deserialize, JsonSchema)]
pub struct Problem {
    /// A short, human-readable summary.
    pub title: String,
    /// The HTTP status code.
    pub status: u16,
}

/// Where an order is in its life.
#[derive(Serialize, Deserialize, JsonSchema)]
#[serde(rename_all = "snake_case")]
pub enum OrderStatus {
    /// Placed, not yet paid.
    Open,
    /// Paid and on its way.
    Shipped,
    /// Cancelled by the customer.
    Cancelled,
}

/// An order.
#[derive(Serialize, Deserialize, JsonSchema)]
pub struct Order {
    /// The order's identifier.
    #[schemars(example = 42)]
    pub id: u64,
    /// What was ordered.
    pub items: Vec<Item>,
    /// Where to notify the customer's system.
    pub notify_url: String,
}

/// One line of an order.
#[derive(Serialize, Deserialize, JsonSchema)]
pub struct Item {
    /// Stock-keeping unit.
    pub sku: String,
    /// How many.
    pub quantity: u32,
}

/// Sent when an order's status changes.
#[derive(Serialize, Deserialize, JsonSchema)]
pub struct StatusEvent {
    /// The new status.
    pub status: OrderStatus,
    /// Where the receiver may acknowledge the event.
    pub ack_url: String,
}

/// A receipt.
#[derive(Serialize, Deserialize, JsonSchema)]
pub struct Ack {
    /// Whether the event was taken.
    pub ok: bool,
}

/// One entry of the audit log.
#[derive(Serialize, Deserialize, JsonSchema)]
pub struct AuditEntry {
    /// What happened.
    pub action: String,
}

#[derive(Deserialize, JsonSchema)]
pub struct Paging {
    /// How many orders per page.
    #[serde(default)]
    pub limit: Option<u32>,
}

#[derive(Deserialize, JsonSchema)]
pub struct OrderQuery {
    /// Only orders in this status.
    pub status: Option<OrderStatus>,
    /// Text to look for.
    #[serde(rename = "q")]
    pub text: Option<String>,
    #[serde(flatten)]
    pub paging: Paging,
}

#[derive(Deserialize, JsonSchema)]
pub struct Tracing {
    /// Correlates the request with the caller's logs.
    #[serde(rename = "x-request-id")]
    pub request_id: String,
}

#[derive(Deserialize, JsonSchema)]
pub struct Session {
    /// The session cookie.
    pub session_id: Option<String>,
}

#[derive(Deserialize, JsonSchema)]
pub struct OrderPath {
    /// The order's identifier.
    pub order_id: u64,
}

/// Audit records, sent for every request the API serves.
#[callbacks]
pub mod audit_callbacks {
    use super::*;

    /// Record the request in the audit log.
    #[post("https://audit.example.com/log?method={$method}")]
    fn audited(body: AuditEntry);
}

/// Acknowledgements of status events.
#[callbacks]
pub mod ack_callbacks {
    use super::*;

    /// The receiver acknowledges a status event.
    #[post("{$request.body#/ack_url}", operation_id = "status_acknowledged")]
    fn acknowledged(body: Ack);
}

/// Events of orders, sent to the partners' event hub.
#[callbacks]
pub mod order_callbacks {
    use super::*;

    /// The order's status changed.
    ///
    /// The receiver may acknowledge at `ack_url`.
    #[post(
        "https://events.example.com/orders/status?source={$url}",
        callbacks = [ack_callbacks],
        security("partner_signature"),
        responses((status = 200, description = "Event taken"), (status = 410, description = "Stop sending"))
    )]
    fn status_changed(body: StatusEvent) -> Ack;
}

/// Notifications of the shipment of a single order.
#[callbacks]
pub mod shipment_callbacks {
    use super::*;

    /// The order was shipped.
    #[patch("{$request.body#/notify_url}/shipments/{$request.body#/id}")]
    fn shipped(body: Order);
}

/// Requests the marketplace sends to its partners on its own initiative.
#[webhooks]
pub mod marketplace_webhooks {
    use super::*;

    /// A new order was placed anywhere on the marketplace.
    #[post("newOrder", security("partner_signature"))]
    fn new_order(body: Order) -> Ack;

    /// The catalogue changed.
    #[post]
    fn catalogue_changed(body: AuditEntry);
}

/// Place an order.
///
/// The order's events are sent to its `notify_url`.
#[post("/", callbacks = [shipment_callbacks], tags = ["orders"], status = 201)]
async fn create_order(order: web::Json<Order>, tracing: Headers<Tracing>) -> web::Json<Order> {
    let _ = tracing;
    order
}

/// Read an order.
#[get(
    "/{order_id}",
    tags = ["orders"],
    responses(
        (status = 200, description = "The order", headers("ETag" = "Version of the order")),
        (status = 404, body = Problem, description = "No such order")
    )
)]
async fn get_order(path: web::Path<OrderPath>, session: Cookies<Session>) -> impl Responder {
    let _ = (path, session);
    HttpResponse::Ok().json(Order {
        id: 1,
        items: Vec::new(),
        notify_url: String::new(),
    })
}

/// List orders.
#[get("/", tags = ["orders"], operation_id = "list_orders", security("bearer", "oauth" = ["orders:read"]))]
async fn list_orders(query: web::Query<OrderQuery>) -> web::Json<Vec<Order>> {
    let _ = query;
    web::Json(Vec::new())
}

/// Read one item of an order.
#[get("/{order_id}/items/{item_no}", tags = ["orders"])]
async fn get_item(path: web::Path<(u64, u32)>) -> web::Json<Item> {
    let _ = path;
    web::Json(Item {
        sku: "tea".into(),
        quantity: 1,
    })
}

#[doc = include_str!("purge.md")]
#[delete("/archive", tags = ["admin"], responses(204))]
async fn purge() -> HttpResponse {
    HttpResponse::NoContent().finish()
}

/// The old listing; use `GET /orders/` instead.
#[deprecated]
#[get("/legacy", tags = ["admin"], security())]
async fn legacy() -> &'static str {
    "legacy"
}

/// Internal health check.
#[get("/health", hidden)]
async fn health() -> &'static str {
    "ok"
}

fn oauth() -> SecurityScheme {
    SecurityScheme::OAuth2 {
        flows: OAuthFlows {
            authorization_code: Some(OAuthFlow {
                authorization_url: Some("https://auth.example.com/authorize".into()),
                token_url: Some("https://auth.example.com/token".into()),
                refresh_url: None,
                scopes: BTreeMap::from([
                    ("orders:read".into(), "Read orders".into()),
                    ("admin".into(), "Administer the marketplace".into()),
                ]),
            }),
            ..OAuthFlows::default()
        },
        description: Some("Marketplace accounts".into()),
    }
}

#[allow(deprecated, reason = "the deprecated handler is part of the fixture")]
pub fn marketplace_api() -> Api {
    Api::new("Marketplace", "2.1.0")
        .description("Orders, their **events**, and the marketplace's webhooks.")
        .terms_of_service("https://example.com/terms")
        .contact(Contact {
            name: Some("API team".into()),
            url: Some("https://example.com/support".into()),
            email: Some("api@example.com".into()),
        })
        .license(License {
            name: "Apache 2.0".into(),
            identifier: Some("Apache-2.0".into()),
            url: None,
        })
        .server("https://api.example.com/v2", Some("Production"))
        .tag("orders", Some("Orders and their events."))
        .tag("admin", Some("Maintenance."))
        .external_docs("https://example.com/guides", Some("Guides"))
        .security_scheme("bearer", SecurityScheme::bearer(Some("JWT")))
        .security_scheme(
            "api_key",
            SecurityScheme::api_key("X-API-Key", ApiKeyLocation::Header),
        )
        .security_scheme("oauth", oauth())
        .security_scheme(
            "partner_signature",
            SecurityScheme::api_key("X-Signature", ApiKeyLocation::Header),
        )
        .security("bearer", &[])
        .security("api_key", &[])
        .webhooks(marketplace_webhooks::WEBHOOK_GROUP)
        .callbacks(audit_callbacks::CALLBACK_GROUP)
        .service(
            ApiScope::new("/orders")
                .callbacks(order_callbacks::CALLBACK_GROUP)
                .default_response::<Problem>("Unexpected error")
                .service(create_order)
                .service(get_order)
                .service(list_orders)
                .service(get_item),
        )
        .service(
            ApiScope::new("/admin")
                .security("oauth", &["admin"])
                .service(purge)
                .service(legacy)
                .service(health),
        )
}

fn document() -> Value {
    serde_json::to_value(
        marketplace_api()
            .build()
            .expect("the marketplace API assembles")
            .document(),
    )
    .unwrap()
}

#[test]
fn whole_document_snapshot() {
    insta::assert_json_snapshot!("marketplace_openapi", document());
}

#[test]
fn refs_resolve_ids_are_unique_and_the_validator_agrees() {
    let doc = document();
    assert_eq!(support::unresolved_refs(&doc), Vec::<String>::new());
    let ids = support::operation_ids(&doc);
    let mut unique = ids.clone();
    unique.sort();
    unique.dedup();
    assert_eq!(ids.len(), unique.len(), "{ids:?}");
    if let Some(result) = support::validate_openapi(&doc, "marketplace") {
        result.unwrap_or_else(|e| panic!("openapi-spec-validator rejected the document:\n{e}"));
    }
}

#[test]
fn scope_callbacks_come_before_the_operations_own() {
    let doc = document();
    let names: Vec<&String> = doc["paths"]["/orders/"]["post"]["callbacks"]
        .as_object()
        .unwrap()
        .keys()
        .collect();
    assert_eq!(
        names,
        ["audited", "status_changed", "shipped"],
        "app group, then scope group, then the operation's"
    );
    let names: Vec<&String> = doc["paths"]["/admin/archive"]["delete"]["callbacks"]
        .as_object()
        .unwrap()
        .keys()
        .collect();
    assert_eq!(
        names,
        ["audited"],
        "the app-level group reaches every scope"
    );
}

#[test]
fn shared_groups_are_referenced_from_components() {
    let doc = document();
    assert_eq!(
        doc["paths"]["/orders/{order_id}"]["get"]["callbacks"]["status_changed"],
        json!({"https://events.example.com/orders/status?source={$url}": {"$ref": "#/components/pathItems/status_changed"}})
    );
    let items: Vec<&String> = doc["components"]["pathItems"]
        .as_object()
        .unwrap()
        .keys()
        .collect();
    assert_eq!(
        items,
        ["audited", "status_changed"],
        "groups used by several operations"
    );
    assert!(
        doc["components"].get("callbacks").is_none(),
        "the callbacks stay with their operations"
    );
    assert!(
        doc["paths"]["/orders/"]["post"]["callbacks"]["shipped"]
            ["{$request.body#/notify_url}/shipments/{$request.body#/id}"]["patch"]
            .is_object(),
        "a group used once stays inline"
    );
}

#[test]
fn webhooks_are_documented() {
    let doc = document();
    let names: Vec<&String> = doc["webhooks"].as_object().unwrap().keys().collect();
    assert_eq!(
        names,
        ["newOrder", "catalogue_changed"],
        "in declaration order"
    );
    let new_order = &doc["webhooks"]["newOrder"]["post"];
    assert_eq!(new_order["operationId"], "new_order");
    assert_eq!(
        new_order["summary"],
        "A new order was placed anywhere on the marketplace."
    );
    assert_eq!(
        new_order["requestBody"]["content"]["application/json"]["schema"],
        json!({"$ref": "#/components/schemas/Order"})
    );
    assert_eq!(new_order["security"], json!([{"partner_signature": []}]));
}

#[test]
fn nested_callbacks_are_checked_against_the_callback() {
    let doc = document();
    let status = &doc["components"]["pathItems"]["status_changed"]["post"];
    assert_eq!(
        status["callbacks"]["acknowledged"]["{$request.body#/ack_url}"]["post"]["operationId"],
        "status_acknowledged"
    );
    assert_eq!(status["security"], json!([{"partner_signature": []}]));
    assert_eq!(
        status["responses"]["410"],
        json!({"description": "Stop sending"})
    );
    assert_eq!(
        status["responses"]["200"]["description"], "Event taken",
        "the return type's body is kept"
    );
    assert_eq!(
        status["responses"]["200"]["content"]["application/json"]["schema"],
        json!({"$ref": "#/components/schemas/Ack"})
    );
}

#[test]
fn responses_with_headers_default_and_empty_bodies() {
    let doc = document();
    let read_op = &doc["paths"]["/orders/{order_id}"]["get"];
    assert_eq!(
        read_op["responses"]["200"],
        json!({"description": "The order", "headers": {"ETag": {"description": "Version of the order", "schema": {"type": "string"}}}})
    );
    assert_eq!(
        read_op["responses"]["404"],
        json!({"description": "No such order", "content": {"application/json": {"schema": {"$ref": "#/components/schemas/Problem"}}}})
    );
    assert_eq!(
        read_op["responses"]["default"]["description"],
        "Unexpected error"
    );
    let create = &doc["paths"]["/orders/"]["post"];
    let statuses: Vec<&String> = create["responses"].as_object().unwrap().keys().collect();
    assert_eq!(statuses, ["201", "422", "default"]);
    let purge_op = &doc["paths"]["/admin/archive"]["delete"];
    assert_eq!(
        purge_op["responses"],
        json!({"204": {"description": "No Content"}}),
        "no inputs: no 422"
    );
}

#[test]
fn parameters_of_every_kind() {
    let doc = document();
    let list = &doc["paths"]["/orders/"]["get"]["parameters"];
    assert_eq!(
        list,
        &json!([
            {"name": "status", "in": "query", "description": "Only orders in this status.", "required": false,
             "schema": {"anyOf": [{"$ref": "#/components/schemas/OrderStatus"}, {"type": "null"}], "description": "Only orders in this status."}},
            {"name": "q", "in": "query", "description": "Text to look for.", "required": false,
             "schema": {"type": ["string", "null"], "description": "Text to look for."}},
            {"name": "limit", "in": "query", "description": "How many orders per page.", "required": false,
             "schema": {"type": ["integer", "null"], "format": "uint32", "minimum": 0, "description": "How many orders per page.", "default": null,
                        "maximum": u32::MAX}}
        ])
    );
    let create = &doc["paths"]["/orders/"]["post"]["parameters"];
    assert_eq!(create[0]["name"], "x-request-id");
    assert_eq!(create[0]["in"], "header");
    assert_eq!(create[0]["required"], true);
    let read_op = &doc["paths"]["/orders/{order_id}"]["get"]["parameters"];
    assert_eq!(read_op[0]["in"], "path");
    assert_eq!(
        read_op[1],
        json!({"name": "session_id", "in": "cookie", "description": "The session cookie.", "required": false,
        "schema": {"description": "The session cookie.", "type": ["string", "null"]}})
    );
    let item = &doc["paths"]["/orders/{order_id}/items/{item_no}"]["get"]["parameters"];
    let names: Vec<&str> = item
        .as_array()
        .unwrap()
        .iter()
        .map(|p| p["name"].as_str().unwrap())
        .collect();
    assert_eq!(
        names,
        ["order_id", "item_no"],
        "a tuple is named after the path's segments"
    );
    assert_eq!(
        doc["components"]["schemas"]["Order"]["properties"]["id"]["examples"],
        json!([42])
    );
}

#[test]
fn security_global_per_scope_per_operation_and_for_callbacks() {
    let doc = document();
    assert_eq!(doc["security"], json!([{"bearer": []}, {"api_key": []}]));
    let schemes: Vec<&String> = doc["components"]["securitySchemes"]
        .as_object()
        .unwrap()
        .keys()
        .collect();
    assert_eq!(schemes, ["api_key", "bearer", "oauth", "partner_signature"]);
    assert_eq!(
        doc["components"]["securitySchemes"]["oauth"]["flows"]["authorizationCode"]["scopes"]
            ["admin"],
        "Administer the marketplace"
    );
    assert_eq!(
        doc["paths"]["/orders/"]["get"]["security"],
        json!([{"bearer": []}, {"oauth": ["orders:read"]}])
    );
    assert_eq!(
        doc["paths"]["/admin/archive"]["delete"]["security"],
        json!([{"oauth": ["admin"]}]),
        "from the scope"
    );
    assert_eq!(
        doc["paths"]["/admin/legacy"]["get"]["security"],
        json!([]),
        "security() requires nothing"
    );
    assert!(
        doc["paths"]["/orders/"]["post"].get("security").is_none(),
        "inherits the document's"
    );
}

#[test]
fn undeclared_security_scheme_is_a_startup_error() {
    let problems = support::problems(Api::new("t", "1").security("nope", &[]).service(health));
    assert_eq!(
        problems,
        ["the document requires the security scheme `nope`, which is not declared; declare it with `Api::security_scheme(\"nope\", …)`"]
    );
}

#[test]
fn metadata_tags_servers_and_deprecation() {
    let doc = document();
    assert_eq!(
        doc["info"],
        json!({
            "title": "Marketplace", "version": "2.1.0",
            "description": "Orders, their **events**, and the marketplace's webhooks.",
            "termsOfService": "https://example.com/terms",
            "contact": {"name": "API team", "url": "https://example.com/support", "email": "api@example.com"},
            "license": {"name": "Apache 2.0", "identifier": "Apache-2.0"}
        })
    );
    assert_eq!(
        doc["servers"],
        json!([{"url": "https://api.example.com/v2", "description": "Production"}])
    );
    assert_eq!(
        doc["tags"],
        json!([{"name": "orders", "description": "Orders and their events."}, {"name": "admin", "description": "Maintenance."}])
    );
    assert_eq!(
        doc["externalDocs"],
        json!({"url": "https://example.com/guides", "description": "Guides"})
    );
    assert_eq!(doc["paths"]["/admin/legacy"]["get"]["deprecated"], true);
    assert!(doc["paths"].get("/admin/health").is_none(), "hidden");
}

#[test]
fn markdown_and_include_str_docs_are_kept() {
    let doc = document();
    let purge_op = &doc["paths"]["/admin/archive"]["delete"];
    assert_eq!(purge_op["summary"], "Purge archived orders.");
    assert_eq!(
        purge_op["description"],
        "Removes **every** archived order older than the retention period:\n\n1. orders are selected by `archived_at`;\n2. their items are deleted;\n3. a summary is returned.\n\n| field | meaning |\n| --- | --- |\n| `purged` | how many orders were removed |"
    );
    assert_eq!(
        doc["paths"]["/orders/"]["post"]["description"],
        "The order's events are sent to its `notify_url`."
    );
}

#[test]
fn the_fixture_serves_its_routes() {
    let addr = support::serve(marketplace_api().build().unwrap());
    let order = br#"{"id": 1, "items": [{"sku": "tea", "quantity": 2}], "notify_url": "https://shop.example.com/hooks"}"#;
    let json = ("Content-Type", "application/json");
    let created = support::request(
        addr,
        "POST",
        "/orders/",
        &[json, ("X-Request-Id", "abc")],
        order,
    );
    // `status = 201` is documented and served.
    assert_eq!(created.status, 201, "{}", created.text());
    assert_eq!(created.header("content-type"), Some("application/json"));
    assert_eq!(
        created.json()["notify_url"],
        "https://shop.example.com/hooks"
    );
    let missing_header = support::request(addr, "POST", "/orders/", &[json], order);
    assert_eq!(missing_header.status, 422);
    assert_eq!(
        missing_header.json()["detail"][0]["loc"],
        json!(["header", "x-request-id"])
    );
    let read = support::request(
        addr,
        "GET",
        "/orders/7",
        &[("Cookie", "session_id=s1; theme=dark")],
        b"",
    );
    assert_eq!(read.status, 200);
    assert_eq!(
        support::request(addr, "GET", "/orders/7/items/2", &[], b"").status,
        200
    );
    assert_eq!(
        support::request(
            addr,
            "GET",
            "/orders/?status=shipped&q=tea&limit=5",
            &[],
            b""
        )
        .status,
        422,
        "serde's flatten cannot read numbers from a query string: see the limitation in the README"
    );
    assert_eq!(
        support::request(addr, "GET", "/orders/?status=shipped&q=tea", &[], b"").status,
        200
    );
    assert_eq!(
        support::request(addr, "DELETE", "/admin/archive", &[], b"").status,
        204
    );
    assert_eq!(
        support::request(addr, "GET", "/admin/health", &[], b"").status,
        200
    );
    // Inside a scope: the methods of `/orders/` are listed.
    let wrong = support::request(addr, "PUT", "/orders/", &[], b"");
    assert_eq!(
        (wrong.status, wrong.header("allow")),
        (405, Some("POST, GET"))
    );
}
