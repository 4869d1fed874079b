//! The workspace's integration tests live in `tests/it` (one test binary,
//! one module per area) and `tests/ui` (compile-fail cases run by trybuild).
