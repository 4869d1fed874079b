//! The PostgreSQL store's statements.

/// Queues deliveries, one per element of the arrays, in their order:
/// $1 webhook ids, $2 callbacks, $3 methods, $4 urls, $5 destinations,
/// $6 bodies, $7 statuses, $8 last errors (the refusals), $9 next attempt
/// times, $10 finish times, $12 trace contexts; $11 now. When one of them
/// is pending, announces them on channel $13 (delivered on commit): the
/// `announced` query is volatile, so it runs once, and the final `SELECT`
/// reads it, so it runs at all.
pub(super) const INSERT_DELIVERIES: &str = "
WITH inserted AS (
INSERT INTO callback_deliveries
    (webhook_id, callback, method, url, destination, body, status, last_error,
     created_at, next_attempt_at, finished_at, trace_context)
SELECT webhook_id, callback, method, url, destination, body, status, last_error,
       $11, next_attempt_at, finished_at, trace_context
FROM UNNEST($1::text[], $2::text[], $3::text[], $4::text[], $5::text[], $6::text[],
            $7::text[], $8::text[], $9::int8[], $10::int8[], $12::text[])
    WITH ORDINALITY
    AS n(webhook_id, callback, method, url, destination, body, status, last_error,
         next_attempt_at, finished_at, trace_context, ord)
ORDER BY ord
RETURNING id, webhook_id, status
),
announced AS (
    SELECT pg_notify($13, '')
    FROM (SELECT 1 FROM inserted WHERE status = 'pending' LIMIT 1) AS queued
)
SELECT id, webhook_id FROM inserted, (SELECT COUNT(*) FROM announced) AS a";

/// The queue's counts at $1 (now): pending, due and not leased, the oldest
/// due time.
pub(super) const STATS: &str = "
SELECT COUNT(*),
       COUNT(*) FILTER (WHERE next_attempt_at <= $1 AND (lease_until IS NULL OR lease_until <= $1)),
       MIN(next_attempt_at) FILTER (WHERE next_attempt_at <= $1
                                    AND (lease_until IS NULL OR lease_until <= $1))
FROM callback_deliveries WHERE status = 'pending'";

/// Records outcomes, then claims, in one statement (one round trip, one
/// transaction).
///
/// Recording applies each outcome ($1 … $11, one per element, distinct
/// deliveries) only if its lease is current and the delivery still
/// pending, and logs the attempts of those that applied. "Pending" is
/// tested as `finished_at IS NULL` (the table's check makes them one): a
/// test of `status` would lead the planner, when its statistics are stale,
/// to walk the pending rows through the due index for each outcome instead
/// of finding each by its id. $1 ids, $2 leases, $3 new statuses, $4 next
/// attempt times, $5 finish times, $6 whether an attempt was made, then
/// the attempts' $7 start times, $8 durations, $9 HTTP statuses, $10
/// errors, $11 response bodies.
///
/// Claiming walks the destinations with pending rows after $12, at most
/// $13 of them (a loose index scan of `callback_deliveries_due`, one probe
/// each), skips those in $16, and leases up to $15 due rows of each (at or
/// before $14, not leased or with an expired lease, not among $20), oldest
/// due first, until $17 are leased, skipping rows another claim holds: $18
/// owner, $19 lease deadline. The rows of each destination are locked only
/// as the limit reaches them.
///
/// One row comes back even when nothing was claimed: how many outcomes
/// applied, the destinations walked, in order, and the claimed delivery's
/// columns (null when none was).
pub(super) const EXCHANGE: &str = "
WITH RECURSIVE
outcome AS (
    SELECT * FROM UNNEST($1::int8[], $2::int8[], $3::text[], $4::int8[], $5::int8[],
                         $6::bool[], $7::int8[], $8::int8[], $9::int8[], $10::text[],
                         $11::text[])
        AS o(id, lease, status, next_attempt_at, finished_at,
             tried, started_at, duration_ms, http_status, error, response_body)
),
applied AS (
    UPDATE callback_deliveries d
    SET status = o.status,
        next_attempt_at = o.next_attempt_at,
        finished_at = o.finished_at,
        attempts = d.attempts + CASE WHEN o.tried THEN 1 ELSE 0 END,
        last_error = CASE WHEN o.tried THEN o.error ELSE d.last_error END,
        last_status = CASE WHEN o.tried THEN o.http_status ELSE d.last_status END,
        lease_owner = NULL,
        lease_until = NULL
    FROM outcome o
    WHERE d.id = o.id AND d.lease = o.lease AND d.finished_at IS NULL
    RETURNING d.id
),
logged AS (
    INSERT INTO callback_attempts
        (delivery_id, started_at, duration_ms, status, error, response_body)
    SELECT o.id, o.started_at, o.duration_ms, o.http_status, o.error, o.response_body
    FROM outcome o JOIN applied a ON a.id = o.id
    WHERE o.tried
),
walk(name, n) AS (
    (SELECT destination, 1 FROM callback_deliveries
     WHERE status = 'pending' AND destination > $12 AND $17::int8 > 0
     ORDER BY destination LIMIT 1)
    UNION ALL
    SELECT (SELECT destination FROM callback_deliveries
            WHERE status = 'pending' AND destination > walk.name
            ORDER BY destination LIMIT 1),
           walk.n + 1
    FROM walk WHERE walk.name IS NOT NULL AND walk.n < $13::int8
),
walked AS MATERIALIZED (
    SELECT name, n FROM walk WHERE name IS NOT NULL
),
picked AS (
    SELECT p.id FROM walked w CROSS JOIN LATERAL (
        SELECT id FROM callback_deliveries
        WHERE status = 'pending'
          AND destination = w.name
          AND next_attempt_at <= $14
          AND (lease_until IS NULL OR lease_until <= $14)
          AND id <> ALL($20::int8[])
        ORDER BY next_attempt_at, id
        LIMIT $15
        FOR UPDATE SKIP LOCKED
    ) p
    WHERE w.name <> ALL($16::text[])
    LIMIT $17
),
leased AS (
    UPDATE callback_deliveries d
    SET lease = d.lease + 1, lease_owner = $18, lease_until = $19
    FROM picked
    WHERE d.id = picked.id
    RETURNING d.id, d.lease, d.webhook_id, d.callback, d.method, d.url, d.destination,
              d.body, d.attempts, d.created_at, d.next_attempt_at, d.trace_context
)
SELECT (SELECT count(*) FROM applied) AS recorded,
       (SELECT array_agg(name ORDER BY n) FROM walked) AS walked,
       leased.*
FROM (SELECT 1) AS one LEFT JOIN leased ON TRUE";

/// Deletes at most $2 finished deliveries (and, by cascade, their
/// attempts) that finished before $1, oldest first, skipping rows another
/// pruner holds. Only finished deliveries have a finish time (the table's
/// check), and the condition names no state, which keeps the planner on
/// the index of finish times.
pub(super) const PRUNE: &str = "
DELETE FROM callback_deliveries
WHERE id IN (
    SELECT id FROM callback_deliveries
    WHERE finished_at < $1
    ORDER BY finished_at
    LIMIT $2
    FOR UPDATE SKIP LOCKED
)";
