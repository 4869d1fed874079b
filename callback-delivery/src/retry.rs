//! When to try again: the retry schedule, with jitter, and `Retry-After`.
//!
//! The first attempt is made as soon as a delivery is queued. After a failed
//! attempt the schedule gives the wait before the next one; once the
//! schedule is used up the delivery has failed. The default schedule is the
//! one the large webhook senders use: 5 s, 5 min, 30 min, 2 h, 5 h, 10 h and
//! 10 h, so a delivery is tried eight times over about a day and a half.
//!
//! A receiver that answers with `Retry-After` (seconds, or an HTTP date)
//! sets the wait instead, clamped to [`RetryPolicy::retry_after_bounds`], so
//! that neither `Retry-After: 0` nor a date next year is taken literally.

use std::time::{Duration, SystemTime};

/// The retry schedule of a dispatcher.
///
/// ```
/// use std::time::Duration;
/// use callback_delivery::retry::RetryPolicy;
///
/// let policy = RetryPolicy::default().jitter(0.0);
/// assert_eq!(policy.delay(1, None), Some(Duration::from_secs(5)));
/// assert_eq!(policy.delay(7, None), Some(Duration::from_secs(10 * 3600)));
/// assert_eq!(policy.delay(8, None), None); // eight attempts made: failed
/// // `Retry-After: 120` wins over the schedule's 5 minutes:
/// assert_eq!(policy.delay(2, Some(Duration::from_secs(120))), Some(Duration::from_secs(120)));
/// ```
#[derive(Debug, Clone, PartialEq)]
pub struct RetryPolicy {
    schedule: Vec<Duration>,
    jitter: f64,
    retry_after_min: Duration,
    retry_after_max: Duration,
}

impl Default for RetryPolicy {
    fn default() -> Self {
        const MINUTE: u64 = 60;
        const HOUR: u64 = 60 * MINUTE;
        RetryPolicy::new(
            [
                5,
                5 * MINUTE,
                30 * MINUTE,
                2 * HOUR,
                5 * HOUR,
                10 * HOUR,
                10 * HOUR,
            ]
            .map(Duration::from_secs),
        )
    }
}

impl RetryPolicy {
    /// A policy waiting `schedule[i]` after the `i + 1`-th failed attempt,
    /// with ±20 % jitter; an empty schedule makes one attempt only.
    pub fn new(schedule: impl IntoIterator<Item = Duration>) -> Self {
        RetryPolicy {
            schedule: schedule.into_iter().collect(),
            jitter: 0.2,
            retry_after_min: Duration::from_secs(1),
            retry_after_max: Duration::from_secs(24 * 3600),
        }
    }

    /// Spreads each wait uniformly over `±fraction` of it (0 to 1), so that
    /// deliveries that failed together do not come back together.
    pub fn jitter(mut self, fraction: f64) -> Self {
        self.jitter = fraction.clamp(0.0, 1.0);
        self
    }

    /// The bounds a `Retry-After` wait is clamped to (default 1 s to 24 h).
    pub fn retry_after_bounds(mut self, min: Duration, max: Duration) -> Self {
        self.retry_after_min = min;
        self.retry_after_max = max.max(min);
        self
    }

    /// The schedule, without jitter.
    pub fn schedule(&self) -> &[Duration] {
        &self.schedule
    }

    /// How many attempts a delivery gets in all.
    pub fn max_attempts(&self) -> u32 {
        u32::try_from(self.schedule.len()).unwrap_or(u32::MAX - 1) + 1
    }

    /// The wait before the next attempt, after `attempts` attempts that all
    /// failed, or `None` when the schedule is used up. `retry_after` is the
    /// receiver's `Retry-After`, which replaces the scheduled wait (clamped,
    /// without jitter).
    pub fn delay(&self, attempts: u32, retry_after: Option<Duration>) -> Option<Duration> {
        let index = usize::try_from(attempts.checked_sub(1)?).ok()?;
        let scheduled = *self.schedule.get(index)?;
        Some(match retry_after {
            Some(wait) => wait.clamp(self.retry_after_min, self.retry_after_max),
            None => self.jittered(scheduled),
        })
    }

