//! The statements PostgreSQL runs per delivery outside the app's
//! transactions, counted by the server (`pg_stat_statements`).
//!
//! In a fresh database of its own, the invoices example over a
//! `PostgresStore` (`bench serve invoices postgres://… --loopback`) queues
//! each `POST`'s callback in the transaction that inserts the invoice's
//! row, and its dispatcher sends the callbacks to a live receiver on
//! loopback. After a warm-up (a few `POST`s, delivered), the harness reads
//! the calls of every statement `pg_stat_statements` has for that database
//! and the harness's role, loads the server with `wrk` (an invoice id of
//! its own per request), waits until nothing is pending, and reads them
//! again. The difference is split by the statements' text:
//!
//! - the app's transactions: `BEGIN`, `COMMIT`, `ROLLBACK`, the invoice's
//!   `INSERT`, the deliveries' `INSERT` and the `pg_notify` of
//!   `PostgresStore::enqueue_in`;
//! - the harness's own counts (marked [`LEDGER_MARKER`]), left out;
//! - everything else: the store's, outside the app's transactions (the
//!   dispatcher's exchanges, its polls, its `LISTEN`).
//!
//! Statements per delivery: the last over the deliveries delivered in
//! between. `pg_stat_statements` must be loaded by the server
//! (`shared_preload_libraries`) and the extension created in the
//! database the URL names (the harness tries to create it, which needs a
//! role allowed to); otherwise the measurement is skipped with the reason.

use std::collections::HashMap;
use std::path::Path;
use std::time::Duration;

use callback_runtime::delivery::signing::generate_secret;

use super::{runtime, Database, Settings};
use crate::http::Request;
use crate::ledger::Ledger;
use crate::load::{self, Load};
use crate::measure::deliveries::SECRET_ENV;
use crate::server::{Pinning, Server};
use crate::store_app::{self, LEDGER_MARKER};

/// POSTs before the first reading.
const WARMUP_POSTS: usize = 20;

/// What the count found.
#[derive(Debug, Clone)]
pub struct Statements {
    pub seconds: u64,
    pub connections: u32,
    /// Requests per second `wrk` had answered.
    pub rate: f64,
    /// The deliveries of the loaded run.
    pub ledger: Ledger,
    /// Statement calls, by whose they are.
    pub outside: u64,
    pub app: u64,
    pub harness: u64,
    /// The store's statements, most called first: text (abridged), calls.
    pub store_statements: Vec<(String, u64)>,
}

impl Statements {
    /// Statements outside the app's transactions per delivery delivered.
    pub fn per_delivery(&self) -> Option<f64> {
        (self.ledger.delivered > 0).then(|| self.outside as f64 / self.ledger.delivered as f64)
    }

    /// Statements in the app's transactions per `POST` accepted.
    pub fn app_per_post(&self) -> Option<f64> {
        (self.ledger.accepted > 0).then(|| self.app as f64 / self.ledger.accepted as f64)
    }
}

/// Whether `pg_stat_statements` can be read in the database `url` names,
/// creating the extension there if it is missing; the reason otherwise.
pub fn available(url: &str) -> Result<(), String> {
    runtime()?.block_on(async {
        let pool = sqlx::PgPool::connect(url)
            .await
            .map_err(|e| format!("connecting to PostgreSQL: {e}"))?;
        let result = async {
            let installed: Option<(String,)> = sqlx::query_as(
                "SELECT extversion FROM pg_extension WHERE extname = 'pg_stat_statements'",
            )
            .fetch_optional(&pool)
            .await
            .map_err(|e| e.to_string())?;
            if installed.is_none() {
                sqlx::raw_sql("CREATE EXTENSION IF NOT EXISTS pg_stat_statements")
                    .execute(&pool)
                    .await
                    .map_err(|e| {
                        format!(
                            "the extension pg_stat_statements is not in the database, and \
                             creating it failed: {e}"
                        )
                    })?;
            }
            sqlx::query("SELECT 1 FROM pg_stat_statements LIMIT 1")
                .fetch_optional(&pool)
                .await
                .map_err(|e| format!("pg_stat_statements cannot be read: {e}"))?;
            Ok(())
        }
        .await;
        pool.close().await;
        result
    })
}

