use callback_runtime::callbacks;

#[derive(schemars::JsonSchema)]
pub struct Event {
    pub id: String,
}

// `crate = …` names the runtime for the whole group, on `#[callbacks(…)]`.
#[callbacks]
mod event_callbacks {
    /// Notify.
    #[post("{$request.query.callback_url}", crate = "callback_runtime")]
    fn notify(body: super::Event);
}

fn main() {}
