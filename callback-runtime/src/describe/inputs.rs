use actix_web::dev::{ConnectionInfo, PeerAddr};
use actix_web::http::header::Header as TypedHeader;
use actix_web::http::Method;
use actix_web::{web, FromRequest, HttpRequest};
use schemars::JsonSchema;
use serde::de::DeserializeOwned;

use super::OperationBuilder;
use crate::openapi::{Parameter, ParameterIn};
use crate::serve::extract::{Cookies, Headers, ValidJson, ValidPath, ValidQuery};

/// A handler argument: how it is extracted and how it is documented.
///
/// The route macros call the handler through a wrapper whose arguments are
/// the `Extractor`s, so that `web::Json`, `web::Query` and `web::Path` answer
/// malformed input with the documented 422 body instead of actix-web's plain
/// text errors. To use a custom extractor in an annotated handler, implement
/// this trait with `type Extractor = Self`:
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
    /// What actix-web extracts from the request.
    type Extractor: FromRequest;
    /// Whether this input may add query, header or cookie parameters whose
    /// names the macros cannot see. When no input of a handler may, callback
    /// expressions naming such parameters are rejected at compile time;
    /// otherwise they are checked at start-up.
    const OPAQUE_PARAMETERS: bool = true;
    /// The callback group whose trigger this input captures
    /// ([`Trigger`](crate::send::Trigger)); the route macro checks that the group
    /// is attached to the operation.
    const CALLBACK_GROUP: Option<&'static crate::CallbackGroup> = None;
    /// Turns the extracted value into the handler's argument.
    fn from_extractor(extracted: Self::Extractor) -> Self;
    /// Adds this input's parameters or body to the operation.
    fn describe(operation: &mut OperationBuilder<'_>);
}

impl<T: DeserializeOwned + JsonSchema> ApiInput for web::Json<T> {
    type Extractor = ValidJson<T>;
    const OPAQUE_PARAMETERS: bool = false;

    fn from_extractor(extracted: ValidJson<T>) -> Self {
        web::Json(extracted.0)
    }

    fn describe(operation: &mut OperationBuilder<'_>) {
        operation.json_body::<T>().validates_input();
    }
}

impl<T: DeserializeOwned + JsonSchema> ApiInput for web::Query<T> {
    type Extractor = ValidQuery<T>;

    fn from_extractor(extracted: ValidQuery<T>) -> Self {
        web::Query(extracted.0)
    }

    fn describe(operation: &mut OperationBuilder<'_>) {
        operation
            .parameters_from::<T>(ParameterIn::Query)
            .validates_input();
    }
}

impl<T: DeserializeOwned + JsonSchema> ApiInput for web::Path<T> {
    type Extractor = ValidPath<T>;
    const OPAQUE_PARAMETERS: bool = false;

    fn from_extractor(extracted: ValidPath<T>) -> Self {
        web::Path::from(extracted.0)
    }

    fn describe(operation: &mut OperationBuilder<'_>) {
        operation
            .parameters_from::<T>(ParameterIn::Path)
            .validates_input();
    }
}

impl<H: TypedHeader> ApiInput for web::Header<H> {
    type Extractor = Self;

    fn from_extractor(extracted: Self) -> Self {
        extracted
    }

    fn describe(operation: &mut OperationBuilder<'_>) {
        operation.parameter(Parameter {
            name: H::name().as_str().to_owned(),
            location: ParameterIn::Header,
            description: None,
            required: true,
            schema: serde_json::json!({"type": "string"}),
        });
    }
}

impl<T: DeserializeOwned + JsonSchema> ApiInput for Headers<T> {
    type Extractor = Self;

    fn from_extractor(extracted: Self) -> Self {
        extracted
    }

    fn describe(operation: &mut OperationBuilder<'_>) {
        operation
            .parameters_from::<T>(ParameterIn::Header)
            .validates_input();
    }
}

impl<T: DeserializeOwned + JsonSchema> ApiInput for Cookies<T> {
    type Extractor = Self;

    fn from_extractor(extracted: Self) -> Self {
        extracted
    }

    fn describe(operation: &mut OperationBuilder<'_>) {
        operation
            .parameters_from::<T>(ParameterIn::Cookie)
            .validates_input();
    }
}

/// Extractors that carry no documented input.
macro_rules! undocumented_inputs {
    ($($(#[$generics:meta])* [$($param:tt)*] $ty:ty;)*) => {$(
        impl<$($param)*> ApiInput for $ty {
            type Extractor = Self;
            const OPAQUE_PARAMETERS: bool = false;

            fn from_extractor(extracted: Self) -> Self {
                extracted
            }

            fn describe(_: &mut OperationBuilder<'_>) {}
        }
    )*};
}

undocumented_inputs! {
    [] HttpRequest;
    [] web::Payload;
    [] web::Bytes;
    [] String;
    [] Method;
    [] ConnectionInfo;
    [] PeerAddr;
    [T: ?Sized + 'static] web::Data<T>;
    [T: Clone + 'static] web::ReqData<T>;
}
