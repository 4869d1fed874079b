//! The typed model of what a macro annotates, read from `syn`'s tree.
//!
//! - [`Route`]: a handler and its route attribute;
//! - [`Group`]: a `#[callbacks]` or `#[webhooks]` module and its
//!   [`Declaration`]s, each with the method attribute of its kind.
//!
//! Each part is checked alone as it is read (a route handler is an
//! `async fn`, a declaration has one method attribute and at most one
//! parameter): a model only exists for an item of the right shape. What
//! depends on several parts at once is checked next, in `valid`.

mod group;
mod route;

pub use group::{method_of, Declaration, Group};
pub use route::Route;
