//! `BENCHMARKS.md`: the harness owns one block of it, between two marker
//! comments, and leaves everything else in the file as it is (other
//! sections, hand-written analysis).

use std::fmt::Write as _;

mod build;
mod delivery;
pub mod readme;

pub use crate::format::thousands;

use crate::measure::binary_size::Sizes;
use crate::measure::instructions::Count;
use crate::measure::memory::MemoryGrowth;
use crate::measure::throughput::{Sample, Throughput};
use crate::results::{Results, ASSEMBLY_SLOPE_LIMIT, DOCS_TARGET, MEMORY_TARGET, REQUEST_TARGET};
use crate::stats;

pub const BEGIN: &str =
    "<!-- bench:framework:begin (written by the bench crate; edit outside this block) -->";
pub const END: &str = "<!-- bench:framework:end -->";
const TITLE: &str = "# Benchmarks";

/// The markers of the binary-size block, which `bench sizes` writes alone.
pub const SIZES_BEGIN: &str =
    "<!-- bench:sizes:begin (written by the bench crate; edit outside this block) -->";
pub const SIZES_END: &str = "<!-- bench:sizes:end -->";

/// The file with the binary-size block replaced, or added at its end.
pub fn update_sizes(existing: Option<&str>, block: &str) -> String {
    let block = format!("{SIZES_BEGIN}\n{}\n{SIZES_END}", block.trim_end());
    match existing {
        Some(text) if text.contains(SIZES_BEGIN) && text.contains(SIZES_END) => {
            let start = text.find(SIZES_BEGIN).expect("checked");
            let end = text.find(SIZES_END).expect("checked") + SIZES_END.len();
            format!("{}{block}{}", &text[..start], &text[end..])
        }
        Some(text) => format!("{}\n\n{block}\n", text.trim_end()),
        None => format!("{TITLE}\n\n{block}\n"),
    }
}

/// What the binary-size block says about its run.
pub struct SizesRun<'a> {
    pub command: &'a str,
    pub smoke: bool,
    pub machine: &'a crate::machine::Machine,
}

/// The binary-size block: one row per feature set.
pub fn render_sizes(run: &SizesRun, sizes: &Sizes) -> String {
    let mut out = String::new();
    let w = &mut out;
    let _ = writeln!(w, "## Binary size per docs feature set\n");
    if run.smoke {
        let _ = writeln!(
            w,
            "**Smoke run**: a debug build of one feature set, only to show the measurement \
             works.\n"
        );
    }
    let _ = writeln!(
        w,
        "Measured with `{}` on {}, commit {}, {}. The app is the one-operation API of the \
         build-time benchmark (an annotated handler with a callback, served by `HttpServer`), \
         built with the `{}` profile as Cargo defines it (no LTO, symbols kept) against \
         `callback-runtime` with `default-features = false` and the features of each row. \
         \"Embedded files\" is the size of those UIs' vendored files \
         (`callback-docs-assets/vendor/<ui>/`, bundles and license files), all of which the \
         binary carries.\n",
        run.command, run.machine.date, run.machine.commit, run.machine.rustc, sizes.profile
    );
    let _ = writeln!(
        w,
        "| Features | Binary | Over no docs UI | Embedded files |\n| --- | ---: | ---: | ---: |"
    );
    let baseline = sizes.baseline();
    for size in &sizes.sizes {
        let features = if size.features.is_empty() {
            "none".to_owned()
        } else {
            size.features
                .iter()
                .map(|f| format!("`{f}`"))
                .collect::<Vec<_>>()
                .join(", ")
        };
        let over = match baseline {
            Some(base) if size.set != "none" => {
                format!("+{}", bytes(size.binary.saturating_sub(base) as usize))
            }
            _ => "–".to_owned(),
        };
        let _ = writeln!(
            w,
            "| {features} | {} | {over} | {} |",
            bytes(size.binary as usize),
            bytes(size.embedded as usize)
        );
    }
    out
}

