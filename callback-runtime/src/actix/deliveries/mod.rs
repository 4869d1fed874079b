//! The deliveries view: an operators' view of an [`Outbox`]'s store, as
//! JSON and as a page. It is off unless the app mounts it, and it answers
//! only requests the app's [`DeliveriesAccess`] lets through.
//!
//! | Route | What it does |
//! |---|---|
//! | `GET /deliveries` | [`list_deliveries`]: newest first, with filters and the next page's link |
//! | `GET /deliveries/counts` | [`count_deliveries`]: how many deliveries are in each state |
//! | `GET /deliveries/ui` | [`deliveries_page`]: the page, served from the binary |
//! | `GET /deliveries/{id}` | [`get_delivery`]: one delivery and its attempt log |
//! | `POST /deliveries/{id}/retry` | [`retry_delivery`]: sends a failed, gone or refused delivery again |
//! | `POST /deliveries/{id}/cancel` | [`cancel_delivery`]: stops a pending delivery |
//!
//! Mount `count_deliveries` and `deliveries_page` before `get_delivery`:
//! actix-web tries routes in the order they are mounted, and
//! `/deliveries/{id}` would take `/deliveries/ui` (and answer that `ui` is
//! not an id).
//!
//! ```
//! use actix_web::{web, App};
//! use callback_runtime::Api;
//! use callback_runtime::deliveries::{
//!     cancel_delivery, count_deliveries, deliveries_page, get_delivery, list_deliveries,
//!     retry_delivery, DeliveriesAccess,
//! };
//!
//! let api = Api::new("Shop", "1.0.0")
//!     .service(list_deliveries)
//!     .service(count_deliveries)
//!     .service(deliveries_page)
//!     .service(get_delivery)
//!     .service(retry_delivery)
//!     .service(cancel_delivery)
//!     .build()
//!     .unwrap();
//! // With the app's outbox as `web::Data<Outbox>`, and its own rule:
//! let access = DeliveriesAccess::new(|request| {
//!     request.headers().get("authorization").is_some_and(|v| v == "Bearer s3cret")
//! });
//! let app = App::new().app_data(web::Data::new(access)).service(api);
//! ```
//!
//! Times are RFC 3339 text in UTC with milliseconds
//! ([`callback_delivery::rfc3339`]); the store keeps milliseconds since the
//! Unix epoch.
//!
//! [`Outbox`]: callback_delivery::dispatcher::Outbox

use std::sync::Arc;

use actix_web::http::StatusCode;
use actix_web::{web, HttpRequest, HttpResponse, ResponseError};
use callback_delivery::dispatcher::Outbox;
use callback_delivery::store::{Change, ListFilter, StatusCounts};
use callback_delivery::{Attempt, Delivery, DeliveryId, Status};
use schemars::JsonSchema;
use serde::{Deserialize, Serialize};

use crate::describe::validation::{HttpValidationError, LocationItem};
use crate::{get, post};

mod page;

pub use page::{deliveries_page, Page};

/// Who may use the deliveries view: the app's own rule over the request
/// (a token, a session, a network). Without one in the app's data, the view
/// answers 403 to everyone.
///
/// The rule covers the page and the changes (retry, cancel) as well as the
/// reads. The page's own requests carry what the browser adds by itself
/// (cookies, HTTP Basic credentials), not a bearer token; and a rule that
/// trusts a cookie should also refuse requests from other sites (their
/// `Origin` header), as for any route that changes state.
#[derive(Clone)]
pub struct DeliveriesAccess(Arc<dyn Fn(&HttpRequest) -> bool + Send + Sync>);

impl DeliveriesAccess {
    /// Lets through the requests `allow` accepts.
    pub fn new(allow: impl Fn(&HttpRequest) -> bool + Send + Sync + 'static) -> Self {
        DeliveriesAccess(Arc::new(allow))
    }

    /// Lets every request through (a demo on loopback, or an app that
    /// guards the path with middleware of its own).
    pub fn allow_all() -> Self {
        DeliveriesAccess::new(|_| true)
    }
}

/// A delivery with its attempt log.
#[derive(Debug, Clone, Serialize, Deserialize, JsonSchema)]
pub struct DeliveryDetail {
    /// The delivery.
    #[serde(flatten)]
    pub delivery: Delivery,
    /// Its attempts, oldest first.
    pub attempt_log: Vec<Attempt>,
}

/// A page of deliveries, newest first.
#[derive(Debug, Clone, Serialize, Deserialize, JsonSchema)]
pub struct DeliveryList {
    /// The deliveries.
    pub deliveries: Vec<Delivery>,
    /// The link to the next page (older deliveries, the same filters), as
    /// a path and query on this server; present when this page is full
    /// (the next one may be empty).
    pub next: Option<String>,
}

