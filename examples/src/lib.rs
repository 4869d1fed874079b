//! Example applications of `callback-runtime`.
//!
//! - [`invoices`]: the invoices API whose callback notifies the client of
//!   invoice events (run it with `cargo run -p examples --bin invoices`);
//! - [`receiver`]: the client's server that receives those callbacks and
//!   verifies their signatures (`cargo run -p examples --bin receiver`);

//! - [`telemetry`]: the invoices API's OpenTelemetry setup (OTLP export
//!   from the standard environment variables, a server span per request).

pub mod invoices;
pub mod receiver;
pub mod telemetry;
