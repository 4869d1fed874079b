//! The 422 with actix-web: the failures of a handler's extractors gathered
//! into one answer, and the response of each error type.

use actix_web::http::StatusCode;
use actix_web::{HttpRequest, HttpResponse, ResponseError};

use crate::describe::validation::HttpValidationError;
use crate::serve::problems::{answer, InputError, OperationInputs};

impl ResponseError for HttpValidationError {
    fn status_code(&self) -> StatusCode {
        StatusCode::UNPROCESSABLE_ENTITY
    }

    fn error_response(&self) -> HttpResponse {
        HttpResponse::build(self.status_code()).json(self)
    }
}

impl ResponseError for InputError {
    fn status_code(&self) -> StatusCode {
        StatusCode::UNPROCESSABLE_ENTITY
    }

    fn error_response(&self) -> HttpResponse {
        HttpResponse::build(self.status_code()).json(self.response_body())
    }
}

/// The failures of a handler's extractors, gathered by
/// [`serve`](super::endpoint::serve).
#[doc(hidden)]
#[derive(Default)]
pub struct Problems {
    inputs: Vec<InputError>,
    other: Option<actix_web::Error>,
}

impl Problems {
    /// The extracted value, or `None` after noting why there is none.
    pub fn take<T, E: Into<actix_web::Error>>(&mut self, extracted: Result<T, E>) -> Option<T> {
        match extracted {
            Ok(value) => Some(value),
            Err(error) => {
                self.note(error.into());
                None
            }
        }
    }

    /// The work of [`take`](Self::take) on an error, compiled once.
    fn note(&mut self, error: actix_web::Error) {
        match error.as_error::<InputError>() {
            Some(input) => self.inputs.push(input.clone()),
            None => {
                self.other.get_or_insert(error);
            }
        }
    }

    /// The answer to the request: the first failure that is not about the
    /// input's content as it is (a body too large, a header actix-web could
    /// not parse), or else one 422 listing every problem found.
    pub fn into_error(
        self,
        operation: &OperationInputs,
        request: &HttpRequest,
    ) -> actix_web::Error {
        if let Some(other) = self.other {
            return other;
        }
        answer(operation, &self.inputs, || {
            request
                .match_info()
                .iter()
                .map(|(name, _)| name.to_owned())
                .collect()
        })
        .into()
    }
}
