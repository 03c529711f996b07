//! A tiny typed step family used by the examples: shell scripts that pass
//! text files to each other. Shows how to write a step with typed artifacts.

use kpipe::{Artifact, ArtifactType, Io, Step, Value};

/// A text file.
#[derive(Debug)]
pub enum Text {}
impl ArtifactType for Text {
    const KIND: &'static str = "text";
}

/// A number (as a file), to show that `Text` and `Number` do not mix.
#[derive(Debug)]
pub enum Number {}
impl ArtifactType for Number {
    const KIND: &'static str = "number";
}

/// Runs `script` with `sh -c`, with `$IN_<NAME>` and `$OUT` pointing at its
/// input artifacts and its text output.
#[derive(Debug)]
pub struct Shell<'a> {
    /// Task name.
    pub name: &'a str,
    /// The shell script.
    pub script: &'a str,
    /// Text inputs by name.
    pub inputs: Vec<(&'a str, &'a Artifact<Text>)>,
    /// Run-time values passed as `$1`, `$2`, …
    pub values: Vec<Value>,
}

/// A shell step's output.
#[derive(Debug)]
pub struct ShellOutputs {
    /// The text the script wrote to `$OUT`.
    pub text: Artifact<Text>,
}

impl Step for Shell<'_> {
    type Args = Vec<String>;
    type Outputs = ShellOutputs;

    fn name(&self) -> String {
        self.name.to_owned()
    }

    fn command(&self) -> Vec<String> {
        vec!["sh".to_owned(), "-c".to_owned()]
    }

    fn image(&self) -> Option<String> {
        Some("alpine:3.20".to_owned())
    }

    fn wire(self, io: &mut Io<'_>) -> (Vec<String>, ShellOutputs) {
        let mut prelude = String::new();
        for (name, artifact) in &self.inputs {
            let path = io.input(name, artifact);
            prelude.push_str(&format!("IN_{}={}; ", name.to_uppercase(), path.display()));
        }
        let (out, text) = io.output::<Text>("text");
        prelude.push_str(&format!("OUT={}; ", out.display()));
        let mut args = vec![format!("{prelude}{}", self.script), self.name.to_owned()];
        args.extend(self.values.iter().map(|v| io.value(v)));
        (args, ShellOutputs { text })
    }
}
