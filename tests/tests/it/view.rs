//! The deliveries view over HTTP: RFC 3339 times, filters, the next page's
//! link, counts, retry and cancel against a real dispatcher and receiver,
//! the page, the access rule, and what the document says of each route
//! against what the wire carries.

use std::sync::Arc;
use std::time::{Duration, SystemTime};

use callback_runtime::delivery::delivery::unix_millis;
use callback_runtime::delivery::dispatcher::{Dispatcher, Outbox};
use callback_runtime::delivery::guard::Guard;
use callback_runtime::delivery::sender::{Sender, SenderConfig};
use callback_runtime::delivery::signing::Signer;
use callback_runtime::delivery::store::{MemoryStore, Store};
use callback_runtime::delivery::{rfc3339, DeliveryId, NewDelivery, Status};
use serde_json::{json, Value};

use crate::delivery::{
    dispatcher, eventually, post_invoice, runtime, serve_invoices, urlencode, Answer, Receiver,
    SECRET,
};
use crate::support::{request, WireResponse};

fn to(callback: &str, url: &str) -> NewDelivery {
    NewDelivery {
        callback: callback.to_owned(),
        method: "POST".to_owned(),
        url: url.to_owned(),
        body: r#"{"n":1}"#.to_owned(),
        refused: None,
    }
}

fn get(app: std::net::SocketAddr, target: &str) -> WireResponse {
    request(app, "GET", target, &[], b"")
}

fn post(app: std::net::SocketAddr, target: &str) -> WireResponse {
    request(app, "POST", target, &[], b"")
}

/// The ids of a list answer, in order.
fn ids(list: &Value) -> Vec<i64> {
    list["deliveries"]
        .as_array()
        .unwrap_or_else(|| panic!("not a list: {list}"))
        .iter()
        .map(|d| d["id"].as_i64().expect("an id"))
        .collect()
}

fn is_rfc3339_millis(text: &str) -> bool {
    let b = text.as_bytes();
    let digits = |range: std::ops::Range<usize>| range.into_iter().all(|i| b[i].is_ascii_digit());
    b.len() == 24
        && digits(0..4)
        && b[4] == b'-'
        && digits(5..7)
        && b[7] == b'-'
        && digits(8..10)
        && b[10] == b'T'
        && digits(11..13)
        && b[13] == b':'
        && digits(14..16)
        && b[16] == b':'
        && digits(17..19)
        && b[19] == b'.'
        && digits(20..23)
        && b[23] == b'Z'
}

