//! The return types of actix-web handlers, documented.

use actix_web::{web, HttpResponse};
use schemars::JsonSchema;

use crate::describe::{ApiOutput, OperationBuilder};

impl<T: JsonSchema> ApiOutput for web::Json<T> {
    fn describe(operation: &mut OperationBuilder<'_>, status: u16) {
        operation.json_response::<T>(status, None);
    }
}

impl<B> ApiOutput for HttpResponse<B> {
    fn describe(operation: &mut OperationBuilder<'_>, status: u16) {
        operation.fallback_response(status);
    }
}
