//! Isolation: a destination that accepts connections and never answers
//! stalls no live one.
//!
//! Each run starts a fresh invoices server (`bench serve invoices FILE
//! --loopback`: the example's API over a new `SqliteStore` file with its
//! defaults, and `Dispatcher::new(outbox, sender)` with its defaults), a
//! server of the harness's own on 127.0.0.1 that accepts every connection
//! and never reads or answers (the dead destination), and reuses one
//! receiver (`bench receive`) as the live destination. It sends 2 × N
//! `POST /invoices/` with a `callback_url`, alternately to the dead and to
//! the live destination (even and odd requests, each with an invoice id of
//! its own), from a few client threads taking the requests in turn. It
//! times when the last POST was answered and when the receiver had all N
//! live callbacks (the receiver answers a waiting request as soon as it
//! has counted them), and waits at most a given time after the last POST.
//!
//! The ledger: the 2 × N accepted POSTs (the client's count of 200
//! answers, which must be the server's count too) are all in the store,
//! delivered or pending, for each destination apart. A missing one fails
//! the run; a live callback late or never arrived is the criterion's miss,
//! not a failure.

use std::net::{SocketAddr, TcpListener, TcpStream};
use std::path::Path;
use std::sync::atomic::{AtomicBool, AtomicU64, Ordering};
use std::sync::{mpsc, Arc, Mutex};
use std::thread;
use std::time::{Duration, Instant};

use callback_runtime::delivery::signing::generate_secret;
use callback_runtime::delivery::store::destination_of;

use crate::http::{self, Request};
use crate::ledger::Ledger;
use crate::measure::deliveries::{receiver_seen, SECRET_ENV};
use crate::server::Server;
use crate::store_app;

/// The sizes of the part.
#[derive(Debug, Clone)]
pub struct Settings {
    /// Live callbacks per run (as many go to the dead destination).
    pub runs: Vec<u64>,
    /// Client threads sending the POSTs.
    pub clients: usize,
    /// The criterion: every live callback within this long of the last
    /// POST.
    pub deadline: Duration,
    /// How long after the last POST the harness waits for them at most.
    pub wait: Duration,
}

/// One run.
#[derive(Debug, Clone)]
pub struct Run {
    /// Live callbacks, and as many dead ones.
    pub live: u64,
    /// From the first POST sent to the last answered.
    pub posts_seconds: f64,
    /// From the last POST answered to the arrival of the last live
    /// callback (negative: before it); `None` when they had not all
    /// arrived after the wait.
    pub after_last_post: Option<f64>,
    /// Live callbacks the receiver had when the wait ended.
    pub received: u64,
    /// Both destinations, then each apart.
    pub ledger: Ledger,
    pub live_ledger: Ledger,
    pub dead_ledger: Ledger,
}

impl Run {
    /// Whether every live callback arrived within `deadline` of the last
    /// POST.
    pub fn met(&self, deadline: Duration) -> bool {
        self.after_last_post
            .is_some_and(|s| s <= deadline.as_secs_f64())
    }
}

/// Everything the part measured.
#[derive(Debug, Clone)]
pub struct Isolation {
    pub runs: Vec<Run>,
    pub deadline: Duration,
    pub wait: Duration,
    pub clients: usize,
}

/// Runs every size once.
pub fn measure(settings: &Settings, scratch: &Path) -> Result<Isolation, String> {
    let secret = generate_secret();
    let receiver = Server::start_harness("receiver", &["receive"], None, &[(SECRET_ENV, &secret)])?;
    let dir = scratch.join("isolation");
    let mut runs = Vec::new();
    for (index, &live) in settings.runs.iter().enumerate() {
        let run = one_run(index, live, settings, &receiver, &secret, &dir)?;
        eprintln!(
            "    {live} + {live} POSTs in {:.2} s; live callbacks: {} of {live}, the last {}; {}",
            run.posts_seconds,
            run.received,
            match run.after_last_post {
                Some(s) if s >= 0.0 => format!("{s:.3} s after the last POST"),
                Some(s) => format!("{:.3} s before the last POST", -s),
                None => format!(
                    "not arrived {} s after the last POST",
                    settings.wait.as_secs()
                ),
            },
            run.ledger
        );
        runs.push(run);
    }
    let _ = std::fs::remove_dir_all(&dir);
    for run in &runs {
        let name = format!("{} + {}", run.live, run.live);
        run.ledger.check(&name)?;
        run.live_ledger
            .check(&format!("{name}, live destination"))?;
        run.dead_ledger
            .check(&format!("{name}, dead destination"))?;
    }
    Ok(Isolation {
        runs,
        deadline: settings.deadline,
        wait: settings.wait,
        clients: settings.clients,
    })
}

