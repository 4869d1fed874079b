//! The types of declared groups, implemented by the code `#[callbacks]`
//! and `#[webhooks]` generate: how a callback or webhook marker reaches its
//! group's description.

use super::trigger::TriggerPlan;
use crate::describe::{CallbackGroup, WebhookGroup};

/// The type of a `#[callbacks]` group (`invoice_callbacks::__Group`), which
/// [`Trigger`](super::Trigger) is parameterized by. The route macros reach a group's
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
