//! The scheduler: one task that decides what is claimed, what is sent
//! when, and what is recorded, and the send tasks it starts.
//!
//! Each round trip to the store is one [`Store::exchange`]: the outcomes
//! that finished since the last one are recorded, and the next deliveries
//! claimed, up to what the workers can take plus one half round ahead, so
//! that a worker that frees up finds its next delivery waiting instead of
//! waiting for the store. Claimed deliveries wait in a queue per
//! destination; the workers take from the destinations in turn (round
//! robin), each destination as far as its slow start and its circuit
//! breaker allow ([`super::destination`]).

use std::cmp::Reverse;
use std::collections::{BinaryHeap, HashMap, HashSet, VecDeque};
use std::sync::Arc;
use std::time::{Duration, Instant, SystemTime};

use tokio::sync::{mpsc, Notify};
use tokio::task::JoinSet;

use super::attempt::{attempt, Finished};
use super::destination::Destination;
use super::Dispatcher;
use crate::store::{ClaimRequest, Claimed, Outcome, Store};
use crate::telemetry::Instruments;

/// The most outcomes recorded in one exchange; more wait for the next.
const RECORD_BATCH: usize = 512;

/// A destination unused this long, with nothing in flight and its breaker
/// closed, is forgotten (its slow start begins again).
const FORGET_AFTER: Duration = Duration::from_secs(300);

/// A claimed delivery waiting for its destination.
struct Queued {
    claimed: Claimed,
    claimed_at: Instant,
}

struct State {
    dispatcher: Arc<Dispatcher>,
    store: Arc<dyn Store>,
    destinations: HashMap<String, Destination>,
    queues: HashMap<String, VecDeque<Queued>>,
    /// Destinations with deliveries queued, in turn.
    ring: VecDeque<String>,
    /// Open breakers, by the end of their open period.
    open: BinaryHeap<Reverse<(Instant, String)>>,
    in_flight: usize,
    queued: usize,
    outcomes: Vec<Outcome>,
    /// When the outcomes waiting must be recorded at the latest.
    record_by: Option<Instant>,
    /// Whether more may be due than the last claim took.
    more_due: bool,
    /// Destinations whose last claim took as many as one claim takes: they
    /// may have more due, to be claimed as soon as they have room.
    backlog: HashSet<String>,
    /// When to claim even if nothing says more is due (the poll, a retry
    /// of ours coming due, a breaker closing).
    claim_at: Instant,
    /// Where the next claim's walk starts.
    cursor: String,
    last_forget: Instant,
    sends: JoinSet<()>,
    finished: mpsc::UnboundedSender<Finished>,
    instruments: Arc<Instruments>,
}

impl State {
    /// How many the workers can take, plus half a round ahead.
    fn capacity(&self) -> usize {
        let workers = self.dispatcher.workers;
        workers + workers.div_ceil(2)
    }

    /// How many queued deliveries their destinations could take now: those
    /// beyond (behind an open breaker, past a slow start's allowance) will
    /// keep no free worker busy.
    fn ready(&self) -> usize {
        self.queues
            .iter()
            .map(|(name, queue)| {
                let room = self.destinations.get(name).map_or(1, Destination::room);
                queue.len().min(room)
            })
            .sum()
    }

    /// Whether a worker will soon have nothing to do.
    fn hungry(&self) -> bool {
        self.in_flight + self.ready() < self.dispatcher.workers
    }

    fn lease(&self) -> Duration {
        self.dispatcher.sender.config().timeout + self.dispatcher.lease_margin
    }

    /// Takes a finished attempt's news.
    fn finish(&mut self, finished: Finished, now: Instant) {
        self.in_flight = self.in_flight.saturating_sub(1);
        let policy = self.dispatcher.destinations;
        let destination = self
            .destinations
            .entry(finished.destination.clone())
            .or_insert_with(|| Destination::new(now));
        let was_open = destination.is_open();
        if let Some(until) = destination.finish(finished.health, now, &policy) {
            tracing::warn!(
                destination = %finished.destination,
                for_ms = until.saturating_duration_since(now).as_millis() as u64,
                "destination unreachable: its circuit breaker is open"
            );
            self.open
                .push(Reverse((until, finished.destination.clone())));
            self.defer_queued(&finished.destination, until, now);
            self.report_breakers();
        } else if was_open {
            // A probe's (or a late) answer closed it.
            self.report_breakers();
        }
        if let crate::store::Next::Retry(at) = finished.outcome.next {
            // A retry of ours due before the next poll: claim then.
            let wait = at.duration_since(SystemTime::now()).unwrap_or_default();
            self.claim_at = self.claim_at.min(now + wait);
        }
        self.push_outcome(finished.outcome, now);
    }

