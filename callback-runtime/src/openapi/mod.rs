//! The OpenAPI document model (3.1.0 and 3.2.0): the subset of the
//! specification this crate writes, serialized with serde in the
//! specification's field names.
//!
//! Schemas are JSON Schema 2020-12 values produced by `schemars`, kept as
//! [`serde_json::Value`].

mod metadata;
mod security;
mod signatures;
mod version;

use std::collections::BTreeMap;

use indexmap::IndexMap;
use serde::Serialize;
use serde_json::Value;

pub use metadata::{Contact, ExternalDocs, License, Server, Tag};
pub use security::{ApiKeyLocation, OAuthFlow, OAuthFlows, SecurityRequirement, SecurityScheme};
pub use signatures::{
    SignatureScheme, StandardWebhooks, STANDARD_WEBHOOKS, STANDARD_WEBHOOKS_HEADERS, TRACEPARENT,
};
pub use version::{OpenApiVersion, UnknownVersion};

/// The root of an OpenAPI document.
#[derive(Debug, Clone, Serialize, PartialEq)]
pub struct OpenApi {
    /// The version of the specification the document follows, set with
    /// [`Api::openapi_version`](crate::Api::openapi_version) (3.1.0 unless
    /// set).
    pub openapi: OpenApiVersion,
    /// Title, version and description of the API.
    pub info: Info,
    /// Where the API is served.
    #[serde(skip_serializing_if = "Vec::is_empty")]
    pub servers: Vec<Server>,
    /// The mounted operations, by path template, in the order they are
    /// mounted.
    pub paths: IndexMap<String, PathItem>,
    /// Requests the API sends on its own initiative, by name, in the order
    /// they are declared.
    #[serde(skip_serializing_if = "IndexMap::is_empty")]
    pub webhooks: IndexMap<String, PathItem>,
    /// Reusable schemas, path items (of shared callbacks) and security
    /// schemes.
    #[serde(skip_serializing_if = "Components::is_empty")]
    pub components: Components,
    /// Security required by every operation that does not say otherwise.
    #[serde(skip_serializing_if = "Vec::is_empty")]
    pub security: Vec<SecurityRequirement>,
    /// Tags with their descriptions, in display order.
    #[serde(skip_serializing_if = "Vec::is_empty")]
    pub tags: Vec<Tag>,
    /// Further documentation.
    #[serde(rename = "externalDocs", skip_serializing_if = "Option::is_none")]
    pub external_docs: Option<ExternalDocs>,
}

/// The `info` object.
#[derive(Debug, Clone, Serialize, PartialEq)]
pub struct Info {
    /// The API's title.
    pub title: String,
    /// The API's version (not the OpenAPI version).
    pub version: String,
    /// A longer description; CommonMark.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub description: Option<String>,
    /// A URL to the terms of service.
    #[serde(rename = "termsOfService", skip_serializing_if = "Option::is_none")]
    pub terms_of_service: Option<String>,
    /// Who to contact about the API.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub contact: Option<Contact>,
    /// The API's license.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub license: Option<License>,
}

/// The operations of one path, by lower-case HTTP method.
pub type PathItem = BTreeMap<&'static str, Operation>;

/// One operation: a method on a path, or a callback request.
#[derive(Debug, Clone, Serialize, PartialEq, Default)]
#[serde(rename_all = "camelCase")]
pub struct Operation {
    /// Tags grouping the operation in documentation tools.
    #[serde(skip_serializing_if = "Vec::is_empty")]
    pub tags: Vec<String>,
    /// A short summary (first paragraph of the doc comment).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub summary: Option<String>,
    /// The rest of the doc comment; CommonMark.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub description: Option<String>,
    /// Unique across the whole document.
    pub operation_id: String,
    /// Path, query, header and cookie parameters.
    #[serde(skip_serializing_if = "Vec::is_empty")]
    pub parameters: Vec<Parameter>,
    /// The request body, if the operation takes one.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub request_body: Option<RequestBody>,
    /// Responses by status code.
    pub responses: BTreeMap<String, Response>,
    /// Callbacks by name, in the order they apply: enclosing scopes' groups
    /// first. The callback of a group attached to several operations refers
    /// to its path item in `components/pathItems`.
    #[serde(skip_serializing_if = "IndexMap::is_empty")]
    pub callbacks: IndexMap<String, Callback>,
    /// Whether the operation is deprecated.
    #[serde(skip_serializing_if = "std::ops::Not::not")]
    pub deprecated: bool,
    /// Security for this operation: `None` inherits the document's, an
    /// empty list means none.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub security: Option<Vec<SecurityRequirement>>,
    /// Specification extensions (`x-…`), such as
    /// `x-optional-expressions` and `x-standard-webhooks` on a callback
    /// request.
    #[serde(flatten)]
    pub extensions: BTreeMap<String, Value>,
}