fn one_run(
    index: usize,
    live: u64,
    settings: &Settings,
    receiver: &Server,
    secret: &str,
    dir: &Path,
) -> Result<Run, String> {
    let _ = std::fs::remove_dir_all(dir);
    std::fs::create_dir_all(dir).map_err(|e| format!("creating {}: {e}", dir.display()))?;
    let db = dir.join("isolation.db");
    let dead = Blackhole::start()?;
    let server = store_app::start_invoices(
        "invoices",
        &db.to_string_lossy(),
        &["--loopback"],
        None,
        secret,
    )?;
    let live_url = format!("http://{}/cb", receiver.addr);
    let dead_url = format!("http://{}/cb", dead.addr);
    let before = receiver_seen(receiver.addr, 0, Duration::from_secs(10))?;
    if before.unverified > 0 {
        return Err(format!(
            "{} callbacks did not verify at the receiver",
            before.unverified
        ));
    }

    // The waiter: answered once the receiver has every live callback.
    let target = before.received + live;
    let (arrived, arrival) = mpsc::channel();
    let receiver_addr = receiver.addr;
    thread::spawn(move || {
        let seen = receiver_seen(receiver_addr, target, Duration::from_secs(3600));
        let _ = arrived.send((Instant::now(), seen));
    });

    let total = 2 * live;
    let next = Arc::new(AtomicU64::new(0));
    let last_answer = Arc::new(Mutex::new(None::<Instant>));
    let started = Instant::now();
    let mut clients = Vec::new();
    for _ in 0..settings.clients.max(1) {
        let (next, last_answer) = (Arc::clone(&next), Arc::clone(&last_answer));
        let (server_addr, live_url, dead_url) = (server.addr, live_url.clone(), dead_url.clone());
        clients.push(thread::spawn(move || -> Result<u64, String> {
            let mut accepted = 0;
            loop {
                let i = next.fetch_add(1, Ordering::Relaxed);
                if i >= total {
                    return Ok(accepted);
                }
                let url = if i % 2 == 0 { &dead_url } else { &live_url };
                let answer = http::send(server_addr, &invoice(url, &format!("iso{index}-{i}")))?;
                let at = Instant::now();
                if answer.status != 200 {
                    return Err(format!(
                        "POST {i} answered {}: {}",
                        answer.status,
                        String::from_utf8_lossy(&answer.body)
                    ));
                }
                accepted += 1;
                let mut last = last_answer.lock().expect("never poisoned");
                *last = Some(last.map_or(at, |l| l.max(at)));
            }
        }));
    }
    let mut accepted = 0;
    for client in clients {
        accepted += client
            .join()
            .map_err(|_| "a client thread panicked".to_owned())??;
    }
    let last_post = last_answer
        .lock()
        .expect("never poisoned")
        .ok_or("no POST was answered")?;
    let posts_seconds = last_post.duration_since(started).as_secs_f64();

    let wait_until = last_post + settings.wait;
    let after_last_post =
        match arrival.recv_timeout(wait_until.saturating_duration_since(Instant::now())) {
            Ok((at, seen)) => {
                seen?;
                Some(if at >= last_post {
                    at.duration_since(last_post).as_secs_f64()
                } else {
                    -last_post.duration_since(at).as_secs_f64()
                })
            }
            Err(_) => None,
        };
    let seen = receiver_seen(receiver.addr, 0, Duration::from_secs(10))?;
    if seen.unverified > before.unverified {
        return Err(format!(
            "{} callbacks did not verify at the receiver",
            seen.unverified - before.unverified
        ));
    }
    let received = seen.received - before.received;

    // The live destination's records follow its answers by a moment.
    let live_destination = destination_of(&live_url);
    let dead_destination = destination_of(&dead_url);
    let recorded_by = Instant::now() + Duration::from_secs(5);
    let books = loop {
        let books = store_app::books(server.addr)?;
        let live_pending = books.ledger_of(&live_destination, live).pending;
        if live_pending == 0 || Instant::now() > recorded_by {
            break books;
        }
        thread::sleep(Duration::from_millis(20));
    };
    if books.with_callback != accepted {
        return Err(format!(
            "the client had {accepted} POSTs answered 200, the server counted {}",
            books.with_callback
        ));
    }
    Ok(Run {
        live,
        posts_seconds,
        after_last_post,
        received,
        ledger: books.ledger(),
        live_ledger: books.ledger_of(&live_destination, live),
        dead_ledger: books.ledger_of(&dead_destination, live),
    })
}