    fn push_outcome(&mut self, outcome: Outcome, now: Instant) {
        if self.outcomes.is_empty() {
            self.record_by = Some(now + self.dispatcher.batch_wait);
        }
        self.outcomes.push(outcome);
    }

    /// Gives back, without an attempt, what waits for `destination`: due
    /// again at `until`.
    fn defer_queued(&mut self, destination: &str, until: Instant, now: Instant) {
        let Some(queue) = self.queues.remove(destination) else {
            return;
        };
        let at = SystemTime::now() + until.saturating_duration_since(now);
        self.queued -= queue.len();
        for queued in queue {
            self.push_outcome(Outcome::defer(&queued.claimed, at), now);
        }
        self.ring.retain(|d| d != destination);
    }

    /// Tells the metrics which destinations' breakers are open.
    fn report_breakers(&self) {
        let open = self
            .destinations
            .iter()
            .filter(|(_, d)| d.is_open())
            .map(|(name, _)| name.clone())
            .collect();
        self.instruments.breakers(open);
    }

    /// Moves breakers whose open period ended to half-open.
    fn close_breakers(&mut self, now: Instant) {
        while let Some(Reverse((until, _))) = self.open.peek() {
            if *until > now {
                break;
            }
            let Some(Reverse((_, name))) = self.open.pop() else {
                break;
            };
            if let Some(destination) = self.destinations.get_mut(&name) {
                destination.tick(now);
            }
            // Its deliveries may be claimed again: one will probe.
            self.more_due = true;
            self.report_breakers();
        }
    }

    /// Starts queued deliveries, one destination at a time in turn, while
    /// workers are free and destinations allow.
    fn start_ready(&mut self, now: Instant) {
        let lease = self.lease();
        let timeout = self.dispatcher.sender.config().timeout;
        let mut progress = true;
        while progress && self.in_flight < self.dispatcher.workers && !self.ring.is_empty() {
            progress = false;
            for _ in 0..self.ring.len() {
                if self.in_flight >= self.dispatcher.workers {
                    break;
                }
                let Some(name) = self.ring.pop_front() else {
                    break;
                };
                let destination = self
                    .destinations
                    .entry(name.clone())
                    .or_insert_with(|| Destination::new(now));
                let queue = self.queues.entry(name.clone()).or_default();
                if destination.may_start() {
                    if let Some(queued) = queue.pop_front() {
                        self.queued -= 1;
                        progress = true;
                        let left = (queued.claimed_at + lease).saturating_duration_since(now);
                        if left < timeout {
                            // Its lease would end before the attempt could:
                            // give it back rather than risk a second sender.
                            let back = Outcome::defer(&queued.claimed, SystemTime::now());
                            self.outcomes.push(back);
                            self.record_by.get_or_insert(now);
                            self.more_due = true;
                        } else {
                            destination.start(now);
                            self.in_flight += 1;
                            self.spawn(queued.claimed);
                        }
                    }
                }
                if self.queues.get(&name).is_some_and(|q| !q.is_empty()) {
                    self.ring.push_back(name);
                } else {
                    self.queues.remove(&name);
                }
            }
        }
    }

    fn spawn(&mut self, claimed: Claimed) {
        let dispatcher = Arc::clone(&self.dispatcher);
        let finished = self.finished.clone();
        let instruments = Arc::clone(&self.instruments);
        self.sends.spawn(async move {
            let result =
                attempt(&dispatcher.sender, &dispatcher.retry, &instruments, claimed).await;
            // The scheduler is gone only when the dispatcher was aborted.
            let _ = finished.send(result);
        });
    }

