//! Snapshot tests only; see `tests/`. Review changes with `cargo insta review`.
