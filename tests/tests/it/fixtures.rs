//! Fixture apps: one callback group shared by three operations, scopes,
//! hidden operations, and the start-up errors of the document assembly.

#![allow(
    dead_code,
    reason = "fixture types exist for their schemas; handlers do not read them"
)]

use actix_web::web;
use callback_runtime::{callbacks, delete, get, post, put, Api, ApiScope};
use schemars::JsonSchema;
use serde::{Deserialize, Serialize};
use serde_json::{json, Value};

use crate::support;

#[derive(Deserialize, JsonSchema)]
pub struct CallbackQuery {
    pub callback_url: Option<url::Url>,
}

#[derive(Serialize, Deserialize, JsonSchema)]
pub struct Order {
    pub id: u64,
    pub item: String,
}

#[derive(Serialize, Deserialize, JsonSchema)]
pub struct OrderPath {
    pub id: u64,
}

#[derive(Serialize, Deserialize, JsonSchema)]
pub struct StatusEvent {
    pub status: String,
}

#[derive(Serialize, Deserialize, JsonSchema)]
pub struct Ack {
    pub ok: bool,
}

/// Requests sent when an order changes.
#[callbacks]
pub mod order_callbacks {
    use super::*;

    /// The order's status changed.
    #[post("{$callback_url}/orders/status")]
    fn status_changed(body: StatusEvent) -> Ack;
}

/// Create an order.
#[post("/orders", callbacks = order_callbacks)]
async fn create_order(
    order: web::Json<Order>,
    query: web::Query<CallbackQuery>,
) -> web::Json<Order> {
    let _ = query;
    order
}

/// Replace an order.
#[put("/orders/{id}", callbacks = order_callbacks)]
async fn replace_order(
    path: web::Path<OrderPath>,
    order: web::Json<Order>,
    query: web::Query<CallbackQuery>,
) -> web::Json<Order> {
    let _ = (path, query);
    order
}

/// Cancel an order.
#[delete("/orders/{id}", callbacks = order_callbacks, status = 204)]
async fn cancel_order(
    path: web::Path<(u64,)>,
    query: web::Query<CallbackQuery>,
) -> actix_web::HttpResponse {
    let _ = (path, query);
    actix_web::HttpResponse::NoContent().finish()
}

/// Health check, mounted but not documented.
#[get("/health", hidden)]
async fn health() -> &'static str {
    "ok"
}

fn orders_api() -> Api {
    Api::new("Orders", "1.0.0")
        .service(
            ApiScope::new("/api").service(
                ApiScope::new("/v1")
                    .service(create_order)
                    .service(replace_order)
                    .service(cancel_order),
            ),
        )
        .service(health)
}

fn orders_document() -> Value {
    serde_json::to_value(
        orders_api()
            .build()
            .expect("the orders API assembles")
            .document(),
    )
    .unwrap()
}

#[test]
fn shared_group_is_emitted_once_and_referenced() {
    let doc = orders_document();
    assert_eq!(
        doc["components"]["pathItems"]["status_changed"]["post"]["operationId"],
        "status_changed"
    );
    for (path, method) in [
        ("/api/v1/orders", "post"),
        ("/api/v1/orders/{id}", "put"),
        ("/api/v1/orders/{id}", "delete"),
    ] {
        assert_eq!(
            doc["paths"][path][method]["callbacks"],
            json!({"status_changed": {"{$request.query.callback_url}/orders/status": {"$ref": "#/components/pathItems/status_changed"}}}),
            "{method} {path}"
        );
    }
}

#[test]
fn shared_group_keeps_operation_ids_unique_and_refs_resolving() {
    let doc = orders_document();
    let mut ids = support::operation_ids(&doc);
    ids.sort();
    assert_eq!(
        ids,
        [
            "cancel_order",
            "create_order",
            "replace_order",
            "status_changed"
        ]
    );
    assert_eq!(support::unresolved_refs(&doc), Vec::<String>::new());
    if let Some(result) = support::validate_openapi(&doc, "orders") {
        result.unwrap_or_else(|e| panic!("openapi-spec-validator rejected the document:\n{e}"));
    }
}

