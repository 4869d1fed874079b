//! Servers over a real store, for the measurements of the request path and
//! of delivery as an app runs them:
//!
//! - `bench serve invoices STORE [--loopback] [--prune EVERY_MS OLDER_MS]`:
//!   the invoices example as its binary serves it (`examples::invoices::api()`,
//!   an `Outbox` and a `Dispatcher::new(outbox, sender).spawn()` with their
//!   defaults), over a `SqliteStore::open(STORE)` (default durability,
//!   `synchronous = FULL`) or, when STORE is a `postgres://` URL, a
//!   `PostgresStore` with the invoices table, the handler then queuing each
//!   callback in the transaction that inserts the invoice's row.
//!   `--loopback` lets the SSRF guard allow loopback addresses; without it,
//!   a callback to `localhost` is refused and recorded as refused, and
//!   nothing is sent. `--prune` runs retention: `Store::prune(OLDER_MS,
//!   1000)` every EVERY_MS, as `store::spawn_pruner` does, counting what it
//!   deletes.
//! - `bench serve row-only URL`: the same operation, under the same
//!   framework and extractors, that only inserts the invoice's row in
//!   PostgreSQL (one statement, no transaction, no callback): what the app
//!   does without callbacks.
//!
//! Both run one worker on an ephemeral port of 127.0.0.1 (printed as
//! `listening ADDR`), count the `POST /invoices/` they answer 200, with and
//! without a `callback_url`, and answer `GET /__bench/ledger` with those
//! counts and the store's deliveries by destination and state ([`Books`]),
//! from which the harness keeps each run's [`Ledger`]. The signing secret
//! is read from the same variable as the delivery benchmarks'.

use std::io::Write;
use std::net::{SocketAddr, TcpListener};
use std::path::PathBuf;
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::Arc;
use std::time::{Duration, Instant};

use actix_web::dev::Service;
use actix_web::http::{Method, StatusCode};
use actix_web::{web, App, HttpServer};
use callback_runtime::delivery::dispatcher::{Dispatcher, Outbox};
use callback_runtime::delivery::guard::Guard;
use callback_runtime::delivery::sender::{Sender, SenderConfig};
use callback_runtime::delivery::signing::Signer;
use callback_runtime::delivery::store::{PostgresStore, SqliteStore, Store};
use callback_runtime::delivery::Status;
use callback_runtime::{post, Api, HttpValidationError};
use examples::invoices::{Invoice, InvoiceError, InvoiceQuery, InvoiceReceived, INVOICES_TABLE};
use serde::{Deserialize, Serialize};

use crate::http::{self, Request};
use crate::ledger::Ledger;
use crate::measure::deliveries::SECRET_ENV;
use crate::server::Server;

/// The route the harness reads a server's books from.
pub const LEDGER_PATH: &str = "/__bench/ledger";

/// The marker in the books' queries, so that statement counts can leave
/// them out.
pub const LEDGER_MARKER: &str = "bench:ledger";

/// Deliveries one pruning transaction deletes at most (as
/// `store::spawn_pruner`).
const PRUNE_BATCH: usize = 1000;

/// `POST /invoices/` answered 200 with a `callback_url`.
static WITH_CALLBACK: AtomicU64 = AtomicU64::new(0);
/// `POST /invoices/` answered 200 without one.
static WITHOUT_CALLBACK: AtomicU64 = AtomicU64::new(0);
/// Deliveries deleted by retention.
static PRUNED: AtomicU64 = AtomicU64::new(0);
/// Held by a pruning pass, and by a reading of the books: a reading never
/// sees rows deleted and not yet counted as pruned.
static PRUNING: tokio::sync::Mutex<()> = tokio::sync::Mutex::const_new(());

/// A server's books: what it accepted, and where its deliveries are.
#[derive(Debug, Clone, Default, Serialize, Deserialize)]
pub struct Books {
    /// `POST /invoices/` answered 200 with a `callback_url`: each queued a
    /// callback.
    pub with_callback: u64,
    /// `POST /invoices/` answered 200 without one.
    pub without_callback: u64,
    /// Deliveries deleted by retention.
    pub pruned: u64,
    /// The store's deliveries, by destination and state.
    pub deliveries: Vec<Count>,
    /// The rows of the invoices table (PostgreSQL).
    pub invoices: Option<u64>,
}

