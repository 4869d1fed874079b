use callback_runtime::callbacks;

#[derive(schemars::JsonSchema)]
pub struct Event {
    pub id: String,
}

#[callbacks]
mod event_callbacks {
    /// Notify.
    #[post("{$request.query.callback_url}", security("a"), security("b"))]
    fn notify(body: super::Event);
}

fn main() {}
