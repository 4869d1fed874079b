//! What the dispatcher knows of one destination (the origin of a callback
//! URL): how many requests it may have in flight, and its circuit breaker.
//!
//! - **Slow start.** A destination the dispatcher has not heard answer
//!   gets one request at a time; each answer (any HTTP status) doubles
//!   that, up to [`DestinationPolicy::max_in_flight`]. A destination that
//!   accepts connections and never answers so holds one worker, not all.
//! - **Circuit breaker.** An attempt that could not reach the destination
//!   (its name did not resolve, the connection failed, no answer came in
//!   time) opens the breaker for the destination's backoff (5 s at first,
//!   doubled up to 5 min while it stays down). While it is open, the
//!   destination's deliveries are not claimed, and those already claimed
//!   are deferred to its end, without an attempt. When it ends, one
//!   delivery goes as a probe; an answer closes the breaker, another
//!   failure opens it again for twice as long.

use std::time::{Duration, Instant};

/// How the dispatcher treats each destination.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct DestinationPolicy {
    /// The most requests in flight to one destination, once it answers
    /// (default 16).
    pub max_in_flight: usize,
    /// How long a breaker first stays open (default 5 s).
    pub first_backoff: Duration,
    /// The longest a breaker stays open (default 5 min).
    pub max_backoff: Duration,
}

impl Default for DestinationPolicy {
    fn default() -> Self {
        DestinationPolicy {
            max_in_flight: 16,
            first_backoff: Duration::from_secs(5),
            max_backoff: Duration::from_secs(300),
        }
    }
}

/// What an attempt says about its destination.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Health {
    /// An HTTP answer came, whatever its status: the destination is up.
    Answered,
    /// Not reached: no lookup, no connection, or no answer in time.
    Unreachable,
    /// No request went out (the guard refused the URL): says nothing of
    /// the destination's health, and cost it nothing.
    Unknown,
}

/// The state of a destination's circuit breaker.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Breaker {
    /// Requests go.
    Closed,
    /// No request goes until `until`.
    Open { until: Instant, backoff: Duration },
    /// `until` has passed: the next request is the probe.
    HalfOpen { backoff: Duration },
    /// The probe is in flight; no other request goes.
    Probing { backoff: Duration },
}

/// One destination's state.
#[derive(Debug, Clone)]
pub(crate) struct Destination {
    /// Requests in flight now.
    pub(crate) in_flight: usize,
    /// How many may be in flight now (slow start).
    pub(crate) allowed: usize,
    pub(crate) breaker: Breaker,
    /// When a request last started or finished.
    pub(crate) last_used: Instant,
}

impl Destination {
    pub(crate) fn new(now: Instant) -> Destination {
        Destination {
            in_flight: 0,
            allowed: 1,
            breaker: Breaker::Closed,
            last_used: now,
        }
    }

    /// Moves an open breaker whose time is up to half-open.
    pub(crate) fn tick(&mut self, now: Instant) {
        if let Breaker::Open { until, backoff } = self.breaker {
            if now >= until {
                self.breaker = Breaker::HalfOpen { backoff };
            }
        }
    }

    /// How many more requests may start now.
    pub(crate) fn room(&self) -> usize {
        match self.breaker {
            Breaker::Closed => self.allowed.saturating_sub(self.in_flight),
            Breaker::HalfOpen { .. } => usize::from(self.in_flight == 0),
            Breaker::Open { .. } | Breaker::Probing { .. } => 0,
        }
    }

    /// Whether a request may start now.
    pub(crate) fn may_start(&self) -> bool {
        self.room() > 0
    }

    /// Whether the store should leave this destination's deliveries alone
    /// in the next claim, given `queued` already claimed and waiting here.
    pub(crate) fn excluded(&self, queued: usize) -> bool {
        match self.breaker {
            Breaker::Open { .. } | Breaker::Probing { .. } => true,
            // One probe: claim only when nothing of it waits.
            Breaker::HalfOpen { .. } => queued + self.in_flight > 0,
            // Claim ahead by one round of what may be in flight.
            Breaker::Closed => self.in_flight + queued >= 2 * self.allowed,
        }
    }

    /// A request starts.
    pub(crate) fn start(&mut self, now: Instant) {
        self.in_flight += 1;
        self.last_used = now;
        if let Breaker::HalfOpen { backoff } = self.breaker {
            self.breaker = Breaker::Probing { backoff };
        }
    }

    /// A request finished with `health`. Returns the end of the breaker's
    /// new open period when this finish opened it: the deliveries waiting
    /// here are then deferred to it.
    pub(crate) fn finish(
        &mut self,
        health: Health,
        now: Instant,
        policy: &DestinationPolicy,
    ) -> Option<Instant> {
        self.in_flight = self.in_flight.saturating_sub(1);
        self.last_used = now;
        match (health, self.breaker) {
            (Health::Answered, _) => {
                self.breaker = Breaker::Closed;
                self.allowed = (self.allowed * 2).clamp(1, policy.max_in_flight.max(1));
                None
            }
            (Health::Unreachable, Breaker::Closed | Breaker::HalfOpen { .. }) => {
                Some(self.open(policy.first_backoff, now))
            }
            (Health::Unreachable, Breaker::Probing { backoff }) => {
                let backoff = (backoff * 2)
                    .min(policy.max_backoff)
                    .max(policy.first_backoff);
                Some(self.open(backoff, now))
            }
            // Still open: the others in flight when it opened come back.
            (Health::Unreachable, Breaker::Open { .. }) => None,
            (Health::Unknown, Breaker::Probing { backoff }) => {
                // The probe told nothing: the next request probes again.
                self.breaker = Breaker::HalfOpen { backoff };
                None
            }
            (Health::Unknown, _) => {
                // Nothing was sent, so nothing can be stuck there: refusals
                // go at the pace of answers.
                self.allowed = (self.allowed * 2).clamp(1, policy.max_in_flight.max(1));
                None
            }
        }
    }

