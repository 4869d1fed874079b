//! A request built from a declaration, ready to queue or to send.

use std::marker::PhantomData;

#[cfg(feature = "delivery")]
use callback_delivery::sender::{Reply, Request, SendError, Sender};
#[cfg(feature = "delivery")]
use callback_delivery::NewDelivery;
#[cfg(feature = "delivery")]
use serde::de::DeserializeOwned;
use serde::Serialize;

use super::{Webhook, WebhookGroupType};
use crate::describe::CallbackSpec;

/// A callback or webhook request built from its declaration: the evaluated
/// URL (or why there is none) and the serialized body, typed by the
/// response the declaration expects.
///
/// Queue it with `Outbox::enqueue(outgoing)` (durable, signed, retried), or
/// make one attempt at once with [`Outgoing::send_now`].
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Outgoing<R> {
    callback: String,
    method: &'static str,
    url: String,
    body: String,
    refused: Option<String>,
    response: PhantomData<fn() -> R>,
}

impl<R> Outgoing<R> {
    /// Builds the request of `spec` (declared in `group`) to `url`, or a
    /// refused one when `url` is an error.
    pub(crate) fn new<B: Serialize + ?Sized>(
        group: &str,
        spec: &CallbackSpec,
        url: Result<String, String>,
        body: &B,
    ) -> Self {
        let callback = format!("{group}::{}", spec.name);
        let (body, body_error) = match serde_json::to_string(body) {
            Ok(body) => (body, None),
            Err(e) => (
                String::new(),
                Some(format!("the body does not serialize: {e}")),
            ),
        };
        let (url, refused) = match url {
            Ok(url) => (url, body_error),
            // Refused: the template stands in for the URL it could not
            // make.
            Err(reason) => (
                spec.target.url().unwrap_or_default().to_owned(),
                Some(reason),
            ),
        };
        Outgoing {
            callback,
            method: spec.method.as_upper_str(),
            url,
            body,
            refused,
            response: PhantomData,
        }
    }

    /// Which declaration it comes from: `group::callback`.
    pub fn callback(&self) -> &str {
        &self.callback
    }

    /// The HTTP method, upper case.
    pub fn method(&self) -> &'static str {
        self.method
    }

    /// The URL, or `None` when it could not be computed (then
    /// [`Outgoing::refused`] says why).
    pub fn url(&self) -> Option<&str> {
        self.refused.is_none().then_some(self.url.as_str())
    }

    /// The JSON body, exactly as it will be sent and signed.
    pub fn body(&self) -> &str {
        &self.body
    }

    /// Why the request cannot be sent, if it cannot.
    pub fn refused(&self) -> Option<&str> {
        self.refused.as_deref()
    }
}

#[cfg(feature = "delivery")]
impl<R> Outgoing<R> {
    /// The request as a store queues it.
    pub fn delivery(&self) -> NewDelivery {
        NewDelivery {
            callback: self.callback.clone(),
            method: self.method.to_owned(),
            url: self.url.clone(),
            body: self.body.clone(),
            refused: self.refused.clone(),
        }
    }

    /// Makes one signed, guarded attempt now, with a fresh `webhook-id`,
    /// and returns the answer, whatever its status. Nothing is stored and
    /// nothing is retried: for deliveries that must arrive, queue instead.
    pub async fn send_now(&self, sender: &Sender) -> Result<Answer<R>, SendError> {
        if let Some(reason) = &self.refused {
            return Err(SendError::Transport(reason.clone()));
        }
        let webhook_id = callback_delivery::delivery::new_webhook_id();
        let reply = sender
            .send(Request {
                method: self.method,
                url: &self.url,
                webhook_id: &webhook_id,
                body: &self.body,
                traceparent: None,
            })
            .await?;
        Ok(Answer {
            reply,
            webhook_id,
            response: PhantomData,
        })
    }
}

#[cfg(feature = "delivery")]
impl<R> From<Outgoing<R>> for NewDelivery {
    fn from(outgoing: Outgoing<R>) -> NewDelivery {
        NewDelivery {
            callback: outgoing.callback,
            method: outgoing.method.to_owned(),
            url: outgoing.url,
            body: outgoing.body,
            refused: outgoing.refused,
        }
    }
}

/// The receiver's answer to [`Outgoing::send_now`], decodable into the
/// declared response type.
#[cfg(feature = "delivery")]
#[derive(Debug, Clone)]
pub struct Answer<R> {
    reply: Reply,
    webhook_id: String,
    response: PhantomData<fn() -> R>,
}

#[cfg(feature = "delivery")]
impl<R> Answer<R> {
    /// The HTTP status.
    pub fn status(&self) -> u16 {
        self.reply.status
    }

    /// The `webhook-id` the request was sent with.
    pub fn webhook_id(&self) -> &str {
        &self.webhook_id
    }

    /// The raw answer (status, `Retry-After`, start of the body).
    pub fn reply(&self) -> &Reply {
        &self.reply
    }
}

#[cfg(feature = "delivery")]
impl<R: DeserializeOwned> Answer<R> {
    /// The body decoded as the declared response type.
    pub fn json(&self) -> Result<R, serde_json::Error> {
        serde_json::from_slice(&self.reply.body)
    }
}

/// The request of webhook `W` to a subscriber's `url`, with `body`.
///
/// Webhooks have no triggering request: the app keeps its subscribers' URLs
/// and sends to each.
pub fn webhook<W>(_webhook: W, url: impl Into<String>, body: &W::Body) -> Outgoing<W::Response>
where
    W: Webhook,
    W::Body: Serialize,
{
    let group = <W::Group as WebhookGroupType>::GROUP.spec();
    let spec = &group.callbacks()[W::INDEX];
    Outgoing::new(group.name(), spec, Ok(url.into()), body)
}
