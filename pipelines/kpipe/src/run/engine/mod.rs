//! How a step's container runs on this machine. The process engine runs
//! the container's command as a local process, its container paths mapped
//! into the task's directory; the podman engine (`--engine podman`) runs the
//! step's image, its container paths mounted from the same directory, so
//! both leave their files in the same places.

mod podman;

use std::path::{Path, PathBuf};
use std::time::Duration;

use anyhow::Context as _;
use kpipe_compiler::ir::TaskNode;

use super::process::{self, Failure, Launch};
use super::workspace::Workspace;
use super::{RunContext, Shared};

pub use podman::{Podman, PodmanSettings};

/// The engine a local run uses.
#[derive(Clone, Debug)]
pub enum Engine {
    /// Each step's command as a local process (images are not pulled).
    Process,
    /// Each step in its image, run by podman.
    Podman(Box<Podman>),
}

impl Engine {
    /// Its name, as `--engine` takes it and the report shows it.
    pub fn name(&self) -> &'static str {
        match self {
            Engine::Process => "process",
            Engine::Podman(_) => "podman",
        }
    }

    /// Text of the step's command line or environment as the step sees it:
    /// a process sees the container's volume mounts in the task directory;
    /// a container sees them where they are.
    pub(crate) fn text(&self, ws: &Workspace, text: &str) -> String {
        match self {
            Engine::Process => ws.rewrite(text),
            Engine::Podman(_) => text.to_owned(),
        }
    }

    /// Where the step sees container path `path`.
    pub(crate) fn path(&self, ws: &Workspace, path: &str) -> String {
        match self {
            Engine::Process => ws.local(path).display().to_string(),
            Engine::Podman(_) => path.to_owned(),
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
        let image = ctx.plan.image_of(t, None).unwrap_or("its image").to_owned();
        match self {
            Engine::Process => {
                let program = ctx.env.program(name).with_context(|| {
                    format!(
                        "step `{}`: the program `{name}` is not on this machine. The process engine runs each step's command here and does not pull its image ({image}); install `{name}`, point the run at it with --program {name}=PATH, or run the step in its image with --engine podman",
                        t.name
                    )
                })?;
                Ok(Prepared {
                    identity: Identity::File(program.clone()),
                    program,
                    image: None,
                })
            }
            Engine::Podman(p) => {
                let image = p.image(&t.name, &image)?;
                Ok(Prepared {
                    identity: Identity::Image(image.id.clone()),
                    program: p.program().to_path_buf(),
                    image: Some(image),
                })
            }
        }
    }

    /// Makes attempt `a` of a step prepared as `prepared`: its output to the
    /// run's terminal and to the task's log.
    pub(crate) fn attempt(&self, a: &Execution<'_>, prepared: &Prepared) -> Result<(), Failure> {
        match (self, &prepared.image) {
            (Engine::Podman(p), Some(image)) => p.attempt(a, image),
            _ => a.launch(
                &prepared.program,
                a.argv.get(1..).unwrap_or_default(),
                a.env,
            ),
        }
    }
}

/// One attempt of a step: the container's command line (program first)
/// and environment, in the task's workspace, until its deadline.
#[derive(Clone, Copy)]
pub(crate) struct Execution<'a> {
    pub(crate) t: &'a TaskNode,
    pub(crate) ctx: &'a RunContext,
    pub(crate) shared: &'a Shared,
    pub(crate) ws: &'a Workspace,
    pub(crate) argv: &'a [String],
    pub(crate) env: &'a [(String, String)],
    /// 0 for the first attempt.
    pub(crate) number: u32,
    pub(crate) deadline: Option<Duration>,
}

impl Execution<'_> {
    /// Runs `program` with `args` and `env` as this attempt's process: in
    /// the task's directory, its output to the terminal and the task's log,
    /// stopped at the deadline or an interrupt.
    fn launch(
        &self,
        program: &Path,
        args: &[String],
        env: &[(String, String)],
    ) -> Result<(), Failure> {
        let log = super::layout::Layout::log(&self.ws.dir);
        process::run(
            &Launch {
                task: &self.ws.label,
                program,
                args,
                env,
                dir: &self.ws.dir,
                log: &log,
                deadline: self.deadline,
                interrupt: &self.ctx.interrupt,
            },
            self.shared,
        )
    }
}

/// What decides the cache's view of what runs.
#[derive(Clone, Debug, PartialEq, Eq, PartialOrd, Ord)]
pub(crate) enum Identity {
    /// An executable, by its content.
    File(PathBuf),
    /// An image, by its id (the digest of its configuration).
    Image(String),
}

/// A step ready to start.
#[derive(Clone, Debug)]
pub(crate) struct Prepared {
    /// The executable this machine starts (the program; podman).
    pub(crate) program: PathBuf,
    pub(crate) identity: Identity,
    /// The image it runs in (container engines).
    pub(crate) image: Option<podman::Image>,
}

impl Prepared {
    /// The command line as the report shows it: the local program first,
    /// or the image and the container's command line.
    pub(crate) fn shown(&self, argv: &[String]) -> Vec<String> {
        match &self.image {
            Some(image) => std::iter::once(format!("[{}]", image.reference))
                .chain(argv.iter().cloned())
                .collect(),
            None => std::iter::once(self.program.display().to_string())
                .chain(argv.iter().skip(1).cloned())
                .collect(),
        }
    }
}
