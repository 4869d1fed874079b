//! The sections of delivery: the durable outbox against a bare client,
//! isolation from a dead destination, the request path with a durable
//! store, disk, and PostgreSQL. Each states its criteria, fixed before
//! measuring, its method, and its figures; the generated block holds no
//! explanation of them.

use std::fmt::Write as _;

use super::{bytes, micros_fine, samples_table, thousands};
use crate::ledger::Ledger;
use crate::measure::deliveries::{
    Deliveries, Latency, BUSY_WHILE, CONCURRENT_WHILE, CRITERION_MODE, IDLE_WHILE, LATENCY_WARMUP,
    PRODUCERS,
};
use crate::measure::disk::{Disk, FLAT_LIMIT, WAL_LIMIT};
use crate::measure::durable_requests::{DurableRequests, Runs, REFUSED_CALLBACK, WITH, WITHOUT};
use crate::measure::isolation::Isolation;
use crate::measure::postgres::requests::{NO_CALLBACK, OUTBOX, ROW_ONLY};
use crate::measure::postgres::{InstancesRun, Postgres};
use crate::measure::throughput::Throughput;
use crate::results::{
    DELIVERY_TARGET, ENQUEUE_P99_TARGET_MS, INSTANCES_TARGET, POSTGRES_CPU_TARGET,
    QUEUEING_REQUEST_TARGET, STATEMENTS_TARGET,
};
use crate::stats;

fn verdict(met: bool) -> &'static str {
    if met {
        "met"
    } else {
        "missed"
    }
}

fn list(values: &[f64]) -> String {
    values
        .iter()
        .map(|v| format!("{v:.3}"))
        .collect::<Vec<_>>()
        .join(", ")
}

fn mib(bytes: u64) -> String {
    format!("{:.1} MiB", bytes as f64 / (1024.0 * 1024.0))
}

/// The WAL's limit, as the criterion states it.
fn wal_limit() -> String {
    format!("{} MiB", WAL_LIMIT / (1024 * 1024))
}

/// One row per run: where its accepted deliveries are.
fn ledger_table(w: &mut String, rows: &[(String, Ledger)]) {
    let _ = writeln!(
        w,
        "\nLedger: accepted = delivered + pending + refused + failed + gone + pruned \
         (+ any other state of the store); missing = accepted − all of those.\n\n\
         | Run | Accepted | Delivered | Pending | Refused | Failed | Gone | Pruned | Other states | Missing |\n\
         | --- | ---: | ---: | ---: | ---: | ---: | ---: | ---: | ---: | ---: |"
    );
    for (name, l) in rows {
        let _ = writeln!(
            w,
            "| {name} | {} | {} | {} | {} | {} | {} | {} | {} | **{}** |",
            thousands(l.accepted as f64),
            thousands(l.delivered as f64),
            thousands(l.pending as f64),
            thousands(l.refused as f64),
            thousands(l.failed as f64),
            thousands(l.gone as f64),
            thousands(l.pruned as f64),
            thousands(l.other as f64),
            thousands(l.missing() as f64)
        );
    }
}

