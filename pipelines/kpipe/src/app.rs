//! [`App`]: the kpipe command line for your pipelines and steps.

use std::ffi::OsString;
use std::process::ExitCode;

use crate::registry::{Entry, Registry};
use crate::step::Steps;

/// A command-line program for a set of pipelines and steps: `compile`,
/// `lint`, `graph`, `run --local`, `submit` (feature `submit`), `prow`, and
/// `step` (the step runner inside every container).
///
/// ```no_run
/// # fn pipeline() -> kpipe::Pipeline { kpipe::Pipeline::new("fraud") }
/// fn main() -> std::process::ExitCode {
///     kpipe::App::new("fraud")
///         .pipeline("fraud", "score yesterday's transactions", pipeline)
///         .main()
/// }
/// ```
///
/// Typed steps of the app's pipelines run the app's own binary
/// (`fraud step <step> …`) unless a pipeline sets its own step program
/// ([`Pipeline::step_program`](crate::Pipeline::step_program)).
#[derive(Debug)]
pub struct App {
    pub(crate) name: &'static str,
    pub(crate) about: Option<String>,
    pub(crate) version: Option<String>,
    pub(crate) registry: Registry,
    pub(crate) steps: Steps,
    /// Step programs of their own (binaries beside the app) and the steps
    /// each runs.
    pub(crate) external_steps: Vec<(Vec<String>, Vec<String>)>,
    pub(crate) namespace: String,
    pub(crate) scaffold: bool,
}

impl App {
    /// An app whose binary is called `name`.
    pub fn new(name: &'static str) -> Self {
        Self {
            name,
            about: None,
            version: None,
            registry: Registry::default(),
            steps: Steps::new(),
            external_steps: Vec::new(),
            namespace: "kubeflow".to_owned(),
            scaffold: false,
        }
    }

    /// The one line `--help` starts with.
    pub fn about(mut self, text: impl Into<String>) -> Self {
        self.about = Some(text.into());
        self
    }

    /// The version `--version` prints (e.g. `env!("CARGO_PKG_VERSION")`).
    pub fn version(mut self, version: impl Into<String>) -> Self {
        self.version = Some(version.into());
        self
    }

    /// Registers pipeline `name`, described by `summary`, built by `build`.
    #[track_caller]
    pub fn pipeline(
        self,
        name: impl Into<String>,
        summary: impl Into<String>,
        build: impl Fn() -> crate::Pipeline + 'static,
    ) -> Self {
        self.entry(Entry::new(name, summary, build))
    }

    /// Registers a pipeline with its local-run and naming hooks.
    pub fn entry(mut self, entry: Entry) -> Self {
        self.registry.entries.push(entry);
        self
    }

    /// The pipeline commands use when none is named (without it: the only
    /// pipeline, or an error asking for a name).
    pub fn default_pipeline(mut self, name: impl Into<String>) -> Self {
        self.registry.default = Some(name.into());
        self
    }

    /// The steps `APP step …` runs.
    pub fn steps(mut self, steps: Steps) -> Self {
        self.steps = steps;
        self
    }

    /// Declares the steps another step program runs: a binary of its own
    /// (such as kubernetes-analysis's `kpipe-step`) that a pipeline names
    /// with [`Pipeline::step_program`](crate::Pipeline::step_program). Like
    /// the app's own [`App::steps`], they are checked: a pipeline whose
    /// typed steps run `program` does not compile (nor `submit`, nor `run`)
    /// when it adds a step that is not among `steps`. Pipelines whose step
    /// program the app does not know are not checked.
    pub fn external_steps<P: Into<String>, S: Into<String>>(
        mut self,
        program: impl IntoIterator<Item = P>,
        steps: impl IntoIterator<Item = S>,
    ) -> Self {
        self.external_steps.push((
            program.into_iter().map(Into::into).collect(),
            steps.into_iter().map(Into::into).collect(),
        ));
        self
    }

