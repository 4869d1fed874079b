use callback_runtime::callbacks;

#[derive(schemars::JsonSchema)]
pub struct Event {
    pub id: String,
}

#[callbacks(crate = "callback runtime")]
mod event_callbacks {
    /// Notify.
    #[post("{$request.query.callback_url}")]
    fn notify(body: super::Event);
}

fn main() {}