#[test]
fn documented_paths_are_the_mounted_paths() {
    let service = orders_api().build().unwrap();
    let doc = serde_json::to_value(service.document()).unwrap();
    let paths: Vec<&String> = doc["paths"].as_object().unwrap().keys().collect();
    assert_eq!(
        paths,
        ["/api/v1/orders", "/api/v1/orders/{id}"],
        "the hidden /health is not documented"
    );
    let addr = support::serve(service);
    let body = br#"{"id": 7, "item": "tea"}"#;
    let json = [("Content-Type", "application/json")];
    assert_eq!(
        support::request(addr, "POST", "/api/v1/orders", &json, body).status,
        200
    );
    assert_eq!(
        support::request(addr, "PUT", "/api/v1/orders/7", &json, body).status,
        200
    );
    assert_eq!(
        support::request(addr, "DELETE", "/api/v1/orders/7", &[], b"").status,
        204
    );
    assert_eq!(
        support::request(addr, "POST", "/orders", &json, body).status,
        404,
        "not mounted without the scope prefix"
    );
    let hidden = support::request(addr, "GET", "/health", &[], b"");
    assert_eq!(
        (hidden.status, hidden.text().as_str()),
        (200, "ok"),
        "hidden but mounted"
    );
    let bad_path = support::request(addr, "DELETE", "/api/v1/orders/seven", &[], b"");
    assert_eq!(bad_path.status, 422);
    assert_eq!(
        bad_path.json(),
        json!({"detail": [{
            "loc": ["path", "id"],
            "msg": "Input should be a valid integer, and this text is not one",
            "type": "int_parsing",
        }]}),
        "a `Path<(u64,)>` value is named after its segment"
    );
}

#[test]
fn path_and_status_parameters() {
    let doc = orders_document();
    let replace = &doc["paths"]["/api/v1/orders/{id}"]["put"];
    assert_eq!(
        replace["parameters"][0],
        json!({"name": "id", "in": "path", "required": true, "schema": {"type": "integer", "format": "uint64", "minimum": 0, "maximum": u64::MAX}})
    );
    let cancel = &doc["paths"]["/api/v1/orders/{id}"]["delete"];
    assert_eq!(
        cancel["parameters"][0]["name"], "id",
        "a tuple Path is named after the path's segments"
    );
    assert_eq!(
        cancel["responses"]["204"],
        json!({"description": "No Content"})
    );
}

// Start-up errors: each fixture below is wrong in one way the macros cannot
// see; `Api::build` reports it, naming what is wrong and where.

#[derive(Deserialize, JsonSchema)]
pub struct OtherQuery {
    pub page: Option<u32>,
}

#[callbacks]
pub mod strict_callbacks {
    use super::*;

    /// Reads a query parameter.
    #[post("{$request.query.callback_url}/orders/{$request.body#/id}")]
    fn order_event(body: StatusEvent) -> Ack;
}

/// The query has no `callback_url`.
#[post("/wrong-query", callbacks = strict_callbacks)]
async fn wrong_query(order: web::Json<Order>, query: web::Query<OtherQuery>) -> web::Json<Ack> {
    let _ = (order, query);
    web::Json(Ack { ok: true })
}

#[callbacks]
pub mod pointer_callbacks {
    use super::*;

    /// Points into the body at a field `Order` lacks.
    #[post("{$request.query.callback_url}/orders/{$request.body#/number}")]
    fn numbered(body: StatusEvent);
}

/// The body has no `number`.
#[post("/wrong-pointer", callbacks = pointer_callbacks)]
async fn wrong_pointer(
    order: web::Json<Order>,
    query: web::Query<CallbackQuery>,
) -> web::Json<Ack> {
    let _ = (order, query);
    web::Json(Ack { ok: true })
}

#[callbacks]
pub mod shorthand_callbacks {
    use super::*;

    /// Uses a shorthand no parameter answers to.
    #[post("{$notify_url}/orders")]
    fn shorthand(body: StatusEvent);
}

/// No parameter is called `notify_url`.
#[post("/wrong-shorthand", callbacks = shorthand_callbacks)]
async fn wrong_shorthand(query: web::Query<CallbackQuery>) -> web::Json<Ack> {
    let _ = query;
    web::Json(Ack { ok: true })
}

/// First of two handlers claiming one operationId.
#[get("/first", operation_id = "same_id")]
async fn first() -> &'static str {
    "1"
}

/// Second of two handlers claiming one operationId.
#[get("/second", operation_id = "same_id")]
async fn second() -> &'static str {
    "2"
}

#[derive(Deserialize, JsonSchema)]
pub struct MisnamedPath {
    pub order_id: u64,
}

/// The struct's field does not match the path's segment.
#[get("/misnamed/{id}")]
async fn misnamed(path: web::Path<MisnamedPath>) -> &'static str {
    let _ = path;
    "x"
}