/// The file with the harness's block replaced (or added after the title).
pub fn update(existing: Option<&str>, block: &str) -> String {
    let block = format!("{BEGIN}\n{}\n{END}", block.trim_end());
    match existing {
        Some(text) if text.contains(BEGIN) && text.contains(END) => {
            let start = text.find(BEGIN).expect("checked");
            let end = text.find(END).expect("checked") + END.len();
            format!("{}{block}{}", &text[..start], &text[end..])
        }
        Some(text) if text.trim_start().starts_with(TITLE) => {
            let title_end = text.find('\n').unwrap_or(text.len());
            let rest = text[title_end..].trim_start_matches('\n');
            format!("{}\n\n{block}\n\n{rest}", &text[..title_end])
                .trim_end()
                .to_owned()
                + "\n"
        }
        Some(text) => format!("{TITLE}\n\n{block}\n\n{}", text.trim_start()),
        None => format!("{TITLE}\n\n{block}\n"),
    }
}

/// The harness's block: summary, chart, machine, method, tables.
pub fn render(results: &Results) -> String {
    let mut out = String::new();
    let w = &mut out;
    let _ = writeln!(w, "## Framework overhead\n");
    if results.smoke {
        let _ = writeln!(
            w,
            "**Smoke run**: tiny numbers that only show every measurement path works; \
             they say nothing about performance.\n"
        );
    }
    let _ = writeln!(
        w,
        "Measured with `{}` on {}, commit {}, in {:.1} minutes. \
         Ratios compare this framework (\"ours\") with the same thing written with plain \
         actix-web, measured side by side in one run; delivery compares the durable outbox \
         with a bare HTTP client sending the same signed requests.\n",
        results.command, results.machine.date, results.machine.commit, results.minutes
    );
    for failure in &results.failures {
        let _ = writeln!(w, "**Failed in this run**: {failure}\n");
    }
    let _ = writeln!(
        w,
        "| What | Target | Measured | Met |\n| --- | --- | --- | --- |"
    );
    for verdict in results.verdicts() {
        let met = match verdict.met {
            Some(true) => "yes",
            Some(false) => "**no**",
            None => "–",
        };
        let _ = writeln!(
            w,
            "| {} | {} | {} | {met} |",
            verdict.name, verdict.target, verdict.measured
        );
    }
    let _ = writeln!(
        w,
        "\n![Each criterion's measured ratio against its target, and assembly time against the number of operations]({})\n",
        results.chart
    );

    machine_section(w, results);
    method_section(w, results);
    throughput_section(
        w,
        "Request overhead",
        results.requests.as_ref(),
        REQUEST_TARGET,
        &results.fastapi,
    );
    throughput_section(
        w,
        "Docs serving",
        results.docs.as_ref(),
        DOCS_TARGET,
        &results.fastapi,
    );
    instructions_section(w, &results.instructions);
    build::build_section(w, results.build.as_ref());
    build::cold_build_section(w, results.cold_build.as_ref());
    assembly_section(w, results);
    memory_section(w, &results.memory);
    delivery::deliveries_section(w, results.deliveries.as_ref());
    delivery::isolation_section(w, results.isolation.as_ref());
    delivery::durable_requests_section(w, results.durable_requests.as_ref());
    delivery::disk_section(w, results.disk.as_ref());
    delivery::postgres_section(w, &results.postgres);
    out
}

fn machine_section(w: &mut String, results: &Results) {
    let m = &results.machine;
    let _ = writeln!(w, "### Machine\n");
    let _ = writeln!(w, "| | |\n| --- | --- |");
    let _ = writeln!(w, "| CPU | {} ({} cores) |", m.cpu, m.cores);
    let _ = writeln!(w, "| Memory | {:.0} GiB |", m.memory_gib);
    let _ = writeln!(w, "| Kernel | Linux {} |", m.kernel);
    let _ = writeln!(w, "| Rust | {} |", m.rustc);
    let _ = writeln!(w, "| actix-web | {} |", m.actix_web);
    let _ = writeln!(w, "| Load generator | {} |", m.wrk);
    let fastapi = match &results.fastapi {
        Ok(versions) => versions.clone(),
        Err(reason) => format!("skipped: {reason}"),
    };
    let _ = writeln!(w, "| FastAPI reference | {fastapi} |");
    let _ = writeln!(w, "| Pinning | {} |", results.pinning);
    let noise: Vec<String> = results
        .noise
        .iter()
        .map(|(part, cores)| format!("{part} {cores:.2}"))
        .collect();
    let _ = writeln!(
        w,
        "| Other processes (cores busy on average) | {} |\n",
        noise.join(", ")
    );
}

