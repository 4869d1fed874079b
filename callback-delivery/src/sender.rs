//! The HTTP side of a delivery: one signed request to a vetted address.
//!
//! The client is built so that nothing reaches an address the [`Guard`] did
//! not vet: host names are resolved by the guard (once, every address
//! checked, the vetted ones used to connect), IP-literal hosts are checked
//! before the request, proxies from the environment are never used (they
//! would resolve names themselves), and redirects are never followed (a
//! `302` to an internal address is just a failed attempt). Connect and total
//! timeouts bound every attempt, and at most
//! [`SenderConfig::max_response_body`] bytes of the answer are read.

use std::time::{Duration, SystemTime};

use reqwest::header::{HeaderValue, CONTENT_TYPE, RETRY_AFTER, USER_AGENT};

use crate::guard::{find_lookup_failure, find_refusal, Guard, HostError, Refusal};
use crate::retry::parse_retry_after;
use crate::signing::Signer;

/// Limits of the HTTP client.
#[derive(Debug, Clone)]
pub struct SenderConfig {
    /// Time allowed to connect (default 10 s).
    pub connect_timeout: Duration,
    /// Time allowed for the whole attempt, until the answer's body is read
    /// (default 30 s).
    pub timeout: Duration,
    /// How much of an answer's body is read and kept (default 16 KiB).
    pub max_response_body: usize,
    /// The `User-Agent` header.
    pub user_agent: String,
}

impl Default for SenderConfig {
    fn default() -> Self {
        SenderConfig {
            connect_timeout: Duration::from_secs(10),
            timeout: Duration::from_secs(30),
            max_response_body: 16 * 1024,
            user_agent: concat!("callback-delivery/", env!("CARGO_PKG_VERSION")).to_owned(),
        }
    }
}

/// One request to send.
#[derive(Debug, Clone, Copy)]
pub struct Request<'a> {
    /// The HTTP method, upper case.
    pub method: &'a str,
    /// The URL.
    pub url: &'a str,
    /// The `webhook-id`: the same on every attempt of one delivery.
    pub webhook_id: &'a str,
    /// The JSON body, sent and signed as is.
    pub body: &'a str,
    /// A W3C `traceparent` header to send with it, if any.
    pub traceparent: Option<&'a str>,
}

/// The receiver's answer.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Reply {
    /// The HTTP status.
    pub status: u16,
    /// The wait its `Retry-After` header asks for, if any.
    pub retry_after: Option<Duration>,
    /// The start of its body, at most `max_response_body` bytes.
    pub body: Vec<u8>,
}

impl Reply {
    /// True for a 2xx status: only that counts as delivered.
    pub fn is_success(&self) -> bool {
        (200..300).contains(&self.status)
    }
}

/// Why no answer came.
#[derive(Debug, thiserror::Error)]
pub enum SendError {
    /// The guard refused the URL or an address it resolves to: nothing was
    /// sent.
    #[error("refused: {0}")]
    Refused(Refusal),
    /// The host name could not be looked up (no answer, `NXDOMAIN`).
    #[error("{0}")]
    Resolve(String),
    /// No connection could be made (refused, unreachable, the connect
    /// timeout).
    #[error("{0}")]
    Connect(String),
    /// The total timeout passed before the answer was read.
    #[error("timed out")]
    Timeout,
    /// Any other transport problem (a reset, TLS, a malformed answer).
    #[error("{0}")]
    Transport(String),
}

impl SendError {
    /// A short name of the kind of error, as the `error.type` of traces
    /// and metrics: `refused`, `resolve`, `connect`, `timeout`,
    /// `transport`.
    pub fn kind(&self) -> &'static str {
        match self {
            SendError::Refused(_) => "refused",
            SendError::Resolve(_) => "resolve",
            SendError::Connect(_) => "connect",
            SendError::Timeout => "timeout",
            SendError::Transport(_) => "transport",
        }
    }

    /// True when the destination could not be reached at all: its name did
    /// not resolve, no connection could be made, or no answer came in
    /// time. A dispatcher opens the destination's circuit breaker on such
    /// errors; a refusal or an answer, even a 5xx, does not.
    pub fn is_unreachable(&self) -> bool {
        matches!(
            self,
            SendError::Resolve(_) | SendError::Connect(_) | SendError::Timeout
        )
    }
}

