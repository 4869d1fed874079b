//! The adapter to actix-web: everything that names it. The layers below
//! describe, assemble and check; this one extracts handler arguments
//! ([`extract`], [`inputs`]), calls handlers and answers their 422
//! ([`endpoint`], [`problems`]), documents actix-web's own types
//! ([`outputs`]), captures triggers ([`trigger`]), mounts the API and its
//! docs site ([`api`], [`docs`]), receives signed callbacks ([`receive`])
//! and serves the deliveries view ([`deliveries`]).

pub(crate) mod api;
#[cfg(feature = "delivery")]
pub(crate) mod deliveries;
pub(crate) mod docs;
pub(crate) mod endpoint;
pub(crate) mod extract;
pub(crate) mod inputs;
mod outputs;
pub(crate) mod problems;
#[cfg(feature = "delivery")]
pub(crate) mod receive;
pub(crate) mod trigger;