pub(super) fn deliveries_section(w: &mut String, deliveries: Option<&Deliveries>) {
    let _ = writeln!(w, "### Callback delivery\n");
    let _ = writeln!(
        w,
        "Criteria, fixed before measuring: delivery throughput through the durable SQLite \
         outbox with {PRODUCERS} concurrent producers ≥ {DELIVERY_TARGET} × a bare HTTP-client \
         loop sending the same signed requests; the p99 of `Outbox::enqueue` during those runs \
         ≤ {ENQUEUE_P99_TARGET_MS} ms. One producer, and PostgreSQL when a database is \
         configured, are measured for information. Reproduce with \
         `CALLBACKS_BENCH_DATABASE_URL=postgres://… cargo run --release -p bench -- all \
         --only deliveries` (its report goes to `target/bench-partial/BENCHMARKS.md`; \
         without a database URL the PostgreSQL rows are skipped).\n"
    );
    let _ = writeln!(
        w,
        "Method. A receiver (`bench receive`: actix-web, one worker, 127.0.0.1, pinned to \
         the server's core) verifies each `POST`'s Standard Webhooks signature, counts it \
         and answers `200 {{\"ok\":true}}`. Each run is a fresh sender process pinned to \
         the load generator's core, sending N copies of the invoices example's \
         `invoice_notification` (URL `…/cb/invoices/inv-i`, body \
         `{{\"description\":\"Invoice created\",\"paid\":false}}`). **Bare**: a reqwest \
         client configured like `Sender`'s (no proxy, no redirects, the same timeouts), 16 \
         requests in flight, each signed with `Signer::headers` under a fresh `webhook-id`; \
         timed until all N are answered. **Durable**: a fresh `SqliteStore` file (default \
         settings: `synchronous = FULL`), an `Outbox`, a `Dispatcher` with its defaults (64 \
         workers, at most 16 requests in flight to one destination: the bare loop's 16; \
         `Guard::new().allow_loopback()`); {PRODUCERS} producer tasks each queue their share \
         with one `Outbox::enqueue` call per delivery, as concurrent request handlers would \
         (the criterion), or one producer queues them back to back (information), while the \
         dispatcher runs; timed from the first enqueue until the receiver has all N (\"all \
         queued after\" is when the last enqueue returned). Then the run's ledger: the N \
         accepted deliveries (every enqueue returned) must all be in the store, all \
         delivered, none pending. A warm-up run of the bare loop precedes the rounds. Every \
         round runs every mode once, the order rotating, and a round is run again (up to \
         three times the rounds) when other processes kept more than 0.1 cores busy during \
         it; the ratio is the median of the rounds' ratios. **Queueing latency**: the \
         duration of every `Outbox::enqueue` call of the runs, dispatcher sending, and of \
         single calls on a fresh `SqliteStore` with no dispatcher (after {LATENCY_WARMUP} \
         warm-up calls); nearest-rank percentiles over all the runs' calls. **PostgreSQL**: \
         the same runs with one `PostgresStore` (default pool of 10 connections) in a fresh \
         schema per run, dropped after it; the server is local, unpinned, and its CPU time \
         is not counted as other processes' when deciding whether a round was noisy.\n"
    );
    let Some(d) = deliveries else {
        let _ = writeln!(w, "Not measured in this run.\n");
        return;
    };
    if let Some(reason) = &d.postgres_skipped {
        let _ = writeln!(w, "PostgreSQL rows skipped: {reason}.\n");
    }
    let _ = writeln!(
        w,
        "{} deliveries per run, {} in flight.\n\n\
         | Round | Order | Bare (deliveries/s) | {PRODUCERS} producers (deliveries/s) | {PRODUCERS} producers / bare | 1 producer (deliveries/s) | 1 producer / bare | Other processes (cores) |\n\
         | ---: | --- | ---: | ---: | ---: | ---: | ---: | ---: |",
        thousands(d.deliveries as f64),
        d.concurrency
    );
    for (i, round) in d.rounds.iter().enumerate() {
        let rate = |mode: &str| {
            round
                .run(mode)
                .map_or_else(|| "–".to_owned(), |r| thousands(r.per_second()))
        };
        let ratio = |mode: &str| {
            round
                .ratio_of(mode)
                .map_or_else(|| "–".to_owned(), |r| format!("{r:.3}"))
        };
        let _ = writeln!(
            w,
            "| {} | {} | {} | {} | {} | {} | {} | {:.2} |",
            i + 1,
            round.order.join(", "),
            thousands(round.bare.per_second()),
            rate(CRITERION_MODE),
            ratio(CRITERION_MODE),
            rate("durable"),
            ratio("durable"),
            round.others_cores
        );
    }
    if d.discarded > 0 || d.noisy > 0 {
        let _ = writeln!(
            w,
            "\n{} round(s) were run again because other processes kept more than 0.1 \
             cores busy during them; {} accepted round(s) were noisy all the same.",
            d.discarded, d.noisy
        );
    }
    if !d.rounds.is_empty() {
        let ratio = d.ratio();
        let (lo, hi) = stats::range(&d.ratios());
        let _ = writeln!(
            w,
            "\nMedians: bare {} deliveries/s, SQLite with {PRODUCERS} producers {} \
             deliveries/s. {PRODUCERS} producers / bare: median **{ratio:.3}** (rounds \
             {lo:.3} – {hi:.3}); criterion ≥ {DELIVERY_TARGET}: **{}**.",
            thousands(stats::median(&d.bare_per_second())),
            thousands(stats::median(&d.per_second(CRITERION_MODE))),
            verdict(ratio >= DELIVERY_TARGET)
        );
        let _ = writeln!(
            w,
            "\nEvery mode, medians over the rounds:\n\n\
             | Store | Producers | Deliveries/s | Range (deliveries/s) | All queued after (median) | / bare (median) | / bare (rounds) | Criterion ≥ {DELIVERY_TARGET} |\n\
             | --- | --- | ---: | ---: | ---: | ---: | --- | --- |"
        );
        for mode in d.modes() {
            let (store, producers) = mode_label(mode);
            let rates = d.per_second(mode);
            let (lo, hi) = stats::range(&rates);
            let queued: Vec<f64> = d
                .rounds
                .iter()
                .filter_map(|r| r.run(mode))
                .map(|r| r.queued_seconds)
                .collect();
            let criterion = match (mode == CRITERION_MODE, d.ratio_of(mode)) {
                (true, Some(r)) => format!("**{}**", verdict(r >= DELIVERY_TARGET)),
                _ => "–".to_owned(),
            };
            let _ = writeln!(
                w,
                "| {store} | {producers} | {} | {} – {} | {} | {} | {} | {criterion} |",
                thousands(stats::median(&rates)),
                thousands(lo),
                thousands(hi),
                if mode == "bare" {
                    "–".to_owned()
                } else {
                    format!("{:.2} s", stats::median(&queued))
                },
                d.ratio_of(mode)
                    .map_or_else(|| "–".to_owned(), |r| format!("**{r:.3}**")),
                list(&d.ratios_of(mode))
            );
        }
        let ledgers: Vec<(String, Ledger)> = d
            .modes()
            .into_iter()
            .filter_map(|mode| {
                let (store, producers) = mode_label(mode);
                Some((
                    format!("{store}, {producers} producer(s), {} runs", d.rounds.len()),
                    d.ledger_of(mode)?,
                ))
            })
            .collect();
        ledger_table(w, &ledgers);
    }
    let _ = writeln!(
        w,
        "\n`Outbox::enqueue`, one delivery per call:\n\n\
         | Store | While | Calls | p50 | p99 | p99.9 | Max | Criterion p99 ≤ {ENQUEUE_P99_TARGET_MS} ms |\n\
         | --- | --- | ---: | ---: | ---: | ---: | ---: | --- |"
    );
    let row = |w: &mut String, store: &str, name: &str, l: &Latency, criterion: bool| {
        let _ = writeln!(
            w,
            "| {store} | {name} | {} | {} | {} | {} | {} | {} |",
            thousands(l.samples as f64),
            micros_fine(l.p50_us),
            micros_fine(l.p99_us),
            micros_fine(l.p999_us),
            micros_fine(l.max_us),
            if criterion {
                format!(
                    "**{}**",
                    verdict(l.p99_us <= ENQUEUE_P99_TARGET_MS * 1000.0)
                )
            } else {
                "–".to_owned()
            }
        );
    };
    row(w, "SQLite", IDLE_WHILE, &d.idle, false);
    row(w, "SQLite", BUSY_WHILE, &d.busy, false);
    row(w, "SQLite", CONCURRENT_WHILE, &d.concurrent, true);
    for (store, name, l) in &d.latencies {
        row(w, store, name, l, false);
    }
    let _ = writeln!(w);
}

