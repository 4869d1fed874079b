use callback_runtime::callbacks;

#[derive(schemars::JsonSchema)]
pub struct Event {
    pub id: String,
}

#[callbacks]
mod event_callbacks {
    /// Notify.
    #[post(callback_url)]
    fn notify(body: super::Event);
}

fn main() {}
