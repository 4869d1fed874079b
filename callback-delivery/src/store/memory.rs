//! An in-memory store, for tests.

/// An in-memory [`Store`](super::Store): nothing survives the process.
#[derive(Debug, Default)]
pub struct MemoryStore;
