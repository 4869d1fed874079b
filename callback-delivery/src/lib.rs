//! Delivery of OpenAPI callbacks and webhooks: what the document declares,
//! sent as the best webhook senders send it.
//!
//! The crate is laid out by the path a delivery takes:
//! - [`delivery`]: the records (a queued delivery, its attempts, its state);
//!   [`rfc3339`]: their times as the deliveries view writes them;
//! - [`store`]: where deliveries wait, durably ([`store::SqliteStore`], the
//!   default; [`store::PostgresStore`], shared by several instances) or in
//!   memory for tests ([`store::MemoryStore`]);
//! - [`signing`]: Standard Webhooks signatures, to send and to verify;
//! - [`guard`]: the SSRF guard, which vets every address a URL resolves to;
//! - [`sender`]: the HTTP client that connects only to vetted addresses;
//! - [`retry`]: the retry schedule and `Retry-After`;
//! - [`dispatcher`]: the workers that drain the store, sign, send, retry
//!   and record;
//! - [`telemetry`]: traces and metrics (feature `otel`).
//!
//! It knows nothing of actix-web: `callback-runtime` builds deliveries from
//! its typed callback declarations and serves the deliveries view.

pub mod delivery;
pub mod dispatcher;
pub mod guard;
pub mod retry;
pub mod rfc3339;
pub mod sender;
pub mod signing;
pub mod store;
pub mod telemetry;

pub use delivery::{Attempt, Delivery, DeliveryId, NewDelivery, Status};