/// Deliveries of one destination in one state.
#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct Count {
    pub destination: String,
    pub status: String,
    pub count: u64,
}

impl Books {
    /// Deliveries still pending, over all destinations.
    pub fn pending(&self) -> u64 {
        self.count(|c| c.status == Status::Pending.as_str())
    }

    fn count(&self, keep: impl Fn(&Count) -> bool) -> u64 {
        self.deliveries
            .iter()
            .filter(|c| keep(c))
            .map(|c| c.count)
            .sum()
    }

    /// The ledger of everything the server accepted with a callback.
    pub fn ledger(&self) -> Ledger {
        let mut ledger = Ledger::of(self.with_callback);
        ledger.pruned = self.pruned;
        self.fill(&mut ledger, |_| true);
        ledger
    }

    /// The ledger of `accepted` deliveries to `destination`, by their
    /// states in the store.
    pub fn ledger_of(&self, destination: &str, accepted: u64) -> Ledger {
        let mut ledger = Ledger::of(accepted);
        self.fill(&mut ledger, |c| c.destination == destination);
        ledger
    }

    fn fill(&self, ledger: &mut Ledger, keep: impl Fn(&Count) -> bool) {
        for count in self.deliveries.iter().filter(|c| keep(c)) {
            ledger.add_named(&count.status, count.count);
        }
    }

    /// The books' ledger since `earlier` (a reading of the same server):
    /// what was accepted and finished in between; pending is as now.
    pub fn ledger_since(&self, earlier: &Books) -> Ledger {
        let (now, then) = (self.ledger(), earlier.ledger());
        Ledger {
            accepted: now.accepted - then.accepted,
            delivered: now.delivered.saturating_sub(then.delivered),
            pending: now.pending,
            refused: now.refused.saturating_sub(then.refused),
            failed: now.failed.saturating_sub(then.failed),
            gone: now.gone.saturating_sub(then.gone),
            pruned: now.pruned.saturating_sub(then.pruned),
            other: now.other.saturating_sub(then.other),
        }
    }
}

/// Reads a server's books.
pub fn books(addr: SocketAddr) -> Result<Books, String> {
    let answer = http::send(
        addr,
        &Request {
            method: "GET",
            target: LEDGER_PATH.to_owned(),
            json_body: None,
        },
    )?;
    if answer.status != 200 {
        return Err(format!(
            "{LEDGER_PATH} answered {}: {}",
            answer.status,
            String::from_utf8_lossy(&answer.body)
        ));
    }
    serde_json::from_slice(&answer.body).map_err(|e| format!("reading {LEDGER_PATH}: {e}"))
}

/// Waits until the server has nothing pending, and returns its books then;
/// fails after `timeout`.
pub fn settle(addr: SocketAddr, timeout: Duration) -> Result<Books, String> {
    let deadline = Instant::now() + timeout;
    loop {
        let books = books(addr)?;
        if books.pending() == 0 {
            return Ok(books);
        }
        if Instant::now() > deadline {
            return Err(format!(
                "{} deliveries were still pending after {} s",
                books.pending(),
                timeout.as_secs()
            ));
        }
        std::thread::sleep(Duration::from_millis(50));
    }
}

/// Starts `bench serve invoices STORE OPTIONS…` on `core`.
pub fn start_invoices(
    name: &str,
    store: &str,
    options: &[&str],
    core: Option<usize>,
    secret: &str,
) -> Result<Server, String> {
    let mut args = vec!["serve", "invoices", store];
    args.extend_from_slice(options);
    Server::start_harness(name, &args, core, &[(SECRET_ENV, secret)])
}

/// Starts `bench serve row-only URL` on `core`.
pub fn start_row_only(name: &str, url: &str, core: Option<usize>) -> Result<Server, String> {
    Server::start_harness(name, &["serve", "row-only", url], core, &[])
}

/// Where an invoices server keeps its deliveries.
enum StoreConfig {
    Sqlite(PathBuf),
    Postgres(String),
}