/// `POST /invoices/?callback_url=URL` for invoice `id`.
fn invoice(callback_url: &str, id: &str) -> Request {
    Request {
        method: "POST",
        target: format!("/invoices/?callback_url={callback_url}"),
        json_body: Some(format!(
            r#"{{"id":"{id}","title":"Coffee","customer":"Ada","total":12.5}}"#
        )),
    }
}

/// A server on 127.0.0.1 that accepts every connection and never reads
/// from it or answers: a destination that is up and hangs. Stops (closing
/// its connections) when dropped.
struct Blackhole {
    addr: SocketAddr,
    stop: Arc<AtomicBool>,
    thread: Option<thread::JoinHandle<()>>,
}

impl Blackhole {
    fn start() -> Result<Blackhole, String> {
        let listener =
            TcpListener::bind("127.0.0.1:0").map_err(|e| format!("binding a port: {e}"))?;
        let addr = listener.local_addr().map_err(|e| e.to_string())?;
        let stop = Arc::new(AtomicBool::new(false));
        let stopping = Arc::clone(&stop);
        let thread = thread::spawn(move || {
            let mut held: Vec<TcpStream> = Vec::new();
            for stream in listener.incoming() {
                if stopping.load(Ordering::Relaxed) {
                    return;
                }
                if let Ok(stream) = stream {
                    held.push(stream);
                }
            }
        });
        Ok(Blackhole {
            addr,
            stop,
            thread: Some(thread),
        })
    }
}

impl Drop for Blackhole {
    fn drop(&mut self) {
        self.stop.store(true, Ordering::Relaxed);
        // Wakes the accepting thread, which sees the flag and returns.
        let _ = TcpStream::connect_timeout(&self.addr, Duration::from_secs(1));
        if let Some(thread) = self.thread.take() {
            let _ = thread.join();
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_blackhole_accepts_and_never_answers() {
        let hole = Blackhole::start().expect("it starts");
        let mut stream = TcpStream::connect(hole.addr).expect("it accepts");
        stream
            .set_read_timeout(Some(Duration::from_millis(200)))
            .expect("a timeout");
        std::io::Write::write_all(&mut stream, b"POST / HTTP/1.1\r\nHost: x\r\n\r\n")
            .expect("it takes the request");
        let error = std::io::Read::read(&mut stream, &mut [0; 16]).expect_err("no answer comes");
        assert!(matches!(
            error.kind(),
            std::io::ErrorKind::WouldBlock | std::io::ErrorKind::TimedOut
        ));
        drop(hole);
    }

    #[test]
    fn the_criterion_wants_every_live_callback_in_time() {
        let run = |after| Run {
            live: 1,
            posts_seconds: 1.0,
            after_last_post: after,
            received: 1,
            ledger: Ledger::of(2),
            live_ledger: Ledger::of(1),
            dead_ledger: Ledger::of(1),
        };
        let deadline = Duration::from_secs(5);
        assert!(run(Some(-0.5)).met(deadline));
        assert!(run(Some(4.9)).met(deadline));
        assert!(!run(Some(5.1)).met(deadline));
        assert!(!run(None).met(deadline));
    }
}