fn mode_label(mode: &str) -> (&'static str, String) {
    match mode {
        "bare" => ("none (bare HTTP client)", "–".to_owned()),
        "durable" => ("SQLite", "1".to_owned()),
        "concurrent" => ("SQLite", PRODUCERS.to_string()),
        "durable-pg" => ("PostgreSQL", "1".to_owned()),
        _ => ("PostgreSQL", PRODUCERS.to_string()),
    }
}

pub(super) fn isolation_section(w: &mut String, isolation: Option<&Isolation>) {
    let _ = writeln!(w, "### Isolation\n");
    let _ = writeln!(
        w,
        "Criterion, fixed before measuring: with callbacks queued alternately to a server \
         that accepts connections and never answers and to a live receiver, every live \
         callback arrives within 5 s of the last `POST`; for 100 + 100 `POST`s and for \
         1,000 + 1,000, a row each. Reproduce with `cargo run --release -p bench -- all \
         --only isolation`.\n"
    );
    let _ = writeln!(
        w,
        "Method. Per run, a fresh invoices server (`bench serve invoices FILE --loopback`: \
         `examples::invoices::api()` over a new `SqliteStore` file with its defaults, \
         `Dispatcher::new(outbox, sender)` with its defaults, the SSRF guard allowing \
         loopback), a dead destination (a listener of the harness on 127.0.0.1 that \
         accepts every connection and never reads or answers) and the live receiver \
         (`bench receive`, verifying and counting). The harness sends 2 × N \
         `POST /invoices/?callback_url=…`, the even ones to the dead destination and the odd \
         ones to the live one, each with an invoice id of its own, from a few client \
         threads taking them in turn; it records when the last `POST` was answered and when \
         the receiver had counted all N live callbacks (a request to the receiver that it \
         answers as soon as it has them), and waits at most a fixed time after the last \
         `POST`. Nothing is pinned. The ledger: the 2 × N `POST`s answered 200 (the \
         client's count, which must equal the server's) are all in the store, for each \
         destination apart, delivered or pending.\n"
    );
    let Some(iso) = isolation else {
        let _ = writeln!(w, "Not measured in this run.\n");
        return;
    };
    let _ = writeln!(
        w,
        "{} client threads; the wait after the last `POST` is at most {} s.\n\n\
         | Live + dead `POST`s | `POST`s answered in | Live callbacks received | Last live callback after the last `POST` | Criterion ≤ {} s |\n\
         | --- | ---: | ---: | ---: | --- |",
        iso.clients,
        iso.wait.as_secs(),
        iso.deadline.as_secs()
    );
    for run in &iso.runs {
        let after = match run.after_last_post {
            Some(s) if s >= 0.0 => format!("{s:.3} s"),
            Some(s) => format!("{:.3} s before it", -s),
            None => format!("not within {} s", iso.wait.as_secs()),
        };
        let _ = writeln!(
            w,
            "| {} + {} | {:.2} s | {} of {} | {after} | **{}** |",
            thousands(run.live as f64),
            thousands(run.live as f64),
            run.posts_seconds,
            thousands(run.received as f64),
            thousands(run.live as f64),
            verdict(run.met(iso.deadline))
        );
    }
    let mut rows = Vec::new();
    for run in &iso.runs {
        let n = thousands(run.live as f64);
        rows.push((format!("{n} + {n}, live destination"), run.live_ledger));
        rows.push((format!("{n} + {n}, dead destination"), run.dead_ledger));
    }
    ledger_table(w, &rows);
    let _ = writeln!(w);
}

