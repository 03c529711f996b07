//! What a row's pipeline does, observed the same way on every backend: each
//! task's fate and, for each run of its step (one per loop item), the
//! arguments the step saw.

use std::collections::{BTreeMap, BTreeSet};

use kpipe::{ContainerStep, Value};

/// How a task ended, with the arguments each of its runs saw (one entry
/// per loop item; output-parameter files are where a step writes, not what
/// it sees, and are left out).
#[derive(Clone, Debug, PartialEq, Eq, PartialOrd, Ord)]
pub(crate) enum Fate {
    /// Every run succeeded.
    Ran(Vec<Vec<String>>),
    /// A run failed (the runs made until then).
    Failed(Vec<Vec<String>>),
    /// Its `when` was false.
    Skipped,
    /// A task it depends on failed.
    NotRun,
}

impl Fate {
    /// Ran once, seeing `args`.
    pub(crate) fn once(args: &[&str]) -> Fate {
        Fate::Ran(vec![args.iter().map(|s| (*s).to_owned()).collect()])
    }

    /// Ran once per item, each seeing its arguments.
    pub(crate) fn each(runs: &[&[&str]]) -> Fate {
        Fate::Ran(
            runs.iter()
                .map(|r| r.iter().map(|s| (*s).to_owned()).collect())
                .collect(),
        )
    }
}

/// Task name → fate.
pub(crate) type Observed = BTreeMap<String, Fate>;

/// What the steps of a row do, for the backends that only interpret the
/// compiled output: which steps fail and which output parameters they
/// write. The row's real steps are built from the same description
/// ([`echo`], [`fail`], [`produce`]), so the two cannot drift.
#[derive(Clone, Debug, Default)]
pub(crate) struct Behaviour {
    /// Steps that exit non-zero: always (`None`), or when one of their
    /// arguments is the given text.
    pub(crate) fails: BTreeMap<String, Option<String>>,
    /// (task, output parameter) → the text the step writes.
    pub(crate) outputs: BTreeMap<(String, String), String>,
    /// (task, output parameter) that each run writes its first argument to
    /// (a loop step writing its item).
    pub(crate) echoed: BTreeSet<(String, String)>,
}

impl Behaviour {
    /// Whether step `task` fails when it sees `args`.
    pub(crate) fn fails_on(&self, task: &str, args: &[String]) -> bool {
        match self.fails.get(task) {
            Some(None) => true,
            Some(Some(bad)) => args.contains(bad),
            None => false,
        }
    }

    /// The text step `task` writes to `output` in a run that saw `args`.
    pub(crate) fn output_of(&self, task: &str, output: &str, args: &[String]) -> Option<String> {
        let key = (task.to_owned(), output.to_owned());
        if self.echoed.contains(&key) {
            return args.first().cloned();
        }
        self.outputs.get(&key).cloned()
    }
}

/// The script of every row's steps: print each argument on its own line
/// (the local runner keeps a step's output in its log).
const ECHO: &str = r#"for a; do printf '%s\n' "$a"; done"#;

/// A step that prints its arguments and succeeds.
pub(crate) fn echo(name: &str, args: impl IntoIterator<Item = Value>) -> ContainerStep {
    with_args(ContainerStep::new(name, ["sh", "-c", ECHO, name]), args)
}

/// A step that prints its arguments and fails (exit 1); `b` learns it.
pub(crate) fn fail(
    b: &mut Behaviour,
    name: &str,
    args: impl IntoIterator<Item = Value>,
) -> ContainerStep {
    b.fails.insert(name.to_owned(), None);
    let script = format!("{ECHO}; exit 1");
    with_args(ContainerStep::new(name, ["sh", "-c", &script, name]), args)
}

/// A step that prints its arguments and fails when one of them is `bad`;
/// `b` learns it.
pub(crate) fn fail_on(
    b: &mut Behaviour,
    name: &str,
    bad: &str,
    args: impl IntoIterator<Item = Value>,
) -> ContainerStep {
    b.fails.insert(name.to_owned(), Some(bad.to_owned()));
    // $1: the argument that fails it; then its arguments.
    let script = r#"bad=$1; shift; for a; do printf '%s\n' "$a"; done; for a; do [ "$a" = "$bad" ] && exit 1; done; exit 0"#;
    with_args(
        ContainerStep::new(name, ["sh", "-c", script, name, bad]),
        args,
    )
}

/// A step that prints `text` and writes it to its output parameter
/// `output`; `b` learns it.
pub(crate) fn produce(b: &mut Behaviour, name: &str, output: &str, text: &str) -> ContainerStep {
    b.outputs
        .insert((name.to_owned(), output.to_owned()), text.to_owned());
    // $1: the text, $2: the output parameter's file.
    let script = r#"printf '%s\n' "$1"; printf '%s' "$1" > "$2""#;
    ContainerStep::new(name, ["sh", "-c", script, name])
        .arg(text)
        .output_param(output)
}

/// A loop step that prints its item and writes it to its output parameter
/// `output`; `b` learns it.
pub(crate) fn produce_each(b: &mut Behaviour, name: &str, output: &str) -> ContainerStep {
    b.echoed.insert((name.to_owned(), output.to_owned()));
    // $1: the item, $2: the output parameter's file.
    let script = r#"printf '%s\n' "$1"; printf '%s' "$1" > "$2""#;
    ContainerStep::new(name, ["sh", "-c", script, name])
        .arg(Value::item())
        .output_param(output)
}

fn with_args(step: ContainerStep, args: impl IntoIterator<Item = Value>) -> ContainerStep {
    args.into_iter().fold(step, ContainerStep::arg)
}