use support::problems;

#[test]
fn undeclared_query_parameter_is_a_startup_error() {
    assert_eq!(
        problems(Api::new("t", "1").service(wrong_query)),
        ["callback `order_event` of group `strict_callbacks`, attached to operation `wrong_query` (`POST /wrong-query`): \
          `{$request.query.callback_url}` reads the query parameter `callback_url`, which the operation does not declare"]
    );
}

#[test]
fn body_pointer_outside_the_schema_is_a_startup_error() {
    assert_eq!(
        problems(Api::new("t", "1").service(wrong_pointer)),
        ["callback `numbered` of group `pointer_callbacks`, attached to operation `wrong_pointer` (`POST /wrong-pointer`): \
          `{$request.body#/number}` points at `number`, which type `Order` does not have (its properties: id, item)"]
    );
}

#[test]
fn unknown_shorthand_is_a_startup_error_with_a_suggestion() {
    assert_eq!(
        problems(Api::new("t", "1").service(wrong_shorthand)),
        ["callback `shorthand` of group `shorthand_callbacks`, attached to operation `wrong_shorthand` (`POST /wrong-shorthand`): \
          `{$notify_url}` names no parameter of the operation; declare a query, path or header parameter `notify_url`, \
          or write the spec form, e.g. `{$request.query.notify_url}`"]
    );
}

#[derive(Deserialize, JsonSchema)]
pub struct IdQuery {
    pub id: Option<u64>,
}

#[derive(Deserialize, JsonSchema)]
pub struct TokenHeaders {
    #[serde(rename = "x-token")]
    pub token: String,
}

#[callbacks]
pub mod id_callbacks {
    use super::*;

    /// Reads `id` by shorthand and a header by its spec form.
    #[post("https://hooks.example.com/{$id}?hook={$request.header.X-Hook}")]
    fn by_id(body: StatusEvent);
}

/// `id` is both a path and a query parameter, and no header is `X-Hook`:
/// the route's inputs may add query and header parameters the macros
/// cannot see, so only start-up can tell.
#[post("/by-id/{id}", callbacks = id_callbacks)]
async fn by_id(
    path: web::Path<OrderPath>,
    query: web::Query<IdQuery>,
    headers: callback_runtime::Headers<TokenHeaders>,
) -> web::Json<Ack> {
    let _ = (path, query, headers);
    web::Json(Ack { ok: true })
}

#[test]
fn start_up_reports_what_compile_time_cannot_see_in_the_same_wording() {
    // The template's first problem is reported: its shorthand.
    assert_eq!(
        problems(Api::new("t", "1").service(by_id)),
        ["callback `by_id` of group `id_callbacks`, attached to operation `by_id` (`POST /by-id/{id}`): \
          `{$id}` is ambiguous: several parameters of the operation are named `id`; \
          write the spec form, e.g. `{$request.query.id}`"]
    );
}

#[callbacks]
pub mod hook_callbacks {
    use super::*;

    /// Reads a header by its spec form.
    #[post("https://hooks.example.com/{$request.path.id}?hook={$request.header.X-Hook}")]
    fn hooked(body: StatusEvent);
}

/// No header is `X-Hook` (the declared one is `x-token`).
#[post("/hooked/{id}", callbacks = hook_callbacks)]
async fn hooked(
    path: web::Path<OrderPath>,
    headers: callback_runtime::Headers<TokenHeaders>,
) -> web::Json<Ack> {
    let _ = (path, headers);
    web::Json(Ack { ok: true })
}

#[test]
fn undeclared_header_is_a_startup_error() {
    assert_eq!(
        problems(Api::new("t", "1").service(hooked)),
        ["callback `hooked` of group `hook_callbacks`, attached to operation `hooked` (`POST /hooked/{id}`): \
          `{$request.header.X-Hook}` reads the header parameter `X-Hook`, which the operation does not declare"]
    );
}

#[test]
fn duplicate_operation_id_names_both_operations() {
    assert_eq!(
        problems(Api::new("t", "1").service(first).service(second)),
        ["operationId `same_id` is used by both `GET /first` (handler `first`) and `GET /second` (handler `second`); \
          set `operation_id = \"…\"` on one of them"]
    );
}

#[test]
fn path_struct_mismatch_is_a_startup_error() {
    assert_eq!(
        problems(Api::new("t", "1").service(misnamed)),
        [
            "operation `misnamed` (`GET /misnamed/{id}`): `Path<MisnamedPath>` reads `order_id`, which is not a `{…}` segment of the path",
            "operation `misnamed` (`GET /misnamed/{id}`): the path segment `{id}` is not a field of `Path<MisnamedPath>`"
        ]
    );
}

