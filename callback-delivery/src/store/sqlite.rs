//! The embedded, durable store.

/// A [`Store`](super::Store) in one SQLite file.
#[derive(Debug)]
pub struct SqliteStore;