/// Sends signed requests through a guarded client. Cheap to clone.
#[derive(Debug, Clone)]
pub struct Sender {
    client: reqwest::Client,
    guard: Guard,
    signer: Signer,
    config: SenderConfig,
}

impl Sender {
    /// A sender that signs with `signer` and connects only where `guard`
    /// allows.
    pub fn new(guard: Guard, signer: Signer, config: SenderConfig) -> Result<Sender, SendError> {
        let client = reqwest::Client::builder()
            .no_proxy()
            .redirect(reqwest::redirect::Policy::none())
            .connect_timeout(config.connect_timeout)
            .timeout(config.timeout)
            .dns_resolver(guard.reqwest_resolver())
            .build()
            .map_err(|e| SendError::Transport(format!("building the HTTP client: {e}")))?;
        Ok(Sender {
            client,
            guard,
            signer,
            config,
        })
    }

    /// The guard this sender checks URLs with.
    pub fn guard(&self) -> &Guard {
        &self.guard
    }

    /// The signer of this sender.
    pub fn signer(&self) -> &Signer {
        &self.signer
    }

    /// The limits this sender was built with.
    pub fn config(&self) -> &SenderConfig {
        &self.config
    }

    /// Makes one attempt: checks the URL and vets its host's addresses,
    /// signs the body with the current time, sends, and reads the start of
    /// the answer.
    pub async fn send(&self, request: Request<'_>) -> Result<Reply, SendError> {
        let url = self
            .guard
            .check_url(request.url)
            .map_err(SendError::Refused)?;
        if let (Some(url::Host::Domain(host)), Some(port)) =
            (url.host(), url.port_or_known_default())
        {
            match self.guard.vet_host(host, port).await {
                Ok(()) => {}
                Err(HostError::Refused(refusal)) => return Err(SendError::Refused(refusal)),
                Err(HostError::Failed(failure)) => {
                    return Err(SendError::Resolve(failure.to_string()))
                }
            }
        }
        let method = reqwest::Method::from_bytes(request.method.as_bytes())
            .map_err(|_| SendError::Transport(format!("invalid method `{}`", request.method)))?;
        let timestamp = SystemTime::now()
            .duration_since(SystemTime::UNIX_EPOCH)
            .map_or(0, |d| d.as_secs() as i64);
        let mut builder = self
            .client
            .request(method, url)
            .header(CONTENT_TYPE, HeaderValue::from_static("application/json"))
            .header(USER_AGENT, &self.config.user_agent);
        for (name, value) in
            self.signer
                .headers(request.webhook_id, timestamp, request.body.as_bytes())
        {
            builder = builder.header(name, value);
        }
        if let Some(traceparent) = request.traceparent {
            builder = builder.header("traceparent", traceparent);
        }
        let mut response = builder
            .body(request.body.to_owned())
            .send()
            .await
            .map_err(classify)?;
        let status = response.status().as_u16();
        let retry_after = response
            .headers()
            .get(RETRY_AFTER)
            .and_then(|v| v.to_str().ok())
            .and_then(|v| parse_retry_after(v, SystemTime::now()));
        let mut body = Vec::new();
        while body.len() < self.config.max_response_body {
            match response.chunk().await {
                Ok(Some(chunk)) => {
                    let room = self.config.max_response_body - body.len();
                    body.extend_from_slice(&chunk[..chunk.len().min(room)]);
                }
                Ok(None) => break,
                // The status is what counts; a body cut short is kept as is.
                Err(e) if e.is_timeout() => return Err(SendError::Timeout),
                Err(_) => break,
            }
        }
        Ok(Reply {
            status,
            retry_after,
            body,
        })
    }
}

/// Sorts a client error into refused, not resolved, not connected, timed
/// out or other.
fn classify(error: reqwest::Error) -> SendError {
    if let Some(refusal) = find_refusal(&error) {
        return SendError::Refused(refusal.clone());
    }
    if let Some(failure) = find_lookup_failure(&error) {
        return SendError::Resolve(failure.to_string());
    }
    if error.is_timeout() {
        return SendError::Timeout;
    }
    // The innermost cause says the most ("Connection refused").
    let mut message = error.to_string();
    let mut source = std::error::Error::source(&error);
    while let Some(cause) = source {
        message = format!("{message}: {cause}");
        source = cause.source();
    }
    if error.is_connect() {
        SendError::Connect(message)
    } else {
        SendError::Transport(message)
    }
}