#[test]
fn every_problem_is_reported_at_once() {
    let all = problems(
        Api::new("t", "1")
            .service(wrong_query)
            .service(wrong_pointer)
            .service(first)
            .service(second),
    );
    // The same sentences as each mistake gives alone, in the order the
    // assembly finds them: operations, then callbacks, then operationIds.
    assert_eq!(
        all,
        [
            "callback `order_event` of group `strict_callbacks`, attached to operation `wrong_query` (`POST /wrong-query`): \
             `{$request.query.callback_url}` reads the query parameter `callback_url`, which the operation does not declare",
            "callback `numbered` of group `pointer_callbacks`, attached to operation `wrong_pointer` (`POST /wrong-pointer`): \
             `{$request.body#/number}` points at `number`, which type `Order` does not have (its properties: id, item)",
            "operationId `same_id` is used by both `GET /first` (handler `first`) and `GET /second` (handler `second`); \
             set `operation_id = \"…\"` on one of them",
        ]
    );
}

#[test]
fn the_same_handler_mounted_twice_is_a_startup_error() {
    assert_eq!(
        problems(Api::new("t", "1").service(first).service(first)),
        [
            "operationId `same_id` is used by both `GET /first` (handler `first`) and `GET /first` (handler `first`); set `operation_id = \"…\"` on one of them",
            "two handlers are mounted for `GET /first`"
        ]
    );
}

/// A second group with a callback named like `order_callbacks`' own.
#[callbacks]
pub mod shipping_callbacks {
    use super::*;

    /// The parcel's status changed.
    #[post("{$callback_url}/parcels/status")]
    fn status_changed(body: StatusEvent) -> Ack;
}

/// Ship an order: its own group names a callback `status_changed` too.
#[post("/shipments", callbacks = shipping_callbacks)]
async fn ship_order(order: web::Json<Order>, query: web::Query<CallbackQuery>) -> web::Json<Ack> {
    let _ = (order, query);
    web::Json(Ack { ok: true })
}

#[test]
fn a_callback_name_in_both_a_scope_group_and_the_operations_group_is_a_startup_error() {
    // The operation's `callbacks` object is keyed by name: one of the two
    // would silently be lost, so the build names both groups.
    let api = Api::new("t", "1").service(
        ApiScope::new("/shop")
            .callbacks(order_callbacks::CALLBACK_GROUP)
            .service(ship_order),
    );
    assert_eq!(
        problems(api),
        ["operation `ship_order` (`POST /shop/shipments`): group `order_callbacks` \
          (from `Api::callbacks` or `ApiScope::callbacks`) and group `shipping_callbacks` \
          (its own `callbacks = …`) both have a callback named `status_changed`, and the operation's \
          `callbacks` object holds one callback per name; rename one of them"]
    );
}

#[test]
fn a_group_given_by_the_scope_and_the_operation_is_a_startup_error() {
    let api = Api::new("t", "1").service(
        ApiScope::new("/shop")
            .callbacks(order_callbacks::CALLBACK_GROUP)
            .service(create_order),
    );
    assert_eq!(
        problems(api),
        ["operation `create_order` (`POST /shop/orders`): group `order_callbacks` is attached twice \
          (from `Api::callbacks` or `ApiScope::callbacks`, and its own `callbacks = …`); attach it once"]
    );
}

#[derive(Deserialize, JsonSchema)]
pub struct Paging {
    /// Where the previous page ended.
    #[serde(default)]
    pub cursor: String,
}

#[derive(Deserialize, JsonSchema)]
#[serde(rename_all = "camelCase")]
pub struct SearchQuery {
    /// Text to look for.
    pub search_text: String,
    #[serde(rename = "sort")]
    pub sort_order: Option<String>,
    #[serde(skip)]
    pub internal: bool,
    #[serde(flatten)]
    pub paging: Paging,
}

/// Search orders.
#[get("/search")]
async fn search(query: web::Query<SearchQuery>) -> web::Json<Vec<Order>> {
    let _ = query;
    web::Json(Vec::new())
}

