//! The OpenTelemetry side of [`super`]: spans and instruments from the
//! global providers.

use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant, SystemTime};

use opentelemetry::global::{self, BoxedSpan};
use opentelemetry::metrics::{Counter, Histogram, ObservableGauge};
use opentelemetry::trace::{
    Link, Span, SpanContext, SpanId, SpanKind, Status, TraceContextExt, TraceFlags, TraceId,
    TraceState, Tracer,
};
use opentelemetry::{Context, KeyValue};

use crate::delivery::{unix_millis, NewDelivery};
use crate::store::{Claimed, Next, Store};

/// The instrumentation scope of everything this crate records.
const SCOPE: &str = "callback-delivery";

/// How often the queue gauges are refreshed from the store.
const QUEUE_EVERY: Duration = Duration::from_secs(5);

/// Starts and ends a `PRODUCER` span for each delivery about to be queued
/// (none for a refused one: it is never sent), a child of the current
/// context; returns each span's context as a W3C `traceparent`.
pub(crate) fn queued(deliveries: &[NewDelivery]) -> Vec<Option<String>> {
    let tracer = global::tracer(SCOPE);
    let parent = Context::current();
    deliveries
        .iter()
        .map(|delivery| {
            if delivery.refused.is_some() {
                return None;
            }
            let mut span = tracer
                .span_builder(format!("queue {}", delivery.callback))
                .with_kind(SpanKind::Producer)
                .with_attributes([
                    KeyValue::new("callback.name", delivery.callback.clone()),
                    KeyValue::new("url.full", delivery.url.clone()),
                ])
                .start_with_context(&tracer, &parent);
            let context = span.span_context().clone();
            span.end();
            context.is_valid().then(|| traceparent(&context))
        })
        .collect()
}

/// A span context as a W3C `traceparent` header value.
fn traceparent(context: &SpanContext) -> String {
    format!(
        "00-{}-{}-{:02x}",
        context.trace_id(),
        context.span_id(),
        context.trace_flags().to_u8()
    )
}

/// A W3C `traceparent` header value (version 00) as a remote span
/// context; `None` when it is not one.
fn parse_traceparent(value: &str) -> Option<SpanContext> {
    let mut parts = value.split('-');
    let (version, trace, span, flags) =
        (parts.next()?, parts.next()?, parts.next()?, parts.next()?);
    if version != "00" || parts.next().is_some() || trace.len() != 32 || span.len() != 16 {
        return None;
    }
    let context = SpanContext::new(
        TraceId::from_hex(trace).ok()?,
        SpanId::from_hex(span).ok()?,
        TraceFlags::new(u8::from_str_radix(flags, 16).ok()?),
        true,
        TraceState::NONE,
    );
    context.is_valid().then_some(context)
}

/// The dispatcher's instruments, and the values its gauges read.
pub(crate) struct Instruments {
    request_duration: Histogram<f64>,
    outcomes: Counter<u64>,
    latency: Histogram<f64>,
    /// Destinations whose breaker is open, as the scheduler last said.
    open: Arc<Mutex<Vec<String>>>,
    _gauges: Vec<ObservableGauge<u64>>,
    _refresher: Refresher,
}

impl std::fmt::Debug for Instruments {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Instruments").finish_non_exhaustive()
    }
}

/// Stops the task that refreshes the queue gauges when dropped.
struct Refresher(Option<tokio::task::JoinHandle<()>>);

impl Drop for Refresher {
    fn drop(&mut self) {
        if let Some(task) = self.0.take() {
            task.abort();
        }
    }
}

/// The queue's last counts, read by the gauges' callbacks.
#[derive(Default)]
struct Queue {
    pending: AtomicU64,
    due: AtomicU64,
    /// Milliseconds the oldest due delivery has waited.
    oldest_due_ms: AtomicU64,
}