fn method_section(w: &mut String, results: &Results) {
    let _ = writeln!(w, "### Method\n");
    let _ = writeln!(
        w,
        "- **Servers.** \"ours\" is `examples::invoices` (`#[callback_runtime::post]` with its \
         callback group, mounted through `ApiService`); \"plain\" is the same handler under \
         `#[actix_web::post]` with actix-web's `web::Json`/`web::Query`, and a \
         `#[actix_web::get(\"/openapi.json\")]` handler returning the same document from \
         static bytes (read from a file at start-up: the plain server never builds it). \
         Both queue the invoice's `invoice_notification` callback per request: ours through \
         its `Trigger` (capturing the request, evaluating the URL template), plain by \
         building the same delivery by hand (the callback URL, `/invoices/`, the \
         percent-encoded id; the serialized event), into an `Outbox` over the same \
         bench-only store that hands out ids and keeps nothing, so the ratio is the \
         framework's overhead, not a store's. Both run from the harness's own binary (a release build for `all`) with one worker; the \
         harness checks that they answer the benchmarked requests with the same status and \
         body before loading them. The FastAPI reference (`bench/fastapi/app.py`, one \
         uvicorn worker) does the same work: per request it builds the same delivery (the \
         callback URL with the id percent-encoded as a path segment, the event serialized \
         by pydantic) and queues it into an in-process outbox that hands out ids and keeps \
         nothing but the last delivery, which the harness reads once before loading to check \
         its URL and body against plain's.\n\
         - **Load.** `wrk` with one thread over keep-alive connections; a Lua script sets the \
         `POST` body and reports the counts; any error response or socket error fails the \
         run. `POST /invoices/?callback_url=https://example.com/cb` with \
         `{{\"id\":\"inv-1\",\"title\":\"Coffee\",\"customer\":\"Ada\",\"total\":12.5}}`, and \
         `GET /openapi.json`.\n\
         - **Alternation.** Every round loads each server once, the order rotating from round \
         to round; the ratio is the median of the rounds' ratios, so a slow stretch of the \
         machine falls on both variants alike. The harness reads the CPU time of the whole \
         machine around every run and runs a round again (up to twice the rounds) when \
         other processes kept more than 0.1 cores busy during it.\n\
         - **Requests per CPU-second.** The server's threads' time on a CPU during each run \
         (`/proc/PID/task/*/schedstat`) divides the requests it answered: the throughput \
         the server would have on a core of its own, robust to other processes taking \
         turns on its core. \"Waiting for CPU\" is the time the server was ready to run \
         but another process had its core. With the server near 100 % on CPU, it (not \
         `wrk`) is the bottleneck.\n\
         - **Build time.** Generated crates in `target/bench-build/` sharing one target folder \
         and the project's `Cargo.lock`: N operations, each with its own body, query, \
         response, event and acknowledgement types (the event types exist in every variant; \
         an app that sends callbacks needs them), and for ours a `#[callbacks]` group per \
         operation and `Api::build()` in `main`; utoipa's variant documents the operations \
         but no callbacks (utoipa has none), plain's documents nothing. Dev profile. Clean: \
         `cargo clean -p CRATE` then `cargo build` (dependencies stay built). Then two \
         incremental rebuilds, each after an edit of its own kind and a `cargo build`: the \
         response message of one handler changed (a string in `ops.rs`), and a comment line \
         appended to `main.rs`. Rounds alternate the variants; medians.\n\
         - **Cold build.** One crate per variant in `target/bench-cold/`, one workspace \
         whose `Cargo.lock` is the project's, copied at every run, so that the dependencies \
         the variants share with the project build at its versions; `cargo fetch` resolves \
         and downloads what only utoipa's variant needs before anything is timed. The same \
         one-endpoint app in every variant: one `POST` with a JSON body, a query and a JSON \
         response; ours also with one `#[callbacks]` group attached and `Api::build()` in \
         `main`; plain actix-web serves the route and documents nothing; utoipa 5 with \
         utoipa-actix-web documents the operation and no callback (utoipa has none) and \
         serves it with Swagger UI at `/docs` through utoipa-swagger-ui 9 (`actix-web`, \
         `vendored`: the Swagger UI files come from a crate and the build script downloads \
         nothing; in the dev profile rust-embed reads them from the build folder at run time \
         rather than embedding them, its default); ours docs-only (`default-features = \
         false, features = [\"swagger-ui\"]`) serves the document and Swagger UI, embedded; \
         ours with the default features also ReDoc and Scalar, and builds the delivery crate \
         with its SQLite store. Each build: `cargo build -p APP --offline --locked`, dev \
         profile (what `cargo build` does), cargo's default of one job per core, no \
         `RUSTC_WRAPPER`, into a target folder emptied just before; timed, with the \
         CPU-seconds of cargo and everything it ran, and the crates compiled (cargo's \
         `Compiling` lines, build scripts' packages included). Rounds alternate the \
         variants, the order rotating; medians.\n\
         - **Assembly.** A generated binary times `Api::build()` on the first N of its \
         operations (repeats, median). Each operation has its own path, handler, `#[callbacks]` \
         group and callback event and acknowledgement types; the body, query and response \
         types are shared so that 10,000 handlers compile in minutes.\n\
         - **Memory.** A fresh server of each variant, loaded until it has answered the first \
         number of requests, then the second; `VmHWM` (peak resident set) from \
         `/proc/PID/status` at both points.\n\
         - **Deliveries.** See [Callback delivery](#callback-delivery), \
         [Isolation](#isolation), [Request path with a durable store](#request-path-with-a-durable-store), \
         [Disk](#disk) and [PostgreSQL](#postgresql). Every load run of those keeps a \
         ledger: every delivery the app accepted is delivered, pending, refused, failed, \
         gone or pruned, and a run with one missing fails.\n"
    );
    let _ = writeln!(w, "Settings of this run:\n");
    for (name, value) in &results.settings {
        let _ = writeln!(w, "- {name}: {value}");
    }
    let _ = writeln!(w);
}