pub fn measure(
    settings: &Settings,
    url: &str,
    pinning: Pinning,
    scratch: &Path,
) -> Result<Statements, String> {
    let secret = generate_secret();
    let database = Database::create(url, "statements")?;
    let receiver = Server::start_harness(
        "receiver",
        &["receive"],
        pinning.server,
        &[(SECRET_ENV, &secret)],
    )?;
    let callback = format!("http://{}/cb", receiver.addr);
    let server = store_app::start_invoices(
        "invoices",
        &database.url,
        &["--loopback"],
        pinning.server,
        &secret,
    )?;
    let (with, _) = crate::measure::durable_requests::requests(
        &callback,
        r#"{"id":"{id}","title":"Coffee","customer":"Ada","total":12.5}"#,
    );
    for i in 0..WARMUP_POSTS {
        let body = with.json_body.as_deref().unwrap_or_default();
        let request = Request {
            json_body: Some(body.replace("{id}", &format!("warm-{i}"))),
            ..with.clone()
        };
        let answer = crate::http::send(server.addr, &request)?;
        if answer.status != 200 {
            return Err(format!("a warm-up POST answered {}", answer.status));
        }
    }
    let settle = Duration::from_secs(60).max(settings.settle);
    let before_books = store_app::settle(server.addr, settle)?;
    let before = calls(url, &database.name)?;
    let load = Load {
        ids: Some(format!("s{}", std::process::id())),
        ..Load::timed(
            with,
            settings.statements_connections,
            Duration::from_secs(settings.statements_seconds),
            pinning.load,
        )
    };
    let run = load::run(server.addr, &load, scratch)?;
    let after_books = store_app::settle(server.addr, settings.settle)?;
    let after = calls(url, &database.name)?;
    drop(server);
    drop(receiver);
    drop(database);

    let ledger = after_books.ledger_since(&before_books);
    let (mut outside, mut app, mut harness) = (0, 0, 0);
    let mut store_statements = Vec::new();
    for (id, (text, calls)) in &after {
        let earlier = before.get(id).map_or(0, |(_, calls)| *calls);
        let made = calls.saturating_sub(earlier);
        if made == 0 {
            continue;
        }
        match whose(text) {
            Whose::App => app += made,
            Whose::Harness => harness += made,
            Whose::Store => {
                outside += made;
                store_statements.push((abridged(text), made));
            }
        }
    }
    store_statements.sort_by(|a, b| b.1.cmp(&a.1).then_with(|| a.0.cmp(&b.0)));
    let result = Statements {
        seconds: settings.statements_seconds,
        connections: settings.statements_connections,
        rate: run.requests_per_second(),
        ledger,
        outside,
        app,
        harness,
        store_statements,
    };
    eprintln!(
        "    {} deliveries; statements outside the app's transactions {} ({} per delivery), \
         in them {} ({} per POST); {}",
        result.ledger.delivered,
        result.outside,
        result
            .per_delivery()
            .map_or_else(|| "?".to_owned(), |v| format!("{v:.3}")),
        result.app,
        result
            .app_per_post()
            .map_or_else(|| "?".to_owned(), |v| format!("{v:.2}")),
        result.ledger
    );
    result.ledger.check("the statement count")?;
    Ok(result)
}

/// Whose a statement is.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Whose {
    /// In the app's transactions.
    App,
    /// The harness's own counts.
    Harness,
    /// The store's, outside the app's transactions.
    Store,
}

fn whose(text: &str) -> Whose {
    let upper = text.trim_start().to_ascii_uppercase();
    let squeezed: String = upper.split_whitespace().collect::<Vec<_>>().join(" ");
    if text.contains(LEDGER_MARKER) {
        Whose::Harness
    } else if ["BEGIN", "COMMIT", "ROLLBACK", "START TRANSACTION", "END"]
        .iter()
        .any(|word| squeezed.starts_with(word))
        || squeezed.contains("INSERT INTO INVOICES")
        || squeezed.contains("INSERT INTO CALLBACK_DELIVERIES")
        || squeezed.contains("PG_NOTIFY")
    {
        Whose::App
    } else {
        Whose::Store
    }
}

/// A statement's first words, on one line.
fn abridged(text: &str) -> String {
    let line = text.split_whitespace().collect::<Vec<_>>().join(" ");
    match line.char_indices().nth(60) {
        Some((cut, _)) => format!("{}…", &line[..cut]),
        None => line,
    }
}

/// The calls of each statement `pg_stat_statements` has for `database` and
/// this role: query id → (text, calls).
fn calls(url: &str, database: &str) -> Result<HashMap<i64, (String, u64)>, String> {
    runtime()?.block_on(async {
        let pool = sqlx::PgPool::connect(url)
            .await
            .map_err(|e| format!("connecting to PostgreSQL: {e}"))?;
        let rows: Result<Vec<(i64, String, i64)>, _> = sqlx::query_as(
            "SELECT queryid, min(query), sum(calls)::int8 FROM pg_stat_statements
             WHERE dbid = (SELECT oid FROM pg_database WHERE datname = $1)
               AND userid = (SELECT oid FROM pg_roles WHERE rolname = current_user)
               AND queryid IS NOT NULL
             GROUP BY queryid",
        )
        .bind(database)
        .fetch_all(&pool)
        .await;
        pool.close().await;
        let rows = rows.map_err(|e| format!("reading pg_stat_statements: {e}"))?;
        Ok(rows
            .into_iter()
            .map(|(id, text, calls)| (id, (text, calls.unsigned_abs())))
            .collect())
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn statements_are_told_apart_by_their_text() {
        assert_eq!(whose("BEGIN"), Whose::App);
        assert_eq!(whose("  commit"), Whose::App);
        assert_eq!(
            whose("INSERT INTO invoices (id, title) VALUES ($1, $2)"),
            Whose::App
        );
        assert_eq!(
            whose("\nINSERT INTO callback_deliveries\n    (webhook_id) SELECT 1"),
            Whose::App
        );
        assert_eq!(whose("SELECT pg_notify($1, '')"), Whose::App);
        assert_eq!(
            whose("SELECT /* bench:ledger */ destination, status, COUNT(*) FROM x"),
            Whose::Harness
        );
        assert_eq!(
            whose("\nWITH RECURSIVE\noutcome AS (SELECT 1)"),
            Whose::Store
        );
        assert_eq!(whose("LISTEN \"callback_deliveries\""), Whose::Store);
    }

    #[test]
    fn long_statements_are_abridged_on_one_line() {
        assert_eq!(abridged("SELECT\n  1"), "SELECT 1");
        let long = "x ".repeat(50);
        assert_eq!(abridged(&long).chars().count(), 61);
    }
}
