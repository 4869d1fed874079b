//! Document metadata: contact, license, servers, tags, external docs.

use serde::Serialize;

/// Who to contact about the API.
#[derive(Debug, Clone, Serialize, PartialEq, Default)]
pub struct Contact {
    /// A person or organisation.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub name: Option<String>,
    /// A URL with contact information.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub url: Option<String>,
    /// An email address.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub email: Option<String>,
}

/// The API's license: an SPDX `identifier` or a `url`, not both.
#[derive(Debug, Clone, Serialize, PartialEq, Default)]
pub struct License {
    /// The license's name, e.g. "Apache 2.0".
    pub name: String,
    /// An SPDX expression, e.g. "Apache-2.0".
    #[serde(skip_serializing_if = "Option::is_none")]
    pub identifier: Option<String>,
    /// A URL to the license text.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub url: Option<String>,
}

/// A server the API is reachable at.
#[derive(Debug, Clone, Serialize, PartialEq)]
pub struct Server {
    /// The server's URL (may be relative to the document).
    pub url: String,
    /// What this server is, e.g. "Production".
    #[serde(skip_serializing_if = "Option::is_none")]
    pub description: Option<String>,
}

/// A tag with its description.
#[derive(Debug, Clone, Serialize, PartialEq)]
pub struct Tag {
    /// The tag, as used by operations.
    pub name: String,
    /// What the operations of this tag have in common; CommonMark.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub description: Option<String>,
    /// Further documentation for the tag.
    #[serde(rename = "externalDocs", skip_serializing_if = "Option::is_none")]
    pub external_docs: Option<ExternalDocs>,
}

/// A link to documentation outside the document.
#[derive(Debug, Clone, Serialize, PartialEq)]
pub struct ExternalDocs {
    /// Where it is.
    pub url: String,
    /// What it is.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub description: Option<String>,
}
