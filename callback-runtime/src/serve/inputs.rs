//! A handler's arguments as one tuple type, extracted together.
//!
//! Kept apart from [`serve`](super::endpoint::serve): the compiler groups a
//! generic function's instances by the module that defines it, and an edit
//! to a handler's body recompiles the instances of `serve` for it, but
//! need not recompile the extraction of every handler's arguments.

use std::future::Future;

use actix_web::dev::Payload;
use actix_web::{FromRequest, HttpRequest};

use super::problems::Problems;
use crate::describe::{ApiInput, CallbackGroup, OperationBuilder};

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
