//! Parse, capture and evaluate: the invoices template and one with five
//! expressions. `cargo bench -p callback-expr`; results in BENCHMARKS.md.

use std::hint::black_box;

use callback_expr::{CapturePlan, RequestParts, ResponseParts, Template};
use criterion::{criterion_group, criterion_main, Criterion};
use serde_json::json;

const INVOICES: &str = "{$request.query.callback_url}/invoices/{$request.body#/id}";
const FIVE: &str = "{$request.query.callback_url}/tenants/{$request.path.tenant}/invoices/{$request.body#/id}?status={$statusCode}&by={$request.header.X-User}";

fn benches(c: &mut Criterion) {
    let body = json!({
        "id": "inv-2024-0017",
        "customer": "ACME Corp.",
        "total": 1234.5,
        "lines": [{"sku": "A-1", "qty": 3}, {"sku": "B-2", "qty": 1}],
    });
    let request = RequestParts {
        method: "POST",
        url: "https://api.example/tenants/t1/invoices/?callback_url=https%3A%2F%2Fclient.example%2Fhooks&page=1",
        path_params: &[("tenant", "t1")],
        query: "callback_url=https%3A%2F%2Fclient.example%2Fhooks&page=1",
        headers: &[
            ("Content-Type", "application/json"),
            ("Accept", "application/json"),
            ("X-User", "ada lovelace"),
        ],
        body: Some(&body),
    };
    let response = ResponseParts {
        status: 201,
        ..ResponseParts::default()
    };

    for (name, text) in [("invoices", INVOICES), ("five", FIVE)] {
        let template = Template::parse(text).unwrap();
        let plan = CapturePlan::new([&template]);
        let mut captured = plan.capture(&request);
        captured.add_response(&response);

        c.bench_function(&format!("parse/{name}"), |b| {
            b.iter(|| Template::parse(black_box(text)))
        });
        c.bench_function(&format!("capture/{name}"), |b| {
            b.iter(|| {
                let mut captured = plan.capture(black_box(&request));
                captured.add_response(black_box(&response));
                captured
            })
        });
        c.bench_function(&format!("evaluate/{name}"), |b| {
            b.iter(|| template.evaluate(black_box(&captured)))
        });
        let mut buffer = String::with_capacity(256);
        c.bench_function(&format!("evaluate_into/{name}"), |b| {
            b.iter(|| {
                buffer.clear();
                template.evaluate_into(black_box(&captured), &mut buffer)
            })
        });
    }
}

criterion_group!(expr, benches);
criterion_main!(expr);