/// `bench serve invoices STORE [--loopback] [--prune EVERY_MS OLDER_MS]`.
pub fn serve_invoices(args: &[String]) -> Result<(), String> {
    const USAGE: &str =
        "usage: bench serve invoices FILE|postgres://… [--loopback] [--prune EVERY_MS OLDER_MS]";
    let (store, options) = args.split_first().ok_or(USAGE)?;
    let store = if store.starts_with("postgres://") || store.starts_with("postgresql://") {
        StoreConfig::Postgres(store.clone())
    } else {
        StoreConfig::Sqlite(PathBuf::from(store))
    };
    let mut loopback = false;
    let mut prune = None;
    let mut options = options.iter();
    while let Some(option) = options.next() {
        match option.as_str() {
            "--loopback" => loopback = true,
            "--prune" => {
                let mut millis = || -> Result<Duration, String> {
                    let value = options.next().ok_or(USAGE)?;
                    Ok(Duration::from_millis(value.parse().map_err(|_| USAGE)?))
                };
                prune = Some((millis()?, millis()?));
            }
            _ => return Err(USAGE.to_owned()),
        }
    }
    let secret = std::env::var(SECRET_ENV).map_err(|_| format!("{SECRET_ENV} is not set"))?;
    let signer = Signer::new([secret]).map_err(|e| e.to_string())?;
    let listener = TcpListener::bind("127.0.0.1:0").map_err(|e| e.to_string())?;
    let addr = listener.local_addr().map_err(|e| e.to_string())?;
    actix_web::rt::System::new().block_on(async move {
        let (outbox, counter, pool) = match store {
            StoreConfig::Sqlite(path) => {
                let store = SqliteStore::open(&path)
                    .await
                    .map_err(|e| format!("opening {}: {e}", path.display()))?;
                let reader = sqlx::sqlite::SqlitePoolOptions::new()
                    .max_connections(1)
                    .connect_with(
                        sqlx::sqlite::SqliteConnectOptions::new()
                            .filename(&path)
                            .read_only(true),
                    )
                    .await
                    .map_err(|e| format!("reading {}: {e}", path.display()))?;
                (Outbox::new(store), Counter::Sqlite(reader), None)
            }
            StoreConfig::Postgres(url) => {
                let store = PostgresStore::connect(&url)
                    .await
                    .map_err(|e| format!("connecting to PostgreSQL: {e}"))?;
                sqlx::query(INVOICES_TABLE)
                    .execute(store.pool())
                    .await
                    .map_err(|e| format!("creating the invoices table: {e}"))?;
                let pool = store.pool().clone();
                (
                    Outbox::new(store),
                    Counter::Postgres(pool.clone()),
                    Some(web::Data::new(pool)),
                )
            }
        };
        let mut guard = Guard::new();
        if loopback {
            guard = guard.allow_loopback();
        }
        let sender =
            Sender::new(guard, signer, SenderConfig::default()).map_err(|e| e.to_string())?;
        let dispatcher = Dispatcher::new(outbox.clone(), sender).spawn();
        let pruner = prune.map(|(every, older_than)| {
            tokio::spawn(prune_loop(Arc::clone(outbox.store()), every, older_than))
        });
        let api = examples::invoices::api().map_err(|e| e.to_string())?;
        let outbox = web::Data::new(outbox);
        let counter = web::Data::new(counter);
        let server = HttpServer::new(move || {
            let app = App::new()
                .wrap_fn(|request, service| {
                    let counted = is_invoice_post(&request);
                    let with_callback = request.query_string().contains("callback_url=");
                    let answer = service.call(request);
                    async move {
                        let response = answer.await?;
                        if counted && response.status() == StatusCode::OK {
                            count_answer(with_callback);
                        }
                        Ok(response)
                    }
                })
                .app_data(outbox.clone())
                .app_data(counter.clone());
            let app = match &pool {
                Some(pool) => app.app_data(pool.clone()),
                None => app,
            };
            app.route(LEDGER_PATH, web::get().to(ledger))
                .service(api.clone())
        })
        .workers(1)
        .listen(listener)
        .map_err(|e| e.to_string())?
        .run();
        announce(addr)?;
        let served = server.await.map_err(|e| e.to_string());
        if let Some(pruner) = pruner {
            pruner.abort();
        }
        dispatcher.shutdown().await;
        served
    })
}

