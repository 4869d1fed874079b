//! Example applications of `callback-runtime`.
//!
//! - [`invoices`]: the invoices API whose callback notifies the client of
//!   invoice events (run it with `cargo run -p examples --bin invoices`).

pub mod invoices;
