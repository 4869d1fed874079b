//! The function actix-web calls for an annotated handler.
//!
//! A route macro hands the handler and the tuple of its argument types to
//! [`serve`], a generic function of this crate, instead of writing an async
//! wrapper per handler: the wrapper's body is type-checked and borrow-checked
//! once, here, not once per handler in the application.

use actix_web::{Handler, HttpRequest};

pub use super::inputs::ApiInputs;
use super::problems::{OperationInputs, Problems};
use crate::describe::{ApiOperation, CallbackGroup, OperationBuilder};

// The generated code reaches an operation's inputs only through these
// functions, generic over the operation: an input that is not an
// `ApiInput` is then one error, at the operation's `type Inputs`, not one
// per use.

/// Whether the operation's handler takes a `Trigger`, whose request body
/// must then be kept.
pub const fn takes_trigger<Op: ApiOperation>() -> bool {
    let groups = <Op::Inputs as ApiInputs>::CALLBACK_GROUPS;
    let mut i = 0;
    while i < groups.len() {
        if groups[i].is_some() {
            return true;
        }
        i += 1;
    }
    false
}

/// The callback group of the `Trigger` the handler takes as argument
/// `index`, if that argument is one.
pub const fn trigger_group<Op: ApiOperation>(index: usize) -> Option<&'static CallbackGroup> {
    <Op::Inputs as ApiInputs>::CALLBACK_GROUPS[index]
}

/// Whether an input of the operation may add parameters the macros cannot
/// see.
pub const fn opaque_parameters<Op: ApiOperation>() -> bool {
    <Op::Inputs as ApiInputs>::OPAQUE_PARAMETERS
}

/// Adds the parameters and body of the operation's inputs.
pub fn describe_inputs<Op: ApiOperation>(operation: &mut OperationBuilder<'_>) {
    <Op::Inputs as ApiInputs>::describe(operation);
}

/// Extracts the handler's arguments and calls it, or answers one 422 (or
/// the first other refusal) for everything the request got wrong.
pub async fn serve<Op, F>(
    handler: F,
    inputs: &'static OperationInputs,
    request: HttpRequest,
    payload: actix_web::web::Payload,
) -> Result<F::Output, actix_web::Error>
where
    Op: ApiOperation,
    F: Handler<Op::Inputs>,
{
    let mut payload = payload.into_inner();
    let mut problems = Problems::default();
    match <Op::Inputs as ApiInputs>::extract(&request, &mut payload, &mut problems).await {
        Some(arguments) => Ok(handler.call(arguments).await),
        None => Err(problems.into_error(inputs, &request)),
    }
}

/// [`serve`] for an operation whose declared success status (`status =
/// 201`) replaces the handler's 200.
pub async fn serve_with_status<Op, F>(
    handler: F,
    status: u16,
    inputs: &'static OperationInputs,
    request: HttpRequest,
    payload: actix_web::web::Payload,
) -> Result<WithStatus<F::Output>, actix_web::Error>
where
    Op: ApiOperation,
    F: Handler<Op::Inputs>,
{
    serve::<Op, F>(handler, inputs, request, payload)
        .await
        .map(|answer| WithStatus(answer, status))
}

/// A handler's answer with the operation's declared status (`status =
/// 201`) in place of the default 200; any other status (an error, an
/// explicit `HttpResponse`) is left as it is.
pub struct WithStatus<R>(R, u16);

impl<R: actix_web::Responder> actix_web::Responder for WithStatus<R> {
    type Body = actix_web::body::BoxBody;

    fn respond_to(self, request: &HttpRequest) -> actix_web::HttpResponse {
        let mut response = self.0.respond_to(request).map_into_boxed_body();
        if response.status() == actix_web::http::StatusCode::OK {
            if let Ok(status) = actix_web::http::StatusCode::from_u16(self.1) {
                *response.status_mut() = status;
            }
        }
        response
    }
}