    /// The namespace `submit` and `prow` use by default (`kubeflow`).
    pub fn namespace(mut self, namespace: impl Into<String>) -> Self {
        self.namespace = namespace.into();
        self
    }

    /// Adds `new`, which scaffolds a crate for a new pipeline (the `kpipe`
    /// binary has it).
    pub fn with_scaffold(mut self) -> Self {
        self.scaffold = true;
        self
    }

    /// Runs the command line of the process and returns its exit code.
    pub fn main(self) -> ExitCode {
        self.run(std::env::args_os())
    }

    /// Runs the command line `args` (the first is the program name).
    pub fn run<I, T>(self, args: I) -> ExitCode
    where
        I: IntoIterator<Item = T>,
        T: Into<OsString> + Clone,
    {
        let mut problems = self.registry.problems();
        problems.extend(self.steps.duplicates());
        if !problems.is_empty() {
            for p in &problems {
                eprintln!("error: {p}");
            }
            return ExitCode::from(1);
        }
        crate::cli::main(&self, args)
    }

    /// The registered pipelines: (name, summary).
    pub fn pipelines(&self) -> Vec<(&str, &str)> {
        self.registry
            .entries
            .iter()
            .map(|e| (e.name.as_str(), e.summary.as_str()))
            .collect()
    }

    /// The command line (for `--help` snapshots and shell completions).
    pub fn command(&self) -> clap::Command {
        crate::cli::command(self)
    }

    /// Builds pipeline `name` (the default when `None`), exactly as the
    /// commands do.
    pub fn build_pipeline(&self, name: Option<&str>) -> anyhow::Result<crate::Pipeline> {
        let entry = self.registry.lookup(name)?;
        Ok(self.build(entry))
    }

    /// Builds a registered pipeline, its typed steps pointed at this app's
    /// step runner (unless the pipeline set its own), and the steps each
    /// known step program runs declared, so validation refuses a step
    /// nobody registered ([`Pipeline::hosted_steps`](crate::Pipeline::hosted_steps)).
    pub(crate) fn build(&self, entry: &Entry) -> crate::Pipeline {
        let p = entry.build();
        p.default_step_program([self.name, "step"]);
        p.hosted_steps([self.name, "step"], self.steps.names());
        for (program, steps) in &self.external_steps {
            p.hosted_steps(program.clone(), steps.clone());
        }
        p
    }
}

/// `entry` compiled exactly as `APP compile NAME` writes it (a Workflow, for
/// Argo 3, with the pipeline's own image).
#[cfg(feature = "testing")]
pub(crate) fn compile_default(
    app: &App,
    entry: &Entry,
) -> Result<String, kpipe_compiler::CompileError> {
    app.build(entry)
        .compile(&kpipe_compiler::CompileOptions::default())
}

/// The first line of the KFP snapshot of a pipeline that cannot compile for
/// Kubeflow Pipelines v2 ([`compile_default_kfp`]).
#[cfg(feature = "testing")]
pub(crate) const NOT_KFP: &str =
    "# does not compile for Kubeflow Pipelines v2 (`compile --target kfp` says why)";

/// `entry` compiled as `APP compile NAME --target kfp` writes it (for
/// Kubeflow Pipelines 2.17, with the pipeline's own image), or, when it
/// cannot compile for KFP, its located errors under [`NOT_KFP`]:
/// what `kpipe::assert_pipelines!` snapshots as `NAME@kfp` (the warnings
/// `compile` prints on stderr are not part of it).
#[cfg(feature = "testing")]
pub(crate) fn compile_default_kfp(
    app: &App,
    entry: &Entry,
) -> Result<String, kpipe_compiler::CompileError> {
    match app
        .build(entry)
        .compile_kfp(&kpipe_compiler::KfpOptions::default())
    {
        Ok(compiled) => Ok(compiled.yaml),
        Err(kpipe_compiler::CompileError::Invalid(d)) => Ok(format!("{NOT_KFP}\n{d}\n")),
        Err(e) => Err(e),
    }
}
