use std::future::{ready, Ready};

use actix_web::dev::Payload;
use actix_web::{FromRequest, HttpRequest};
use callback_runtime::get;

/// The caller's API key, read from a header.
pub struct ApiKey(pub String);

impl FromRequest for ApiKey {
    type Error = actix_web::Error;
    type Future = Ready<Result<Self, Self::Error>>;

    fn from_request(req: &HttpRequest, _: &mut Payload) -> Self::Future {
        let key = req
            .headers()
            .get("x-api-key")
            .and_then(|v| v.to_str().ok())
            .unwrap_or_default();
        ready(Ok(ApiKey(key.to_owned())))
    }
}

/// List the invoices.
#[get("/invoices/")]
async fn list_invoices(key: ApiKey) -> String {
    key.0
}

fn main() {}