impl Instruments {
    /// Instruments from the global meter provider, and a task (on the
    /// current tokio runtime) that reads the queue's counts from `store`
    /// every few seconds.
    pub(crate) fn new(store: &Arc<dyn Store>) -> Instruments {
        let meter = global::meter(SCOPE);
        let queue = Arc::new(Queue::default());
        let open: Arc<Mutex<Vec<String>>> = Arc::default();
        let gauge = |name: &'static str,
                     unit: &'static str,
                     description: &'static str,
                     read: fn(&Queue) -> u64| {
            let queue = Arc::clone(&queue);
            meter
                .u64_observable_gauge(name)
                .with_unit(unit)
                .with_description(description)
                .with_callback(move |observer| observer.observe(read(&queue), &[]))
                .build()
        };
        let mut gauges = vec![
            gauge(
                "callback.queue.pending",
                "{delivery}",
                "Deliveries waiting for an attempt, due or not.",
                |q| q.pending.load(Ordering::Relaxed),
            ),
            gauge(
                "callback.queue.due",
                "{delivery}",
                "Deliveries due now and not in flight.",
                |q| q.due.load(Ordering::Relaxed),
            ),
        ];
        {
            let queue = Arc::clone(&queue);
            gauges.push(
                meter
                    .u64_observable_gauge("callback.queue.oldest_due_age")
                    .with_unit("s")
                    .with_description("How long the oldest due delivery has waited.")
                    .with_callback(move |observer| {
                        observer.observe(queue.oldest_due_ms.load(Ordering::Relaxed) / 1000, &[]);
                    })
                    .build(),
            );
        }
        {
            let open = Arc::clone(&open);
            gauges.push(
                meter
                    .u64_observable_gauge("callback.destination.breaker.open")
                    .with_unit("{destination}")
                    .with_description("Destinations whose circuit breaker is open (1 each).")
                    .with_callback(move |observer| {
                        if let Ok(open) = open.lock() {
                            for destination in open.iter() {
                                observer.observe(
                                    1,
                                    &[KeyValue::new("server.address", destination.clone())],
                                );
                            }
                        }
                    })
                    .build(),
            );
        }
        let refresher = tokio::runtime::Handle::try_current().ok().map(|runtime| {
            let store = Arc::clone(store);
            runtime.spawn(async move {
                let mut ticks = tokio::time::interval(QUEUE_EVERY);
                ticks.set_missed_tick_behavior(tokio::time::MissedTickBehavior::Delay);
                loop {
                    ticks.tick().await;
                    match store.stats().await {
                        Ok(Some(stats)) => {
                            queue.pending.store(stats.pending, Ordering::Relaxed);
                            queue.due.store(stats.due, Ordering::Relaxed);
                            let waited = stats.oldest_due_at.map_or(0, |at| {
                                u64::try_from(unix_millis(SystemTime::now()).saturating_sub(at))
                                    .unwrap_or(0)
                            });
                            queue.oldest_due_ms.store(waited, Ordering::Relaxed);
                        }
                        Ok(None) => return,
                        Err(error) => tracing::debug!(%error, "counting the queue failed"),
                    }
                }
            })
        });
        Instruments {
            request_duration: meter
                .f64_histogram("http.client.request.duration")
                .with_unit("s")
                .with_description("Duration of HTTP client requests.")
                .with_boundaries(vec![
                    0.005, 0.01, 0.025, 0.05, 0.075, 0.1, 0.25, 0.5, 0.75, 1.0, 2.5, 5.0, 7.5,
                    10.0, 30.0,
                ])
                .build(),
            outcomes: meter
                .u64_counter("callback.deliveries")
                .with_unit("{delivery}")
                .with_description(
                    "Attempts by what came of them: delivered, retry, failed, refused, gone.",
                )
                .build(),
            latency: meter
                .f64_histogram("callback.delivery.latency")
                .with_unit("s")
                .with_description("Time from queueing to delivery, of delivered callbacks.")
                .with_boundaries(vec![
                    0.01, 0.05, 0.1, 0.5, 1.0, 5.0, 10.0, 30.0, 60.0, 300.0, 1800.0, 3600.0,
                    21600.0, 86400.0,
                ])
                .build(),
            open,
            _gauges: gauges,
            _refresher: Refresher(refresher),
        }
    }

    /// The destinations whose breaker is open now.
    pub(crate) fn breakers(&self, open: Vec<String>) {
        if let Ok(mut current) = self.open.lock() {
            *current = open;
        }
    }
}

/// The span and the timing of one attempt.
pub(crate) struct Attempt {
    span: BoxedSpan,
    started: Instant,
    attributes: Vec<KeyValue>,
    instruments: Arc<Instruments>,
}