fn throughput_section(
    w: &mut String,
    title: &str,
    throughput: Option<&Throughput>,
    target: f64,
    fastapi: &Result<String, String>,
) {
    let _ = writeln!(w, "### {title}\n");
    let Some(t) = throughput else {
        let _ = writeln!(w, "Not measured in this run.\n");
        return;
    };
    samples_table(w, t, "Server");
    let list = |ratios: &[f64]| {
        ratios
            .iter()
            .map(|r| format!("{r:.3}"))
            .collect::<Vec<_>>()
            .join(", ")
    };
    if let Some(ratios) = t.ratios("ours", "plain") {
        let (lo, hi) = stats::range(&ratios);
        let _ = writeln!(
            w,
            "\nOurs / plain, requests per second: median **{:.3}** (target ≥ {target}), \
             rounds {lo:.3} – {hi:.3}: {}.",
            stats::median(&ratios),
            list(&ratios)
        );
    }
    if let Some(ratios) = t.cpu_ratios("ours", "plain") {
        let (lo, hi) = stats::range(&ratios);
        let _ = writeln!(
            w,
            "Ours / plain, requests per server CPU-second: median **{:.3}**, \
             rounds {lo:.3} – {hi:.3}: {}.",
            stats::median(&ratios),
            list(&ratios)
        );
    }
    match (t.ratios("ours", "fastapi"), fastapi) {
        (Some(ratios), _) => {
            let _ = writeln!(
                w,
                "Ours / FastAPI (which queues the same callback), requests per second: median \
                 **{:.1}×**.",
                stats::median(&ratios)
            );
        }
        (None, Err(reason)) => {
            let _ = writeln!(w, "FastAPI reference skipped: {reason}.");
        }
        (None, Ok(_)) => {}
    }
    let _ = writeln!(w);
}

