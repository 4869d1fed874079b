//! What evaluation allocates, measured with a counting global allocator.
//!
//! One test only: the allocator counts every thread, so nothing else may run
//! in this binary while it measures.
#![cfg(feature = "eval")]

use std::alloc::System;

use callback_expr::{CapturePlan, Expression, RequestParts, Template};
use serde_json::json;
use stats_alloc::{Region, Stats, StatsAlloc, INSTRUMENTED_SYSTEM};

#[global_allocator]
static GLOBAL: &StatsAlloc<System> = &INSTRUMENTED_SYSTEM;

fn measure<T>(f: impl FnOnce() -> T) -> (T, Stats) {
    let region = Region::new(GLOBAL);
    let out = f();
    (out, region.change())
}

#[test]
fn evaluation_allocates_the_url_and_nothing_else() {
    let templates = [
        "{$request.query.callback_url}/invoices/{$request.body#/id}",
        "{$request.header.X-Base}/v1/{$request.path.tenant}/{$request.body#/id}?amount={$request.body#/total}&paid={$request.body#/paid}",
        "https://hooks.example/ü/{$method}?u={$url}#{$request.body#/note}",
    ]
    .map(|t| Template::parse(t).unwrap());
    let plan = CapturePlan::new(&templates);
    let body = json!({"id": "inv/ 7", "total": 12.5, "paid": false, "note": "a&b=c+d é"});
    let captured = plan.capture(&RequestParts {
        method: "POST",
        url: "https://api.example/t1/invoices?callback_url=https%3A%2F%2Fc.example%2Fcb",
        path_params: &[("tenant", "t 1")],
        query: "callback_url=https%3A%2F%2Fc.example%2Fcb",
        headers: &[("x-base", "https://base.example")],
        body: Some(&body),
    });

    for template in &templates {
        let (url, stats) = measure(|| template.evaluate(&captured).unwrap());
        assert_eq!(stats.allocations, 1, "{template}: {stats:?}");
        assert_eq!(stats.reallocations, 0, "{template}: {stats:?}");
        assert_eq!(stats.bytes_allocated, url.len(), "{template}: {stats:?}");
        assert_eq!(url.capacity(), url.len());

        // Into a buffer that is large enough already: nothing at all.
        let mut buffer = String::with_capacity(256);
        let ((), stats) = measure(|| template.evaluate_into(&captured, &mut buffer).unwrap());
        assert_eq!(buffer, url);
        assert_eq!(
            (stats.allocations, stats.reallocations),
            (0, 0),
            "{template}"
        );
    }

    // A single expression is borrowed from the capture.
    let total = Expression::parse("$request.body#/total").unwrap();
    let (value, stats) = measure(|| total.evaluate(&captured).map(|v| v.as_f64()));
    assert_eq!(value, Ok(Some(12.5)));
    assert_eq!(stats.allocations, 0);
}