pub(super) fn durable_requests_section(w: &mut String, durable: Option<&DurableRequests>) {
    let _ = writeln!(w, "### Request path with a durable store\n");
    let _ = writeln!(
        w,
        "Criterion, fixed before measuring: `POST /invoices/` with a `callback_url` ≥ \
         {QUEUEING_REQUEST_TARGET} × the same `POST` without one, 64 connections, on the \
         invoices example over a `SqliteStore` with its default durability \
         (`synchronous = FULL`), measured while the dispatcher claims and records, the \
         callback refused by the SSRF guard so that no HTTP sending is in the figure. The \
         same with the callbacks sent to a live receiver is measured for information. \
         Reproduce with `cargo run --release -p bench -- all --only durable-requests`.\n"
    );
    let _ = writeln!(
        w,
        "Method. The server is `bench serve invoices FILE` (`examples::invoices::api()` \
         over a fresh `SqliteStore` file with its defaults, and \
         `Dispatcher::new(outbox, sender)` with its defaults, one actix-web worker, pinned \
         to the server's core). **Criterion**: the guard does not allow loopback and the \
         callback URL is `{REFUSED_CALLBACK}`: each delivery is queued in the request, then \
         claimed by the dispatcher, refused by the guard (`localhost` resolves to a \
         loopback address) and recorded as `refused`. **Information**: a second server, \
         the guard allowing loopback, the callbacks going to a live receiver (`bench \
         receive`) pinned to the server's core. Load from `wrk` pinned to the load \
         generator's core, in alternating rounds of the two requests on the same server, \
         with the machinery of the request benchmarks (medians of the rounds' ratios, a \
         round run again when other processes kept more than 0.1 cores busy, the \
         receiver's CPU time not counted as theirs); before every run the harness waits \
         until the server has nothing pending. After the rounds it waits until nothing is \
         pending and checks the ledger: every `POST` the server answered 200 with a \
         callback (counted by the server, at least as many as `wrk` read) is in the store \
         as delivered, refused, failed or gone.\n"
    );
    let Some(d) = durable else {
        let _ = writeln!(w, "Not measured in this run.\n");
        return;
    };
    let _ = writeln!(
        w,
        "**Criterion run**: callback to `{REFUSED_CALLBACK}`, refused by the guard.\n"
    );
    durable_runs(w, &d.refused, true);
    let _ = writeln!(
        w,
        "\n**Information run**: callback to a live receiver on loopback.\n"
    );
    durable_runs(w, &d.live, false);
    ledger_table(
        w,
        &[
            ("callback refused by the guard".to_owned(), d.refused.ledger),
            ("callback to a live receiver".to_owned(), d.live.ledger),
        ],
    );
    let _ = writeln!(w);
}

