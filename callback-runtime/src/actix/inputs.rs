//! Handler arguments with actix-web: [`ApiInput`] for actix-web's own
//! extractors and this crate's, and the extraction of a handler's
//! arguments as one tuple.
//!
//! The tuple's extraction is kept apart from [`serve`](super::endpoint::serve):
//! the compiler groups a generic function's instances by the module that
//! defines it, and an edit to a handler's body recompiles the instances of
//! `serve` for it, but need not recompile the extraction of every handler's
//! arguments.

use std::future::Future;

use actix_web::dev::{ConnectionInfo, Payload, PeerAddr};
use actix_web::http::header::Header as TypedHeader;
use actix_web::http::Method;
use actix_web::{web, FromRequest, HttpRequest};
use schemars::JsonSchema;
use serde::de::DeserializeOwned;

use super::extract::{Cookies, Headers, ValidJson, ValidPath, ValidQuery};
use super::problems::Problems;
use crate::describe::{ApiInput, ApiInputs, BodyUse, OperationBuilder};
use crate::openapi::{Parameter, ParameterIn};

/// The extraction of a handler's arguments (an [`ApiInputs`] tuple whose
/// extractors are actix-web's `FromRequest`s).
pub trait ExtractInputs: ApiInputs {
    /// Runs every input's extractor, noting each failure; `None` when one
    /// failed. The JSON body, if an input parsed it, is handed to the inputs
    /// that need its values before the arguments are made.
    fn extract(
        request: &HttpRequest,
        payload: &mut Payload,
        problems: &mut Problems,
    ) -> impl Future<Output = Option<Self>>;
}

macro_rules! tuple_extraction {
    ($($input:ident $value:ident),*) => {
        impl<$($input: ApiInput),*> ExtractInputs for ($($input,)*)
        where
            $($input::Extractor: FromRequest,)*
        {
            #[allow(unused_variables, unused_mut)]
            async fn extract(
                request: &HttpRequest,
                payload: &mut Payload,
                problems: &mut Problems,
            ) -> Option<Self> {
                // Every extractor runs, so that one answer lists every
                // problem; then any failure ends it.
                $(
                    let $value = problems.take(
                        <$input::Extractor as FromRequest>::from_request(request, payload).await,
                    );
                )*
                $(let mut $value = $value?;)*
                if <Self as ApiInputs>::BODY_VALUES {
                    let mut parsed: Option<&bytes::Bytes> = None;
                    $(
                        if parsed.is_none() {
                            parsed = $input::parsed_body(&$value);
                        }
                    )*
                    let body = parsed.cloned();
                    $(
                        if $input::BODY_VALUES {
                            $input::receive_body(&mut $value, body.as_ref());
                        }
                    )*
                }
                Some(($($input::from_extractor($value),)*))
            }
        }
    };
}

tuple_extraction!();
tuple_extraction!(A a);
tuple_extraction!(A a, B b);
tuple_extraction!(A a, B b, C c);
tuple_extraction!(A a, B b, C c, D d);
tuple_extraction!(A a, B b, C c, D d, E e);
tuple_extraction!(A a, B b, C c, D d, E e, F f);
tuple_extraction!(A a, B b, C c, D d, E e, F f, G g);
tuple_extraction!(A a, B b, C c, D d, E e, F f, G g, H h);
tuple_extraction!(A a, B b, C c, D d, E e, F f, G g, H h, I i);
tuple_extraction!(A a, B b, C c, D d, E e, F f, G g, H h, I i, J j);
tuple_extraction!(A a, B b, C c, D d, E e, F f, G g, H h, I i, J j, K k);
tuple_extraction!(A a, B b, C c, D d, E e, F f, G g, H h, I i, J j, K k, L l);
tuple_extraction!(A a, B b, C c, D d, E e, F f, G g, H h, I i, J j, K k, L l, M m);
tuple_extraction!(A a, B b, C c, D d, E e, F f, G g, H h, I i, J j, K k, L l, M m, N n);
tuple_extraction!(A a, B b, C c, D d, E e, F f, G g, H h, I i, J j, K k, L l, M m, N n, O o);
tuple_extraction!(A a, B b, C c, D d, E e, F f, G g, H h, I i, J j, K k, L l, M m, N n, O o, P p);

impl<T: DeserializeOwned + JsonSchema> ApiInput for web::Json<T> {
    type Extractor = ValidJson<T>;
    const OPAQUE_PARAMETERS: bool = false;
    const BODY: BodyUse = BodyUse::Json;

    fn parsed_body(extracted: &ValidJson<T>) -> Option<&bytes::Bytes> {
        extracted.raw()
    }

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
    ($($(#[$generics:meta])* [$($param:tt)*] $ty:ty => $body:ident;)*) => {$(
        impl<$($param)*> ApiInput for $ty {
            type Extractor = Self;
            const OPAQUE_PARAMETERS: bool = false;
            const BODY: BodyUse = BodyUse::$body;

            fn from_extractor(extracted: Self) -> Self {
                extracted
            }

            fn describe(_: &mut OperationBuilder<'_>) {}
        }
    )*};
}

undocumented_inputs! {
    [] HttpRequest => None;
    [] web::Payload => Opaque;
    [] web::Bytes => Opaque;
    [] String => Opaque;
    [] Method => None;
    [] ConnectionInfo => None;
    [] PeerAddr => None;
    [T: ?Sized + 'static] web::Data<T> => None;
    [T: Clone + 'static] web::ReqData<T> => None;
}
