//! Request time: the extractors that validate input and the docs site.

pub(crate) mod docs;
pub(crate) mod endpoint;
pub mod extract;
pub(crate) mod inputs;
pub(crate) mod problems;
mod schema_check;
pub mod validation;
