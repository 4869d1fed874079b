//! A handler's return type as the document sees it. The framework's own
//! types (`web::Json`, `HttpResponse`) are documented in its adapter.

use super::OperationBuilder;

/// A handler's return type, documented as the response for a status code.
///
/// The route macros call it with the operation's success status (200 unless
/// the attribute says `status = …`). Handlers returning `impl Responder`
/// cannot be inspected: declare their responses with `responses(…)`.
#[diagnostic::on_unimplemented(
    message = "`{Self}` is not a documented return type",
    note = "implement `callback_runtime::ApiOutput` for it, or return `impl Responder` and declare the responses with `responses(…)`"
)]
pub trait ApiOutput {
    /// Adds the response for `status` to the operation.
    fn describe(operation: &mut OperationBuilder<'_>, status: u16);
}

impl<T: ApiOutput, E> ApiOutput for Result<T, E> {
    fn describe(operation: &mut OperationBuilder<'_>, status: u16) {
        T::describe(operation, status);
    }
}

impl ApiOutput for String {
    fn describe(operation: &mut OperationBuilder<'_>, status: u16) {
        operation.text_response(status, None);
    }
}

impl ApiOutput for &'static str {
    fn describe(operation: &mut OperationBuilder<'_>, status: u16) {
        operation.text_response(status, None);
    }
}

impl ApiOutput for () {
    fn describe(operation: &mut OperationBuilder<'_>, status: u16) {
        operation.empty_response(status, None);
    }
}
