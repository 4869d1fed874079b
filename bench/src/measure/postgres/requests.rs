//! The outbox in the app's transaction: `POST /invoices/` on the invoices
//! example over a `PostgresStore` (`bench serve invoices postgres://…`:
//! the callback queued with `PostgresStore::enqueue_in` in the transaction
//! that inserts the invoice's row, the dispatcher claiming and recording
//! it), against the same `POST` on the same operation that only inserts
//! the invoice's row (`bench serve row-only`: one `INSERT`, no
//! transaction, no callback). Each server has a schema of its own on the
//! same PostgreSQL; every request has an invoice id of its own (the table
//! refuses a duplicate).
//!
//! The callback URL is `http://localhost:1/cb` and the outbox server's
//! guard does not allow loopback: each callback is claimed, refused by the
//! guard and recorded as refused, so no HTTP sending is in the figures.
//! For information, the outbox server is also loaded with the `POST`
//! without a `callback_url` (its transaction inserts the row only).
//!
//! Alternating rounds as in [`crate::measure::throughput`], the servers on
//! the server's core and `wrk` on the load generator's; PostgreSQL is not
//! pinned, and its CPU time is not counted as other processes'. Before
//! every run the outbox server is given the time to have nothing pending.
//! The ledger: every `POST` the outbox server answered 200 with a callback
//! is in its store, and every one it answered has its invoice row; every
//! `POST` the row-only server answered has its row.

use std::path::Path;

use callback_runtime::delivery::signing::generate_secret;

use super::{Schema, Settings};
use crate::http::{self, Request};
use crate::ledger::Ledger;
use crate::measure::durable_requests::{requests, REFUSED_CALLBACK};
use crate::measure::throughput::{self, Subject, Throughput, Watch};
use crate::server::{Pinning, Server};
use crate::store_app::{self, Books};

/// The subjects of the rounds.
pub const OUTBOX: &str = "outbox";
pub const ROW_ONLY: &str = "row only";
pub const NO_CALLBACK: &str = "outbox server, no callback";

/// The invoice of every request, with a place for its id.
const BODY: &str = r#"{"id":"{id}","title":"Coffee","customer":"Ada","total":12.5}"#;

/// What the rounds measured.
#[derive(Debug, Clone)]
pub struct OutboxRequests {
    pub throughput: Throughput,
    /// The outbox server's deliveries.
    pub ledger: Ledger,
    /// The outbox server's `POST`s answered 200, and its invoice rows.
    pub outbox_answered: u64,
    pub outbox_rows: u64,
    /// The row-only server's.
    pub row_only_answered: u64,
    pub row_only_rows: u64,
}

impl OutboxRequests {
    /// Outbox / row only, requests per second, the median of the rounds.
    pub fn ratio(&self) -> Option<f64> {
        self.throughput
            .ratios(OUTBOX, ROW_ONLY)
            .filter(|r| !r.is_empty())
            .map(|r| crate::stats::median(&r))
    }
}

pub fn measure(
    settings: &Settings,
    url: &str,
    pinning: Pinning,
    scratch: &Path,
) -> Result<OutboxRequests, String> {
    let secret = generate_secret();
    let outbox_schema = Schema::create(url, "outbox")?;
    let rows_schema = Schema::create(url, "rows")?;
    let outbox =
        store_app::start_invoices(OUTBOX, &outbox_schema.url, &[], pinning.server, &secret)?;
    let rows = store_app::start_row_only(ROW_ONLY, &rows_schema.url, pinning.server)?;
    let (with, without) = requests(REFUSED_CALLBACK, BODY);
    for (i, (server, request)) in [(&outbox, &with), (&outbox, &without), (&rows, &with)]
        .into_iter()
        .enumerate()
    {
        check(server, request, &format!("check-{i}"))?;
    }
    let subjects = [
        Subject {
            name: OUTBOX.to_owned(),
            server: &outbox,
            request: with.clone(),
            fresh_ids: true,
        },
        Subject {
            name: ROW_ONLY.to_owned(),
            server: &rows,
            request: with,
            fresh_ids: true,
        },
        Subject {
            name: NO_CALLBACK.to_owned(),
            server: &outbox,
            request: without,
            fresh_ids: true,
        },
    ];
    let (addr, timeout) = (outbox.addr, settings.settle);
    let mut settle = || store_app::settle(addr, timeout).map(drop);
    let throughput = throughput::measure_subjects(
        "POST /invoices/",
        &subjects,
        &settings.requests,
        pinning,
        scratch,
        Watch {
            helpers: Vec::new(),
            postgres: true,
            before_run: Some(&mut settle),
        },
    )?;
    let outbox_books = store_app::settle(outbox.addr, settings.settle)?;
    let rows_books = store_app::books(rows.addr)?;
    drop((outbox, rows));
    drop((outbox_schema, rows_schema));
    let answered = |books: &Books| books.with_callback + books.without_callback;
    let result = OutboxRequests {
        ledger: outbox_books.ledger(),
        outbox_answered: answered(&outbox_books),
        outbox_rows: outbox_books.invoices.unwrap_or(0),
        row_only_answered: answered(&rows_books),
        row_only_rows: rows_books.invoices.unwrap_or(0),
        throughput,
    };
    eprintln!(
        "    outbox server: {}; {} POSTs answered, {} invoice rows; row-only server: {} \
         answered, {} rows",
        result.ledger,
        result.outbox_answered,
        result.outbox_rows,
        result.row_only_answered,
        result.row_only_rows
    );
    result.ledger.check("the outbox server")?;
    for (server, answered, rows) in [
        (OUTBOX, result.outbox_answered, result.outbox_rows),
        (ROW_ONLY, result.row_only_answered, result.row_only_rows),
    ] {
        if rows < answered {
            return Err(format!(
                "the {server} server answered {answered} POSTs and has {rows} invoice rows"
            ));
        }
    }
    Ok(result)
}

/// `request` for invoice `id` is answered 200 with the example's answer.
fn check(server: &Server, request: &Request, id: &str) -> Result<(), String> {
    let body = request
        .json_body
        .as_deref()
        .unwrap_or_default()
        .replace("{id}", id);
    let request = Request {
        json_body: Some(body),
        ..request.clone()
    };
    let answer = http::send(server.addr, &request)?;
    if answer.status != 200 || answer.body != crate::EXPECTED_ANSWER.as_bytes() {
        return Err(format!(
            "{}: POST {} answered {} {:?}",
            server.name,
            request.target,
            answer.status,
            String::from_utf8_lossy(&answer.body)
        ));
    }
    Ok(())
}
