//! `#[kpipe::step]` misuses do not compile, each with a message at the
//! offending token: the golden rustc errors live in `tests/ui/*.stderr`
//! (regenerate with `TRYBUILD=overwrite` and review the diff).

#[test]
fn misuses_of_step_functions_are_compile_errors() {
    let t = trybuild::TestCases::new();
    t.compile_fail("tests/ui/*.rs");
}
