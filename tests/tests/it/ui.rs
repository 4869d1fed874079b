//! Compile errors of bad macro input, and code that must compile.
//!
//! The `.stderr` files are the exact output of the compiler that wrote
//! them (rustc 1.95): on another toolchain the wording and notes differ, so
//! the suite runs on that one only and is reported as ignored, with the
//! reason, on the others. Regenerate with `TRYBUILD=overwrite` after a
//! toolchain update.

#[test]
#[rustversion::attr(
    not(stable(1.95)),
    ignore = "the ui suite's .stderr files were written by rustc 1.95; run it with that toolchain"
)]
fn ui() {
    let _machine = crate::support::heavy();
    let cases = trybuild::TestCases::new();
    cases.pass("tests/ui/pass/*.rs");
    cases.compile_fail("tests/ui/fail/*.rs");
}