#[test]
fn the_view_shows_rfc3339_times_filters_pages_and_counts() {
    let store = Arc::new(MemoryStore::new());
    let outbox = Outbox::from_arc(store.clone());
    let app = serve_invoices(outbox.clone(), true);
    runtime().block_on(async {
        let early = outbox
            .enqueue_all(&[
                to("shop::order", "https://a.example/hooks/1"),
                to("shop::refund", "https://b.example:8443/hooks/2"),
            ])
            .await
            .unwrap();
        tokio::time::sleep(Duration::from_millis(30)).await;
        let cut = unix_millis(SystemTime::now());
        tokio::time::sleep(Duration::from_millis(30)).await;
        let late = outbox
            .enqueue_all(&[
                to("shop::order", "https://a.example/hooks/3"),
                to("shop::order", "https://b.example:8443/hooks/4"),
                to("shop::refund", "https://A.EXAMPLE:443/hooks/5"),
            ])
            .await
            .unwrap();
        let (e, l): (Vec<i64>, Vec<i64>) = (
            early.iter().map(|id| id.0).collect(),
            late.iter().map(|id| id.0).collect(),
        );

        // Cancelled through the view: 200, the delivery as it is now.
        let cancelled = post(app, &format!("/deliveries/{}/cancel", l[2]));
        assert_eq!(cancelled.status, 200, "{}", cancelled.text());
        assert_eq!(cancelled.header("content-type"), Some("application/json"));
        let cancelled = cancelled.json();
        assert_eq!(cancelled["status"], "cancelled");
        assert_eq!(cancelled["next_attempt_at"], Value::Null);
        assert!(is_rfc3339_millis(cancelled["finished_at"].as_str().unwrap()));

        // Times are RFC 3339 with milliseconds, the store's millis.
        let all = get(app, "/deliveries");
        assert_eq!(all.status, 200);
        let all = all.json();
        assert_eq!(ids(&all), [l[2], l[1], l[0], e[1], e[0]]);
        assert_eq!(all["next"], Value::Null, "not a full page");
        for d in all["deliveries"].as_array().unwrap() {
            let id = DeliveryId(d["id"].as_i64().unwrap());
            let (stored, _) = store.get(id).await.unwrap().unwrap();
            let created = d["created_at"].as_str().unwrap();
            assert!(is_rfc3339_millis(created), "{created}");
            assert_eq!(created, rfc3339::format(stored.created_at));
            assert_eq!(rfc3339::parse(created), Ok(stored.created_at));
            match stored.next_attempt_at {
                Some(at) => assert_eq!(d["next_attempt_at"], rfc3339::format(at)),
                None => assert_eq!(d["next_attempt_at"], Value::Null),
            }
            assert_eq!(d["destination"], stored.destination);
        }

        let list = |query: &str| {
            let answer = get(app, &format!("/deliveries?{query}"));
            assert_eq!(answer.status, 200, "{query}: {}", answer.text());
            answer.json()
        };
        assert_eq!(
            ids(&list("callback=shop%3A%3Aorder")),
            [l[1], l[0], e[0]]
        );
        assert_eq!(
            ids(&list("destination=https%3A%2F%2Fb.example%3A8443")),
            [l[1], e[1]]
        );
        // A URL stands for its origin.
        assert_eq!(
            ids(&list("destination=https%3A%2F%2Fa.example%2Fhooks%2F9")),
            [l[2], l[0], e[0]]
        );
        assert_eq!(ids(&list("status=cancelled")), [l[2]]);
        assert_eq!(
            ids(&list("status=pending&callback=shop%3A%3Arefund")),
            [e[1]]
        );
        // The cut as RFC 3339 with another offset: the same instant.
        let at = |millis: i64, offset: &str| {
            let utc = rfc3339::format(millis + 2 * 3600 * 1000);
            urlencode(&format!("{}{offset}", &utc[..23]))
        };
        assert_eq!(
            ids(&list(&format!("since={}", at(cut, "+02:00")))),
            [l[2], l[1], l[0]]
        );
        assert_eq!(
            ids(&list(&format!("until={}", at(cut, "+02:00")))),
            [e[1], e[0]]
        );

        // Pages of two: the `next` links keep the filters and move the
        // cursor; the last page is not full and has none.
        let mut target = format!("/deliveries?since={}&limit=2", urlencode(&rfc3339::format(cut - 60_000)));
        let mut pages = Vec::new();
        loop {
            let page = get(app, &target);
            assert_eq!(page.status, 200, "{target}");
            let page = page.json();
            pages.push(ids(&page));
            match page["next"].as_str() {
                Some(next) => {
                    assert!(next.starts_with("/deliveries?"), "{next}");
                    assert!(next.contains("limit=2"), "{next}");
                    assert!(next.contains("since="), "{next}");
                    target = next.to_owned();
                }
                None => break,
            }
            assert!(pages.len() < 10, "the links go round");
        }
        assert_eq!(pages, [vec![l[2], l[1]], vec![l[0], e[1]], vec![e[0]]]);

        let counts = get(app, "/deliveries/counts");
        assert_eq!(counts.status, 200);
        assert_eq!(counts.header("content-type"), Some("application/json"));
        assert_eq!(
            counts.json(),
            json!({"pending": 4, "delivered": 0, "failed": 0, "refused": 0, "gone": 0, "cancelled": 1})
        );
    });

    // Bad filters, cursors and ids: 422 naming each problem at once.
    let problems = |target: &str| {
        let answer = get(app, target);
        assert_eq!(answer.status, 422, "{target}: {}", answer.text());
        assert_eq!(answer.header("content-type"), Some("application/json"));
        answer.json()["detail"]
            .as_array()
            .unwrap()
            .iter()
            .map(|d| (d["loc"].clone(), d["type"].as_str().unwrap().to_owned()))
            .collect::<Vec<_>>()
    };
    assert_eq!(
        problems("/deliveries?since=yesterday&until=2026-13-01T00:00:00Z&before=x&status=lost"),
        [
            (json!(["query", "status"]), "literal_error".to_owned()),
            (json!(["query", "since"]), "datetime_parsing".to_owned()),
            (json!(["query", "until"]), "datetime_parsing".to_owned()),
            (json!(["query", "before"]), "int_parsing".to_owned()),
        ]
    );
    assert_eq!(
        problems("/deliveries/abc"),
        [(json!(["path", "id"]), "int_parsing".to_owned())]
    );
    for action in ["retry", "cancel"] {
        let answer = post(app, &format!("/deliveries/abc/{action}"));
        assert_eq!(answer.status, 422, "{action}");
        assert_eq!(answer.json()["detail"][0]["loc"], json!(["path", "id"]));
        let answer = post(app, &format!("/deliveries/999999/{action}"));
        assert_eq!(answer.status, 404, "{action}");
        assert_eq!(
            answer.json(),
            json!({"detail": [{"loc": ["path"], "msg": "no delivery 999999", "type": "not_found"}]})
        );
    }
}

