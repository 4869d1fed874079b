//! Traces and metrics of deliveries: spans, links and attributes, metric
//! names and units, read with the SDK's in-memory exporters; and the
//! invoices example exporting over OTLP/HTTP (JSON) to a collector on
//! loopback.

use std::collections::BTreeSet;
use std::net::SocketAddr;
use std::sync::{Arc, Mutex, OnceLock};
use std::time::Duration;

use actix_web::{web, App, HttpServer};
use callback_runtime::delivery::dispatcher::Outbox;
use callback_runtime::delivery::store::MemoryStore;
use callback_runtime::delivery::NewDelivery;
use opentelemetry::context::FutureExt;
use opentelemetry::trace::{SpanKind, TraceContextExt, Tracer};
use opentelemetry::{global, Context, Value};
use opentelemetry_sdk::metrics::data::{AggregatedMetrics, MetricData};
use opentelemetry_sdk::metrics::{InMemoryMetricExporter, PeriodicReader, SdkMeterProvider};
use opentelemetry_sdk::trace::{InMemorySpanExporter, SdkTracerProvider, SpanData};

use crate::delivery::{dispatcher, eventually, post_invoice, runtime, urlencode, Answer, Receiver};

/// The in-memory exporters behind the global providers, installed once for
/// the whole test binary (other tests' dispatchers record into them too;
/// each test finds its own spans by their callback's name).
struct Exporters {
    spans: InMemorySpanExporter,
    metrics: InMemoryMetricExporter,
    meter: SdkMeterProvider,
}

fn exporters() -> &'static Exporters {
    static EXPORTERS: OnceLock<Exporters> = OnceLock::new();
    EXPORTERS.get_or_init(|| {
        let spans = InMemorySpanExporter::default();
        let tracer = SdkTracerProvider::builder()
            .with_simple_exporter(spans.clone())
            .build();
        global::set_tracer_provider(tracer);
        let metrics = InMemoryMetricExporter::default();
        let meter = SdkMeterProvider::builder()
            .with_reader(PeriodicReader::builder(metrics.clone()).build())
            .build();
        global::set_meter_provider(meter.clone());
        Exporters {
            spans,
            metrics,
            meter,
        }
    })
}

fn attribute<'a>(span: &'a SpanData, key: &str) -> Option<&'a Value> {
    span.attributes
        .iter()
        .find(|kv| kv.key.as_str() == key)
        .map(|kv| &kv.value)
}

fn delivery(url: String) -> NewDelivery {
    NewDelivery {
        callback: "tests::otel".to_owned(),
        method: "POST".to_owned(),
        url,
        body: "{}".to_owned(),
        refused: None,
    }
}

