-- Deliveries and their attempts. The same tables, columns and indexes as
-- migrations/postgres/0001_callback_deliveries.sql, in SQLite's types.
--
-- `trace_context` is the W3C `traceparent` of the span that queued the
-- delivery (with the `otel` feature): each attempt's span links to it.
--
-- Indexes:
-- - callback_deliveries_due: pending rows by destination, then due time:
--   a claim walks the destinations (one seek each) and takes the oldest
--   due rows of each, however many other rows wait;
-- - callback_deliveries_by_status: finished rows by state and id, to list
--   one final state newest first (pending rows are listed through the
--   primary key);
-- - callback_deliveries_finished: finished rows by finish time, which
--   pruning walks;
-- - callback_attempts_by_delivery: a delivery's log, and the cascade when
--   a delivery is pruned.
CREATE TABLE callback_deliveries (
    id              INTEGER PRIMARY KEY AUTOINCREMENT,
    webhook_id      TEXT    NOT NULL UNIQUE,
    callback        TEXT    NOT NULL,
    method          TEXT    NOT NULL,
    url             TEXT    NOT NULL,
    destination     TEXT    NOT NULL,
    body            TEXT    NOT NULL,
    status          TEXT    NOT NULL CHECK (status IN
                        ('pending', 'delivered', 'failed', 'refused', 'gone', 'cancelled')),
    attempts        INTEGER NOT NULL DEFAULT 0,
    last_error      TEXT,
    last_status     INTEGER,
    created_at      INTEGER NOT NULL,
    next_attempt_at INTEGER,
    finished_at     INTEGER,
    lease           INTEGER NOT NULL DEFAULT 0,
    lease_owner     TEXT,
    lease_until     INTEGER,
    trace_context   TEXT,
    CHECK ((status = 'pending') = (finished_at IS NULL))
);
CREATE INDEX callback_deliveries_due ON callback_deliveries (destination, next_attempt_at, id)
    WHERE status = 'pending';
CREATE INDEX callback_deliveries_by_status ON callback_deliveries (status, id)
    WHERE status <> 'pending';
CREATE INDEX callback_deliveries_finished ON callback_deliveries (finished_at)
    WHERE finished_at IS NOT NULL;
CREATE TABLE callback_attempts (
    id              INTEGER PRIMARY KEY,
    delivery_id     INTEGER NOT NULL REFERENCES callback_deliveries (id) ON DELETE CASCADE,
    started_at      INTEGER NOT NULL,
    duration_ms     INTEGER NOT NULL,
    status          INTEGER,
    error           TEXT,
    response_body   TEXT
);
CREATE INDEX callback_attempts_by_delivery ON callback_attempts (delivery_id, id);