/// The extension listing the expressions of a callback's URL that may have
/// no value (an optional parameter, a body property that is not required):
/// when one is missing, the callback cannot be sent.
pub const OPTIONAL_EXPRESSIONS: &str = "x-optional-expressions";

/// Where a parameter is read from.
#[derive(Debug, Clone, Copy, Serialize, PartialEq, Eq, Hash, PartialOrd, Ord)]
#[serde(rename_all = "lowercase")]
pub enum ParameterIn {
    /// A `{name}` segment of the path.
    Path,
    /// A query-string parameter.
    Query,
    /// A request header.
    Header,
    /// A cookie.
    Cookie,
}

/// An operation's parameter.
#[derive(Debug, Clone, Serialize, PartialEq)]
pub struct Parameter {
    /// Its name (case-insensitive for headers).
    pub name: String,
    /// Where it is read from.
    #[serde(rename = "in")]
    pub location: ParameterIn,
    /// A description; CommonMark.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub description: Option<String>,
    /// Path parameters are always required.
    pub required: bool,
    /// The parameter's JSON Schema.
    pub schema: Value,
}

/// An operation's request body.
#[derive(Debug, Clone, Serialize, PartialEq)]
pub struct RequestBody {
    /// Schemas by media type.
    pub content: BTreeMap<String, MediaType>,
    /// Whether the body must be present.
    pub required: bool,
}

/// A schema for one media type.
#[derive(Debug, Clone, Serialize, PartialEq)]
pub struct MediaType {
    /// The body's JSON Schema (usually a `$ref`).
    pub schema: Value,
}

/// One response of an operation.
#[derive(Debug, Clone, Serialize, PartialEq)]
pub struct Response {
    /// Required by the specification.
    pub description: String,
    /// Response headers by name.
    #[serde(skip_serializing_if = "BTreeMap::is_empty")]
    pub headers: BTreeMap<String, Header>,
    /// Body schemas by media type; empty for a response without a body.
    #[serde(skip_serializing_if = "BTreeMap::is_empty")]
    pub content: BTreeMap<String, MediaType>,
}

/// A response header.
#[derive(Debug, Clone, Serialize, PartialEq)]
pub struct Header {
    /// What the header carries.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub description: Option<String>,
    /// The header value's schema.
    pub schema: Value,
}

/// A callback: the requests the API makes, keyed by their runtime-expression
/// URL template, each written in place or referring to
/// `components/pathItems`.
pub type Callback = BTreeMap<String, RefOr<PathItem>>;

/// Reusable parts of the document.
#[derive(Debug, Clone, Serialize, PartialEq, Default)]
pub struct Components {
    /// Schemas by name, referenced as `#/components/schemas/NAME`.
    #[serde(skip_serializing_if = "serde_json::Map::is_empty")]
    pub schemas: serde_json::Map<String, Value>,
    /// The requests of callbacks shared by several operations, by callback
    /// name, referenced from each operation's callback as
    /// `#/components/pathItems/NAME`.
    #[serde(rename = "pathItems", skip_serializing_if = "BTreeMap::is_empty")]
    pub path_items: BTreeMap<String, PathItem>,
    /// Security schemes by name, used by security requirements.
    #[serde(rename = "securitySchemes", skip_serializing_if = "BTreeMap::is_empty")]
    pub security_schemes: BTreeMap<String, SecurityScheme>,
}

impl Components {
    fn is_empty(&self) -> bool {
        self.schemas.is_empty() && self.path_items.is_empty() && self.security_schemes.is_empty()
    }
}

/// An object written in place, or a reference to one in `components`.
#[derive(Debug, Clone, Serialize, PartialEq)]
#[serde(untagged)]
pub enum RefOr<T> {
    /// `{"$ref": "#/components/…"}`
    Ref {
        /// The JSON reference.
        #[serde(rename = "$ref")]
        reference: String,
    },
    /// The object itself.
    Item(T),
}

impl Response {
    /// A response whose body is JSON of the given schema.
    pub fn json(description: impl Into<String>, schema: Value) -> Self {
        Response {
            description: description.into(),
            headers: BTreeMap::new(),
            content: BTreeMap::from([("application/json".to_owned(), MediaType { schema })]),
        }
    }

    /// A response without a body.
    pub fn empty(description: impl Into<String>) -> Self {
        Response {
            description: description.into(),
            headers: BTreeMap::new(),
            content: BTreeMap::new(),
        }
    }
}