    fn open(&mut self, backoff: Duration, now: Instant) -> Instant {
        let until = now + backoff;
        self.breaker = Breaker::Open { until, backoff };
        self.allowed = 1;
        until
    }

    /// Whether the breaker is open (or its probe in flight).
    pub(crate) fn is_open(&self) -> bool {
        matches!(self.breaker, Breaker::Open { .. } | Breaker::Probing { .. })
    }

    /// The end of the open period, if the breaker is open.
    #[cfg(test)]
    pub(crate) fn open_until(&self) -> Option<Instant> {
        match self.breaker {
            Breaker::Open { until, .. } => Some(until),
            _ => None,
        }
    }

    /// Whether nothing is in flight, the breaker is closed, and it has not
    /// been used since `before`: the dispatcher may forget it.
    pub(crate) fn idle_since(&self, before: Instant) -> bool {
        self.in_flight == 0 && self.breaker == Breaker::Closed && self.last_used < before
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    const SEC: Duration = Duration::from_secs(1);

    #[test]
    fn slow_start_doubles_on_answers_up_to_the_cap() {
        let policy = DestinationPolicy {
            max_in_flight: 6,
            ..DestinationPolicy::default()
        };
        let now = Instant::now();
        let mut d = Destination::new(now);
        let mut seen = vec![d.allowed];
        for _ in 0..4 {
            d.start(now);
            assert_eq!(d.finish(Health::Answered, now, &policy), None);
            seen.push(d.allowed);
        }
        assert_eq!(seen, [1, 2, 4, 6, 6]);
        assert!(d.may_start());
        for _ in 0..6 {
            d.start(now);
        }
        assert!(!d.may_start(), "six in flight of six");
        assert!(!d.excluded(5), "a round may wait behind them");
        assert!(d.excluded(6));
    }

    #[test]
    fn an_unreachable_destination_opens_then_probes_with_a_growing_backoff() {
        let policy = DestinationPolicy::default();
        let t0 = Instant::now();
        let mut d = Destination::new(t0);
        d.start(t0);
        assert_eq!(
            d.finish(Health::Unreachable, t0, &policy),
            Some(t0 + 5 * SEC)
        );
        assert!(d.excluded(0) && !d.may_start());

        d.tick(t0 + 4 * SEC);
        assert!(d.excluded(0), "still open");
        d.tick(t0 + 5 * SEC);
        assert_eq!(d.breaker, Breaker::HalfOpen { backoff: 5 * SEC });
        assert!(!d.excluded(0) && d.may_start());
        assert!(d.excluded(1), "one probe waits already");

        let t1 = t0 + 5 * SEC;
        d.start(t1);
        assert!(!d.may_start() && d.excluded(0), "only the probe goes");
        assert_eq!(
            d.finish(Health::Unreachable, t1, &policy),
            Some(t1 + 10 * SEC)
        );

        // Doubling stops at the maximum.
        let mut t = t1;
        for _ in 0..10 {
            t += 600 * SEC;
            d.tick(t);
            d.start(t);
            d.finish(Health::Unreachable, t, &policy);
        }
        assert_eq!(d.open_until(), Some(t + 300 * SEC));

        // An answer to the probe closes it, and slow start begins again.
        t += 300 * SEC;
        d.tick(t);
        d.start(t);
        assert_eq!(d.finish(Health::Answered, t, &policy), None);
        assert_eq!(d.breaker, Breaker::Closed);
        assert_eq!(d.allowed, 2);
    }

    #[test]
    fn late_failures_of_an_open_breaker_change_nothing() {
        let policy = DestinationPolicy::default();
        let t0 = Instant::now();
        let mut d = Destination::new(t0);
        d.allowed = 4;
        for _ in 0..3 {
            d.start(t0);
        }
        let until = d.finish(Health::Unreachable, t0, &policy);
        assert_eq!(until, Some(t0 + 5 * SEC));
        assert_eq!(d.finish(Health::Unreachable, t0 + SEC, &policy), None);
        assert_eq!(d.open_until(), Some(t0 + 5 * SEC));
        // A late answer proves it up again.
        assert_eq!(d.finish(Health::Answered, t0 + SEC, &policy), None);
        assert_eq!(d.breaker, Breaker::Closed);
        assert_eq!(d.in_flight, 0);
    }

    #[test]
    fn a_refusal_tells_nothing() {
        let policy = DestinationPolicy::default();
        let t0 = Instant::now();
        let mut d = Destination::new(t0);
        d.start(t0);
        assert_eq!(d.finish(Health::Unknown, t0, &policy), None);
        assert_eq!((d.breaker, d.allowed), (Breaker::Closed, 2));
        assert!(d.idle_since(t0 + SEC));
    }
}