/// `bench serve row-only URL`: `POST /invoices/` inserting the invoice's
/// row, and nothing else.
pub fn serve_row_only(args: &[String]) -> Result<(), String> {
    let [url] = args else {
        return Err("usage: bench serve row-only postgres://…".to_owned());
    };
    let listener = TcpListener::bind("127.0.0.1:0").map_err(|e| e.to_string())?;
    let addr = listener.local_addr().map_err(|e| e.to_string())?;
    actix_web::rt::System::new().block_on(async move {
        // As many connections as `PostgresStore::connect` opens.
        let pool = sqlx::postgres::PgPoolOptions::new()
            .max_connections(10)
            .connect(url)
            .await
            .map_err(|e| format!("connecting to PostgreSQL: {e}"))?;
        sqlx::query(INVOICES_TABLE)
            .execute(&pool)
            .await
            .map_err(|e| format!("creating the invoices table: {e}"))?;
        let api = Api::new("Invoices, rows only", "0.1.0")
            .service(insert_invoice)
            .build()
            .map_err(|e| e.to_string())?;
        let counter = web::Data::new(Counter::RowsOnly(pool.clone()));
        let pool = web::Data::new(pool);
        let server = HttpServer::new(move || {
            App::new()
                .wrap_fn(|request, service| {
                    let counted = is_invoice_post(&request);
                    let with_callback = request.query_string().contains("callback_url=");
                    let answer = service.call(request);
                    async move {
                        let response = answer.await?;
                        if counted && response.status() == StatusCode::OK {
                            count_answer(with_callback);
                        }
                        Ok(response)
                    }
                })
                .app_data(pool.clone())
                .app_data(counter.clone())
                .route(LEDGER_PATH, web::get().to(ledger))
                .service(api.clone())
        })
        .workers(1)
        .listen(listener)
        .map_err(|e| e.to_string())?
        .run();
        announce(addr)?;
        server.await.map_err(|e| e.to_string())
    })
}

/// Create an invoice: insert its row, and queue nothing.
#[post(
    "/invoices/",
    tags = ["invoices"],
    responses(409 => HttpValidationError, 503 => HttpValidationError)
)]
async fn insert_invoice(
    invoice: web::Json<Invoice>,
    query: web::Query<InvoiceQuery>,
    pool: web::Data<sqlx::PgPool>,
) -> Result<web::Json<InvoiceReceived>, InvoiceError> {
    // The query is read as the example reads it; this operation sends no
    // callback.
    let _ = query.into_inner();
    let invoice = invoice.into_inner();
    let inserted =
        sqlx::query("INSERT INTO invoices (id, title, customer, total) VALUES ($1, $2, $3, $4)")
            .bind(&invoice.id)
            .bind(&invoice.title)
            .bind(&invoice.customer)
            .bind(invoice.total)
            .execute(pool.get_ref())
            .await;
    match inserted {
        Ok(_) => Ok(web::Json(InvoiceReceived {
            msg: "Invoice received".to_owned(),
        })),
        Err(sqlx::Error::Database(e)) if e.is_unique_violation() => {
            Err(InvoiceError::Exists(invoice.id))
        }
        Err(e) => Err(InvoiceError::Unavailable(e.to_string())),
    }
}

fn is_invoice_post(request: &actix_web::dev::ServiceRequest) -> bool {
    request.method() == Method::POST && request.path() == "/invoices/"
}

fn count_answer(with_callback: bool) {
    let counter = if with_callback {
        &WITH_CALLBACK
    } else {
        &WITHOUT_CALLBACK
    };
    counter.fetch_add(1, Ordering::Relaxed);
}

fn announce(addr: SocketAddr) -> Result<(), String> {
    let mut out = std::io::stdout().lock();
    writeln!(out, "listening {addr}")
        .and_then(|()| out.flush())
        .map_err(|e| e.to_string())
}

/// Retention as `store::spawn_pruner` runs it, counting what it deletes.
async fn prune_loop(store: Arc<dyn Store>, every: Duration, older_than: Duration) {
    let mut ticks = tokio::time::interval(every.max(Duration::from_millis(1)));
    ticks.set_missed_tick_behavior(tokio::time::MissedTickBehavior::Delay);
    loop {
        ticks.tick().await;
        let _pass = PRUNING.lock().await;
        match store.prune(older_than, PRUNE_BATCH).await {
            Ok(pruned) => {
                PRUNED.fetch_add(pruned, Ordering::Relaxed);
            }
            Err(error) => eprintln!("bench: pruning failed: {error}"),
        }
    }
}

