//! The records of delivery: what is queued, what each attempt did, and the
//! state a delivery is in.

use std::fmt;
use std::time::{Duration, SystemTime, UNIX_EPOCH};

use serde::{Deserialize, Serialize};

/// A delivery's key in its store.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize)]
#[cfg_attr(feature = "schemars", derive(schemars::JsonSchema), schemars(inline))]
#[serde(transparent)]
pub struct DeliveryId(pub i64);

impl fmt::Display for DeliveryId {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        self.0.fmt(f)
    }
}

/// Where a delivery is in its life.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[cfg_attr(
    feature = "schemars",
    derive(schemars::JsonSchema),
    schemars(rename = "DeliveryStatus")
)]
#[serde(rename_all = "lowercase")]
pub enum Status {
    /// Waiting for its next attempt (or in flight, under a lease).
    Pending,
    /// A 2xx answer was received.
    Delivered,
    /// Every attempt of the schedule failed.
    Failed,
    /// Never sent: the URL is missing or not allowed, or resolves to a
    /// forbidden address.
    Refused,
    /// The receiver answered 410 Gone: its destination no longer exists.
    Gone,
    /// Stopped by an operator while it was pending.
    Cancelled,
}

impl Status {
    /// Every state, in the order above.
    pub const ALL: [Status; 6] = [
        Status::Pending,
        Status::Delivered,
        Status::Failed,
        Status::Refused,
        Status::Gone,
        Status::Cancelled,
    ];

    /// The state's name, as stored and served (`"pending"`, …).
    pub const fn as_str(self) -> &'static str {
        match self {
            Status::Pending => "pending",
            Status::Delivered => "delivered",
            Status::Failed => "failed",
            Status::Refused => "refused",
            Status::Gone => "gone",
            Status::Cancelled => "cancelled",
        }
    }

    /// The state named `name`, as [`Status::as_str`] writes it.
    pub fn parse(name: &str) -> Option<Status> {
        Status::ALL.into_iter().find(|s| s.as_str() == name)
    }

    /// True for every state but `pending`: nothing more will be sent
    /// (unless an operator retries it: [`Status::is_retryable`]).
    pub const fn is_final(self) -> bool {
        !matches!(self, Status::Pending)
    }

    /// True for the states an operator may send again
    /// ([`Store::retry`](crate::store::Store::retry)): `failed`, `gone`
    /// and `refused`. A delivered delivery was delivered, a pending one is
    /// on its way, and a cancelled one was stopped on purpose.
    pub const fn is_retryable(self) -> bool {
        matches!(self, Status::Failed | Status::Gone | Status::Refused)
    }
}

impl fmt::Display for Status {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

/// A request to deliver, as the typed API builds it and a store queues it.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct NewDelivery {
    /// Which declaration it comes from, e.g.
    /// `invoice_callbacks::invoice_notification`.
    pub callback: String,
    /// The HTTP method, upper case (`POST`).
    pub method: String,
    /// The URL to send to. When [`NewDelivery::refused`] is set, the URL
    /// could not be computed and this is the template it came from.
    pub url: String,
    /// The JSON body, exactly as it will be sent and signed.
    pub body: String,
    /// Why the delivery must not be sent (a missing or malformed URL):
    /// the store records it as [`Status::Refused`] with this reason.
    pub refused: Option<String>,
}

/// A queued delivery, as the deliveries view shows it. Its times are
/// RFC 3339 text in UTC with milliseconds (`2026-05-01T12:30:00.250Z`);
/// the Rust fields hold milliseconds since the Unix epoch.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "schemars", derive(schemars::JsonSchema))]
pub struct Delivery {
    /// The key in the store.
    pub id: DeliveryId,
    /// The Standard Webhooks `webhook-id`, the same on every attempt.
    pub webhook_id: String,
    /// Which declaration it comes from.
    pub callback: String,
    /// The HTTP method.
    pub method: String,
    /// Where it is (or would have been) sent.
    pub url: String,
    /// The origin of its URL (scheme, host and port): deliveries are
    /// scheduled, and can be listed, by destination.
    pub destination: String,
    /// Its state.
    pub status: Status,
    /// How many attempts were made.
    pub attempts: u32,
    /// The error of the last attempt, or why it was refused.
    pub last_error: Option<String>,
    /// The HTTP status of the last answer, if any.
    pub last_status: Option<u16>,
    /// When it was queued.
    #[serde(with = "crate::rfc3339")]
    #[cfg_attr(
        feature = "schemars",
        schemars(with = "String", extend("format" = "date-time"))
    )]
    pub created_at: i64,
    /// When the next attempt is due (pending deliveries).
    #[serde(with = "crate::rfc3339::option")]
    #[cfg_attr(
        feature = "schemars",
        schemars(with = "Option<String>", extend("format" = "date-time"))
    )]
    pub next_attempt_at: Option<i64>,
    /// When it reached its final state.
    #[serde(with = "crate::rfc3339::option")]
    #[cfg_attr(
        feature = "schemars",
        schemars(with = "Option<String>", extend("format" = "date-time"))
    )]
    pub finished_at: Option<i64>,
    /// The trace it was queued in (32 hexadecimal digits), when it was
    /// traced (feature `otel`): its attempts are in the same trace.
    pub trace_id: Option<String>,
}