/// Which deliveries to list. The filters combine: a delivery is listed if
/// it meets every one given.
#[derive(Debug, Clone, Default, Serialize, Deserialize, JsonSchema)]
pub struct ListQuery {
    /// Only deliveries in this state.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub status: Option<Status>,
    /// Only deliveries of this callback or webhook declaration (its name as
    /// a delivery shows it, e.g. `invoice_callbacks::invoice_notification`).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub callback: Option<String>,
    /// Only deliveries to this destination: an origin, as a delivery's
    /// `destination` shows it (`https://client.example:8443`). A URL is
    /// taken for its origin.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub destination: Option<String>,
    /// Only deliveries queued at or after this time (RFC 3339).
    #[serde(
        default,
        with = "callback_delivery::rfc3339::option",
        skip_serializing_if = "Option::is_none"
    )]
    #[schemars(with = "Option<String>", extend("format" = "date-time"))]
    pub since: Option<i64>,
    /// Only deliveries queued before this time (RFC 3339).
    #[serde(
        default,
        with = "callback_delivery::rfc3339::option",
        skip_serializing_if = "Option::is_none"
    )]
    #[schemars(with = "Option<String>", extend("format" = "date-time"))]
    pub until: Option<i64>,
    /// The cursor: only deliveries with a smaller id. The `next` link of a
    /// page sets it to the id of the page's last delivery.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub before: Option<i64>,
    /// At most this many (default 100, at most 1000).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub limit: Option<u32>,
}

impl ListQuery {
    /// The store's filter for this query.
    fn filter(&self) -> ListFilter {
        ListFilter {
            status: self.status,
            callback: self.callback.clone(),
            destination: self.destination.as_deref().map(origin_of),
            since: self.since,
            until: self.until,
            before: self.before.map(DeliveryId),
            limit: self.limit.map_or(0, |l| l as usize),
        }
    }
}

/// The origin of `destination` when it is a URL with a host; the text as
/// it is otherwise (`(no origin)`, or a name that matches nothing).
fn origin_of(destination: &str) -> String {
    match url::Url::parse(destination) {
        Ok(url) if url.has_host() => callback_delivery::store::destination_of(destination),
        _ => destination.to_owned(),
    }
}

/// Why the view answers with an error (a JSON body in each case).
#[derive(Debug)]
pub enum ViewError {
    /// The app's access rule refused the request (403).
    Forbidden,
    /// No such delivery (404).
    NotFound(i64),
    /// The delivery is in a state the change does not apply to (409):
    /// a retry of a delivery that is not failed, gone or refused, a cancel
    /// of one that is not pending.
    Conflict {
        /// The delivery.
        id: i64,
        /// Its state.
        status: Status,
        /// The change refused: `"retry"` or `"cancel"`.
        action: &'static str,
    },
    /// The store failed (503).
    Store(String),
}

impl std::fmt::Display for ViewError {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            ViewError::Forbidden => f.write_str("not allowed to use the deliveries view"),
            ViewError::NotFound(id) => write!(f, "no delivery {id}"),
            ViewError::Conflict { id, status, action } => {
                let allowed = match *action {
                    "retry" => "a failed, gone or refused delivery is sent again",
                    _ => "a pending delivery can be cancelled",
                };
                write!(f, "delivery {id} is {status}: only {allowed}")
            }
            ViewError::Store(e) => write!(f, "the delivery store failed: {e}"),
        }
    }
}

impl ResponseError for ViewError {
    fn status_code(&self) -> StatusCode {
        match self {
            ViewError::Forbidden => StatusCode::FORBIDDEN,
            ViewError::NotFound(_) => StatusCode::NOT_FOUND,
            ViewError::Conflict { .. } => StatusCode::CONFLICT,
            ViewError::Store(_) => StatusCode::SERVICE_UNAVAILABLE,
        }
    }

    fn error_response(&self) -> HttpResponse {
        let name = |n: &str| LocationItem::Name(n.into());
        let (loc, kind) = match self {
            ViewError::Forbidden => (vec![name("request")], "forbidden"),
            ViewError::NotFound(_) => (vec![name("path")], "not_found"),
            ViewError::Conflict { .. } => (vec![name("path"), name("id")], "conflict"),
            ViewError::Store(_) => (vec![name("store")], "unavailable"),
        };
        HttpResponse::build(self.status_code()).json(HttpValidationError::single(
            loc,
            self.to_string(),
            kind,
        ))
    }
}

fn store_failed(error: impl std::fmt::Display) -> ViewError {
    ViewError::Store(error.to_string())
}

fn check_access(request: &HttpRequest) -> Result<(), ViewError> {
    match request.app_data::<web::Data<DeliveriesAccess>>() {
        Some(access) if (access.0)(request) => Ok(()),
        _ => Err(ViewError::Forbidden),
    }
}

/// The app's outbox, once the request is let through.
fn outbox(request: &HttpRequest) -> Result<&Outbox, ViewError> {
    check_access(request)?;
    request
        .app_data::<web::Data<Outbox>>()
        .map(|data| data.get_ref())
        .ok_or_else(|| ViewError::Store("the app has no web::Data<Outbox>".into()))
}