impl Attempt {
    /// Starts the attempt's `CLIENT` span: a child of the span that queued
    /// the delivery, linking to it.
    pub(crate) fn start(instruments: &Arc<Instruments>, claimed: &Claimed) -> Attempt {
        let tracer = global::tracer(SCOPE);
        let queued = claimed.trace_context.as_deref().and_then(parse_traceparent);
        let parent = match &queued {
            Some(context) => Context::new().with_remote_span_context(context.clone()),
            None => Context::new(),
        };
        let url = url::Url::parse(&claimed.url).ok();
        let address = url.as_ref().and_then(|u| u.host_str()).map(str::to_owned);
        let port = url.as_ref().and_then(url::Url::port_or_known_default);
        let mut attributes = vec![KeyValue::new("http.request.method", claimed.method.clone())];
        if let Some(address) = address {
            attributes.push(KeyValue::new("server.address", address));
        }
        if let Some(port) = port {
            attributes.push(KeyValue::new("server.port", i64::from(port)));
        }
        let mut span_attributes = attributes.clone();
        span_attributes.push(KeyValue::new("url.full", claimed.url.clone()));
        if claimed.attempts > 0 {
            span_attributes.push(KeyValue::new(
                "http.request.resend_count",
                i64::from(claimed.attempts),
            ));
        }
        let links = queued
            .map(|context| vec![Link::with_context(context)])
            .unwrap_or_default();
        let span = tracer
            .span_builder(claimed.method.clone())
            .with_kind(SpanKind::Client)
            .with_attributes(span_attributes)
            .with_links(links)
            .start_with_context(&tracer, &parent);
        Attempt {
            span,
            started: Instant::now(),
            attributes,
            instruments: Arc::clone(instruments),
        }
    }

    /// The attempt's context, for the request's `traceparent` header.
    pub(crate) fn traceparent(&self) -> Option<String> {
        let context = self.span.span_context();
        context.is_valid().then(|| traceparent(context))
    }

    /// Ends the span and records the attempt: its answer's status, what
    /// went wrong (`error.type`), what comes next, and when the delivery
    /// was queued (milliseconds since the epoch).
    pub(crate) fn finish(
        mut self,
        status: Option<u16>,
        error_type: Option<&'static str>,
        next: &Next,
        created_at: i64,
    ) {
        let mut attributes = self.attributes;
        if let Some(status) = status {
            let status = KeyValue::new("http.response.status_code", i64::from(status));
            self.span.set_attribute(status.clone());
            attributes.push(status);
        }
        let error = error_type
            .map(str::to_owned)
            .or_else(|| status.filter(|s| *s >= 400).map(|s| s.to_string()));
        if let Some(error) = error {
            let error = KeyValue::new("error.type", error);
            self.span.set_attribute(error.clone());
            self.span.set_status(Status::error(""));
            attributes.push(error);
        }
        self.span.end();
        let instruments = &self.instruments;
        instruments
            .request_duration
            .record(self.started.elapsed().as_secs_f64(), &attributes);
        let outcome = match next {
            Next::Retry(_) => "retry",
            Next::Finish(status) => status.as_str(),
        };
        instruments
            .outcomes
            .add(1, &[KeyValue::new("callback.outcome", outcome)]);
        if outcome == "delivered" {
            let waited = unix_millis(SystemTime::now()).saturating_sub(created_at);
            instruments.latency.record(
                Duration::from_millis(u64::try_from(waited).unwrap_or(0)).as_secs_f64(),
                &[],
            );
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn traceparent_round_trips_and_refuses_what_is_not_one() {
        let context = SpanContext::new(
            TraceId::from_hex("4bf92f3577b34da6a3ce929d0e0e4736").unwrap(),
            SpanId::from_hex("00f067aa0ba902b7").unwrap(),
            TraceFlags::SAMPLED,
            true,
            TraceState::NONE,
        );
        let header = traceparent(&context);
        assert_eq!(
            header,
            "00-4bf92f3577b34da6a3ce929d0e0e4736-00f067aa0ba902b7-01"
        );
        assert_eq!(parse_traceparent(&header), Some(context));
        for bad in [
            "",
            "01-4bf92f3577b34da6a3ce929d0e0e4736-00f067aa0ba902b7-01",
            "00-4bf92f3577b34da6a3ce929d0e0e4736-00f067aa0ba902b7",
            "00-00000000000000000000000000000000-00f067aa0ba902b7-01",
            "00-4bf92f3577b34da6a3ce929d0e0e4736-00f067aa0ba902b7-01-extra",
            "00-xyz-00f067aa0ba902b7-01",
        ] {
            assert_eq!(parse_traceparent(bad), None, "{bad:?}");
        }
    }
}
