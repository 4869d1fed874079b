//! How the callbacks and webhooks an API sends are signed, as its document
//! tells their receivers: the Standard Webhooks request headers and the
//! `x-standard-webhooks` extension.

use std::fmt;

use serde::Serialize;
use serde_json::{json, Value};

use super::{Parameter, ParameterIn};

/// The extension on each callback and webhook request that names how it is
/// signed; its value is a [`StandardWebhooks`].
pub const STANDARD_WEBHOOKS: &str = "x-standard-webhooks";

/// The request headers of a Standard Webhooks message, in lower case, in
/// the order the document lists them: the message's id, when it was
/// signed, and its signatures. Every signed request carries all three.
pub const STANDARD_WEBHOOKS_HEADERS: [&str; 3] =
    ["webhook-id", "webhook-timestamp", "webhook-signature"];

/// The W3C trace context header a signed request carries, beside
/// [`STANDARD_WEBHOOKS_HEADERS`], when the sender traces with
/// OpenTelemetry; documented as optional with the `otel` feature.
pub const TRACEPARENT: &str = "traceparent";

/// A Standard Webhooks signature scheme, named by the version tag that
/// precedes each signature in the `webhook-signature` header.
///
/// `callback-delivery`'s `Signer` signs with `v1` under a `whsec_` secret
/// and with `v1a` under a `whsk_` secret key.
///
/// ```
/// use callback_runtime::openapi::SignatureScheme;
///
/// assert_eq!(SignatureScheme::V1a.tag(), "v1a");
/// assert_eq!(SignatureScheme::from_tag("v1"), Some(SignatureScheme::V1));
/// assert_eq!(SignatureScheme::from_tag("v2"), None);
/// ```
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize)]
pub enum SignatureScheme {
    /// `v1`: HMAC-SHA256 under a secret shared with the receiver
    /// (`whsec_…`).
    #[serde(rename = "v1")]
    V1,
    /// `v1a`: ed25519 under the sender's secret key, checked with its
    /// public key (`whpk_…`).
    #[serde(rename = "v1a")]
    V1a,
}

impl SignatureScheme {
    /// The version tag of the scheme's signatures: `v1` or `v1a`.
    pub const fn tag(self) -> &'static str {
        match self {
            SignatureScheme::V1 => "v1",
            SignatureScheme::V1a => "v1a",
        }
    }

    /// The scheme whose signatures carry `tag`, if it is one of these.
    pub fn from_tag(tag: &str) -> Option<SignatureScheme> {
        match tag {
            "v1" => Some(SignatureScheme::V1),
            "v1a" => Some(SignatureScheme::V1a),
            _ => None,
        }
    }

    /// How a receiver checks a signature of this scheme (Markdown).
    fn how_to_verify(self) -> &'static str {
        match self {
            SignatureScheme::V1 => {
                "`v1,<base64>`: HMAC-SHA256 of the signed content, keyed with the \
                 base64-decoded part of the shared secret `whsec_<base64>`"
            }
            SignatureScheme::V1a => {
                "`v1a,<base64>`: an ed25519 signature of the signed content, checked \
                 with the sender's public key `whpk_<base64>`"
            }
        }
    }
}

impl fmt::Display for SignatureScheme {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.tag())
    }
}

/// How the requests an API sends are signed: the value of the
/// `x-standard-webhooks` extension, and the header parameters documented
/// on every callback and webhook request.
///
/// ```
/// use callback_runtime::openapi::{SignatureScheme, StandardWebhooks};
///
/// let signed = StandardWebhooks::new([SignatureScheme::V1]);
/// assert_eq!(
///     serde_json::to_value(&signed).unwrap(),
///     serde_json::json!({"schemes": ["v1"]})
/// );
/// let names: Vec<_> = signed
///     .parameters()
///     .into_iter()
///     .filter(|p| p.required)
///     .map(|p| p.name)
///     .collect();
/// assert_eq!(names, ["webhook-id", "webhook-timestamp", "webhook-signature"]);
/// ```
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct StandardWebhooks {
    /// The schemes the sender signs with, each once, `v1` before `v1a`.
    /// A receiver needs a key of one of them.
    pub schemes: Vec<SignatureScheme>,
}

impl StandardWebhooks {
    /// Requests signed with `schemes` (sorted, each kept once).
    pub fn new(schemes: impl IntoIterator<Item = SignatureScheme>) -> Self {
        let mut schemes: Vec<_> = schemes.into_iter().collect();
        schemes.sort();
        schemes.dedup();
        StandardWebhooks { schemes }
    }

    /// The three headers of [`STANDARD_WEBHOOKS_HEADERS`] as required
    /// header parameters, with what each holds and how a receiver verifies
    /// the message, and with the `otel` feature [`TRACEPARENT`] as an
    /// optional one; none without a scheme (unsigned requests).
    pub fn parameters(&self) -> Vec<Parameter> {
        if self.schemes.is_empty() {
            return Vec::new();
        }
        let [id, timestamp, signature] = STANDARD_WEBHOOKS_HEADERS;
        let header = |name: &str, description: String, schema: Value| Parameter {
            name: name.to_owned(),
            location: ParameterIn::Header,
            description: Some(description),
            required: true,
            schema,
        };
        let tags: Vec<&str> = self.schemes.iter().map(|s| s.tag()).collect();
        let version = match tags.as_slice() {
            [tag] => (*tag).to_owned(),
            _ => format!("(?:{})", tags.join("|")),
        };
        let one_signature = format!("{version},[A-Za-z0-9+/]+={{0,2}}");
        let how: Vec<&str> = self.schemes.iter().map(|s| s.how_to_verify()).collect();
        let how = format!("\n\n- {}.", how.join(";\n- "));
        let mut parameters = vec![
            header(
                id,
                "The message's unique identifier, the same on every attempt to deliver it: \
                 a receiver that has already processed it can skip it. It is part of the \
                 signed content."
                    .to_owned(),
                json!({"type": "string"}),
            ),
            header(
                timestamp,
                "When this attempt was signed, in whole seconds since the Unix epoch. It is \
                 part of the signed content: reject a message whose timestamp is far from \
                 your clock (a few minutes), so that a captured request cannot be replayed."
                    .to_owned(),
                json!({"type": "integer", "format": "int64", "minimum": 0}),
            ),
            header(
                signature,
                format!(
                    "The signatures of the signed content `{{{id}}}.{{{timestamp}}}.{{body}}`: the \
                     `{id}` header, a dot, the `{timestamp}` header, a dot, and the request \
                     body's bytes exactly as received. Several signatures, separated by \
                     spaces, appear while keys are being rotated: accept the message if one \
                     of them verifies with one of your keys, and ignore versions you do not \
                     know. Each signature is its version, a comma, and base64:{how}"
                ),
                json!({"type": "string", "pattern": format!("^{one_signature}(?: {one_signature})*$")}),
            ),
        ];
        // The sender adds the attempt's trace context when the app traces
        // with OpenTelemetry (feature `otel`, a tracer provider installed).
        if cfg!(feature = "otel") {
            parameters.push(Parameter {
                name: TRACEPARENT.to_owned(),
                location: ParameterIn::Header,
                description: Some(
                    "The W3C trace context of this attempt, present when the sender traces \
                     with OpenTelemetry: a receiver that continues the trace makes its spans \
                     children of the attempt. Not part of the signed content."
                        .to_owned(),
                ),
                required: false,
                schema: json!({
                    "type": "string",
                    "pattern": "^00-[0-9a-f]{32}-[0-9a-f]{16}-[0-9a-f]{2}$"
                }),
            });
        }
        parameters
    }
}
