//! OpenTelemetry for the invoices app: traces and metrics exported over
//! OTLP/HTTP when the standard environment variables ask for it, nothing
//! otherwise; and a `SERVER` span per request, so that the span of a
//! queued callback, and each of its attempts, belong to the trace of the
//! request that queued it.
//!
//! - `OTEL_EXPORTER_OTLP_ENDPOINT` (or the per-signal
//!   `OTEL_EXPORTER_OTLP_TRACES_ENDPOINT`, `…_METRICS_ENDPOINT`): where to
//!   export; unset, nothing is exported;
//! - `OTEL_EXPORTER_OTLP_PROTOCOL`: `http/protobuf` (the default) or
//!   `http/json`;
//! - `OTEL_SERVICE_NAME`, `OTEL_RESOURCE_ATTRIBUTES`, `OTEL_BSP_*` and
//!   `OTEL_METRIC_EXPORT_INTERVAL` as the SDK reads them.
//!
//! An incoming W3C `traceparent` header is continued.

use std::future::Future;

use actix_web::dev::{Service, ServiceRequest, ServiceResponse};
use actix_web::http::header::HeaderMap;
use opentelemetry::context::FutureExt;
use opentelemetry::propagation::Extractor;
use opentelemetry::trace::{SpanKind, Status, TraceContextExt, Tracer};
use opentelemetry::{global, Context, KeyValue};
use opentelemetry_sdk::metrics::SdkMeterProvider;
use opentelemetry_sdk::propagation::TraceContextPropagator;
use opentelemetry_sdk::trace::SdkTracerProvider;
use opentelemetry_sdk::Resource;

/// The providers installed by [`init`], to flush and close at exit.
#[derive(Debug, Default)]
pub struct Telemetry {
    tracer: Option<SdkTracerProvider>,
    meter: Option<SdkMeterProvider>,
}

/// Whether an OTLP endpoint is configured for `signal` (`TRACES`,
/// `METRICS`).
fn exports(signal: &str) -> bool {
    let set = |name: &str| std::env::var(name).is_ok_and(|v| !v.is_empty());
    set("OTEL_EXPORTER_OTLP_ENDPOINT") || set(&format!("OTEL_EXPORTER_OTLP_{signal}_ENDPOINT"))
}

/// Installs the global tracer and meter providers, exporting over OTLP/HTTP
/// where the environment names an endpoint, and the W3C trace-context
/// propagator.
///
/// # Errors
///
/// When an exporter cannot be built from the environment (say, a
/// protocol this app does not speak).
pub fn init() -> Result<Telemetry, String> {
    global::set_text_map_propagator(TraceContextPropagator::new());
    let resource = Resource::builder().with_service_name("invoices").build();
    let mut telemetry = Telemetry::default();
    if exports("TRACES") {
        let exporter = opentelemetry_otlp::SpanExporter::builder()
            .with_http()
            .build()
            .map_err(|e| format!("the OTLP span exporter: {e}"))?;
        let provider = SdkTracerProvider::builder()
            .with_batch_exporter(exporter)
            .with_resource(resource.clone())
            .build();
        global::set_tracer_provider(provider.clone());
        telemetry.tracer = Some(provider);
    }
    if exports("METRICS") {
        let exporter = opentelemetry_otlp::MetricExporter::builder()
            .with_http()
            .build()
            .map_err(|e| format!("the OTLP metric exporter: {e}"))?;
        let provider = SdkMeterProvider::builder()
            .with_periodic_exporter(exporter)
            .with_resource(resource)
            .build();
        global::set_meter_provider(provider.clone());
        telemetry.meter = Some(provider);
    }
    Ok(telemetry)
}

impl Telemetry {
    /// Whether anything is exported.
    pub fn exports(&self) -> bool {
        self.tracer.is_some() || self.meter.is_some()
    }

    /// Exports what is pending and closes the exporters.
    pub fn shutdown(self) {
        if let Some(tracer) = self.tracer {
            let _ = tracer.shutdown();
        }
        if let Some(meter) = self.meter {
            let _ = meter.shutdown();
        }
    }
}

/// Reads the W3C headers of an actix-web request.
struct Headers<'a>(&'a HeaderMap);

impl Extractor for Headers<'_> {
    fn get(&self, key: &str) -> Option<&str> {
        self.0.get(key).and_then(|v| v.to_str().ok())
    }

    fn keys(&self) -> Vec<&str> {
        self.0.keys().map(|k| k.as_str()).collect()
    }
}

/// Middleware (for `App::wrap_fn`): runs each request inside a `SERVER`
/// span (`POST /invoices/`), continuing the caller's trace when it sends a
/// `traceparent`.
pub fn trace_request<S, B>(
    request: ServiceRequest,
    service: &S,
) -> impl Future<Output = Result<ServiceResponse<B>, actix_web::Error>>
where
    S: Service<ServiceRequest, Response = ServiceResponse<B>, Error = actix_web::Error>,
{
    let parent = global::get_text_map_propagator(|p| p.extract(&Headers(request.headers())));
    let tracer = global::tracer("invoices");
    let method = request.method().as_str().to_owned();
    let span = tracer
        .span_builder(format!("{method} {}", request.path()))
        .with_kind(SpanKind::Server)
        .with_attributes([
            KeyValue::new("http.request.method", method),
            KeyValue::new("url.path", request.path().to_owned()),
        ])
        .start_with_context(&tracer, &parent);
    let context = Context::current_with_span(span);
    let response = service.call(request).with_context(context.clone());
    async move {
        let response = response.await;
        let span = context.span();
        match &response {
            Ok(response) => {
                let status = response.status().as_u16();
                span.set_attribute(KeyValue::new(
                    "http.response.status_code",
                    i64::from(status),
                ));
                if status >= 500 {
                    span.set_status(Status::error(""));
                }
            }
            Err(_) => span.set_status(Status::error("")),
        }
        span.end();
        response
    }
}
