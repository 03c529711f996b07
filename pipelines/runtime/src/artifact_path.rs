//! [`Input`] and [`Output`]: where a step function reads and writes its
//! artifacts, typed like the pipeline's [`Artifact<T>`](kpipe_compiler::Artifact) edges.

use std::fmt;
use std::ops::Deref;
use std::path::Path;

use anyhow::Context as _;

macro_rules! artifact_path {
    ($(#[$doc:meta])* $name:ident, $role:literal) => {
        typed_path!(
            $(#[$doc])*
            $name,
            new: "The artifact at `path` (the runtime makes it from the command line; tests of step functions can too).",
            path: "Where the artifact is: a file or a directory, as its type says."
        );

        impl<T> Deref for $name<T> {
            type Target = Path;
            fn deref(&self) -> &Path {
                &self.path
            }
        }

        impl<T> fmt::Debug for $name<T> {
            fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
                write!(
                    f,
                    "{}<{}>({})",
                    $role,
                    std::any::type_name::<T>().rsplit("::").next().unwrap_or_default(),
                    self.path.display()
                )
            }
        }
    };
}

artifact_path!(
    /// An input artifact of a `#[kpipe::step]` function: the path of what
    /// the producing step wrote (`data: Input<Csv>` reads the `Csv` a
    /// pipeline wires in as `&Artifact<Csv>`). It derefs to its [`Path`].
    Input,
    "Input"
);

artifact_path!(
    /// An output artifact of a `#[kpipe::step]` function: where to write
    /// it (`model: Output<Model>` gives later steps an `Artifact<Model>`).
    /// Its parent directory exists when the step starts; write a file there
    /// ([`Output::write`]) or create a directory. It derefs to its [`Path`].
    Output,
    "Output"
);

impl<T> Input<T> {
    /// The artifact's text (a file).
    pub fn read_to_string(&self) -> anyhow::Result<String> {
        std::fs::read_to_string(&self.path)
            .with_context(|| format!("cannot read the input {}", self.path.display()))
    }
}

impl<T> Output<T> {
    /// Writes the artifact as a file, atomically (a reader never sees half
    /// of it).
    pub fn write(&self, contents: impl AsRef<[u8]>) -> anyhow::Result<()> {
        crate::fsutil::write_bytes_atomic(&self.path, contents.as_ref())
            .with_context(|| format!("cannot write the output {}", self.path.display()))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    enum Csv {}

    #[test]
    fn an_output_written_is_an_input_read() {
        let tmp = tempfile::tempdir().unwrap_or_else(|e| panic!("{e}"));
        let out = Output::<Csv>::new(tmp.path().join("data"));
        out.write("x,y\n").unwrap_or_else(|e| panic!("{e:#}"));
        let input: Input<Csv> = out
            .display()
            .to_string()
            .parse()
            .unwrap_or_else(|e| match e {});
        assert_eq!(input.read_to_string().ok().as_deref(), Some("x,y\n"));
        assert_eq!(
            format!("{input:?}"),
            format!("Input<Csv>({})", out.display())
        );
        let missing = Input::<Csv>::new(tmp.path().join("nope"));
        let err = missing
            .read_to_string()
            .err()
            .map(|e| format!("{e:#}"))
            .unwrap_or_default();
        assert!(
            err.starts_with("cannot read the input ") && err.contains("nope"),
            "{err}"
        );
    }
}