#[test]
fn each_attempt_is_a_client_span_of_the_trace_that_queued_it() {
    let exporters = exporters();
    let receiver = Receiver::default();
    let hooks = receiver.start();
    receiver.script("/otel/flaky", [Answer::Status(500)]);
    runtime().block_on(async {
        let outbox = Outbox::new(MemoryStore::new());
        let dispatch = dispatcher(&outbox, &[100]);
        // The request that queues the callbacks, as a server span.
        let tracer = global::tracer("tests");
        let request = tracer
            .span_builder("POST /invoices/")
            .with_kind(SpanKind::Server)
            .start(&tracer);
        let request = Context::current_with_span(request);
        let queue = async {
            outbox
                .enqueue(delivery(format!("http://{hooks}/otel/ok")))
                .await
                .unwrap();
            outbox
                .enqueue(delivery(format!("http://{hooks}/otel/flaky")))
                .await
                .unwrap();
        };
        queue.with_context(request.clone()).await;
        request.span().end();
        assert!(eventually(Duration::from_secs(10), || receiver.received().len() == 3).await);
        dispatch.shutdown().await;
    });

    let spans = exporters.spans.get_finished_spans().unwrap();
    let server = spans
        .iter()
        .find(|s| s.name == "POST /invoices/" && s.span_kind == SpanKind::Server)
        .expect("the request's span");
    let producers: Vec<&SpanData> = spans
        .iter()
        .filter(|s| s.name == "queue tests::otel")
        .collect();
    assert_eq!(producers.len(), 2);
    for producer in &producers {
        assert_eq!(producer.span_kind, SpanKind::Producer);
        assert_eq!(producer.parent_span_id, server.span_context.span_id());
        assert_eq!(
            producer.span_context.trace_id(),
            server.span_context.trace_id()
        );
        assert_eq!(
            attribute(producer, "callback.name"),
            Some(&Value::from("tests::otel"))
        );
    }
    let producer_ids: Vec<_> = producers.iter().map(|p| p.span_context.span_id()).collect();
    let attempts: Vec<&SpanData> = spans
        .iter()
        .filter(|s| s.span_kind == SpanKind::Client && producer_ids.contains(&s.parent_span_id))
        .collect();
    assert_eq!(attempts.len(), 3, "two deliveries, one retried");
    for attempt in &attempts {
        assert_eq!(attempt.name, "POST");
        let producer = producers
            .iter()
            .find(|p| p.span_context.span_id() == attempt.parent_span_id)
            .unwrap();
        let linked: Vec<_> = attempt
            .links
            .links
            .iter()
            .map(|l| (l.span_context.trace_id(), l.span_context.span_id()))
            .collect();
        assert_eq!(
            linked,
            vec![(
                producer.span_context.trace_id(),
                producer.span_context.span_id()
            )],
            "the attempt links to the span that queued it"
        );
        assert_eq!(
            attribute(attempt, "http.request.method"),
            Some(&Value::from("POST"))
        );
        assert_eq!(
            attribute(attempt, "server.address"),
            Some(&Value::from("127.0.0.1"))
        );
        assert_eq!(
            attribute(attempt, "server.port"),
            Some(&Value::from(i64::from(hooks.port())))
        );
        let url = attribute(attempt, "url.full").unwrap().as_str();
        assert!(url.starts_with(&format!("http://{hooks}/otel/")), "{url}");
    }
    let flaky: Vec<&&SpanData> = attempts
        .iter()
        .filter(|a| {
            attribute(a, "url.full")
                .unwrap()
                .as_str()
                .ends_with("/flaky")
        })
        .collect();
    assert_eq!(flaky.len(), 2);
    let (first, second) = if attribute(flaky[0], "http.request.resend_count").is_none() {
        (flaky[0], flaky[1])
    } else {
        (flaky[1], flaky[0])
    };
    assert_eq!(
        attribute(first, "http.response.status_code"),
        Some(&Value::from(500_i64))
    );
    assert_eq!(attribute(first, "error.type"), Some(&Value::from("500")));
    assert_eq!(
        attribute(second, "http.request.resend_count"),
        Some(&Value::from(1_i64))
    );
    assert_eq!(
        attribute(second, "http.response.status_code"),
        Some(&Value::from(200_i64))
    );
    assert_eq!(attribute(second, "error.type"), None);

    // Each request carried its attempt's context.
    for got in receiver.received() {
        let traceparent = got.traceparent.expect("a traceparent header");
        let attempt = attempts
            .iter()
            .find(|a| {
                traceparent
                    == format!(
                        "00-{}-{}-01",
                        a.span_context.trace_id(),
                        a.span_context.span_id()
                    )
            })
            .unwrap_or_else(|| panic!("{traceparent} is no attempt's"));
        assert_eq!(
            attempt.span_context.trace_id(),
            server.span_context.trace_id()
        );
    }

    // The metrics, by name and unit.
    exporters.meter.force_flush().unwrap();
    let exported = exporters.metrics.get_finished_metrics().unwrap();
    let mut seen = std::collections::BTreeMap::new();
    let mut outcomes = BTreeSet::new();
    for resource in &exported {
        for scope in resource.scope_metrics() {
            if scope.scope().name() != "callback-delivery" {
                continue;
            }
            for metric in scope.metrics() {
                seen.insert(metric.name().to_owned(), metric.unit().to_owned());
                if metric.name() == "callback.deliveries" {
                    if let AggregatedMetrics::U64(MetricData::Sum(sum)) = metric.data() {
                        for point in sum.data_points() {
                            for kv in point.attributes() {
                                outcomes.insert(kv.value.as_str().into_owned());
                            }
                        }
                    }
                }
            }
        }
    }
    for (name, unit) in [
        ("http.client.request.duration", "s"),
        ("callback.deliveries", "{delivery}"),
        ("callback.delivery.latency", "s"),
        ("callback.queue.pending", "{delivery}"),
        ("callback.queue.due", "{delivery}"),
        ("callback.queue.oldest_due_age", "s"),
    ] {
        assert_eq!(
            seen.get(name).map(String::as_str),
            Some(unit),
            "{name}: {seen:?}"
        );
    }
    assert!(
        outcomes.contains("delivered") && outcomes.contains("retry"),
        "{outcomes:?}"
    );
}

