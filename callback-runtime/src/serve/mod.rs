//! Request time, framework-neutral: the checks that turn what a refused
//! request sent into one 422 naming every problem, against the operation's
//! own schemas.

pub(crate) mod problems;
mod schema_check;
