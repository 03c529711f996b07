//! Mis-wired artifacts, and `#[derive(ToArgs)]` misuses, do not compile: the
//! golden rustc errors live in
//! `tests/ui/*.stderr` (regenerate with `TRYBUILD=overwrite` and review).

#[test]
fn miswired_artifacts_are_type_errors() {
    let t = trybuild::TestCases::new();
    t.compile_fail("tests/ui/*.rs");
}
