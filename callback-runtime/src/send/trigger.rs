//! The triggering request of an operation's callbacks, captured.

use std::marker::PhantomData;

use callback_expr::{
    BodyPaths, CapturePlan, Captured, Expression, RequestView, ResponseParts, Source, Template,
};
use serde::{Deserialize, Serialize};
use serde_json::Value;

use super::{Callback, CallbackGroupType, Outgoing};
use crate::describe::CallbackGroup;

/// What a group's URL templates read of a request, computed once per group
/// (the `#[callbacks]` macro keeps it in a `static`).
#[derive(Debug)]
pub struct TriggerPlan {
    capture: CapturePlan,
    /// The request body's paths the templates read: only those are parsed.
    body_paths: BodyPaths,
    templates: Vec<Result<Template, String>>,
    /// Per template: whether it has a shorthand to resolve first.
    shorthands: Vec<bool>,
}

impl TriggerPlan {
    /// The plan of every callback of `group`.
    ///
    /// A shorthand `{$name}` is resolved by the document's assembly against
    /// the operation's parameters; here, where one group serves several
    /// operations, it captures the query, path and header parameter `name`
    /// and uses the first the request has.
    pub fn new(group: &CallbackGroup) -> Self {
        let templates: Vec<Result<Template, String>> = group
            .callbacks()
            .iter()
            .map(|spec| match spec.target.url() {
                Some(url) => Template::parse_with(url, true).map_err(|e| e.to_string()),
                None => Err(format!("`{}` is a webhook, not a callback", spec.name)),
            })
            .collect();
        let mut needs = Vec::new();
        for expr in templates.iter().flatten().flat_map(Template::expressions) {
            match expr {
                Expression::Shorthand(name) => {
                    needs.extend(shorthand_sources(name).map(Expression::Request));
                }
                other => needs.push(other.clone()),
            }
        }
        let capture = CapturePlan::from_expressions(&needs);
        let shorthands = templates
            .iter()
            .map(|t| {
                t.as_ref().is_ok_and(|t| {
                    t.expressions()
                        .any(|e| matches!(e, Expression::Shorthand(_)))
                })
            })
            .collect();
        TriggerPlan {
            body_paths: capture.request_body_paths(),
            capture,
            templates,
            shorthands,
        }
    }

    /// The capture plan: what is kept of each request.
    pub fn capture_plan(&self) -> &CapturePlan {
        &self.capture
    }

    /// The request body's paths the templates read: only those are parsed.
    pub(crate) fn body_paths(&self) -> &BodyPaths {
        &self.body_paths
    }

    /// The URL of callback `index` of the group, evaluated against
    /// `captured`.
    fn evaluate(&self, index: usize, captured: &Captured) -> Result<String, String> {
        let template = self
            .templates
            .get(index)
            .ok_or_else(|| "no such callback in the group".to_owned())?
            .as_ref()
            .map_err(Clone::clone)?;
        if !self.shorthands.get(index).copied().unwrap_or(true) {
            return template.evaluate(captured).map_err(|e| e.to_string());
        }
        let resolved = template.try_map(|expr| {
            Ok::<_, String>(match expr {
                Expression::Shorthand(name) => shorthand_sources(name)
                    .map(Expression::Request)
                    .find(|e| e.evaluate(captured).is_ok())
                    .unwrap_or_else(|| Expression::Request(Source::Query(name.clone()))),
                other => other.clone(),
            })
        })?;
        resolved.evaluate(captured).map_err(|e| e.to_string())
    }
}

/// Where a shorthand `$name` may come from, in the order it is looked up.
fn shorthand_sources(name: &str) -> impl Iterator<Item = Source> {
    [
        Source::Query(name.to_owned()),
        Source::Path(name.to_owned()),
        Source::Header(name.to_owned()),
    ]
    .into_iter()
}

/// The request that triggered an operation's callbacks: the parts of it that
/// the URL templates of group `G` read, and nothing else.
///
/// Take it as a handler argument (each group names its own:
/// `invoice_callbacks::Trigger`); the route macro checks that `G` is
/// attached to the operation. It is an owned, serializable value: keep it
/// with your records and call [`Trigger::callback`] when the event happens,
/// in this request or hours later.
///
/// ```
/// # use callback_runtime::{callbacks, post};
/// # use actix_web::web;
/// # #[derive(serde::Serialize, serde::Deserialize, schemars::JsonSchema)]
/// # pub struct Paid { id: u32 }
/// # #[derive(serde::Deserialize, schemars::JsonSchema)]
/// # pub struct Invoice { id: u32 }
/// # #[derive(serde::Deserialize, schemars::JsonSchema)]
/// # pub struct Notify { callback_url: String }
/// #[callbacks]
/// mod payment_callbacks {
///     use super::*;
///     /// The invoice was paid.
///     #[post("{$request.query.callback_url}/paid/{$request.body#/id}")]
///     fn paid(body: Paid);
/// }
///
/// /// Create an invoice.
/// #[post("/invoices", callbacks = payment_callbacks)]
/// async fn create(
///     invoice: web::Json<Invoice>,
///     query: web::Query<Notify>,
///     trigger: payment_callbacks::Trigger,
/// ) -> String {
///     // Store it with the invoice; when the payment arrives:
///     let stored = serde_json::to_string(&trigger).unwrap();
///     let trigger: payment_callbacks::Trigger = serde_json::from_str(&stored).unwrap();
///     let request = trigger.callback(payment_callbacks::paid, &Paid { id: invoice.id });
///     request.url().unwrap_or_default().to_owned()
/// }
/// # fn main() {}
/// ```
#[derive(Debug, Clone, Serialize, Deserialize)]
#[serde(transparent)]
pub struct Trigger<G> {
    captured: Captured,
    #[serde(skip)]
    group: PhantomData<fn() -> G>,
}

impl<G: CallbackGroupType> Trigger<G> {
    /// Captures what `G`'s templates read of `request` (the framework's
    /// adapter, or a test, implements [`RequestView`] over its request).
    pub fn capture(request: &(impl RequestView + ?Sized)) -> Self {
        Trigger {
            captured: G::plan().capture.capture(request),
            group: PhantomData,
        }
    }

    /// Adds the parts of the operation's response that the templates read
    /// (`$statusCode`, `$response.header.…`, `$response.body#/…`).
    pub fn set_response(&mut self, status: u16, headers: &[(&str, &str)], body: Option<&Value>) {
        self.captured.add_response(&ResponseParts {
            status,
            headers,
            body,
        });
    }

    /// What was captured.
    pub fn captured(&self) -> &Captured {
        &self.captured
    }

    /// The request of `callback` with `body`: its URL evaluated against
    /// this trigger, its body serialized. When the URL cannot be computed (a
    /// parameter the request did not have), the result is refused with the
    /// reason, and queuing it records a refused delivery.
    pub fn callback<C>(&self, callback: C, body: &C::Body) -> Outgoing<C::Response>
    where
        C: Callback<Group = G>,
        C::Body: Serialize,
    {
        let _ = callback;
        let group = G::GROUP;
        let spec = &group.callbacks()[C::INDEX];
        let url = G::plan()
            .evaluate(C::INDEX, &self.captured)
            .map_err(|e| format!("callback `{}`: {e}", spec.name));
        Outgoing::new(group.name(), spec, url, body)
    }
}
