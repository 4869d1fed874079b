//! Handler arguments as the document sees them: what each one documents,
//! whether it may add parameters the macros cannot see, whether it reads
//! the request body, and whether it captures a callback group's trigger.
//!
//! How an argument is extracted from a request is the web framework's
//! business: the extractor type is named here ([`ApiInput::Extractor`]),
//! and bound to the framework in its adapter (`actix`).

use super::{CallbackGroup, OperationBuilder};

/// How a handler argument reads the request body.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum BodyUse {
    /// It does not read it.
    None,
    /// It parses it as JSON (`web::Json<T>`), and can hand a callback
    /// group's trigger the values its templates read.
    Json,
    /// It reads it some other way (`web::Bytes`, `web::Payload`, `String`):
    /// a trigger gets no body values from it.
    Opaque,
}

/// A handler argument: how it is extracted and how it is documented.
///
/// The route macros call the handler through a wrapper whose arguments are
/// the `Extractor`s, so that `web::Json`, `web::Query` and `web::Path` answer
/// malformed input with the documented 422 body instead of actix-web's plain
/// text errors. To use a custom extractor in an annotated handler, implement
/// this trait with `type Extractor = Self` (with actix-web, the extractor
/// must implement `FromRequest`):
///
/// ```
/// use callback_runtime::{ApiInput, OperationBuilder};
/// # use actix_web::{dev::Payload, FromRequest, HttpRequest};
/// # struct ApiKey;
/// # impl FromRequest for ApiKey {
/// #     type Error = actix_web::Error;
/// #     type Future = std::future::Ready<Result<Self, Self::Error>>;
/// #     fn from_request(_: &HttpRequest, _: &mut Payload) -> Self::Future { std::future::ready(Ok(ApiKey)) }
/// # }
/// impl ApiInput for ApiKey {
///     type Extractor = Self;
///     fn from_extractor(extracted: Self) -> Self { extracted }
///     fn describe(_: &mut OperationBuilder<'_>) {}
/// }
/// ```
#[diagnostic::on_unimplemented(
    message = "`{Self}` is not a documented handler argument",
    label = "this argument's type does not implement `ApiInput`",
    note = "implement `callback_runtime::ApiInput` for it (with `type Extractor = Self` and an empty `describe` to document nothing)"
)]
pub trait ApiInput: Sized {
    /// What the web framework extracts from the request.
    type Extractor;
    /// Whether this input may add query, header or cookie parameters whose
    /// names the macros cannot see. When no input of a handler may, callback
    /// expressions naming such parameters are rejected at compile time;
    /// otherwise they are checked at start-up.
    const OPAQUE_PARAMETERS: bool = true;
    /// The callback group whose trigger this input captures
    /// ([`Trigger`](crate::send::Trigger)); the route macro checks that the group
    /// is attached to the operation.
    const CALLBACK_GROUP: Option<&'static CallbackGroup> = None;
    /// How this input reads the request body.
    const BODY: BodyUse = BodyUse::None;
    /// Whether this input needs values of the request body from the input
    /// that parses it (a trigger whose templates read `$request.body#/…`).
    /// A handler with such an input and no JSON body input is a compile
    /// error.
    const BODY_VALUES: bool = false;

    /// The raw JSON body this input parsed, for the inputs that need its
    /// values ([`ApiInput::BODY_VALUES`]).
    fn parsed_body(_extracted: &Self::Extractor) -> Option<&bytes::Bytes> {
        None
    }

    /// Gives this input the raw JSON body another input parsed, before
    /// [`ApiInput::from_extractor`] (only called when
    /// [`ApiInput::BODY_VALUES`] is true).
    fn receive_body(_extracted: &mut Self::Extractor, _body: Option<&bytes::Bytes>) {}

    /// Turns the extracted value into the handler's argument.
    fn from_extractor(extracted: Self::Extractor) -> Self;
    /// Adds this input's parameters or body to the operation.
    fn describe(operation: &mut OperationBuilder<'_>);
}

/// A handler's arguments: a tuple of [`ApiInput`]s, documented together
/// (and extracted together by the framework's adapter, so that one 422
/// lists the problems of all of them).
///
/// Implemented for tuples of up to 16 inputs, as actix-web's handlers are.
pub trait ApiInputs: Sized {
    /// Whether an input may add parameters the macros cannot see
    /// ([`ApiInput::OPAQUE_PARAMETERS`] of any of them).
    const OPAQUE_PARAMETERS: bool;
    /// The callback group of each input's `Trigger`, in argument order.
    const CALLBACK_GROUPS: &'static [Option<&'static CallbackGroup>];
    /// How each input reads the body, in argument order.
    const BODIES: &'static [BodyUse];
    /// Whether an input needs the body's values ([`ApiInput::BODY_VALUES`]).
    const BODY_VALUES: bool;

    /// Adds every input's parameters or body to the operation.
    fn describe(operation: &mut OperationBuilder<'_>);
}

/// Whether the inputs that need the body's values can get them: one input
/// parses the body as JSON when another needs its values. (A `const fn`,
/// for the route macro's compile-time check.)
pub const fn body_values_available(bodies: &[BodyUse], needed: bool) -> bool {
    if !needed {
        return true;
    }
    let mut i = 0;
    while i < bodies.len() {
        if matches!(bodies[i], BodyUse::Json) {
            return true;
        }
        i += 1;
    }
    false
}

macro_rules! tuple_inputs {
    ($($input:ident),*) => {
        impl<$($input: ApiInput),*> ApiInputs for ($($input,)*) {
            const OPAQUE_PARAMETERS: bool = false $(|| $input::OPAQUE_PARAMETERS)*;
            const CALLBACK_GROUPS: &'static [Option<&'static CallbackGroup>] =
                &[$($input::CALLBACK_GROUP),*];
            const BODIES: &'static [BodyUse] = &[$($input::BODY),*];
            const BODY_VALUES: bool = false $(|| $input::BODY_VALUES)*;

            #[allow(unused_variables)]
            fn describe(operation: &mut OperationBuilder<'_>) {
                $($input::describe(operation);)*
            }
        }
    };
}

tuple_inputs!();
tuple_inputs!(A);
tuple_inputs!(A, B);
tuple_inputs!(A, B, C);
tuple_inputs!(A, B, C, D);
tuple_inputs!(A, B, C, D, E);
tuple_inputs!(A, B, C, D, E, F);
tuple_inputs!(A, B, C, D, E, F, G);
tuple_inputs!(A, B, C, D, E, F, G, H);
tuple_inputs!(A, B, C, D, E, F, G, H, I);
tuple_inputs!(A, B, C, D, E, F, G, H, I, J);
tuple_inputs!(A, B, C, D, E, F, G, H, I, J, K);
tuple_inputs!(A, B, C, D, E, F, G, H, I, J, K, L);
tuple_inputs!(A, B, C, D, E, F, G, H, I, J, K, L, M);
tuple_inputs!(A, B, C, D, E, F, G, H, I, J, K, L, M, N);
tuple_inputs!(A, B, C, D, E, F, G, H, I, J, K, L, M, N, O);
tuple_inputs!(A, B, C, D, E, F, G, H, I, J, K, L, M, N, O, P);