/// What an OTLP/HTTP collector on loopback received, as JSON texts.
#[derive(Clone, Default)]
struct Collector {
    traces: Arc<Mutex<Vec<String>>>,
    metrics: Arc<Mutex<Vec<String>>>,
}

impl Collector {
    fn start(&self) -> SocketAddr {
        let collector = self.clone();
        let (tx, rx) = std::sync::mpsc::channel();
        std::thread::spawn(move || {
            actix_web::rt::System::new().block_on(async move {
                let server = HttpServer::new(move || {
                    let traces = collector.traces.clone();
                    let metrics = collector.metrics.clone();
                    App::new()
                        .route(
                            "/v1/traces",
                            web::post().to(move |body: web::Bytes| {
                                traces
                                    .lock()
                                    .unwrap()
                                    .push(String::from_utf8_lossy(&body).into_owned());
                                async { actix_web::HttpResponse::Ok().json(serde_json::json!({})) }
                            }),
                        )
                        .route(
                            "/v1/metrics",
                            web::post().to(move |body: web::Bytes| {
                                metrics
                                    .lock()
                                    .unwrap()
                                    .push(String::from_utf8_lossy(&body).into_owned());
                                async { actix_web::HttpResponse::Ok().json(serde_json::json!({})) }
                            }),
                        )
                })
                .workers(1)
                .bind(("127.0.0.1", 0))
                .unwrap();
                tx.send(server.addrs()[0]).unwrap();
                server.run().await.unwrap();
            });
        });
        rx.recv().unwrap()
    }
}

/// The `name`s of the spans (or metrics) in OTLP/JSON exports:
/// `resource` → `scope` → `items` → `name`.
fn names(exports: &[String], resource: &str, scope: &str, items: &str) -> BTreeSet<String> {
    let mut names = BTreeSet::new();
    for export in exports {
        let Ok(export) = serde_json::from_str::<serde_json::Value>(export) else {
            continue;
        };
        for r in export[resource].as_array().into_iter().flatten() {
            for s in r[scope].as_array().into_iter().flatten() {
                for item in s[items].as_array().into_iter().flatten() {
                    if let Some(name) = item["name"].as_str() {
                        names.insert(name.to_owned());
                    }
                }
            }
        }
    }
    names
}

/// The environment variable that makes [`otlp_child`] run.
const OTLP_CHILD: &str = "CALLBACK_OTLP_CHILD";

