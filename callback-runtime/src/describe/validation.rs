//! The 422 response to malformed input, in FastAPI's shape:
//! `{"detail":[{"loc":["body","total"],"msg":"…","type":"…"}]}`.

use std::fmt;

use schemars::JsonSchema;
use serde::Serialize;

/// The body of a 422 response.
#[derive(Debug, Clone, Serialize, JsonSchema, PartialEq)]
#[schemars(rename = "HTTPValidationError", extend("additionalProperties" = false))]
pub struct HttpValidationError {
    /// One entry per problem found.
    pub detail: Vec<ValidationError>,
}

/// One problem with the request.
#[derive(Debug, Clone, Serialize, JsonSchema, PartialEq)]
#[schemars(extend("additionalProperties" = false))]
pub struct ValidationError {
    /// Where: the request part (`path`, `query`, `header`, `cookie`,
    /// `body`), then field names and array indices. Entries are listed in
    /// that order of parts.
    pub loc: Vec<LocationItem>,
    /// What is wrong, for people.
    pub msg: String,
    /// What is wrong, for programs: pydantic v2's error type where one
    /// fits: `missing`, `json_invalid`, `string_type`, `int_type`,
    /// `int_from_float`, `int_parsing`, `float_type`, `float_parsing`,
    /// `bool_type`, `bool_parsing`, `list_type`, `dict_type`, `model_type`,
    /// `none_required`, `enum`, `literal_error`, `extra_forbidden`,
    /// `url_parsing`, `greater_than_equal`, `greater_than`,
    /// `less_than_equal`, `less_than`, `too_short`, `too_long`,
    /// `string_too_short`, `string_too_long`, and `value_error` for a
    /// problem only the type's own deserializer knows (its message is
    /// serde's). This crate's own, where pydantic has none: `content_type`
    /// (the body is not JSON), `payload` (the body could not be read, e.g.
    /// too large: status 413), `method_not_allowed` (405), `signature`
    /// (401, on a receiver of signed callbacks).
    #[serde(rename = "type")]
    pub kind: String,
}

/// A step of a [`ValidationError`]'s location.
#[derive(Debug, Clone, Serialize, JsonSchema, PartialEq)]
#[serde(untagged)]
pub enum LocationItem {
    /// A request part or a field name.
    Name(String),
    /// An index into an array.
    Index(usize),
}

impl HttpValidationError {
    /// A response body with one problem.
    pub fn single(loc: Vec<LocationItem>, msg: impl Into<String>, kind: &str) -> Self {
        HttpValidationError {
            detail: vec![ValidationError {
                loc,
                msg: msg.into(),
                kind: kind.to_owned(),
            }],
        }
    }
}

impl fmt::Display for HttpValidationError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        for (i, e) in self.detail.iter().enumerate() {
            if i > 0 {
                f.write_str("; ")?;
            }
            write!(f, "{}", e.msg)?;
        }
        Ok(())
    }
}
