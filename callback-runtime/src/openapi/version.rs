//! The version of the OpenAPI Specification a document declares.

use std::fmt;

use serde::Serialize;

/// The version of the OpenAPI Specification a document follows, written in
/// its `openapi` field. Chosen with
/// [`Api::openapi_version`](crate::Api::openapi_version).
///
/// The parts of the specification this crate writes mean the same in both
/// versions (`webhooks`, `components/pathItems`, path items by `$ref`,
/// JSON Schema 2020-12), so one API gives the same document in either,
/// but for the `openapi` field; each is valid for the version it declares.
///
/// ```
/// use callback_runtime::openapi::OpenApiVersion;
///
/// assert_eq!(OpenApiVersion::default(), OpenApiVersion::V3_1);
/// assert_eq!(OpenApiVersion::V3_2.as_str(), "3.2.0");
/// assert_eq!("3.2".parse(), Ok(OpenApiVersion::V3_2));
/// assert_eq!(serde_json::to_value(OpenApiVersion::V3_1).unwrap(), "3.1.0");
/// ```
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Default, Serialize)]
pub enum OpenApiVersion {
    /// OpenAPI 3.1.0 (February 2021), the default: what most tools read.
    #[default]
    #[serde(rename = "3.1.0")]
    V3_1,
    /// OpenAPI 3.2.0 (September 2025).
    #[serde(rename = "3.2.0")]
    V3_2,
}

impl OpenApiVersion {
    /// The value of the document's `openapi` field: `"3.1.0"` or `"3.2.0"`.
    pub const fn as_str(self) -> &'static str {
        match self {
            OpenApiVersion::V3_1 => "3.1.0",
            OpenApiVersion::V3_2 => "3.2.0",
        }
    }
}

impl fmt::Display for OpenApiVersion {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

/// A version that is not one this crate writes, from
/// [`OpenApiVersion`]'s `FromStr`.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct UnknownVersion(String);

impl fmt::Display for UnknownVersion {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(
            f,
            "unknown OpenAPI version `{}`: expected 3.1 (3.1.0) or 3.2 (3.2.0)",
            self.0
        )
    }
}

impl std::error::Error for UnknownVersion {}

impl std::str::FromStr for OpenApiVersion {
    type Err = UnknownVersion;

    /// Reads `3.1`, `3.1.0`, `3.2` or `3.2.0`.
    fn from_str(s: &str) -> Result<Self, Self::Err> {
        match s.trim() {
            "3.1" | "3.1.0" => Ok(OpenApiVersion::V3_1),
            "3.2" | "3.2.0" => Ok(OpenApiVersion::V3_2),
            other => Err(UnknownVersion(other.to_owned())),
        }
    }
}