/// One attempt to send a delivery. Its start is RFC 3339 text, as a
/// delivery's times are.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(
    feature = "schemars",
    derive(schemars::JsonSchema),
    schemars(rename = "DeliveryAttempt")
)]
pub struct Attempt {
    /// When the request started.
    #[serde(with = "crate::rfc3339")]
    #[cfg_attr(
        feature = "schemars",
        schemars(with = "String", extend("format" = "date-time"))
    )]
    pub started_at: i64,
    /// How long it took until the answer (or the error), in milliseconds.
    pub duration_ms: i64,
    /// The HTTP status of the answer, if one came.
    pub status: Option<u16>,
    /// What went wrong, if anything: a transport error, a timeout, a non-2xx
    /// answer, a refused address.
    pub error: Option<String>,
    /// The start of the answer's body (capped), if one came.
    pub response_body: Option<String>,
}

/// Milliseconds since the Unix epoch: how every time is stored.
pub fn unix_millis(time: SystemTime) -> i64 {
    time.duration_since(UNIX_EPOCH)
        .map(|d| i64::try_from(d.as_millis()).unwrap_or(i64::MAX))
        .unwrap_or(0)
}

/// The time `millis` after the Unix epoch.
pub fn from_unix_millis(millis: i64) -> SystemTime {
    UNIX_EPOCH + Duration::from_millis(u64::try_from(millis).unwrap_or(0))
}

/// A fresh Standard Webhooks message id: `msg_`, the time in milliseconds
/// (8 characters, so that ids sort by the time they were made, and a store
/// indexing them appends instead of writing all over its index), and 16
/// random characters (95 bits).
pub fn new_webhook_id() -> String {
    const ALPHABET: &[u8] = b"0123456789ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz";
    let mut id = String::with_capacity(28);
    id.push_str("msg_");
    // 62^8 milliseconds last until the year 8900.
    let mut millis = u64::try_from(unix_millis(SystemTime::now())).unwrap_or(0);
    let mut time = [0u8; 8];
    for digit in time.iter_mut().rev() {
        *digit = ALPHABET[(millis % 62) as usize];
        millis /= 62;
    }
    id.extend(time.iter().map(|&b| b as char));
    let mut bytes = [0u8; 16];
    getrandom::fill(&mut bytes).expect("the operating system's random source");
    for b in bytes {
        id.push(ALPHABET[usize::from(b) % ALPHABET.len()] as char);
    }
    id
}

/// The destination of a delivery: the origin of its URL (scheme, host and
/// port, the port left out when it is the scheme's default), as the
/// dispatcher schedules and isolates deliveries. A URL that cannot be
/// parsed, or has no host, has the destination [`NO_ORIGIN`] (such a
/// delivery is refused when it is attempted).
///
/// ```
/// use callback_delivery::delivery::destination_of;
///
/// assert_eq!(destination_of("https://Client.Example/hooks/1?x=2"), "https://client.example");
/// assert_eq!(destination_of("http://127.0.0.1:9000/invoices/inv-1"), "http://127.0.0.1:9000");
/// assert_eq!(destination_of("https://client.example:443/"), "https://client.example");
/// assert_eq!(destination_of("not a url"), "(no origin)");
/// ```
pub fn destination_of(url: &str) -> String {
    match url::Url::parse(url) {
        Ok(url) if url.has_host() => url.origin().ascii_serialization(),
        _ => NO_ORIGIN.to_owned(),
    }
}

/// The destination of a URL that has no origin ([`destination_of`]). Not
/// empty, so that every destination sorts after the empty string a claim's
/// walk starts from.
pub const NO_ORIGIN: &str = "(no origin)";

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn webhook_ids_are_unique_and_sort_by_time() {
        let first = new_webhook_id();
        std::thread::sleep(Duration::from_millis(2));
        let second = new_webhook_id();
        for id in [&first, &second] {
            assert_eq!(id.len(), 28, "{id}");
            assert!(id.starts_with("msg_"), "{id}");
            assert!(id[4..].bytes().all(|b| b.is_ascii_alphanumeric()), "{id}");
        }
        assert!(first < second, "{first} then {second}");
        let many: std::collections::HashSet<String> =
            (0..10_000).map(|_| new_webhook_id()).collect();
        assert_eq!(many.len(), 10_000);
    }
}
