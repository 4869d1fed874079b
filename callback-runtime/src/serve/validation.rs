//! The 422 response to malformed input, in FastAPI's shape:
//! `{"detail":[{"loc":["body","total"],"msg":"…","type":"…"}]}`.

use std::fmt;

use actix_web::http::StatusCode;
use actix_web::{HttpResponse, ResponseError};
use schemars::JsonSchema;
use serde::Serialize;

/// The body of a 422 response.
#[derive(Debug, Clone, Serialize, JsonSchema, PartialEq)]
#[schemars(rename = "HTTPValidationError")]
pub struct HttpValidationError {
    /// One entry per problem found.
    pub detail: Vec<ValidationError>,
}

/// One problem with the request.
#[derive(Debug, Clone, Serialize, JsonSchema, PartialEq)]
pub struct ValidationError {
    /// Where: the request part (`body`, `query`, `path`), then field names
    /// and array indices.
    pub loc: Vec<LocationItem>,
    /// What is wrong, for people.
    pub msg: String,
    /// What is wrong, for programs: `json_invalid`, `missing`,
    /// `invalid_type`, `invalid_value`, `unknown_field`, `content_type`,
    /// `payload`.
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

    /// Describes a serde error at `path` inside the request part `part`.
    pub(crate) fn from_serde(
        part: &str,
        path: &serde_path_to_error::Path,
        message: &str,
        syntax: bool,
    ) -> Self {
        let mut loc = vec![LocationItem::Name(part.to_owned())];
        for segment in path {
            use serde_path_to_error::Segment;
            match segment {
                Segment::Seq { index } => loc.push(LocationItem::Index(*index)),
                Segment::Map { key } => loc.push(LocationItem::Name(key.clone())),
                Segment::Enum { variant } => loc.push(LocationItem::Name(variant.clone())),
                Segment::Unknown => {}
            }
        }
        let message = strip_position(message);
        let (msg, kind) = if syntax {
            (format!("Invalid JSON: {message}"), "json_invalid")
        } else if let Some(field) = quoted_after(message, "missing field ") {
            loc.push(LocationItem::Name(field.to_owned()));
            ("Field required".to_owned(), "missing")
        } else if let Some(field) = quoted_after(message, "unknown field ") {
            loc.push(LocationItem::Name(field.to_owned()));
            (message.to_owned(), "unknown_field")
        } else if message.starts_with("invalid type") {
            (message.to_owned(), "invalid_type")
        } else {
            (message.to_owned(), "invalid_value")
        };
        HttpValidationError::single(loc, msg, kind)
    }
}

/// serde_json appends " at line L column C"; the location says where.
fn strip_position(message: &str) -> &str {
    match message.rfind(" at line ") {
        Some(i) if message[i..].contains(" column ") => &message[..i],
        _ => message,
    }
}

/// The text between backticks right after `prefix`.
fn quoted_after<'m>(message: &'m str, prefix: &str) -> Option<&'m str> {
    let rest = message.strip_prefix(prefix)?.strip_prefix('`')?;
    rest.split('`').next()
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

impl ResponseError for HttpValidationError {
    fn status_code(&self) -> StatusCode {
        StatusCode::UNPROCESSABLE_ENTITY
    }

    fn error_response(&self) -> HttpResponse {
        HttpResponse::build(self.status_code()).json(self)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn strips_serde_json_position() {
        assert_eq!(
            strip_position("missing field `a` at line 1 column 2"),
            "missing field `a`"
        );
        assert_eq!(strip_position("no position"), "no position");
    }

    #[derive(Debug, serde::Deserialize)]
    #[allow(dead_code)]
    struct Line {
        sku: String,
        quantity: u32,
    }

    #[derive(Debug, serde::Deserialize)]
    #[allow(dead_code)]
    struct Order {
        lines: Vec<Line>,
    }

    fn error_for(body: &str) -> serde_json::Value {
        let error = crate::serve::extract::parse_json::<Order>(body.as_bytes()).unwrap_err();
        serde_json::to_value(&error).unwrap()
    }

    #[test]
    fn missing_field_goes_into_loc() {
        assert_eq!(
            error_for(r#"{"lines": [{"sku": "a", "quantity": 1}, {"quantity": 2}]}"#),
            serde_json::json!({"detail":[{"loc":["body","lines",1,"sku"],"msg":"Field required","type":"missing"}]})
        );
    }

    #[test]
    fn wrong_type_is_located() {
        assert_eq!(
            error_for(r#"{"lines": [{"sku": "a", "quantity": -1}]}"#),
            serde_json::json!({"detail":[{"loc":["body","lines",0,"quantity"],"msg":"invalid value: integer `-1`, expected u32","type":"invalid_value"}]})
        );
    }
}