fn durable_runs(w: &mut String, runs: &Runs, criterion: bool) {
    samples_table(w, &runs.throughput, "Request");
    ratio_lines(
        w,
        &runs.throughput,
        WITH,
        WITHOUT,
        criterion.then_some(QUEUEING_REQUEST_TARGET),
    );
    let _ = writeln!(
        w,
        "`POST`s with a callback answered to `wrk`: {}; counted by the server: {}.",
        thousands(runs.answered as f64),
        thousands(runs.ledger.accepted as f64)
    );
}

/// `a / b` per second and per server CPU-second, with the criterion's
/// verdict when there is one.
fn ratio_lines(w: &mut String, t: &Throughput, a: &str, b: &str, target: Option<f64>) {
    if let Some(ratios) = t.ratios(a, b).filter(|r| !r.is_empty()) {
        let median = stats::median(&ratios);
        let (lo, hi) = stats::range(&ratios);
        let criterion = target.map_or_else(String::new, |target| {
            format!("; criterion ≥ {target}: **{}**", verdict(median >= target))
        });
        let _ = writeln!(
            w,
            "\n{a} / {b}, requests per second: median **{median:.3}** (rounds {lo:.3} – \
             {hi:.3}: {}){criterion}.",
            list(&ratios)
        );
    }
    if let Some(ratios) = t.cpu_ratios(a, b).filter(|r| !r.is_empty()) {
        let (lo, hi) = stats::range(&ratios);
        let _ = writeln!(
            w,
            "{a} / {b}, requests per server CPU-second: median **{:.3}** (rounds {lo:.3} – \
             {hi:.3}).",
            stats::median(&ratios)
        );
    }
}

pub(super) fn disk_section(w: &mut String, disk: Option<&Disk>) {
    let _ = writeln!(w, "### Disk\n");
    let _ = writeln!(
        w,
        "Criteria, fixed before measuring: the SQLite write-ahead log stays ≤ {} during \
         60 s of sustained load; the database file stays flat over a 10-minute soak with \
         retention, \"flat\" meaning that its largest size in the second half of the soak \
         is ≤ {FLAT_LIMIT} × its size at the middle (minute 5). Reproduce with `cargo run \
         --release -p bench -- all --only disk`.\n",
        wal_limit()
    );
    let _ = writeln!(
        w,
        "Method. The server is `bench serve invoices FILE --loopback` (the invoices example \
         over a fresh `SqliteStore` with its defaults, `synchronous = FULL` and a 64 MiB \
         limit on its log, its dispatcher with its defaults), pinned to the server's core, \
         every `POST` queuing a callback to a live receiver (`bench receive`) on the same \
         core; `wrk` on the load generator's core. A thread of the harness reads the sizes \
         of the store's file and of its `-wal` file (what `SqliteStore::wal_size()` \
         returns) at a fixed interval, from the start of the load until the dispatcher has \
         nothing pending (or a time limit). **WAL**: `wrk` as fast as the server answers. \
         **Soak**: the server also runs retention (`Store::prune(retention, 1000)` at a \
         fixed interval, as `store::spawn_pruner` does, counting what it deletes), and \
         `wrk` is paced (each connection waits connections ÷ rate seconds after each \
         answer). The ledger of each run: every `POST` the server answered 200 is in the \
         store, or was pruned after it finished.\n"
    );
    let Some(d) = disk else {
        let _ = writeln!(w, "Not measured in this run.\n");
        return;
    };
    let wal = &d.wal;
    let drained = |after: Option<f64>| {
        after.map_or_else(
            || "not within the limit".to_owned(),
            |s| format!("{s:.1} s"),
        )
    };
    let _ = writeln!(
        w,
        "Sizes read every {} ms.\n\n\
         | WAL run | Requests/s | Largest WAL under load | Largest WAL after the load | Deliveries finished after the load | Database file at the end | Readings | Criterion ≤ {} |\n\
         | --- | ---: | ---: | ---: | ---: | ---: | ---: | --- |\n\
         | {} s, {} connections | {} | {} | {} | {} | {} | {} | **{}** |",
        d.sample_every.as_millis(),
        wal_limit(),
        wal.seconds,
        wal.connections,
        thousands(wal.rate),
        mib(wal.max_under_load),
        mib(wal.max_after),
        drained(wal.drained_after),
        mib(wal.database_at_end),
        thousands(wal.readings as f64),
        verdict(wal.max_under_load <= WAL_LIMIT)
    );
    let soak = &d.soak;
    let _ = writeln!(
        w,
        "\n| Soak | Requests/s (target) | Retention, pruned every | Database file at the middle | Largest in the second half | Ratio | Largest WAL | Deliveries finished after the load | Readings | Criterion ≤ {FLAT_LIMIT} |\n\
         | --- | ---: | --- | ---: | ---: | ---: | ---: | ---: | ---: | --- |\n\
         | {} s, {} connections | {} ({}) | {} s, {} ms | {} | {} | {:.3} | {} | {} | {} | **{}** |",
        soak.seconds,
        soak.connections,
        thousands(soak.rate),
        thousands(f64::from(soak.target_rate)),
        soak.retention.as_secs_f64(),
        soak.prune_every.as_millis(),
        bytes(soak.at_middle as usize),
        bytes(soak.max_second_half as usize),
        soak.growth(),
        mib(soak.max_wal),
        drained(soak.drained_after),
        thousands(soak.readings as f64),
        verdict(soak.growth() <= FLAT_LIMIT)
    );
    let _ = writeln!(
        w,
        "\nThe database file during the soak:\n\n| Time | Size |\n| ---: | ---: |"
    );
    for (at, size) in &soak.tenths {
        let at = if soak.seconds >= 100 {
            format!("{at:.0} s")
        } else {
            format!("{at:.1} s")
        };
        let _ = writeln!(w, "| {at} | {} |", bytes(*size as usize));
    }
    ledger_table(
        w,
        &[
            ("WAL run".to_owned(), wal.ledger),
            ("soak".to_owned(), soak.ledger),
        ],
    );
    let _ = writeln!(w);
}

