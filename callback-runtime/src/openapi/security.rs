//! Security schemes and requirements.

use std::collections::BTreeMap;

use serde::Serialize;

/// Scheme names and the scopes they require (empty for non-OAuth schemes).
pub type SecurityRequirement = BTreeMap<String, Vec<String>>;

/// How a client authenticates. Declared once with
/// [`Api::security_scheme`](crate::Api::security_scheme) and required by
/// name.
///
/// ```
/// use callback_runtime::openapi::{ApiKeyLocation, SecurityScheme};
///
/// let bearer = SecurityScheme::bearer(Some("JWT"));
/// let key = SecurityScheme::api_key("X-API-Key", ApiKeyLocation::Header);
/// assert_eq!(
///     serde_json::to_value(&key).unwrap(),
///     serde_json::json!({"type": "apiKey", "name": "X-API-Key", "in": "header"})
/// );
/// # let _ = bearer;
/// ```
#[derive(Debug, Clone, Serialize, PartialEq)]
#[serde(tag = "type")]
#[allow(
    clippy::large_enum_variant,
    reason = "built a few times at start-up; boxing would only complicate construction"
)]
pub enum SecurityScheme {
    /// A key in a header, query parameter or cookie.
    #[serde(rename = "apiKey")]
    ApiKey {
        /// The header, parameter or cookie name.
        name: String,
        /// Where the key is sent.
        #[serde(rename = "in")]
        location: ApiKeyLocation,
        /// More about the scheme.
        #[serde(skip_serializing_if = "Option::is_none")]
        description: Option<String>,
    },
    /// HTTP authentication (`Authorization` header), e.g. `bearer` or `basic`.
    #[serde(rename = "http")]
    Http {
        /// The HTTP authentication scheme (RFC 7235), e.g. `bearer`.
        scheme: String,
        /// A hint at the bearer token's format, e.g. `JWT`.
        #[serde(rename = "bearerFormat", skip_serializing_if = "Option::is_none")]
        bearer_format: Option<String>,
        /// More about the scheme.
        #[serde(skip_serializing_if = "Option::is_none")]
        description: Option<String>,
    },
    /// OAuth 2 with its flows.
    #[serde(rename = "oauth2")]
    OAuth2 {
        /// The flows the API supports.
        flows: OAuthFlows,
        /// More about the scheme.
        #[serde(skip_serializing_if = "Option::is_none")]
        description: Option<String>,
    },
    /// OpenID Connect discovery.
    #[serde(rename = "openIdConnect")]
    OpenIdConnect {
        /// The discovery document's URL.
        #[serde(rename = "openIdConnectUrl")]
        url: String,
        /// More about the scheme.
        #[serde(skip_serializing_if = "Option::is_none")]
        description: Option<String>,
    },
}

impl SecurityScheme {
    /// HTTP bearer authentication, with an optional token format hint.
    pub fn bearer(format: Option<&str>) -> Self {
        SecurityScheme::Http {
            scheme: "bearer".to_owned(),
            bearer_format: format.map(str::to_owned),
            description: None,
        }
    }

    /// An API key sent as `name` in a header, query parameter or cookie.
    pub fn api_key(name: &str, location: ApiKeyLocation) -> Self {
        SecurityScheme::ApiKey {
            name: name.to_owned(),
            location,
            description: None,
        }
    }
}

/// Where an API key is sent.
#[derive(Debug, Clone, Copy, Serialize, PartialEq, Eq)]
#[serde(rename_all = "lowercase")]
pub enum ApiKeyLocation {
    /// A request header.
    Header,
    /// A query parameter.
    Query,
    /// A cookie.
    Cookie,
}

/// The OAuth 2 flows a scheme supports.
#[derive(Debug, Clone, Serialize, PartialEq, Default)]
#[serde(rename_all = "camelCase")]
pub struct OAuthFlows {
    /// The implicit flow.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub implicit: Option<OAuthFlow>,
    /// The resource owner password flow.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub password: Option<OAuthFlow>,
    /// The client credentials flow.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub client_credentials: Option<OAuthFlow>,
    /// The authorization code flow.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub authorization_code: Option<OAuthFlow>,
}

/// One OAuth 2 flow.
#[derive(Debug, Clone, Serialize, PartialEq, Default)]
#[serde(rename_all = "camelCase")]
pub struct OAuthFlow {
    /// Where users authorize (implicit and authorization code flows).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub authorization_url: Option<String>,
    /// Where tokens are obtained (password, client credentials and
    /// authorization code flows).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub token_url: Option<String>,
    /// Where tokens are refreshed.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub refresh_url: Option<String>,
    /// Scopes and what they allow.
    pub scopes: BTreeMap<String, String>,
}
