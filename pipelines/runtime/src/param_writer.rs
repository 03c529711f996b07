//! [`ParamWriter`]: how a step function writes a typed output parameter.

use std::fmt;

use anyhow::Context as _;
use kpipe_compiler::ArgValue;

typed_path!(
    /// A typed output parameter of a `#[kpipe::step]` function: `count:
    /// ParamWriter<i64>` gives later steps an `OutputParam<i64>` they take as
    /// an `i64` input; a `ParamWriter<Vec<T>>`'s list is what a loop
    /// (`.with_param(..)`) runs over. The value is written as its
    /// [`ArgValue`] text, so it parses back as the same value.
    ParamWriter,
    new: "The writer of the file at `path` (the runtime makes it from the command line; tests of step functions can too).",
    path: "Where the value is written."
);

impl<T: ArgValue> ParamWriter<T> {
    /// Writes the value (once; a second write replaces the first).
    pub fn write(&self, value: impl Into<T>) -> anyhow::Result<()> {
        let text = value.into().to_text();
        crate::fsutil::write_bytes_atomic(&self.path, text.as_bytes())
            .with_context(|| format!("cannot write the output parameter {}", self.path.display()))
    }
}

impl<T> fmt::Debug for ParamWriter<T> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(
            f,
            "ParamWriter<{}>({})",
            std::any::type_name::<T>(),
            self.path.display()
        )
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn values_are_written_as_the_text_they_parse_back_from() {
        let tmp = tempfile::tempdir().unwrap_or_else(|e| panic!("{e}"));
        let list = ParamWriter::<Vec<f64>>::new(tmp.path().join("rates.param"));
        list.write(vec![0.1, 0.01])
            .unwrap_or_else(|e| panic!("{e:#}"));
        let text = std::fs::read_to_string(list.path()).unwrap_or_default();
        assert_eq!(text, "[0.1,0.01]");
        assert_eq!(Vec::<f64>::from_text(&text), Ok(vec![0.1, 0.01]));
        let count = ParamWriter::<i64>::new(tmp.path().join("count.param"));
        count.write(3).unwrap_or_else(|e| panic!("{e:#}"));
        assert_eq!(
            std::fs::read_to_string(count.path()).unwrap_or_default(),
            "3"
        );
        let name = ParamWriter::<String>::new(tmp.path().join("no/such/dir/x").join(""));
        let err = name
            .write("x")
            .err()
            .map(|e| format!("{e:#}"))
            .unwrap_or_default();
        assert!(
            err.starts_with("cannot write the output parameter "),
            "{err}"
        );
    }
}
