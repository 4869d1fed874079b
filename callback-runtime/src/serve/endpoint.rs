//! The function actix-web calls for an annotated handler.
//!
//! A route macro hands the handler and the tuple of its argument types to
//! [`serve`], a generic function of this crate, instead of writing an async
//! wrapper per handler. The wrapper's body is type-checked once, here; an
//! application instantiates it once per handler, and the compiler places
//! those instances apart from the application's own code, so an edit to a
//! handler's body does not recompile them.

use std::future::Future;

use actix_web::dev::Payload;
use actix_web::{FromRequest, Handler, HttpRequest};

use super::problems::{OperationInputs, Problems};
use crate::describe::{ApiInput, ApiOperation, CallbackGroup, OperationBuilder};

/// A handler's arguments: a tuple of [`ApiInput`]s, extracted together so
/// that one 422 lists the problems of all of them.
///
/// Implemented for tuples of up to 16 inputs, as actix-web's handlers are.
pub trait ApiInputs: Sized {
    /// Whether an input may add parameters the macros cannot see
    /// ([`ApiInput::OPAQUE_PARAMETERS`] of any of them).
    const OPAQUE_PARAMETERS: bool;
    /// The callback group of each input's `Trigger`, in argument order.
    const CALLBACK_GROUPS: &'static [Option<&'static CallbackGroup>];

    /// Runs every input's extractor, noting each failure; `None` when one
    /// failed.
    fn extract(
        request: &HttpRequest,
        payload: &mut Payload,
        problems: &mut Problems,
    ) -> impl Future<Output = Option<Self>>;

    /// Adds every input's parameters or body to the operation.
    fn describe(operation: &mut OperationBuilder<'_>);
}

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

macro_rules! tuple_inputs {
    ($($input:ident $value:ident),*) => {
        impl<$($input: ApiInput),*> ApiInputs for ($($input,)*) {
            const OPAQUE_PARAMETERS: bool = false $(|| $input::OPAQUE_PARAMETERS)*;
            const CALLBACK_GROUPS: &'static [Option<&'static CallbackGroup>] =
                &[$($input::CALLBACK_GROUP),*];

            #[allow(unused_variables)]
            async fn extract(
                request: &HttpRequest,
                payload: &mut Payload,
                problems: &mut Problems,
            ) -> Option<Self> {
                $(
                    let $value = problems.take(
                        <$input::Extractor as FromRequest>::from_request(request, payload).await,
                    );
                )*
                Some(($($input::from_extractor($value?),)*))
            }

            #[allow(unused_variables)]
            fn describe(operation: &mut OperationBuilder<'_>) {
                $($input::describe(operation);)*
            }
        }
    };
}

tuple_inputs!();
tuple_inputs!(A a);
tuple_inputs!(A a, B b);
tuple_inputs!(A a, B b, C c);
tuple_inputs!(A a, B b, C c, D d);
tuple_inputs!(A a, B b, C c, D d, E e);
tuple_inputs!(A a, B b, C c, D d, E e, F f);
tuple_inputs!(A a, B b, C c, D d, E e, F f, G g);
tuple_inputs!(A a, B b, C c, D d, E e, F f, G g, H h);
tuple_inputs!(A a, B b, C c, D d, E e, F f, G g, H h, I i);
tuple_inputs!(A a, B b, C c, D d, E e, F f, G g, H h, I i, J j);
tuple_inputs!(A a, B b, C c, D d, E e, F f, G g, H h, I i, J j, K k);
tuple_inputs!(A a, B b, C c, D d, E e, F f, G g, H h, I i, J j, K k, L l);
tuple_inputs!(A a, B b, C c, D d, E e, F f, G g, H h, I i, J j, K k, L l, M m);
tuple_inputs!(A a, B b, C c, D d, E e, F f, G g, H h, I i, J j, K k, L l, M m, N n);
tuple_inputs!(A a, B b, C c, D d, E e, F f, G g, H h, I i, J j, K k, L l, M m, N n, O o);
tuple_inputs!(A a, B b, C c, D d, E e, F f, G g, H h, I i, J j, K k, L l, M m, N n, O o, P p);

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
