//! Claim latency: `Store::claim` on a schema holding pending deliveries,
//! then the same with a long history of delivered ones (`INSERT … SELECT
//! generate_series`), `ANALYZE`d; each claim is timed, and its deliveries
//! recorded back as due at once, so the pending set stays the same.

use std::time::{Duration, Instant, SystemTime};

use callback_runtime::delivery::store::{ClaimRequest, Next, Outcome, PostgresStore, Store};

use super::{runtime, Schema, Settings};
use crate::measure::deliveries::Latency;

/// Claim latency on one schema.
#[derive(Debug, Clone)]
pub struct Claims {
    /// Delivered rows besides the pending ones.
    pub history: u64,
    pub pending: u64,
    pub limit: usize,
    /// Per claim, in microseconds (through `Latency`).
    pub latency: Latency,
}

/// Times the claims without history, then with it.
pub fn measure(settings: &Settings, url: &str) -> Result<Vec<Claims>, String> {
    let mut claims = Vec::new();
    let schema = Schema::create(url, "claims")?;
    runtime()?.block_on(async {
        let store = PostgresStore::connect(&schema.url)
            .await
            .map_err(|e| format!("connecting to PostgreSQL: {e}"))?;
        insert_pending(&store, settings.pending).await?;
        claims.push(time_claims(&store, settings, 0).await?);
        insert_history(&store, settings.history).await?;
        claims.push(time_claims(&store, settings, settings.history).await?);
        store.close().await;
        Ok::<_, String>(())
    })?;
    drop(schema);
    for c in &claims {
        eprintln!(
            "    claim of {} with {} pending and {} delivered rows: p50 {:.0} µs, p99 {:.0} µs, max {:.0} µs",
            c.limit,
            crate::report::thousands(c.pending as f64),
            crate::report::thousands(c.history as f64),
            c.latency.p50_us,
            c.latency.p99_us,
            c.latency.max_us
        );
    }
    Ok(claims)
}

const BODY: &str = r#"{"description":"Invoice created","paid":false}"#;

/// `count` pending deliveries, due now.
async fn insert_pending(store: &PostgresStore, count: u64) -> Result<(), String> {
    let now = now_millis();
    sqlx::query(
        "INSERT INTO callback_deliveries
             (webhook_id, callback, method, url, destination, body, status, attempts,
              created_at, next_attempt_at, finished_at)
         SELECT 'msg_pending_' || g, 'invoice_notification', 'POST',
                'http://127.0.0.1:9/cb/invoices/inv-' || g, 'http://127.0.0.1:9', $3,
                'pending', 0,
                $1, $1, NULL
         FROM generate_series(1, $2::int8) AS g",
    )
    .bind(now)
    .bind(count as i64)
    .bind(BODY)
    .execute(store.pool())
    .await
    .map_err(|e| format!("inserting pending deliveries: {e}"))?;
    analyze(store).await
}

/// `count` delivered deliveries, one a second back from now, each finished
/// after one attempt.
async fn insert_history(store: &PostgresStore, count: u64) -> Result<(), String> {
    let now = now_millis();
    sqlx::query(
        "INSERT INTO callback_deliveries
             (webhook_id, callback, method, url, destination, body, status, attempts,
              last_status, created_at, next_attempt_at, finished_at)
         SELECT 'msg_history_' || g, 'invoice_notification', 'POST',
                'http://127.0.0.1:9/cb/invoices/old-' || g, 'http://127.0.0.1:9', $3,
                'delivered', 1, 200,
                $1 - g * 1000, NULL, $1 - g * 1000 + 20
         FROM generate_series(1, $2::int8) AS g",
    )
    .bind(now)
    .bind(count as i64)
    .bind(BODY)
    .execute(store.pool())
    .await
    .map_err(|e| format!("inserting the history: {e}"))?;
    analyze(store).await
}

async fn analyze(store: &PostgresStore) -> Result<(), String> {
    sqlx::query("ANALYZE callback_deliveries")
        .execute(store.pool())
        .await
        .map_err(|e| format!("ANALYZE: {e}"))?;
    Ok(())
}

fn now_millis() -> i64 {
    SystemTime::now()
        .duration_since(SystemTime::UNIX_EPOCH)
        .map_or(0, |d| d.as_millis() as i64)
}

/// Times `settings.claims` claims, recording each claim's deliveries back
/// as due now.
async fn time_claims(
    store: &PostgresStore,
    settings: &Settings,
    history: u64,
) -> Result<Claims, String> {
    let lease = Duration::from_secs(60);
    let mut nanos = Vec::with_capacity(settings.claims);
    for _ in 0..settings.claims {
        let clock = Instant::now();
        let claimed = store
            .claim(&ClaimRequest::new("bench", settings.claim_limit, lease))
            .await
            .map_err(|e| format!("claim: {e}"))?;
        nanos.push(clock.elapsed().as_nanos() as u64);
        let expected = settings.claim_limit.min(settings.pending as usize);
        if claimed.len() != expected {
            return Err(format!(
                "a claim took {} deliveries, not {expected}",
                claimed.len()
            ));
        }
        let outcomes: Vec<Outcome> = claimed
            .iter()
            .map(|c| Outcome {
                id: c.id,
                lease: c.lease,
                attempt: None,
                next: Next::Retry(SystemTime::now()),
            })
            .collect();
        let applied = store
            .record(&outcomes)
            .await
            .map_err(|e| format!("record: {e}"))?;
        if applied != outcomes.len() {
            return Err(format!("{applied} of {} records applied", outcomes.len()));
        }
    }
    Ok(Claims {
        history,
        pending: settings.pending,
        limit: settings.claim_limit,
        latency: Latency::of(&nanos).ok_or("no claims")?,
    })
}