pub(super) fn postgres_section(w: &mut String, postgres: &Result<Postgres, String>) {
    let _ = writeln!(w, "### PostgreSQL\n");
    let _ = writeln!(
        w,
        "Criteria, fixed before measuring: with the receiver taking 50 ms per callback, \
         deliveries per second with 3 dispatcher instances on one PostgreSQL database ≥ \
         {INSTANCES_TARGET} × with 1, and PostgreSQL's CPU-seconds per 1,000 deliveries \
         with 3 instances ≤ {POSTGRES_CPU_TARGET} × with 1; ≤ {STATEMENTS_TARGET} \
         statements per delivery outside the app's transaction; with the outbox in the \
         app's transaction, `POST /invoices/` with its callback ≥ {QUEUEING_REQUEST_TARGET} \
         × the same `POST` inserting the invoice's row only. The instances with a receiver \
         answering at once, and claim latency, are measured for information. Reproduce \
         with `CALLBACKS_BENCH_DATABASE_URL=postgres://… cargo run --release -p bench -- \
         all --only postgres` (or `CALLBACKS_TEST_DATABASE_URL`; without either the part \
         is skipped; the statement count needs `pg_stat_statements`, and is skipped with \
         the reason without it).\n"
    );
    let _ = writeln!(
        w,
        "Method. **Instances**: in a fresh schema, N deliveries (the invoices example's \
         callback, as above) are queued up front with `Outbox::enqueue_all` in batches; then \
         1, 2 or 3 child processes (`bench deliver pg-instance`), each an `Outbox` and a \
         `Dispatcher` (16 workers, at most 16 in flight to one destination, \
         `Guard::new().allow_loopback()`) over its own `PostgresStore`, connected and \
         waiting, are told to start by a line on their standard input, and drain the \
         shared queue to one receiver (`bench receive ids`: as above, also keeping every \
         `webhook-id` to count distinct deliveries and duplicates; with `--delay-ms 50` it \
         waits 50 ms on a timer before answering each callback). Timed from the start line \
         until the receiver has N distinct ids; then the run's ledger: N accepted, N \
         delivered, none pending. Nothing is pinned: the instances, the receiver and \
         PostgreSQL share the machine's cores; their CPU use is read from `/proc` around \
         each run (PostgreSQL: every `postgres` process with its exited backends, including \
         any other client's work; its CPU-seconds are its cores busy × the time between \
         the readings). Rounds run 1, 2, 3 instances, then 3, 2, 1; medians. **Claims**: a \
         fresh schema with pending deliveries due now, `ANALYZE`d; each of the claims \
         (`Store::claim`, 64 at a time, 60 s lease) is timed and its deliveries recorded \
         back as due now (not timed), so the pending set stays; then a history of \
         delivered rows is added with `INSERT … SELECT generate_series` (no attempt rows), \
         `ANALYZE`d, and the claims timed again. **Outbox in the app's transaction**: two \
         servers, each in a schema of its own on the same PostgreSQL, one actix-web \
         worker each, pinned to the server's core: `bench serve invoices postgres://…` (the \
         example queuing the callback with `PostgresStore::enqueue_in` in the transaction \
         that inserts the invoice's row; its dispatcher running; the guard not allowing \
         loopback, the callback URL `{REFUSED_CALLBACK}`, so each callback is claimed, \
         refused and recorded, and nothing is sent) and `bench serve row-only` (the same \
         operation under the same framework and extractors, inserting the row with one \
         `INSERT` and no transaction, on a pool of as many connections); the same `POST` \
         to both, every request with an invoice id of its own; `wrk` in alternating rounds \
         as above, PostgreSQL's CPU time not counted as other processes'; the outbox \
         server's `POST` without a `callback_url` as a third subject, for information. \
         Ledger: every callback accepted is in the store, every `POST` answered has its \
         row. **Statements**: in a fresh database, the outbox server (the guard allowing \
         loopback) sends each callback to a live receiver; after a warm-up, the calls of \
         every statement `pg_stat_statements` has for that database and role are read, \
         `wrk` loads the server, the harness waits until nothing is pending, and reads \
         them again; the difference is split by text: the app's transactions (`BEGIN`, \
         `COMMIT`, the invoice's and the deliveries' `INSERT`, `pg_notify`), the harness's \
         own counts (left out), and the rest, the store's outside the app's transactions, \
         divided by the deliveries delivered meanwhile.\n"
    );
    let p = match postgres {
        Ok(p) => p,
        Err(reason) => {
            let _ = writeln!(w, "Not measured in this run: {reason}.\n");
            return;
        }
    };
    let s = &p.settings;
    let _ = writeln!(
        w,
        "Instances, receiver taking {} ms per callback: {} deliveries per run, {} workers \
         per instance, on {} cores.\n",
        s.receiver_delay.as_millis(),
        thousands(s.slow_deliveries as f64),
        s.workers,
        p.cores
    );
    let medians = |per_second: &dyn Fn(usize) -> Option<f64>| {
        [1, 2, 3]
            .iter()
            .filter_map(|&n| {
                let rate = per_second(n)?;
                let ratio = per_second(1).map_or(f64::NAN, |one| rate / one);
                Some(format!(
                    "{n}: {} deliveries/s ({ratio:.2} × 1)",
                    thousands(rate)
                ))
            })
            .collect::<Vec<_>>()
            .join("; ")
    };
    if p.slow_runs.is_empty() {
        let _ = writeln!(w, "Not measured in this run.");
    } else {
        instances_table(w, &p.slow_runs);
        let _ = writeln!(w, "\nMedians: {}.", medians(&|n| p.slow_per_second(n)));
    }
    if let Some(scaling) = p.slow_scaling() {
        let _ = writeln!(
            w,
            "3 instances / 1: **{scaling:.2}**; criterion ≥ {INSTANCES_TARGET}: **{}**.",
            verdict(scaling >= INSTANCES_TARGET)
        );
    }
    let cpu: Vec<String> = [1, 2, 3]
        .iter()
        .filter_map(|&n| Some(format!("{n}: {:.3}", p.cpu_per_thousand(n)?)))
        .collect();
    if !cpu.is_empty() {
        let _ = writeln!(
            w,
            "PostgreSQL CPU-seconds per 1,000 deliveries, medians: {}.",
            cpu.join("; ")
        );
    }
    if let Some(ratio) = p.cpu_scaling() {
        let _ = writeln!(
            w,
            "3 instances / 1, PostgreSQL CPU-seconds per delivery: **{ratio:.2}**; \
             criterion ≤ {POSTGRES_CPU_TARGET}: **{}**.",
            verdict(ratio <= POSTGRES_CPU_TARGET)
        );
    }
    let _ = writeln!(
        w,
        "\nInstances, receiver answering at once (information): {} deliveries per run.\n",
        thousands(s.deliveries as f64)
    );
    if p.runs.is_empty() {
        let _ = writeln!(w, "Not measured in this run.");
    } else {
        instances_table(w, &p.runs);
        let _ = writeln!(w, "\nMedians: {}.", medians(&|n| p.per_second(n)));
    }
    if let Some(scaling) = p.scaling() {
        let _ = writeln!(w, "3 instances / 1: **{scaling:.2}**.");
    }
    let sum = |runs: &[InstancesRun], n: usize| {
        runs.iter()
            .filter(|r| r.instances == n)
            .map(|r| r.ledger)
            .reduce(|a, b| a.plus(&b))
    };
    let mut ledgers = Vec::new();
    for (name, runs) in [
        (
            format!("receiver taking {} ms", s.receiver_delay.as_millis()),
            &p.slow_runs,
        ),
        ("receiver answering at once".to_owned(), &p.runs),
    ] {
        for n in [1, 2, 3] {
            if let Some(ledger) = sum(runs, n) {
                ledgers.push((format!("{n} instance(s), {name}, all runs"), ledger));
            }
        }
    }
    if !ledgers.is_empty() {
        ledger_table(w, &ledgers);
    }

    let _ = writeln!(
        w,
        "\n`Store::claim` on `PostgresStore`:\n\n\
         | Delivered rows (history) | Pending rows | Per claim | Claims | p50 | p99 | Max |\n\
         | ---: | ---: | ---: | ---: | ---: | ---: | ---: |"
    );
    for c in &p.claims {
        let _ = writeln!(
            w,
            "| {} | {} | {} | {} | {} | {} | {} |",
            thousands(c.history as f64),
            thousands(c.pending as f64),
            c.limit,
            c.latency.samples,
            micros_fine(c.latency.p50_us),
            micros_fine(c.latency.p99_us),
            micros_fine(c.latency.max_us)
        );
    }

    let _ = writeln!(w, "\n**Outbox in the app's transaction.**\n");
    match &p.requests {
        Ok(r) => {
            samples_table(w, &r.throughput, "Server, request");
            ratio_lines(
                w,
                &r.throughput,
                OUTBOX,
                ROW_ONLY,
                Some(QUEUEING_REQUEST_TARGET),
            );
            ratio_lines(w, &r.throughput, NO_CALLBACK, ROW_ONLY, None);
            let _ = writeln!(
                w,
                "\nOutbox server: {} `POST`s answered, {} invoice rows; row-only server: {} \
                 answered, {} rows.",
                thousands(r.outbox_answered as f64),
                thousands(r.outbox_rows as f64),
                thousands(r.row_only_answered as f64),
                thousands(r.row_only_rows as f64)
            );
            ledger_table(w, &[("outbox server".to_owned(), r.ledger)]);
        }
        Err(reason) => {
            let _ = writeln!(w, "Not measured: {reason}.");
        }
    }

    let _ = writeln!(w, "\n**Statements outside the app's transactions.**\n");
    match &p.statements {
        Ok(st) => {
            let _ = writeln!(
                w,
                "| Load | Requests/s | Deliveries delivered | Store's statements (outside) | Per delivery | App's statements | Per `POST` | Harness's (left out) | Criterion ≤ {STATEMENTS_TARGET} |\n\
                 | --- | ---: | ---: | ---: | ---: | ---: | ---: | ---: | --- |\n\
                 | {} s, {} connections | {} | {} | {} | **{}** | {} | {} | {} | **{}** |",
                st.seconds,
                st.connections,
                thousands(st.rate),
                thousands(st.ledger.delivered as f64),
                thousands(st.outside as f64),
                st.per_delivery()
                    .map_or_else(|| "–".to_owned(), |v| format!("{v:.4}")),
                thousands(st.app as f64),
                st.app_per_post()
                    .map_or_else(|| "–".to_owned(), |v| format!("{v:.2}")),
                thousands(st.harness as f64),
                st.per_delivery()
                    .map_or("missed", |v| verdict(v <= STATEMENTS_TARGET))
            );
            let _ = writeln!(
                w,
                "\nThe store's statements:\n\n| Statement | Calls |\n| --- | ---: |"
            );
            for (text, calls) in &st.store_statements {
                let _ = writeln!(
                    w,
                    "| `{}` | {} |",
                    text.replace('|', "\\|").replace('`', "'"),
                    thousands(*calls as f64)
                );
            }
            ledger_table(w, &[("statement count".to_owned(), st.ledger)]);
        }
        Err(reason) => {
            let _ = writeln!(w, "Not measured: {reason}.");
        }
    }
    let _ = writeln!(w);
}

fn instances_table(w: &mut String, runs: &[InstancesRun]) {
    let _ = writeln!(
        w,
        "| Instances | Deliveries/s | Seconds | Received (distinct) | Duplicates | Machine busy (cores) | PostgreSQL (cores) | Receiver (cores) | Instances (cores) | PostgreSQL CPU-s per 1,000 |\n\
         | ---: | ---: | ---: | ---: | ---: | ---: | ---: | ---: | ---: | ---: |"
    );
    for r in runs {
        let _ = writeln!(
            w,
            "| {} | {} | {:.2} | {} | {} | {:.2} | {} | {:.2} | {:.2} | {} |",
            r.instances,
            thousands(r.per_second()),
            r.seconds,
            thousands(r.received as f64),
            r.duplicates,
            r.machine_cores,
            r.postgres_cores
                .map_or_else(|| "?".to_owned(), |c| format!("{c:.2}")),
            r.receiver_cores,
            r.instance_cores,
            r.postgres_per_thousand()
                .map_or_else(|| "?".to_owned(), |c| format!("{c:.3}"))
        );
    }
}
