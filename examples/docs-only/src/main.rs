//! An API that documents the callbacks it makes and sends none itself:
//! `callback-runtime` with `default-features = false, features =
//! ["swagger-ui"]`. It builds no SQL driver, HTTP client, TLS or signing
//! crate (CI checks its `cargo tree`), and serves its document at
//! `/openapi.json` with Swagger UI at `/docs`.
//!
//! Run it with `cargo run -p docs-only` (127.0.0.1:8080, or `DOCS_ONLY_ADDR`).

use actix_web::{web, App, HttpServer};
use callback_runtime::{callbacks, post, Api, ApiService, AssemblyError};
use schemars::JsonSchema;
use serde::{Deserialize, Serialize};

/// A subscription to a topic's events.
#[derive(Deserialize, JsonSchema)]
struct Subscription {
    /// Where the events go.
    callback_url: String,
    /// Which events.
    topic: String,
}

/// An event of a topic, sent to its subscribers.
#[derive(Serialize, Deserialize, JsonSchema)]
struct Event {
    /// The topic.
    topic: String,
    /// What happened.
    message: String,
}

/// The answer to a new subscription: what was subscribed.
#[derive(Serialize, JsonSchema)]
struct Subscribed {
    /// Where the events go.
    callback_url: String,
    /// Which events.
    topic: String,
}

/// The requests this API makes to its subscribers.
#[callbacks]
mod event_callbacks {
    use super::*;

    /// An event of the topic the subscriber chose.
    #[post("{$request.body#/callback_url}")]
    fn event(body: Event);
}

/// Subscribe to a topic's events.
#[post("/subscriptions", callbacks = event_callbacks)]
async fn subscribe(subscription: web::Json<Subscription>) -> web::Json<Subscribed> {
    let Subscription {
        callback_url,
        topic,
    } = subscription.into_inner();
    web::Json(Subscribed {
        callback_url,
        topic,
    })
}

/// The API, assembled and checked.
fn api() -> Result<ApiService, AssemblyError> {
    Api::new("Subscriptions", "1.0.0")
        .service(subscribe)
        .build()
}

#[actix_web::main]
async fn main() -> std::io::Result<()> {
    let api = api().map_err(std::io::Error::other)?;
    let addr = std::env::var("DOCS_ONLY_ADDR").unwrap_or_else(|_| "127.0.0.1:8080".to_owned());
    println!("Serving on http://{addr} (docs at http://{addr}/docs)");
    HttpServer::new(move || App::new().service(api.clone()))
        .bind(addr)?
        .run()
        .await
}

#[cfg(test)]
mod tests {
    use actix_web::test;

    use super::*;

    #[actix_web::test]
    async fn serves_its_document_with_the_callback_and_swagger_ui() {
        let app = test::init_service(App::new().service(api().unwrap())).await;
        let document: serde_json::Value = test::call_and_read_body_json(
            &app,
            test::TestRequest::get().uri("/openapi.json").to_request(),
        )
        .await;
        let callbacks = &document["paths"]["/subscriptions"]["post"]["callbacks"];
        assert_eq!(
            callbacks["event"]["{$request.body#/callback_url}"]["post"]["operationId"],
            "event"
        );
        let docs =
            test::call_service(&app, test::TestRequest::get().uri("/docs").to_request()).await;
        assert_eq!(docs.status(), 200);
        let redoc =
            test::call_service(&app, test::TestRequest::get().uri("/redoc").to_request()).await;
        assert_eq!(redoc.status(), 404, "ReDoc's feature is off");
    }
}
