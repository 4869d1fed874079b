//! The deliveries view: a read-only JSON view of an [`Outbox`]'s store,
//! for operators. It is off unless the app mounts it, and it answers only
//! requests the app's [`DeliveriesAccess`] lets through.
//!
//! ```
//! use actix_web::{web, App};
//! use callback_runtime::Api;
//! use callback_runtime::deliveries::{get_delivery, list_deliveries, DeliveriesAccess};
//!
//! let api = Api::new("Shop", "1.0.0")
//!     .service(list_deliveries)
//!     .service(get_delivery)
//!     .build()
//!     .unwrap();
//! // With the app's outbox as `web::Data<Outbox>`, and its own rule:
//! let access = DeliveriesAccess::new(|request| {
//!     request.headers().get("authorization").is_some_and(|v| v == "Bearer s3cret")
//! });
//! let app = App::new().app_data(web::Data::new(access)).service(api);
//! ```
//!
//! [`Outbox`]: callback_delivery::dispatcher::Outbox

use std::sync::Arc;

use actix_web::http::StatusCode;
use actix_web::{web, HttpRequest, HttpResponse, ResponseError};
use callback_delivery::dispatcher::Outbox;
use callback_delivery::store::ListFilter;
use callback_delivery::{Attempt, Delivery, DeliveryId, Status};
use schemars::JsonSchema;
use serde::{Deserialize, Serialize};

use crate::describe::validation::{HttpValidationError, LocationItem};
use crate::get;

/// Who may read the deliveries view: the app's own rule over the request
/// (a token, a session, a network). Without one in the app's data, the view
/// answers 403 to everyone.
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
}

/// Which deliveries to list.
#[derive(Debug, Clone, Deserialize, JsonSchema)]
pub struct ListQuery {
    /// Only deliveries in this state.
    pub status: Option<Status>,
    /// Only deliveries with a smaller id (the next page).
    pub before: Option<i64>,
    /// At most this many (default 100, at most 1000).
    pub limit: Option<u32>,
}

/// Why the view answers with an error (a JSON body in each case).
#[derive(Debug)]
pub enum ViewError {
    /// The app's access rule refused the request (403).
    Forbidden,
    /// No such delivery (404).
    NotFound(i64),
    /// The store failed (503).
    Store(String),
}

impl std::fmt::Display for ViewError {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            ViewError::Forbidden => f.write_str("not allowed to read deliveries"),
            ViewError::NotFound(id) => write!(f, "no delivery {id}"),
            ViewError::Store(e) => write!(f, "the delivery store failed: {e}"),
        }
    }
}

impl ResponseError for ViewError {
    fn status_code(&self) -> StatusCode {
        match self {
            ViewError::Forbidden => StatusCode::FORBIDDEN,
            ViewError::NotFound(_) => StatusCode::NOT_FOUND,
            ViewError::Store(_) => StatusCode::SERVICE_UNAVAILABLE,
        }
    }

    fn error_response(&self) -> HttpResponse {
        let (loc, kind) = match self {
            ViewError::Forbidden => ("request", "forbidden"),
            ViewError::NotFound(_) => ("path", "not_found"),
            ViewError::Store(_) => ("store", "unavailable"),
        };
        HttpResponse::build(self.status_code()).json(HttpValidationError::single(
            vec![LocationItem::Name(loc.into())],
            self.to_string(),
            kind,
        ))
    }
}

fn check_access(request: &HttpRequest) -> Result<(), ViewError> {
    match request.app_data::<web::Data<DeliveriesAccess>>() {
        Some(access) if (access.0)(request) => Ok(()),
        _ => Err(ViewError::Forbidden),
    }
}

fn outbox(request: &HttpRequest) -> Result<&Outbox, ViewError> {
    request
        .app_data::<web::Data<Outbox>>()
        .map(|data| data.get_ref())
        .ok_or_else(|| ViewError::Store("the app has no web::Data<Outbox>".into()))
}

/// List deliveries.
///
/// Newest first; filter by `status`, page with `before`.
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
    check_access(&request)?;
    let query = query.into_inner();
    let filter = ListFilter {
        status: query.status,
        before: query.before.map(DeliveryId),
        limit: query.limit.map_or(100, |l| l.min(1000) as usize),
        ..ListFilter::default()
    };
    let deliveries = outbox(&request)?
        .store()
        .list(&filter)
        .await
        .map_err(|e| ViewError::Store(e.to_string()))?;
    Ok(web::Json(DeliveryList { deliveries }))
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
    check_access(&request)?;
    let id = id.into_inner();
    let found = outbox(&request)?
        .store()
        .get(DeliveryId(id))
        .await
        .map_err(|e| ViewError::Store(e.to_string()))?;
    let (delivery, attempts) = found.ok_or(ViewError::NotFound(id))?;
    Ok(web::Json(DeliveryDetail {
        delivery,
        attempt_log: attempts,
    }))
}
