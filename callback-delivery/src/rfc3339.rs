//! Times as the deliveries view shows them: RFC 3339 in UTC, with
//! milliseconds (`2023-11-14T22:13:20.250Z`).
//!
//! The store keeps every time in milliseconds since the Unix epoch
//! ([`unix_millis`](crate::delivery::unix_millis)); [`format()`] and
//! [`parse`] convert, and the serde functions of this module (and of
//! [`option`]) let a field kept in milliseconds be written and read as
//! RFC 3339 text:
//!
//! ```
//! #[derive(serde::Serialize, serde::Deserialize)]
//! struct Event {
//!     #[serde(with = "callback_delivery::rfc3339")]
//!     at: i64,
//!     #[serde(default, with = "callback_delivery::rfc3339::option")]
//!     until: Option<i64>,
//! }
//!
//! let event = Event { at: 1_700_000_000_250, until: None };
//! let json = serde_json::to_string(&event).unwrap();
//! assert_eq!(json, r#"{"at":"2023-11-14T22:13:20.250Z","until":null}"#);
//! let back: Event = serde_json::from_str(r#"{"at":"2023-11-14T23:13:20.25+01:00"}"#).unwrap();
//! assert_eq!((back.at, back.until), (1_700_000_000_250, None));
//! ```

use std::fmt;

use serde::{Deserialize, Deserializer, Serializer};
use time::format_description::well_known::Rfc3339;
use time::OffsetDateTime;

/// The earliest time RFC 3339 can write, `0000-01-01T00:00:00.000Z`, in
/// milliseconds since the Unix epoch.
pub const MIN_MILLIS: i64 = -62_167_219_200_000;

/// The latest time RFC 3339 can write, `9999-12-31T23:59:59.999Z`, in
/// milliseconds since the Unix epoch.
pub const MAX_MILLIS: i64 = 253_402_300_799_999;

/// `millis` (since the Unix epoch) in RFC 3339, in UTC, with exactly three
/// digits of fractions of a second. A time before [`MIN_MILLIS`] or after
/// [`MAX_MILLIS`] (which a four-digit year cannot write) is written as that
/// bound.
///
/// ```
/// use callback_delivery::rfc3339;
///
/// assert_eq!(rfc3339::format(0), "1970-01-01T00:00:00.000Z");
/// assert_eq!(rfc3339::format(1_700_000_000_007), "2023-11-14T22:13:20.007Z");
/// assert_eq!(rfc3339::format(-1), "1969-12-31T23:59:59.999Z");
/// assert_eq!(rfc3339::format(i64::MAX), "9999-12-31T23:59:59.999Z");
/// ```
pub fn format(millis: i64) -> String {
    let millis = millis.clamp(MIN_MILLIS, MAX_MILLIS);
    // In range by the clamp: the fallback is never taken.
    let at = OffsetDateTime::from_unix_timestamp_nanos(i128::from(millis) * 1_000_000)
        .unwrap_or(OffsetDateTime::UNIX_EPOCH);
    format!(
        "{:04}-{:02}-{:02}T{:02}:{:02}:{:02}.{:03}Z",
        at.year(),
        u8::from(at.month()),
        at.day(),
        at.hour(),
        at.minute(),
        at.second(),
        at.millisecond()
    )
}

/// The time an RFC 3339 text names, in milliseconds since the Unix epoch
/// (finer fractions of a second are cut off, towards the past). Any offset
/// is taken; a leap second stands for the last millisecond before it.
///
/// ```
/// use callback_delivery::rfc3339;
///
/// assert_eq!(rfc3339::parse("1970-01-01T00:00:01.5Z").unwrap(), 1_500);
/// assert_eq!(rfc3339::parse("1970-01-01T01:00:00+01:00").unwrap(), 0);
/// assert_eq!(rfc3339::parse("1969-12-31T23:59:59.9999Z").unwrap(), -1);
/// assert!(rfc3339::parse("yesterday").is_err());
/// assert!(rfc3339::parse("2024-02-30T00:00:00Z").is_err());
/// ```
///
/// # Errors
///
/// When `text` is not an RFC 3339 date and time with an offset.
pub fn parse(text: &str) -> Result<i64, ParseError> {
    let at = OffsetDateTime::parse(text, &Rfc3339).map_err(|e| ParseError(e.to_string()))?;
    let millis = at.unix_timestamp_nanos().div_euclid(1_000_000);
    // Years of four digits and offsets under a day stay far within i64.
    i64::try_from(millis).map_err(|e| ParseError(e.to_string()))
}