#[test]
fn query_parameters_follow_serde_attributes() {
    let service = Api::new("t", "1").service(search).build().unwrap();
    let doc = serde_json::to_value(service.document()).unwrap();
    let parameters = &doc["paths"]["/search"]["get"]["parameters"];
    let summary: Vec<(String, bool)> = parameters
        .as_array()
        .unwrap()
        .iter()
        .map(|p| {
            (
                p["name"].as_str().unwrap().to_owned(),
                p["required"].as_bool().unwrap(),
            )
        })
        .collect();
    assert_eq!(
        summary,
        [
            ("searchText".to_owned(), true),
            ("sort".to_owned(), false),
            ("cursor".to_owned(), false)
        ],
        "in declaration order, flattened fields where the flattened struct is"
    );
    assert_eq!(
        parameters[2]["description"],
        "Where the previous page ended."
    );
    let addr = support::serve(service);
    let found = support::request(addr, "GET", "/search?searchText=tea&cursor=5", &[], b"");
    assert_eq!(found.status, 200, "{}", found.text());
    let missing = support::request(addr, "GET", "/search?cursor=5", &[], b"");
    assert_eq!(missing.status, 422);
    assert_eq!(
        missing.json()["detail"][0]["loc"],
        json!(["query", "searchText"])
    );
}

#[test]
fn docs_site_paths_are_configurable() {
    let service = Api::new("Custom <Title>", "2.0")
        .openapi_path("/spec/v2.json")
        .swagger_ui_path(Some("/swagger"))
        .redoc_path(None)
        .scalar_path(Some("/reference"))
        .service(health)
        .build()
        .unwrap();
    let addr = support::serve(service);
    let spec = support::request(addr, "GET", "/spec/v2.json", &[], b"");
    assert_eq!(
        spec.json()["info"],
        json!({"title": "Custom <Title>", "version": "2.0"})
    );
    let page = support::request(addr, "GET", "/swagger", &[], b"").text();
    assert!(
        page.contains("<title>Custom &lt;Title&gt; - Swagger UI</title>"),
        "{page}"
    );
    assert!(page.contains("url: \"/spec/v2.json\""), "{page}");
    assert_eq!(
        support::request(addr, "GET", "/swagger/swagger-ui.css", &[], b"").status,
        200
    );
    assert_eq!(
        support::request(addr, "GET", "/openapi.json", &[], b"").status,
        404
    );
    assert_eq!(
        support::request(addr, "GET", "/redoc", &[], b"").status,
        404
    );
    assert_eq!(
        support::request(addr, "GET", "/redoc/LICENSE", &[], b"").status,
        404
    );
    let page = support::request(addr, "GET", "/reference", &[], b"").text();
    assert!(
        page.contains("<title>Custom &lt;Title&gt; - Scalar</title>"),
        "{page}"
    );
    assert!(page.contains("url: \"/spec/v2.json\""), "{page}");
    assert_eq!(
        support::request(addr, "GET", "/reference/standalone.js", &[], b"").status,
        200
    );
    assert_eq!(
        support::request(addr, "GET", "/scalar", &[], b"").status,
        404
    );
}

#[derive(Deserialize, JsonSchema)]
pub struct TraceHeaders {
    #[serde(rename = "x-callback-url")]
    pub callback_url: String,
}

#[callbacks]
pub mod header_callbacks {
    use super::*;

    /// Reads a header with other capitalisation than declared.
    #[post("{$request.header.X-Callback-URL}/done")]
    fn done(body: StatusEvent);
}

/// Header names are case-insensitive.
#[post("/traced", callbacks = header_callbacks)]
async fn traced(headers: callback_runtime::Headers<TraceHeaders>) -> web::Json<Ack> {
    let _ = headers;
    web::Json(Ack { ok: true })
}

#[test]
fn header_expressions_ignore_case() {
    let service = Api::new("t", "1")
        .service(traced)
        .build()
        .expect("X-Callback-URL matches x-callback-url");
    let doc = serde_json::to_value(service.document()).unwrap();
    let keys: Vec<&String> = doc["paths"]["/traced"]["post"]["callbacks"]["done"]
        .as_object()
        .unwrap()
        .keys()
        .collect();
    assert_eq!(keys, ["{$request.header.X-Callback-URL}/done"]);
}

#[callbacks]
pub mod response_callbacks {
    use super::*;

    /// Reads the response body.
    #[post("https://hooks.example.com/{$response.body#/ok}/{$response.body#/missing}")]
    fn answered(body: StatusEvent);
}

/// The response has `ok` but no `missing`.
#[post("/answered", callbacks = response_callbacks)]
async fn answered_op(order: web::Json<Order>) -> web::Json<Ack> {
    let _ = order;
    web::Json(Ack { ok: true })
}