    /// The destinations the next claim leaves alone.
    fn excluded(&self) -> Vec<String> {
        self.destinations
            .iter()
            .filter(|(name, destination)| {
                let queued = self.queues.get(*name).map_or(0, VecDeque::len);
                destination.excluded(queued)
            })
            .map(|(name, _)| name.clone())
            .collect()
    }

    /// Records what finished and claims what fits, in one exchange.
    async fn exchange(&mut self, claim: bool, now: Instant) {
        let limit = if claim {
            // What the workers can take, and at most a few rounds held
            // waiting on slow destinations.
            let room = self
                .capacity()
                .saturating_sub(self.in_flight + self.ready());
            room.min((4 * self.capacity()).saturating_sub(self.queued))
        } else {
            0
        };
        let take = self.outcomes.len().min(RECORD_BATCH);
        let outcomes: Vec<Outcome> = self.outcomes.drain(..take).collect();
        let request = ClaimRequest {
            owner: self.dispatcher.owner.clone(),
            limit,
            per_destination: self.dispatcher.destinations.max_in_flight.max(1) * 2,
            exclude: if limit > 0 {
                self.excluded()
            } else {
                Vec::new()
            },
            after: self.cursor.clone(),
            lease: self.lease(),
        };
        // Taken before the store reads its clock: the lease, counted from
        // here, ends no later than the store's.
        let claimed_at = Instant::now();
        match self.store.exchange(&outcomes, &request).await {
            Ok(exchange) => {
                if limit > 0 {
                    let mut taken: HashMap<&str, usize> = HashMap::new();
                    for claimed in &exchange.claimed {
                        *taken.entry(claimed.destination.as_str()).or_default() += 1;
                    }
                    // A destination the claim walked past without taking a
                    // full share has no more due.
                    self.backlog.retain(|name| {
                        taken.contains_key(name.as_str()) || request.exclude.contains(name)
                    });
                    // Cut short by its share or by the claim's limit, a
                    // destination may have more due.
                    let cut = exchange.claimed.len() >= limit;
                    for (name, count) in taken {
                        if cut || count >= request.per_destination {
                            self.backlog.insert(name.to_owned());
                        } else {
                            self.backlog.remove(name);
                        }
                    }
                    // A claim that began after a destination and came back
                    // short reached the last one: the destinations before
                    // its start were not walked, so the next claim wraps
                    // around to the first at once (a backlog to one
                    // destination would otherwise wait for the poll after
                    // every claim that filled the limit).
                    let wrapped = !request.after.is_empty()
                        && exchange.resume_after.is_none()
                        && exchange.claimed.len() < limit;
                    self.more_due = exchange.claimed.len() >= limit
                        || exchange.resume_after.is_some()
                        || wrapped;
                    self.cursor = exchange.resume_after.unwrap_or_default();
                    if !self.more_due {
                        self.claim_at = now + self.dispatcher.poll;
                    }
                }
                for claimed in exchange.claimed {
                    let name = claimed.destination.clone();
                    let queue = self.queues.entry(name.clone()).or_default();
                    if queue.is_empty() {
                        self.ring.push_back(name);
                    }
                    queue.push_back(Queued {
                        claimed,
                        claimed_at,
                    });
                    self.queued += 1;
                }
            }
            Err(error) if error.is_transient() => {
                tracing::warn!(%error, "recording and claiming deliveries failed; trying again");
                // The outcomes go back to be recorded with the next
                // exchange; until then the leases keep their deliveries
                // from being claimed, and should they expire first, the
                // deliveries are sent again (at least once).
                let mut kept = outcomes;
                kept.append(&mut self.outcomes);
                self.outcomes = kept;
                self.claim_at = now + Duration::from_millis(500);
                self.record_by = Some(now + Duration::from_millis(500));
                self.more_due = false;
                return;
            }
            Err(error) => {
                // Retrying cannot help: the leases expire and the
                // deliveries are claimed again.
                tracing::error!(%error, dropped = outcomes.len(), "recording and claiming deliveries failed");
                self.claim_at = now + self.dispatcher.poll;
                self.more_due = false;
            }
        }
        self.record_by = if self.outcomes.is_empty() {
            None
        } else {
            Some(now)
        };
    }

