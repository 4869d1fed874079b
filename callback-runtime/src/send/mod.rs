//! Request and delivery time: sending what the callback declarations
//! document.
//!
//! The declaration that documents a callback also types its delivery:
//!
//! - a handler takes its operation's [`Trigger`] (`invoice_callbacks::Trigger`)
//!   as an argument: the parts of the request that the group's URL
//!   templates read, captured as an owned value that can be stored with the
//!   app's records and used hours later (it is `Serialize`/`Deserialize`);
//! - [`Trigger::callback`] takes a callback of that group and exactly its
//!   declared body type, and evaluates the callback's URL: the result is an
//!   [`Outgoing`] request, queued with [`Outbox::enqueue`] and sent by the
//!   dispatcher (signed, retried, guarded), or sent at once with
//!   [`Outgoing::send_now`] to read the declared response type;
//! - [`webhook`] builds a webhook request to a subscriber's URL;
//!
//! Receiving them is [`receive`](crate::receive); the operators' view of
//! the deliveries is [`deliveries`](crate::deliveries). Both, and
//! [`Outgoing::send_now`], need the `delivery` feature; without it,
//! [`Trigger`], [`Outgoing`] and [`webhook`] still compute the requests.
//!
//! [`Outbox::enqueue`]: https://docs.rs/callback-delivery/latest/callback_delivery/dispatcher/struct.Outbox.html#method.enqueue

pub(crate) mod groups;
mod outgoing;
pub(crate) mod trigger;

#[cfg(feature = "delivery")]
pub use outgoing::Answer;
pub use outgoing::{webhook, Outgoing};
pub use trigger::Trigger;

use groups::{CallbackGroupType, WebhookGroupType};

/// A callback declared in a `#[callbacks]` group: implemented by the marker
/// struct the macro generates for each declaration
/// (`invoice_callbacks::invoice_notification`).
pub trait Callback: Copy + 'static {
    /// The group it is declared in.
    type Group: CallbackGroupType;
    /// The request body it sends (its parameter's type; `()` when none).
    type Body;
    /// The response it expects (its return type; `IgnoredAny` when none).
    type Response;
    /// Its position in the group, in declaration order.
    const INDEX: usize;
}

/// A webhook declared in a `#[webhooks]` group: implemented by the marker
/// struct the macro generates for each declaration.
pub trait Webhook: Copy + 'static {
    /// The group it is declared in.
    type Group: WebhookGroupType;
    /// The request body it sends.
    type Body;
    /// The response it expects.
    type Response;
    /// Its position in the group, in declaration order.
    const INDEX: usize;
}
