//! The receiving side: verify a Standard Webhooks signature on the raw
//! bytes, then decode the declared body type.

use std::future::Future;
use std::ops::Deref;
use std::pin::Pin;
use std::time::SystemTime;

use actix_web::dev::Payload;
use actix_web::{web, FromRequest, HttpRequest, HttpResponse, ResponseError};
use callback_delivery::signing::Verifier;
use schemars::JsonSchema;
use serde::de::DeserializeOwned;

use super::extract::parse_json;
use crate::describe::validation::{HttpValidationError, LocationItem};
use crate::describe::{ApiInput, OperationBuilder};
use crate::send::Callback;

/// A JSON body whose Standard Webhooks signature was verified before it was
/// decoded.
///
/// The verifier is the app's `web::Data<Verifier>` (one or several secrets,
/// for rotation). A missing, stale (more than 5 minutes off) or wrong
/// signature answers 401 with a JSON body; a body that does not decode
/// answers 422 as any JSON body does. Receivers deduplicate by
/// [`SignedJson::webhook_id`]: a delivery may arrive more than once.
///
/// ```
/// use actix_web::{web, App};
/// use callback_runtime::delivery::signing::Verifier;
/// use callback_runtime::receive::SignedJson;
///
/// #[derive(serde::Deserialize)]
/// struct Event { paid: bool }
///
/// async fn receive(event: SignedJson<Event>) -> String {
///     format!("{} paid={}", event.webhook_id(), event.paid)
/// }
///
/// let verifier = Verifier::new(["whsec_C2FVsBQIhrscChlQIMV+b5sSYspob7oD"]).unwrap();
/// let app = App::new()
///     .app_data(web::Data::new(verifier))
///     .route("/hooks/invoices/{id}", web::post().to(receive));
/// ```
#[derive(Debug)]
pub struct SignedJson<T> {
    body: T,
    webhook_id: String,
}

/// The verified body of callback `C`, typed by its declaration:
/// `Received<invoice_callbacks::invoice_notification>` is a
/// [`SignedJson`] of the callback's body type.
pub type Received<C> = SignedJson<<C as Callback>::Body>;

impl<T> SignedJson<T> {
    /// The decoded body.
    pub fn into_inner(self) -> T {
        self.body
    }

    /// The `webhook-id`: the same on every retry of one delivery.
    pub fn webhook_id(&self) -> &str {
        &self.webhook_id
    }
}

impl<T> Deref for SignedJson<T> {
    type Target = T;

    fn deref(&self) -> &T {
        &self.body
    }
}

/// A signature that does not verify: 401 with a JSON body.
#[derive(Debug)]
struct Unauthorized(HttpValidationError);

impl std::fmt::Display for Unauthorized {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        self.0.fmt(f)
    }
}

impl ResponseError for Unauthorized {
    fn status_code(&self) -> actix_web::http::StatusCode {
        actix_web::http::StatusCode::UNAUTHORIZED
    }

    fn error_response(&self) -> HttpResponse {
        HttpResponse::Unauthorized().json(&self.0)
    }
}

fn unauthorized(header: &str, message: String) -> actix_web::Error {
    Unauthorized(HttpValidationError::single(
        vec![
            LocationItem::Name("header".into()),
            LocationItem::Name(header.into()),
        ],
        message,
        "signature",
    ))
    .into()
}

impl<T: DeserializeOwned + 'static> FromRequest for SignedJson<T> {
    type Error = actix_web::Error;
    type Future = Pin<Box<dyn Future<Output = Result<Self, actix_web::Error>>>>;

    fn from_request(request: &HttpRequest, payload: &mut Payload) -> Self::Future {
        let request = request.clone();
        let bytes = web::Bytes::from_request(&request, payload);
        Box::pin(async move {
            let bytes = bytes.await?;
            let Some(verifier) = request.app_data::<web::Data<Verifier>>() else {
                return Err(actix_web::error::ErrorInternalServerError(
                    "SignedJson needs the app's web::Data<Verifier>",
                ));
            };
            let header = |name: &str| request.headers().get(name).and_then(|v| v.to_str().ok());
            verifier
                .verify_headers(header, &bytes, SystemTime::now())
                .map_err(|e| unauthorized("webhook-signature", e.to_string()))?;
            let webhook_id = header("webhook-id").unwrap_or_default().to_owned();
            let body = parse_json::<T>(&bytes)?;
            Ok(SignedJson { body, webhook_id })
        })
    }
}

impl<T: DeserializeOwned + JsonSchema + 'static> ApiInput for SignedJson<T> {
    type Extractor = Self;
    const OPAQUE_PARAMETERS: bool = false;

    fn from_extractor(extracted: Self) -> Self {
        extracted
    }

    fn describe(operation: &mut OperationBuilder<'_>) {
        operation
            .json_body::<T>()
            .validates_input()
            .json_response::<HttpValidationError>(
                401,
                Some("The Standard Webhooks signature is missing, stale or wrong"),
            );
    }
}
