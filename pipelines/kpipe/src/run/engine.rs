//! How a step's container runs on this machine. The process engine runs
//! the container's command as a local process, its container paths mapped
//! into the task's directory; the container engines (`--engine podman`)
//! run the step's image.

use std::path::PathBuf;

use anyhow::Context as _;
use kpipe_compiler::ir::TaskNode;

use super::RunContext;
use super::workspace::Workspace;

/// The engine a local run uses.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Engine {
    /// Each step's command as a local process (images are not pulled).
    Process,
}

impl Engine {
    /// Its name, as `--engine` takes it and the report shows it.
    pub fn name(&self) -> &'static str {
        match self {
            Engine::Process => "process",
        }
    }

    /// Text of the step's command line or environment as the step sees it:
    /// a process sees the container's volume mounts in the task directory.
    pub(crate) fn text(&self, ws: &Workspace, text: &str) -> String {
        match self {
            Engine::Process => ws.rewrite(text),
        }
    }

    /// Where the step sees container path `path`.
    pub(crate) fn path(&self, ws: &Workspace, path: &str) -> String {
        match self {
            Engine::Process => ws.local(path).display().to_string(),
        }
    }

    /// What runs for `argv` (the container's command line, program first).
    pub(crate) fn prepare(
        &self,
        t: &TaskNode,
        ctx: &RunContext,
        argv: &[String],
    ) -> anyhow::Result<Prepared> {
        let Some(name) = argv.first() else {
            anyhow::bail!("the container has no command");
        };
        match self {
            Engine::Process => {
                let image = ctx.plan.image_of(t, None).unwrap_or("its image").to_owned();
                let program = ctx.env.program(name).with_context(|| {
                    format!(
                        "step `{}`: the program `{name}` is not on this machine. The process engine runs each step's command here and does not pull its image ({image}); install `{name}`, point the run at it with --program {name}=PATH, or run the step in its image with --engine podman",
                        t.name
                    )
                })?;
                Ok(Prepared {
                    identity: Identity::File(program.clone()),
                    program,
                })
            }
        }
    }
}

/// What decides the cache's view of what runs.
#[derive(Clone, Debug, PartialEq, Eq, PartialOrd, Ord)]
pub(crate) enum Identity {
    /// An executable, by its content.
    File(PathBuf),
}

/// A step ready to start.
#[derive(Clone, Debug)]
pub(crate) struct Prepared {
    /// The executable this machine starts.
    pub(crate) program: PathBuf,
    pub(crate) identity: Identity,
}