/// The rounds' medians of each server (or subject) of `t`, a row each;
/// `first` heads the first column.
fn samples_table(w: &mut String, t: &Throughput, first: &str) {
    let _ = writeln!(
        w,
        "`{}`, {} rounds. Medians over the rounds.\n\n\
         | {first} | req/s | Range (req/s) | p50 latency | p99 latency | Server on CPU | Waiting for CPU | req per CPU-second |\n\
         | --- | ---: | ---: | ---: | ---: | ---: | ---: | ---: |",
        t.endpoint,
        t.samples.first().map_or(0, Vec::len)
    );
    for server in &t.servers {
        let rps = t.rps(server).unwrap_or_default();
        let (lo, hi) = stats::range(&rps);
        let median = |pick: fn(&Sample) -> f64| t.median_of(server, pick).unwrap_or(f64::NAN);
        let _ = writeln!(
            w,
            "| {server} | {} | {} – {} | {} | {} | {:.0} % | {:.0} % | {} |",
            thousands(stats::median(&rps)),
            thousands(lo),
            thousands(hi),
            micros(median(|s| s.run.p50_us as f64)),
            micros(median(|s| s.run.p99_us as f64)),
            median(Sample::server_cores) * 100.0,
            median(|s| s.server_waiting_ns as f64 / (s.run.duration_us.max(1) as f64 * 1e3))
                * 100.0,
            thousands(median(Sample::requests_per_cpu_second)),
        );
    }
    if t.discarded > 0 || t.noisy > 0 {
        let _ = writeln!(
            w,
            "\n{} round(s) were run again because other processes kept more than 0.1 \
             cores busy during them; {} accepted round(s) were noisy all the same.",
            t.discarded, t.noisy
        );
    }
}

fn instructions_section(w: &mut String, counts: &Result<Vec<Count>, String>) {
    let _ = writeln!(w, "### Instructions per request\n");
    let counts = match counts {
        Ok(counts) => counts,
        Err(reason) => {
            let _ = writeln!(w, "Not counted: {reason}.\n");
            return;
        }
    };
    let _ = writeln!(
        w,
        "User-space instructions per request under callgrind, one request at a time over \
         one keep-alive connection; the kernel's share of a request (socket reads and \
         writes) is not counted. Criteria: plain / ours ≥ {REQUEST_TARGET} for the `POST`, \
         ≥ {DOCS_TARGET} for `/openapi.json`.\n\n\
         | Endpoint | Ours | Plain | Plain / ours |\n\
         | --- | ---: | ---: | ---: |"
    );
    let mut endpoints: Vec<&str> = Vec::new();
    for count in counts {
        if !endpoints.contains(&count.endpoint.as_str()) {
            endpoints.push(&count.endpoint);
        }
    }
    for endpoint in endpoints {
        let find = |server: &str| {
            counts
                .iter()
                .find(|c| c.server == server && c.endpoint == endpoint)
                .map(Count::per_request)
        };
        if let (Some(ours), Some(plain)) = (find("ours"), find("plain")) {
            let _ = writeln!(
                w,
                "| `{endpoint}` | {} | {} | **{:.3}** |",
                thousands(ours),
                thousands(plain),
                plain / ours
            );
        }
    }
    let _ = writeln!(w);
}

fn assembly_section(w: &mut String, results: &Results) {
    let _ = writeln!(w, "### Assembly\n");
    let Some(sizes) = &results.assembly else {
        let _ = writeln!(w, "Not measured in this run.\n");
        return;
    };
    let _ = writeln!(
        w,
        "`Api::build()`: collect, describe, check every callback expression, check `$ref`s, \
         serialize once.\n\n\
         | Operations | Median time | Per operation | Document size | Repeats |\n\
         | ---: | ---: | ---: | ---: | ---: |"
    );
    for a in sizes {
        let ms = a.median_ms();
        let _ = writeln!(
            w,
            "| {} | {} | {:.1} µs | {} | {} |",
            thousands(a.operations as f64),
            millis(ms),
            ms * 1000.0 / a.operations as f64,
            bytes(a.bytes),
            a.nanos.len()
        );
    }
    if let (Some(all), Some(scale)) = (results.assembly_slope(), results.assembly_slope_at_scale())
    {
        let _ = writeln!(
            w,
            "\nGrowth: the log-log slope of time against operations is **{all:.2}** over all \
             sizes, the criterion: ≤ {ASSEMBLY_SLOPE_LIMIT} (1 is linear, 2 quadratic); \
             between the two largest sizes alone it is {scale:.2}, for information."
        );
    }
    let _ = writeln!(w);
}