    fn jittered(&self, wait: Duration) -> Duration {
        if self.jitter == 0.0 {
            return wait;
        }
        // A uniform factor in [1 - jitter, 1 + jitter].
        let mut bytes = [0u8; 8];
        if getrandom::fill(&mut bytes).is_err() {
            return wait;
        }
        let unit = (u64::from_le_bytes(bytes) >> 11) as f64 / (1u64 << 53) as f64;
        wait.mul_f64(1.0 - self.jitter + 2.0 * self.jitter * unit)
    }
}

/// The wait a `Retry-After` header value asks for at `now`: a number of
/// seconds, or an HTTP date (a date in the past asks for no wait). `None`
/// when the value is neither.
///
/// ```
/// use std::time::{Duration, UNIX_EPOCH};
/// use callback_delivery::retry::parse_retry_after;
///
/// let now = UNIX_EPOCH + Duration::from_secs(1_445_412_480); // Wed, 21 Oct 2015 07:28:00 GMT
/// assert_eq!(parse_retry_after("120", now), Some(Duration::from_secs(120)));
/// assert_eq!(parse_retry_after("Wed, 21 Oct 2015 07:30:00 GMT", now), Some(Duration::from_secs(120)));
/// assert_eq!(parse_retry_after("soon", now), None);
/// ```
pub fn parse_retry_after(value: &str, now: SystemTime) -> Option<Duration> {
    let value = value.trim();
    if !value.is_empty() && value.bytes().all(|b| b.is_ascii_digit()) {
        // Saturates on absurd lengths; the policy clamps it anyway.
        return Some(Duration::from_secs(value.parse().unwrap_or(u64::MAX)));
    }
    let date = httpdate::parse_http_date(value).ok()?;
    Some(date.duration_since(now).unwrap_or(Duration::ZERO))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn default_schedule_gives_eight_attempts() {
        let policy = RetryPolicy::default().jitter(0.0);
        assert_eq!(policy.max_attempts(), 8);
        let waits: Vec<u64> = (1..=8)
            .map_while(|n| policy.delay(n, None))
            .map(|d| d.as_secs())
            .collect();
        assert_eq!(waits, [5, 300, 1800, 7200, 18000, 36000, 36000]);
        assert_eq!(policy.delay(0, None), None);
    }

    #[test]
    fn jitter_stays_within_its_fraction_and_varies() {
        let policy = RetryPolicy::new([Duration::from_secs(100)]).jitter(0.2);
        let waits: Vec<Duration> = (0..200).map(|_| policy.delay(1, None).unwrap()).collect();
        assert!(waits
            .iter()
            .all(|w| *w >= Duration::from_secs(80) && *w <= Duration::from_secs(120)));
        let first = waits[0];
        assert!(waits.iter().any(|w| *w != first), "jitter never varied");
    }

    #[test]
    fn retry_after_is_clamped() {
        let policy = RetryPolicy::default()
            .retry_after_bounds(Duration::from_secs(2), Duration::from_secs(3600));
        assert_eq!(
            policy.delay(1, Some(Duration::ZERO)),
            Some(Duration::from_secs(2))
        );
        assert_eq!(
            policy.delay(1, Some(Duration::from_secs(10 * 86400))),
            Some(Duration::from_secs(3600))
        );
        // Retry-After does not extend the schedule.
        assert_eq!(policy.delay(8, Some(Duration::from_secs(5))), None);
    }

    #[test]
    fn retry_after_values() {
        let now = SystemTime::UNIX_EPOCH + Duration::from_secs(1_445_412_480);
        assert_eq!(parse_retry_after(" 7 ", now), Some(Duration::from_secs(7)));
        assert_eq!(
            parse_retry_after("Wed, 21 Oct 2015 07:00:00 GMT", now),
            Some(Duration::ZERO)
        );
        assert_eq!(
            parse_retry_after("99999999999999999999999", now),
            Some(Duration::from_secs(u64::MAX))
        );
        for bad in ["", "-1", "1.5", "tomorrow"] {
            assert_eq!(parse_retry_after(bad, now), None, "{bad:?}");
        }
    }
}
