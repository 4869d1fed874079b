//! Compile errors of bad macro input, and code that must compile.
//!
//! The `.stderr` files are the exact output of the compiler that wrote
//! them (rustc 1.95, the toolchain `rust-toolchain.toml` pins): on another
//! toolchain the wording and notes differ, so the suite runs on that one
//! only. Elsewhere it is skipped with a notice, except under `CI=true`,
//! where a skipped suite fails the run. Regenerate with `TRYBUILD=overwrite`
//! after a toolchain update.

/// Whether this is the toolchain that wrote the `.stderr` files.
#[rustversion::stable(1.95)]
const PINNED_TOOLCHAIN: bool = true;
#[rustversion::not(stable(1.95))]
const PINNED_TOOLCHAIN: bool = false;

#[test]
fn ui() {
    if !PINNED_TOOLCHAIN {
        crate::support::skip_or_fail(
            "rustc 1.95, which wrote the ui suite's .stderr files (rust-toolchain.toml pins it),",
        );
        return;
    }
    let _machine = crate::support::heavy();
    let cases = trybuild::TestCases::new();
    cases.pass("tests/ui/pass/*.rs");
    cases.compile_fail("tests/ui/fail/*.rs");
}