/// Why a text is not an RFC 3339 time ([`parse`]).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ParseError(String);

impl fmt::Display for ParseError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "not an RFC 3339 date-time: {}", self.0)
    }
}

impl std::error::Error for ParseError {}

/// Serializes milliseconds since the Unix epoch as RFC 3339 text
/// ([`format()`]), for `#[serde(with = "callback_delivery::rfc3339")]`.
///
/// # Errors
///
/// When the serializer fails.
pub fn serialize<S: Serializer>(millis: &i64, serializer: S) -> Result<S::Ok, S::Error> {
    serializer.serialize_str(&format(*millis))
}

/// Reads RFC 3339 text as milliseconds since the Unix epoch ([`parse`]).
///
/// # Errors
///
/// When the value is not a string, or not an RFC 3339 time.
pub fn deserialize<'de, D: Deserializer<'de>>(deserializer: D) -> Result<i64, D::Error> {
    let text = String::deserialize(deserializer)?;
    parse(&text).map_err(serde::de::Error::custom)
}

/// The same for optional times: `None` is written and read as null (or a
/// missing field, with `#[serde(default)]`).
pub mod option {
    use serde::{Deserialize, Deserializer, Serializer};

    /// Serializes `Some` as RFC 3339 text, `None` as null.
    ///
    /// # Errors
    ///
    /// When the serializer fails.
    pub fn serialize<S: Serializer>(
        millis: &Option<i64>,
        serializer: S,
    ) -> Result<S::Ok, S::Error> {
        match millis {
            Some(millis) => serializer.serialize_some(&super::format(*millis)),
            None => serializer.serialize_none(),
        }
    }

    /// Reads RFC 3339 text, or null.
    ///
    /// # Errors
    ///
    /// When the value is neither null nor an RFC 3339 time.
    pub fn deserialize<'de, D: Deserializer<'de>>(
        deserializer: D,
    ) -> Result<Option<i64>, D::Error> {
        Option::<String>::deserialize(deserializer)?
            .map(|text| super::parse(&text).map_err(serde::de::Error::custom))
            .transpose()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn bounds_and_round_trips() {
        assert_eq!(format(MIN_MILLIS), "0000-01-01T00:00:00.000Z");
        assert_eq!(format(i64::MIN), "0000-01-01T00:00:00.000Z");
        assert_eq!(format(MAX_MILLIS), "9999-12-31T23:59:59.999Z");
        assert_eq!(parse(&format(MIN_MILLIS)), Ok(MIN_MILLIS));
        assert_eq!(parse(&format(MAX_MILLIS)), Ok(MAX_MILLIS));
        // Every millisecond of a day around a leap year's end, and a spread
        // of times over the whole range, read back as written.
        let leap_day = parse("2024-12-31T00:00:00Z").unwrap();
        for millis in (leap_day..leap_day + 86_400_000).step_by(999_983) {
            assert_eq!(parse(&format(millis)), Ok(millis), "{}", format(millis));
        }
        let step = (MAX_MILLIS - MIN_MILLIS) / 9_973;
        for n in 0..9_973 {
            let millis = MIN_MILLIS + n * step + n % 1000;
            assert_eq!(parse(&format(millis)), Ok(millis), "{}", format(millis));
        }
    }

    #[test]
    fn offsets_fractions_and_leap_seconds() {
        let base = parse("2024-06-30T12:00:00Z").unwrap();
        assert_eq!(parse("2024-06-30T14:30:00+02:30"), Ok(base));
        assert_eq!(parse("2024-06-30T09:00:00-03:00"), Ok(base));
        assert_eq!(parse("2024-06-30t12:00:00z"), Ok(base), "lower case");
        assert_eq!(parse("2024-06-30T12:00:00.123456789Z"), Ok(base + 123));
        // A leap second is the last millisecond before the next minute.
        assert_eq!(
            parse("2016-12-31T23:59:60Z"),
            Ok(parse("2017-01-01T00:00:00Z").unwrap() - 1)
        );
        for bad in [
            "",
            "2024-06-30",
            "2024-06-30T12:00:00",
            "2024-06-30T12:00Z",
            "2024-13-01T00:00:00Z",
            "2024-06-30T24:00:00Z",
            "2024-06-30T12:00:00+24:00",
            "2024-06-30T12:00:00Z ",
            "2024-06-30T12:30:60Z",
            "1700000000000",
        ] {
            let error = parse(bad).expect_err(bad);
            assert!(error.to_string().starts_with("not an RFC 3339 date-time: "));
        }
    }
}