/// List deliveries.
///
/// Newest first. Filter by `status`, `callback`, `destination` and the time
/// they were queued (`since`, `until`); follow `next` for the next page.
#[get(
    "/deliveries",
    crate = "crate",
    tags = ["deliveries"],
    responses(403 => HttpValidationError, 503 => HttpValidationError)
)]
pub async fn list_deliveries(
    request: HttpRequest,
    query: web::Query<ListQuery>,
) -> Result<web::Json<DeliveryList>, ViewError> {
    let outbox = outbox(&request)?;
    let query = query.into_inner();
    let filter = query.filter();
    let deliveries = outbox.store().list(&filter).await.map_err(store_failed)?;
    let next = match deliveries.last() {
        Some(last) if deliveries.len() >= filter.page_size() => {
            let next = ListQuery {
                before: Some(last.id.0),
                ..query
            };
            // A flat struct of texts and numbers always encodes.
            serde_urlencoded::to_string(&next)
                .ok()
                .map(|query| format!("{}?{query}", request.uri().path()))
        }
        _ => None,
    };
    Ok(web::Json(DeliveryList { deliveries, next }))
}

/// Count deliveries by state.
#[get(
    "/deliveries/counts",
    crate = "crate",
    tags = ["deliveries"],
    responses(403 => HttpValidationError, 503 => HttpValidationError)
)]
pub async fn count_deliveries(request: HttpRequest) -> Result<web::Json<StatusCounts>, ViewError> {
    let counts = outbox(&request)?
        .store()
        .counts()
        .await
        .map_err(store_failed)?;
    Ok(web::Json(counts))
}

/// One delivery and its attempt log.
#[get(
    "/deliveries/{id}",
    crate = "crate",
    tags = ["deliveries"],
    responses(403 => HttpValidationError, 404 => HttpValidationError, 503 => HttpValidationError)
)]
pub async fn get_delivery(
    request: HttpRequest,
    id: web::Path<i64>,
) -> Result<web::Json<DeliveryDetail>, ViewError> {
    detail(outbox(&request)?, id.into_inner()).await
}

/// Send a delivery again.
///
/// A failed, gone or refused delivery becomes pending, due now, with the
/// same `webhook-id` (receivers deduplicate by it): the dispatcher sends
/// it as a new attempt, vetted by the SSRF guard as every attempt is, and
/// counted against the retry schedule (a delivery that had used it up is
/// failed again if that attempt fails). Answers with the delivery as it is
/// once queued.
#[post(
    "/deliveries/{id}/retry",
    crate = "crate",
    tags = ["deliveries"],
    status = 202,
    responses(
        403 => HttpValidationError,
        404 => HttpValidationError,
        409 => HttpValidationError,
        503 => HttpValidationError
    )
)]
pub async fn retry_delivery(
    request: HttpRequest,
    id: web::Path<i64>,
) -> Result<web::Json<DeliveryDetail>, ViewError> {
    let outbox = outbox(&request)?;
    let id = id.into_inner();
    let change = outbox
        .store()
        .retry(DeliveryId(id))
        .await
        .map_err(store_failed)?;
    settle(change, id, "retry")?;
    outbox.wake();
    detail(outbox, id).await
}

/// Cancel a pending delivery.
///
/// It is never sent again. An attempt already on its way may still reach
/// the receiver; its outcome is not recorded.
#[post(
    "/deliveries/{id}/cancel",
    crate = "crate",
    tags = ["deliveries"],
    responses(
        403 => HttpValidationError,
        404 => HttpValidationError,
        409 => HttpValidationError,
        503 => HttpValidationError
    )
)]
pub async fn cancel_delivery(
    request: HttpRequest,
    id: web::Path<i64>,
) -> Result<web::Json<DeliveryDetail>, ViewError> {
    let outbox = outbox(&request)?;
    let id = id.into_inner();
    let change = outbox
        .store()
        .cancel(DeliveryId(id))
        .await
        .map_err(store_failed)?;
    settle(change, id, "cancel")?;
    detail(outbox, id).await
}

/// The error of a change that did not happen.
fn settle(change: Change, id: i64, action: &'static str) -> Result<(), ViewError> {
    match change {
        Change::Done => Ok(()),
        Change::NotFound => Err(ViewError::NotFound(id)),
        Change::Conflict(status) => Err(ViewError::Conflict { id, status, action }),
    }
}

/// Delivery `id` with its attempt log.
async fn detail(outbox: &Outbox, id: i64) -> Result<web::Json<DeliveryDetail>, ViewError> {
    let found = outbox
        .store()
        .get(DeliveryId(id))
        .await
        .map_err(store_failed)?;
    let (delivery, attempts) = found.ok_or(ViewError::NotFound(id))?;
    Ok(web::Json(DeliveryDetail {
        delivery,
        attempt_log: attempts,
    }))
}
