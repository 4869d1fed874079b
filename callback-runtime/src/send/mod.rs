//! Request and delivery time: sending what the callback declarations
//! document, and receiving it on the other side.
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
//! - on the receiving side, [`SignedJson`] verifies a Standard Webhooks
//!   signature on the raw body before decoding the declared body type
//!   ([`Received`] names it by the callback).
//!
//! [`Outbox::enqueue`]: callback_delivery::dispatcher::Outbox::enqueue

mod outgoing;
mod receive;
pub(crate) mod trigger;
pub mod view;

pub use outgoing::{webhook, Answer, Outgoing};
pub use receive::{Received, SignedJson};
pub use trigger::{Trigger, TriggerPlan};

use crate::describe::{CallbackGroup, WebhookGroup};

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

/// The type of a `#[callbacks]` group (`invoice_callbacks::__Group`), which
/// [`Trigger`] is parameterized by. The route macros reach a group's
/// description through it, so that naming a `#[webhooks]` group in
/// `callbacks = …` is an error about this trait.
#[diagnostic::on_unimplemented(
    message = "`callbacks = …` names a group that is not a `#[callbacks]` group",
    label = "not a `#[callbacks]` group",
    note = "a `#[webhooks]` group is documented with `Api::webhooks(group::WEBHOOK_GROUP)`, not attached to operations"
)]
pub trait CallbackGroupType: 'static {
    /// The group's description.
    const GROUP: &'static CallbackGroup;
    /// What the group's templates read of a request, computed once.
    fn plan() -> &'static TriggerPlan;
}

/// The type of a `#[webhooks]` group.
pub trait WebhookGroupType: 'static {
    /// The group's description.
    const GROUP: &'static WebhookGroup;
}