#[test]
fn response_body_pointer_is_checked_against_the_response_schema() {
    assert_eq!(
        problems(Api::new("t", "1").service(answered_op)),
        ["callback `answered` of group `response_callbacks`, attached to operation `answered_op` (`POST /answered`): \
          `{$response.body#/missing}` points at `missing`, which type `Ack` does not have (its properties: ok)"]
    );
}

#[callbacks]
pub mod inner_callbacks {
    use super::*;

    /// Reads the body of the request it is nested in (`StatusEvent`, which
    /// has no `receipt_url`), not its own.
    #[post("{$request.body#/receipt_url}")]
    fn receipt(body: Ack);
}

#[callbacks]
pub mod outer_callbacks {
    use super::*;

    /// Carries a nested callback.
    #[post("https://hooks.example.com/status", callbacks = [inner_callbacks])]
    fn status(body: StatusEvent);
}

/// The nested callback's expression is checked against the callback.
#[post("/nested", callbacks = outer_callbacks)]
async fn nested_op(order: web::Json<Order>) -> web::Json<Ack> {
    let _ = order;
    web::Json(Ack { ok: true })
}

#[test]
fn nested_callback_expressions_are_checked_against_their_callback() {
    assert_eq!(
        problems(Api::new("t", "1").service(nested_op)),
        ["callback `receipt` of group `inner_callbacks`, attached to callback `status` of operation `nested_op` (`POST /nested`): \
          `{$request.body#/receipt_url}` points at `receipt_url`, which type `StatusEvent` does not have (its properties: status)"]
    );
}

#[derive(Deserialize, JsonSchema)]
pub struct RequiredCallbackQuery {
    pub callback_url: String,
}

#[derive(Deserialize, JsonSchema)]
pub struct RequiredCallbackHeader {
    pub callback_url: String,
}

/// A callback whose URL is a shorthand, shared by operations that take the
/// parameter from different places.
#[callbacks]
pub mod relay_callbacks {
    use super::*;

    /// The event is relayed.
    #[post("{$callback_url}/relay")]
    fn relayed(body: StatusEvent);
}

/// Relay to the URL of the query.
#[post("/relay/query", callbacks = relay_callbacks)]
async fn relay_by_query(query: web::Query<RequiredCallbackQuery>) -> web::Json<Ack> {
    let _ = query;
    web::Json(Ack { ok: true })
}

/// Relay to the URL of a header.
#[post("/relay/header", callbacks = relay_callbacks)]
async fn relay_by_header(
    headers: callback_runtime::Headers<RequiredCallbackHeader>,
) -> web::Json<Ack> {
    let _ = headers;
    web::Json(Ack { ok: true })
}

/// Relay to the URL of the query, if one is given.
#[post("/relay/optional", callbacks = relay_callbacks)]
async fn relay_if_asked(query: web::Query<CallbackQuery>) -> web::Json<Ack> {
    let _ = query;
    web::Json(Ack { ok: true })
}

#[test]
fn a_shared_request_keeps_each_operations_url() {
    let service = Api::new("t", "1")
        .service(relay_by_query)
        .service(relay_by_header)
        .build()
        .expect("one request, two URLs");
    let doc = serde_json::to_value(service.document()).unwrap();
    let reference = json!({"$ref": "#/components/pathItems/relayed"});
    assert_eq!(
        doc["paths"]["/relay/query"]["post"]["callbacks"]["relayed"],
        json!({"{$request.query.callback_url}/relay": reference})
    );
    assert_eq!(
        doc["paths"]["/relay/header"]["post"]["callbacks"]["relayed"],
        json!({"{$request.header.callback_url}/relay": reference})
    );
    let request = &doc["components"]["pathItems"]["relayed"]["post"];
    assert_eq!(request["operationId"], "relayed");
    assert!(request.get("x-optional-expressions").is_none(), "{request}");
    assert_eq!(support::unresolved_refs(&doc), Vec::<String>::new());
}

#[test]
fn a_shared_request_that_differs_between_operations_is_a_startup_error() {
    assert_eq!(
        problems(
            Api::new("t", "1")
                .service(relay_by_query)
                .service(relay_if_asked)
        ),
        ["callback `relayed` of group `relay_callbacks` differs between the operations it is attached to \
          (at operation `relay_if_asked` (`POST /relay/optional`)): an expression of its URL may be missing \
          for one operation and not for another (`x-optional-expressions`), or another group has a callback \
          of the same name"]
    );
}
