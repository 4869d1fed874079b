// Each public type has one path: `CallbackGroup` is
// `callback_runtime::CallbackGroup`, not a path through the crate's
// internal `describe` module.
use callback_runtime::describe::CallbackGroup;

fn main() {
    let _: Option<&CallbackGroup> = None;
}