#[test]
fn retry_sends_a_failed_delivery_again_and_cancel_stops_one_in_flight() {
    let receiver = Receiver::default();
    let hooks = receiver.start();
    receiver.script("/client/invoices/inv-1", [Answer::Status(500)]);
    receiver.script(
        "/client/invoices/inv-2",
        [Answer::Hang(Duration::from_secs(2))],
    );
    let store = Arc::new(MemoryStore::new());
    let outbox = Outbox::from_arc(store.clone());
    let app = serve_invoices(outbox.clone(), true);
    runtime().block_on(async {
        // One attempt each: a failure is final.
        let dispatch = dispatcher(&outbox, &[]);
        let query = format!(
            "?callback_url={}",
            urlencode(&format!("http://{hooks}/client"))
        );
        let created = post_invoice(app, &query, r#"{"id":"inv-1","customer":"Ada","total":1}"#);
        assert_eq!(created.status, 200);
        let mut failed = Value::Null;
        assert!(
            eventually(Duration::from_secs(10), || {
                failed = get(app, "/deliveries?status=failed").json();
                ids(&failed).len() == 1
            })
            .await,
            "{failed}"
        );
        let failed = failed["deliveries"][0].clone();
        let id = failed["id"].as_i64().unwrap();
        assert_eq!(failed["attempts"], 1);
        assert_eq!(failed["last_status"], 500);

        let retried = post(app, &format!("/deliveries/{id}/retry"));
        assert_eq!(retried.status, 202, "{}", retried.text());
        assert_eq!(retried.header("content-type"), Some("application/json"));
        let retried = retried.json();
        assert_eq!(retried["webhook_id"], failed["webhook_id"]);
        assert!(
            retried["status"] == "pending" || retried["status"] == "delivered",
            "{retried}"
        );
        let mut detail = Value::Null;
        assert!(
            eventually(Duration::from_secs(10), || {
                detail = get(app, &format!("/deliveries/{id}")).json();
                detail["status"] == "delivered"
            })
            .await,
            "{detail}"
        );
        assert_eq!(detail["attempts"], 2);
        let log: Vec<&Value> = detail["attempt_log"].as_array().unwrap().iter().collect();
        assert_eq!(
            log.iter().map(|a| a["status"].clone()).collect::<Vec<_>>(),
            [json!(500), json!(200)]
        );
        assert!(log
            .iter()
            .all(|a| is_rfc3339_millis(a["started_at"].as_str().unwrap())));
        // The receiver got it twice, under one webhook-id, signed.
        let got = receiver.on("/client/invoices/inv-1");
        assert_eq!(got.len(), 2);
        assert!(got
            .iter()
            .all(|r| r.verified && r.webhook_id == failed["webhook_id"]));

        // Delivered: no retry, no cancel.
        for (action, msg) in [
            (
                "retry",
                "only a failed, gone or refused delivery is sent again",
            ),
            ("cancel", "only a pending delivery can be cancelled"),
        ] {
            let refused = post(app, &format!("/deliveries/{id}/{action}"));
            assert_eq!(refused.status, 409, "{action}");
            assert_eq!(refused.header("content-type"), Some("application/json"));
            assert_eq!(
                refused.json(),
                json!({"detail": [{
                    "loc": ["path", "id"],
                    "msg": format!("delivery {id} is delivered: {msg}"),
                    "type": "conflict"
                }]})
            );
        }

        // Cancelled while its attempt is in flight (the receiver holds the
        // request past the sender's timeout): it stays cancelled, and that
        // attempt is not recorded.
        let created = post_invoice(app, &query, r#"{"id":"inv-2","customer":"Bo","total":2}"#);
        assert_eq!(created.status, 200);
        assert!(
            eventually(Duration::from_secs(10), || {
                !receiver.on("/client/invoices/inv-2").is_empty()
            })
            .await
        );
        let pending = get(app, "/deliveries?status=pending").json();
        let hung = pending["deliveries"][0]["id"].as_i64().expect("in flight");
        let cancelled = post(app, &format!("/deliveries/{hung}/cancel"));
        assert_eq!(cancelled.status, 200, "{}", cancelled.text());
        assert_eq!(cancelled.json()["status"], "cancelled");
        // The attempt times out (500 ms) and its outcome is refused.
        tokio::time::sleep(Duration::from_millis(1500)).await;
        let (after, log) = store.get(DeliveryId(hung)).await.unwrap().unwrap();
        assert_eq!(
            (after.status, after.attempts, log.len()),
            (Status::Cancelled, 0, 0)
        );
        assert_eq!(receiver.on("/client/invoices/inv-2").len(), 1);
        let again = post(app, &format!("/deliveries/{hung}/retry"));
        assert_eq!(again.status, 409);
        dispatch.shutdown().await;
    });
}

#[test]
fn a_retry_is_vetted_by_the_ssrf_guard() {
    let receiver = Receiver::default();
    let hooks = receiver.start();
    let store = Arc::new(MemoryStore::new());
    let outbox = Outbox::from_arc(store.clone());
    let app = serve_invoices(outbox.clone(), true);
    runtime().block_on(async {
        // This guard refuses loopback, where the receiver is.
        let sender = Sender::new(
            Guard::new(),
            Signer::new([SECRET]).unwrap(),
            SenderConfig::default(),
        )
        .unwrap();
        let dispatch = Dispatcher::new(outbox.clone(), sender)
            .poll_interval(Duration::from_millis(50))
            .spawn();
        let id = outbox
            .enqueue(to("tests::guard", &format!("http://{hooks}/internal")))
            .await
            .unwrap();
        let refused = |attempts: u32| {
            let store = store.clone();
            async move {
                let start = std::time::Instant::now();
                loop {
                    let (d, _) = store.get(id).await.unwrap().unwrap();
                    if d.status == Status::Refused && d.attempts == attempts {
                        return d;
                    }
                    assert!(start.elapsed() < Duration::from_secs(10), "{d:?}");
                    tokio::time::sleep(Duration::from_millis(20)).await;
                }
            }
        };
        refused(1).await;
        let retried = post(app, &format!("/deliveries/{}/retry", id.0));
        assert_eq!(retried.status, 202, "{}", retried.text());
        let again = refused(2).await;
        assert!(
            again
                .last_error
                .as_deref()
                .is_some_and(|e| e.contains("loopback")),
            "{again:?}"
        );
        dispatch.shutdown().await;
        assert!(receiver.received().is_empty(), "nothing was sent");
    });
}

#[test]
fn every_route_of_the_view_needs_the_access_rule() {
    let outbox = Outbox::new(MemoryStore::new());
    let app = serve_invoices(outbox, false);
    for (method, target) in [
        ("GET", "/deliveries"),
        ("GET", "/deliveries/counts"),
        ("GET", "/deliveries/ui"),
        ("GET", "/deliveries/1"),
        ("POST", "/deliveries/1/retry"),
        ("POST", "/deliveries/1/cancel"),
    ] {
        let denied = request(app, method, target, &[], b"");
        assert_eq!(denied.status, 403, "{method} {target}");
        assert_eq!(denied.header("content-type"), Some("application/json"));
        assert_eq!(denied.json()["detail"][0]["type"], "forbidden");
    }
}

#[test]
fn the_document_says_what_the_view_serves() {
    let api = examples::invoices::api().expect("the invoices API assembles");
    let doc = serde_json::to_value(api.document()).unwrap();
    let responses = |path: &str, method: &str| {
        let operation = &doc["paths"][path][method];
        let statuses: Vec<String> = operation["responses"]
            .as_object()
            .unwrap_or_else(|| panic!("{method} {path} is not documented"))
            .keys()
            .cloned()
            .collect();
        (operation["responses"].clone(), statuses)
    };
    let (list, statuses) = responses("/deliveries", "get");
    assert_eq!(statuses, ["200", "403", "422", "503"]);
    assert_eq!(
        list["200"]["content"]["application/json"]["schema"]["$ref"],
        "#/components/schemas/DeliveryList"
    );
    let names: Vec<&str> = doc["paths"]["/deliveries"]["get"]["parameters"]
        .as_array()
        .unwrap()
        .iter()
        .map(|p| p["name"].as_str().unwrap())
        .collect();
    assert_eq!(
        names,
        [
            "status",
            "callback",
            "destination",
            "since",
            "until",
            "before",
            "limit"
        ]
    );
    let since = &doc["paths"]["/deliveries"]["get"]["parameters"][3]["schema"];
    assert_eq!(since["format"], "date-time");
    let (_, statuses) = responses("/deliveries/counts", "get");
    assert_eq!(statuses, ["200", "403", "503"]);
    let (_, statuses) = responses("/deliveries/{id}", "get");
    assert_eq!(statuses, ["200", "403", "404", "422", "503"]);
    for action in ["retry", "cancel"] {
        let (answers, statuses) = responses(&format!("/deliveries/{{id}}/{action}"), "post");
        let ok = if action == "retry" { "202" } else { "200" };
        let mut expected = vec![ok, "403", "404", "409", "422", "503"];
        expected.sort_unstable();
        assert_eq!(statuses, expected, "{action}");
        assert_eq!(
            answers[ok]["content"]["application/json"]["schema"]["$ref"],
            "#/components/schemas/DeliveryDetail"
        );
        assert_eq!(
            answers["409"]["content"]["application/json"]["schema"]["$ref"],
            "#/components/schemas/HTTPValidationError"
        );
    }
    let (page, statuses) = responses("/deliveries/ui", "get");
    assert_eq!(statuses, ["200", "403"]);
    assert_eq!(
        page["200"]["content"],
        json!({"text/html": {"schema": {"type": "string"}}})
    );
    assert!(page["200"]["headers"]["Content-Security-Policy"].is_object());
    let schemas = &doc["components"]["schemas"];
    for (schema, field) in [
        ("Delivery", "created_at"),
        ("Delivery", "next_attempt_at"),
        ("Delivery", "finished_at"),
        ("DeliveryAttempt", "started_at"),
    ] {
        assert_eq!(
            schemas[schema]["properties"][field]["format"], "date-time",
            "{schema}.{field}"
        );
    }
    let states: Vec<&Value> = schemas["DeliveryStatus"]["oneOf"]
        .as_array()
        .unwrap()
        .iter()
        .map(|state| &state["const"])
        .collect();
    assert_eq!(
        states,
        [
            "pending",
            "delivered",
            "failed",
            "refused",
            "gone",
            "cancelled"
        ]
    );

    // The wire: the page is HTML, with its policy, and refers to nothing
    // outside itself (its icon is an empty `data:` URL, so that the browser
    // asks for none).
    let app = serve_invoices(Outbox::new(MemoryStore::new()), true);
    let served = get(app, "/deliveries/ui");
    assert_eq!(served.status, 200);
    assert_eq!(
        served.header("content-type"),
        Some("text/html; charset=utf-8")
    );
    let policy = served.header("content-security-policy").expect("a policy");
    assert!(
        policy.starts_with("default-src 'none'; script-src 'sha256-"),
        "{policy}"
    );
    assert!(policy.contains("connect-src 'self'"), "{policy}");
    let html = served.text();
    assert!(html.contains("<title>Deliveries</title>"));
    for outside in [" src=", "@import", "url("] {
        assert!(!html.contains(outside), "the page refers to {outside}…");
    }
    assert_eq!(html.matches(" href=").count(), 1);
    assert!(html.contains(r#"<link rel="icon" href="data:,">"#));
}
