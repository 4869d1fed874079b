//! Example applications of `callback-runtime`.
//!
//! - [`invoices`]: the invoices API whose callback notifies the client of
//!   invoice events (run it with `cargo run -p examples --bin invoices`);
//! - [`receiver`]: the client's server that receives those callbacks and
//!   verifies their signatures (`cargo run -p examples --bin receiver`).

pub mod invoices;
pub mod receiver;