    /// Whether a destination that may have more due has room for it now:
    /// then the next claim should come at once.
    fn backlog_has_room(&self) -> bool {
        self.backlog.iter().any(|name| {
            let queued = self.queues.get(name).map_or(0, VecDeque::len);
            self.destinations
                .get(name)
                .is_none_or(|d| !d.excluded(queued))
        })
    }

    /// Forgets destinations long unused.
    fn forget_idle(&mut self, now: Instant) {
        if now.duration_since(self.last_forget) < FORGET_AFTER / 10 {
            return;
        }
        self.last_forget = now;
        let Some(before) = now.checked_sub(FORGET_AFTER) else {
            return;
        };
        let queues = &self.queues;
        self.destinations
            .retain(|name, d| queues.contains_key(name) || !d.idle_since(before));
    }

    /// The earliest moment something is to be done without news.
    fn next_deadline(&self) -> Instant {
        let mut at = self.claim_at;
        if let Some(record_by) = self.record_by {
            at = at.min(record_by);
        }
        if let Some(Reverse((until, _))) = self.open.peek() {
            at = at.min(*until);
        }
        at
    }
}

/// Runs the scheduler until `stop` is notified.
pub(super) async fn run(dispatcher: Arc<Dispatcher>, stop: Arc<Notify>) {
    let store = Arc::clone(dispatcher.outbox.store());
    let instruments = Arc::new(Instruments::new(&store));
    let wake = Arc::clone(&dispatcher.outbox.wake);
    let (finished, mut done) = mpsc::unbounded_channel();
    let now = Instant::now();
    let mut state = State {
        dispatcher,
        store,
        destinations: HashMap::new(),
        queues: HashMap::new(),
        ring: VecDeque::new(),
        open: BinaryHeap::new(),
        in_flight: 0,
        queued: 0,
        outcomes: Vec::new(),
        record_by: None,
        more_due: true,
        backlog: HashSet::new(),
        claim_at: now,
        cursor: String::new(),
        last_forget: now,
        sends: JoinSet::new(),
        finished,
        instruments,
    };
    let mut stopping = false;
    loop {
        let now = Instant::now();
        while let Ok(finished) = done.try_recv() {
            state.finish(finished, now);
        }
        while state.sends.try_join_next().is_some() {}
        state.close_breakers(now);
        if !stopping {
            state.start_ready(now);
        }
        state.forget_idle(now);

        if !state.more_due && state.backlog_has_room() {
            state.more_due = true;
        }
        let want_claim = !stopping && (state.more_due || now >= state.claim_at);
        let claim = want_claim && state.hungry();
        let record = !state.outcomes.is_empty()
            && (state.outcomes.len() >= RECORD_BATCH
                || state.record_by.is_some_and(|by| now >= by)
                || stopping);
        if claim || record {
            state.exchange(claim, now).await;
            continue;
        }
        if stopping && state.in_flight == 0 {
            if state.outcomes.is_empty() {
                return;
            }
            continue;
        }
        let deadline = if stopping {
            state.record_by.unwrap_or(now + state.dispatcher.poll)
        } else if want_claim && !state.hungry() {
            // Everything is busy: the next news is a finished attempt.
            state.record_by.unwrap_or(now + state.dispatcher.poll)
        } else {
            state.next_deadline()
        };
        tokio::select! {
            Some(finished) = done.recv(), if state.in_flight > 0 => {
                state.finish(finished, Instant::now());
            }
            () = wake.notified(), if !stopping => {
                state.more_due = true;
            }
            () = stop.notified(), if !stopping => {
                stopping = true;
                give_back(&mut state, Instant::now());
            }
            () = tokio::time::sleep_until(deadline.into()) => {}
        }
    }
}

/// Gives back every queued delivery, due now, when the dispatcher stops.
fn give_back(state: &mut State, now: Instant) {
    let names: Vec<String> = state.queues.keys().cloned().collect();
    for name in names {
        state.defer_queued(&name, now, now);
    }
}
