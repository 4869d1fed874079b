//! One attempt: send a claimed delivery, and decide what comes next.

use std::sync::Arc;
use std::time::{Duration, Instant, SystemTime};

use super::destination::Health;
use crate::delivery::{unix_millis, Attempt, Status};
use crate::retry::RetryPolicy;
use crate::sender::{Reply, Request, SendError, Sender};
use crate::store::{Claimed, Next, Outcome};
use crate::telemetry::{self, Instruments};

/// What a finished attempt reports to the scheduler.
#[derive(Debug)]
pub(super) struct Finished {
    pub(super) destination: String,
    pub(super) outcome: Outcome,
    pub(super) health: Health,
}

/// Sends one claimed delivery and decides what comes next.
pub(super) async fn attempt(
    sender: &Sender,
    retry: &RetryPolicy,
    instruments: &Arc<Instruments>,
    delivery: Claimed,
) -> Finished {
    let started = SystemTime::now();
    let clock = Instant::now();
    let span = telemetry::Attempt::start(instruments, &delivery);
    let traceparent = span.traceparent();
    let result = sender
        .send(Request {
            method: &delivery.method,
            url: &delivery.url,
            webhook_id: &delivery.webhook_id,
            body: &delivery.body,
            traceparent: traceparent.as_deref(),
        })
        .await;
    let duration = clock.elapsed();
    let attempts = delivery.attempts + 1;
    let mut error_type = None;
    let (status, error, body, next, health) = match result {
        Ok(reply) => {
            let next = decide(retry, attempts, &reply);
            let error = (!reply.is_success()).then(|| format!("answered {}", reply.status));
            let body = String::from_utf8_lossy(&reply.body).into_owned();
            (
                Some(reply.status),
                error,
                Some(body),
                next,
                Health::Answered,
            )
        }
        Err(SendError::Refused(refusal)) => {
            error_type = Some("refused");
            (
                None,
                Some(format!("refused: {refusal}")),
                None,
                Next::Finish(Status::Refused),
                Health::Unknown,
            )
        }
        Err(error) => {
            error_type = Some(error.kind());
            let health = if error.is_unreachable() {
                Health::Unreachable
            } else {
                Health::Unknown
            };
            let next = retry_or_fail(retry, attempts, None);
            (None, Some(error.to_string()), None, next, health)
        }
    };
    span.finish(status, error_type, &next, delivery.created_at);
    let outcome_name = match next {
        Next::Finish(status) => status.as_str(),
        Next::Retry(_) => "retry",
    };
    tracing::info!(
        delivery = delivery.id.0,
        webhook_id = %delivery.webhook_id,
        callback = %delivery.callback,
        url = %delivery.url,
        attempt = attempts,
        status = status,
        error = error.as_deref(),
        duration_ms = duration.as_millis() as u64,
        outcome = outcome_name,
        "delivery attempt"
    );
    Finished {
        destination: delivery.destination,
        outcome: Outcome {
            id: delivery.id,
            lease: delivery.lease,
            attempt: Some(Attempt {
                started_at: unix_millis(started),
                duration_ms: i64::try_from(duration.as_millis()).unwrap_or(i64::MAX),
                status,
                error,
                response_body: body,
            }),
            next,
        },
        health,
    }
}

fn decide(retry: &RetryPolicy, attempts: u32, reply: &Reply) -> Next {
    match reply.status {
        200..=299 => Next::Finish(Status::Delivered),
        410 => Next::Finish(Status::Gone),
        _ => retry_or_fail(retry, attempts, reply.retry_after),
    }
}

fn retry_or_fail(retry: &RetryPolicy, attempts: u32, retry_after: Option<Duration>) -> Next {
    match retry.delay(attempts, retry_after) {
        Some(wait) => Next::Retry(SystemTime::now() + wait),
        None => Next::Finish(Status::Failed),
    }
}
