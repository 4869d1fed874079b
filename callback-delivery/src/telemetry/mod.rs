//! Traces and metrics of deliveries, with OpenTelemetry (feature `otel`).
//!
//! The crate records through the global providers the app installs
//! (`opentelemetry::global::set_tracer_provider`, `set_meter_provider`)
//! before it starts its dispatcher; without the feature, or without
//! providers, nothing is recorded and nothing costs.
//!
//! # Traces
//!
//! - When a callback is queued, a `PRODUCER` span (`queue {callback}`), a
//!   child of the context current where it is queued (the request that
//!   triggered it, when the app traces its requests). Its context is stored
//!   with the delivery, as a W3C `traceparent`.
//! - Each attempt is a `CLIENT` span named by its method (`POST`), per the
//!   HTTP client semantic conventions: `http.request.method`, `url.full`,
//!   `server.address`, `server.port`, `http.response.status_code`,
//!   `error.type`, and `http.request.resend_count` from the second attempt
//!   on. It is a child of the queueing span and links to it, so a trace goes
//!   from the request that queued a callback to each of its attempts, hours
//!   later; and the request carries the attempt's context in a W3C
//!   `traceparent` header, so that the receiver's trace continues it.
//!
//! # Metrics
//!
//! | instrument | kind | unit | attributes |
//! | --- | --- | --- | --- |
//! | `http.client.request.duration` | histogram | `s` | `http.request.method`, `server.address`, `server.port`, `http.response.status_code`, `error.type` |
//! | `callback.deliveries` | counter | `{delivery}` | `callback.outcome`: `delivered`, `retry`, `failed`, `refused`, `gone` |
//! | `callback.delivery.latency` | histogram | `s` | from queueing to delivery, delivered ones |
//! | `callback.queue.pending` | gauge | `{delivery}` | pending deliveries |
//! | `callback.queue.due` | gauge | `{delivery}` | pending deliveries due now |
//! | `callback.queue.oldest_due_age` | gauge | `s` | how long the oldest due delivery has waited |
//! | `callback.destination.breaker.open` | gauge | `{destination}` | destinations whose circuit breaker is open, with `server.address` |

#[cfg(feature = "otel")]
mod otel;

#[cfg(feature = "otel")]
pub(crate) use otel::{queued, Attempt, Instruments};

#[cfg(not(feature = "otel"))]
pub(crate) use off::{queued, Attempt, Instruments};

/// The same interface, recording nothing.
#[cfg(not(feature = "otel"))]
mod off {
    use std::sync::Arc;

    use crate::delivery::NewDelivery;
    use crate::store::{Claimed, Next, Store};

    /// No context: nothing traces.
    pub(crate) fn queued(deliveries: &[NewDelivery]) -> Vec<Option<String>> {
        vec![None; deliveries.len()]
    }

    /// No instruments.
    #[derive(Debug, Clone, Default)]
    pub(crate) struct Instruments;

    impl Instruments {
        pub(crate) fn new(_store: &Arc<dyn Store>) -> Instruments {
            Instruments
        }

        pub(crate) fn breakers(&self, _open: Vec<String>) {}
    }

    /// No span.
    pub(crate) struct Attempt;

    impl Attempt {
        pub(crate) fn start(_instruments: &Instruments, _claimed: &Claimed) -> Attempt {
            Attempt
        }

        pub(crate) fn traceparent(&self) -> Option<String> {
            None
        }

        pub(crate) fn finish(
            self,
            _status: Option<u16>,
            _error_type: Option<&'static str>,
            _next: &Next,
            _created_at: i64,
        ) {
        }
    }
}