/// The child of [`the_example_exports_over_otlp_http_json`]: the invoices
/// app with the example's telemetry, from the environment the parent sets.
/// Ignored unless run by that test.
#[test]
#[ignore = "run as a child process by the_example_exports_over_otlp_http_json"]
fn otlp_child() {
    if std::env::var(OTLP_CHILD).is_err() {
        return;
    }
    let telemetry = examples::telemetry::init().expect("telemetry from the environment");
    assert!(telemetry.exports());
    let run = runtime();
    let outbox = Outbox::new(MemoryStore::new());
    let _dispatch = run.block_on(async { dispatcher(&outbox, &[100]) });
    let api = examples::invoices::api().unwrap();
    let (tx, rx) = std::sync::mpsc::channel();
    std::thread::spawn(move || {
        actix_web::rt::System::new().block_on(async move {
            let outbox = web::Data::new(outbox);
            let server = HttpServer::new(move || {
                App::new()
                    .wrap_fn(examples::telemetry::trace_request)
                    .app_data(outbox.clone())
                    .service(api.clone())
            })
            .workers(1)
            .bind(("127.0.0.1", 0))
            .unwrap();
            tx.send(server.addrs()[0]).unwrap();
            server.run().await.unwrap();
        });
    });
    println!("serving {}", rx.recv().unwrap().port());
    std::thread::sleep(Duration::from_secs(120));
}

#[test]
fn the_example_exports_over_otlp_http_json() {
    use std::io::Read;

    let collector = Collector::default();
    let endpoint = collector.start();
    let receiver = Receiver::default();
    let hooks = receiver.start();
    let mut child = std::process::Command::new(std::env::current_exe().unwrap())
        .args([
            "otel::otlp_child",
            "--exact",
            "--ignored",
            "--nocapture",
            "--test-threads=1",
        ])
        .env(OTLP_CHILD, "1")
        .env("OTEL_EXPORTER_OTLP_ENDPOINT", format!("http://{endpoint}"))
        .env("OTEL_EXPORTER_OTLP_PROTOCOL", "http/json")
        .env("OTEL_BSP_SCHEDULE_DELAY", "100")
        .env("OTEL_METRIC_EXPORT_INTERVAL", "300")
        .stdout(std::process::Stdio::piped())
        .stderr(std::process::Stdio::null())
        .spawn()
        .unwrap();
    let mut out = child.stdout.take().unwrap();
    let mut seen = String::new();
    let port: u16 = loop {
        let mut buf = [0u8; 256];
        let n = out.read(&mut buf).unwrap();
        assert!(n > 0, "the child ended: {seen}");
        seen.push_str(&String::from_utf8_lossy(&buf[..n]));
        if let Some((_, rest)) = seen.split_once("serving ") {
            if let Some((port, _)) = rest.split_once('\n') {
                break port.trim().parse().unwrap();
            }
        }
    };
    let app = SocketAddr::from(([127, 0, 0, 1], port));
    let query = format!(
        "?callback_url={}",
        urlencode(&format!("http://{hooks}/client"))
    );
    let created = post_invoice(
        app,
        &query,
        r#"{"id":"inv-otel","customer":"Ada","total":1}"#,
    );
    assert_eq!(created.status, 200);

    let exported = runtime().block_on(eventually(Duration::from_secs(20), || {
        let spans = names(
            &collector.traces.lock().unwrap(),
            "resourceSpans",
            "scopeSpans",
            "spans",
        );
        let metrics = names(
            &collector.metrics.lock().unwrap(),
            "resourceMetrics",
            "scopeMetrics",
            "metrics",
        );
        [
            "POST /invoices/",
            "queue invoice_callbacks::invoice_notification",
            "POST",
        ]
        .iter()
        .all(|name| spans.contains(*name))
            && ["http.client.request.duration", "callback.deliveries"]
                .iter()
                .all(|name| metrics.contains(*name))
    }));
    let _ = child.kill();
    let _ = child.wait();
    let traces = collector.traces.lock().unwrap().join("\n");
    let metric_exports = collector.metrics.lock().unwrap().len();
    assert!(
        exported,
        "the collector got {metric_exports} metric exports and these traces: {traces}"
    );
    assert!(traces.contains("\"service.name\""), "{traces}");
    assert_eq!(receiver.received().len(), 1);
    assert!(receiver.received()[0].traceparent.is_some());
}
