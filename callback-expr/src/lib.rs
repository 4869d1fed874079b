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
//! It also reads actix-web route patterns ([`path_parameters`],
//! [`openapi_path`]), the other string grammar both sides share, names the
//! HTTP methods of an operation once ([`Method`]), and holds
//! the one check of an expression's parameter reads against an operation's
//! parameters ([`find_parameter`], [`first_problem`]) with the one wording of
//! its problems ([`ParameterProblem`]), `const` so that a compile-time
//! assertion can run it.
//!
//! The parser has no dependencies: the procedural macros use it at compile
//! time to reject malformed expressions with a precise span, and the runtime
//! uses it at start-up to check expressions against the operation they are
//! attached to.
#![cfg_attr(
    feature = "eval",
    doc = r#"
With the `eval` feature (on by default; it adds `serde_json`), the crate
also does the request-time work, in two steps:

1. [`CapturePlan`], computed once from an operation's callback templates,
   keeps only the parts of a request (and later of its response) that the
   templates read, in an owned [`Captured`];
2. [`Template::evaluate`] writes the callback URL from it, each value
   percent-encoded for where it lands ([`Component`]), and
   [`Expression::evaluate`] gives one value with its JSON type.

```
use callback_expr::{CapturePlan, RequestParts, Template};
use serde_json::json;

let template = Template::parse("{$request.query.callback_url}/invoices/{$request.body#/id}").unwrap();
let plan = CapturePlan::new([&template]);

let body = json!({"id": "2024/17", "total": 12.5});
let captured = plan.capture(&RequestParts {
    method: "POST",
    url: "https://api.example/invoices/?callback_url=https%3A%2F%2Fclient.example%2Fhooks",
    query: "callback_url=https%3A%2F%2Fclient.example%2Fhooks",
    body: Some(&body),
    ..RequestParts::default()
});
assert_eq!(
    template.evaluate(&captured).unwrap(),
    "https://client.example/hooks/invoices/2024%2F17"
);
```
"#
)]

#[cfg(feature = "eval")]
mod capture;
mod encode;
mod error;
#[cfg(feature = "eval")]
mod eval;
mod expression;
mod method;
mod parameters;
mod pointer;
#[cfg(feature = "eval")]
mod query;
mod route_path;
#[cfg(feature = "eval")]
mod sparse;
mod template;
#[cfg(feature = "eval")]
mod view;

#[cfg(feature = "eval")]
pub use capture::{CapturePlan, Captured};
pub use encode::Component;
pub use error::ParseError;
#[cfg(feature = "eval")]
pub use eval::EvalError;
pub use expression::{suggest, Expression, Source};
pub use method::Method;
#[doc(hidden)]
pub use parameters::str_eq as const_str_eq;
pub use parameters::{
    find_parameter, first_problem, FoundParameter, KnownParameters, ParameterProblem,
    ParameterRead, ParameterSource,
};
pub use pointer::JsonPointer;
pub use route_path::{openapi_path, path_parameters, PathParameter};
#[cfg(feature = "eval")]
pub use sparse::BodyPaths;
pub use template::{Part, Template};
#[cfg(feature = "eval")]
pub use view::{RequestParts, RequestView, ResponseParts, ResponseView};
