//! Compile-time diagnostics of the macros (trybuild). Regenerate the `.stderr` files with
//! `TRYBUILD=overwrite cargo test --test ui` and read each one: it is what the user sees.

#[test]
fn ui() {
    let t = trybuild::TestCases::new();
    t.compile_fail("tests/ui/fail/**/*.rs");
    t.pass("tests/ui/pass/*.rs");
}
