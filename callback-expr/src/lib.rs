//! The runtime-expression language of OpenAPI 3.1 (section "Runtime Expressions").
//!
//! A callback's key in an OpenAPI document is a *template*: literal text with
//! expressions embedded in braces, evaluated against the request that
//! triggered the callback:
//!
//! ```
//! use callback_expr::{Expression, Part, Source, Template};
//!
//! let template = Template::parse("{$request.query.callback_url}/invoices/{$request.body#/id}").unwrap();
//! let parts: Vec<_> = template.parts().iter().map(|p| p.to_string()).collect();
//! assert_eq!(parts, ["{$request.query.callback_url}", "/invoices/", "{$request.body#/id}"]);
//! assert_eq!(
//!     template.expressions().next(),
//!     Some(&Expression::Request(Source::Query("callback_url".into())))
//! );
//! ```
//!
//! The parser has no dependencies: the procedural macros use it at compile
//! time to reject malformed expressions with a precise span, and the runtime
//! uses it at start-up to check expressions against the operation they are
//! attached to. The `eval` feature (on by default) adds `serde_json` for the
//! request-time work.

mod encode;
mod error;
mod expression;
mod pointer;
mod template;

pub use encode::Component;
pub use error::ParseError;
pub use expression::{Expression, Source};
pub use pointer::JsonPointer;
pub use template::{Part, Template};