/// How a server counts its deliveries and invoices.
enum Counter {
    /// A read-only connection to the store's file.
    Sqlite(sqlx::SqlitePool),
    /// The store's pool.
    Postgres(sqlx::PgPool),
    /// The row-only server's pool: invoices, no deliveries.
    RowsOnly(sqlx::PgPool),
}

/// Deliveries by destination and state, from the store's table.
const DELIVERIES_BY_STATE: &str = "SELECT /* bench:ledger */ destination, status, COUNT(*) \
                                   FROM callback_deliveries GROUP BY destination, status";
const INVOICE_ROWS: &str = "SELECT /* bench:ledger */ COUNT(*) FROM invoices";

impl Counter {
    async fn books(&self) -> Result<Books, sqlx::Error> {
        // No pruning pass meanwhile, and the answers counted first: a
        // request answered while the store is read may show in its counts
        // without being counted as accepted (an extra), never the other
        // way round (a false missing one).
        let _no_pruning = PRUNING.lock().await;
        let with_callback = WITH_CALLBACK.load(Ordering::Relaxed);
        let without_callback = WITHOUT_CALLBACK.load(Ordering::Relaxed);
        let pruned = PRUNED.load(Ordering::Relaxed);
        let rows: Vec<(String, String, i64)> = match self {
            Counter::Sqlite(pool) => sqlx::query_as(DELIVERIES_BY_STATE).fetch_all(pool).await?,
            Counter::Postgres(pool) => sqlx::query_as(DELIVERIES_BY_STATE).fetch_all(pool).await?,
            Counter::RowsOnly(_) => Vec::new(),
        };
        let invoices = match self {
            Counter::Sqlite(_) => None,
            Counter::Postgres(pool) | Counter::RowsOnly(pool) => {
                let (count,): (i64,) = sqlx::query_as(INVOICE_ROWS).fetch_one(pool).await?;
                Some(count.unsigned_abs())
            }
        };
        Ok(Books {
            with_callback,
            without_callback,
            pruned,
            deliveries: rows
                .into_iter()
                .map(|(destination, status, count)| Count {
                    destination,
                    status,
                    count: count.unsigned_abs(),
                })
                .collect(),
            invoices,
        })
    }
}

async fn ledger(counter: web::Data<Counter>) -> actix_web::Result<web::Json<Books>> {
    let books = counter
        .books()
        .await
        .map_err(actix_web::error::ErrorInternalServerError)?;
    Ok(web::Json(books))
}

#[cfg(test)]
mod tests {
    use super::*;

    fn books() -> Books {
        Books {
            with_callback: 7,
            without_callback: 3,
            pruned: 1,
            deliveries: vec![
                Count {
                    destination: "http://a".to_owned(),
                    status: "delivered".to_owned(),
                    count: 4,
                },
                Count {
                    destination: "http://b".to_owned(),
                    status: "pending".to_owned(),
                    count: 2,
                },
            ],
            invoices: None,
        }
    }

    #[test]
    fn books_make_ledgers() {
        let books = books();
        assert_eq!(books.pending(), 2);
        let ledger = books.ledger();
        assert_eq!(
            (
                ledger.accepted,
                ledger.delivered,
                ledger.pending,
                ledger.pruned
            ),
            (7, 4, 2, 1)
        );
        assert_eq!(ledger.missing(), 0);
        let b = books.ledger_of("http://b", 3);
        assert_eq!((b.pending, b.delivered, b.missing()), (2, 0, 1));
    }

    #[test]
    fn a_ledger_since_an_earlier_reading() {
        let earlier = books();
        let mut later = books();
        later.with_callback = 10;
        later.deliveries[0].count = 7;
        later.deliveries[1].count = 0;
        let ledger = later.ledger_since(&earlier);
        assert_eq!(
            (
                ledger.accepted,
                ledger.delivered,
                ledger.pending,
                ledger.missing()
            ),
            (3, 3, 0, 0)
        );
    }
}
