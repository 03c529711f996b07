//! Source locations of DSL calls, captured with `#[track_caller]`.

use std::fmt;

/// Where in the pipeline's Rust source a DSL call was made.
///
/// Every builder call that validation may later reject records one, so a
/// diagnostic can point at `pipelines/kubernetes-analysis/src/foo.rs:42:5` instead of at the
/// generated YAML.
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub struct Location {
    /// Source file, as rustc names it (relative to the workspace root).
    pub file: &'static str,
    /// 1-based line.
    pub line: u32,
    /// 1-based column.
    pub column: u32,
}

impl Location {
    /// The location of the caller of the `#[track_caller]` function that calls this.
    #[track_caller]
    pub fn caller() -> Self {
        let l = std::panic::Location::caller();
        Self {
            file: l.file(),
            line: l.line(),
            column: l.column(),
        }
    }
}

impl fmt::Display for Location {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{}:{}:{}", self.file, self.line, self.column)
    }
}