fn memory_section(w: &mut String, memory: &[MemoryGrowth]) {
    let _ = writeln!(w, "### Memory\n");
    if memory.is_empty() {
        let _ = writeln!(w, "Not measured in this run.\n");
        return;
    }
    let _ = writeln!(
        w,
        "Peak resident set (`VmHWM`) of a fresh server, `POST /invoices/`. Criterion: many / \
         few ≤ {MEMORY_TARGET} for ours.\n\n\
         | Server | At start | After few requests | After many requests | Many / few |\n\
         | --- | ---: | ---: | ---: | ---: |"
    );
    for m in memory {
        let _ = writeln!(
            w,
            "| {} | {} KiB | {} KiB ({} requests) | {} KiB ({} requests) | **{:.3}** |",
            m.server,
            thousands(m.at_start.peak_kib as f64),
            thousands(m.few.1.peak_kib as f64),
            thousands(m.few.0 as f64),
            thousands(m.many.1.peak_kib as f64),
            thousands(m.many.0 as f64),
            m.peak_ratio()
        );
    }
    let _ = writeln!(w);
}

/// Microseconds with a decimal below 100 µs.
pub(crate) fn micros_fine(us: f64) -> String {
    if us < 100.0 {
        format!("{us:.1} µs")
    } else {
        micros(us)
    }
}

pub(crate) fn micros(us: f64) -> String {
    if us >= 1000.0 {
        format!("{:.2} ms", us / 1000.0)
    } else {
        format!("{us:.0} µs")
    }
}

pub(crate) fn millis(ms: f64) -> String {
    if ms >= 1000.0 {
        format!("{:.2} s", ms / 1000.0)
    } else if ms >= 10.0 {
        format!("{ms:.1} ms")
    } else {
        format!("{ms:.2} ms")
    }
}

pub(crate) fn bytes(n: usize) -> String {
    let n = n as f64;
    if n >= 1024.0 * 1024.0 {
        format!("{:.1} MiB", n / (1024.0 * 1024.0))
    } else if n >= 1024.0 {
        format!("{:.1} KiB", n / 1024.0)
    } else {
        format!("{n:.0} B")
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_new_file_gets_the_title_and_the_block() {
        let text = update(None, "## Framework overhead\n\nfigures");
        assert!(text.starts_with("# Benchmarks\n\n<!-- bench:framework:begin"));
        assert!(text.contains("figures\n<!-- bench:framework:end -->"));
    }

    #[test]
    fn other_sections_survive_a_rewrite() {
        let first = update(None, "old figures");
        let with_other = format!("{first}\n## Runtime expressions\n\ntheirs\n");
        let second = update(Some(&with_other), "new figures");
        assert!(second.contains("new figures"));
        assert!(!second.contains("old figures"));
        assert!(second.contains("## Runtime expressions\n\ntheirs"));
        assert_eq!(second.matches("# Benchmarks").count(), 1);
    }

    #[test]
    fn a_file_without_the_block_keeps_its_sections() {
        let text = update(
            Some("# Benchmarks\n\n## Runtime expressions\n\ntheirs\n"),
            "mine",
        );
        assert!(text.starts_with("# Benchmarks\n\n<!-- bench:framework:begin"));
        assert!(text.ends_with("## Runtime expressions\n\ntheirs\n"));
    }

    #[test]
    fn the_sizes_block_is_its_own() {
        let framework = update(None, "figures");
        let with_analysis = format!("{framework}\n## Analysis\n\nmine\n");
        let first = update_sizes(Some(&with_analysis), "old sizes");
        assert!(first.ends_with("mine\n\n<!-- bench:sizes:begin (written by the bench crate; edit outside this block) -->\nold sizes\n<!-- bench:sizes:end -->\n"));
        let second = update_sizes(Some(&first), "new sizes");
        assert!(second.contains("new sizes") && !second.contains("old sizes"));
        assert!(second.contains("figures\n<!-- bench:framework:end -->"));
        // A framework rewrite leaves the sizes block alone.
        let third = update(Some(&second), "new figures");
        assert!(third.contains("new figures") && third.contains("new sizes"));
    }
}
