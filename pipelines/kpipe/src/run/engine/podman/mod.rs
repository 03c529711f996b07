//! The podman engine: each step runs in its image, as its pod would.
//!
//! - **The container** is the workflow's: the image (taken from podman's
//!   store, pulled when missing, or mapped with `--image-map`), the
//!   command line as the container's command, the environment, the image's
//!   user and working directory. The task's directory holds its container
//!   paths, mounted where the workflow puts them (`/kpipe/...` and every
//!   volume mount; secrets read-only, a memory volume as a tmpfs), owned by
//!   the image's user as Kubernetes does with a pod's `fsGroup`.
//! - **Limits**: a memory limit is podman's `--memory`; going over it ends
//!   the step as `OOMKilled`, as Kubernetes reports it. A CPU limit is
//!   `--cpus`. A GPU is a CDI device when this machine describes one.
//! - **Housekeeping**: every container is named and labelled with the run
//!   and the workdir, removed after its step, stopped and removed when the
//!   run is interrupted or a deadline passes; a run removes what a killed
//!   run left in its workdir.
//! - **This machine**: what podman needs here is detected, not assumed:
//!   the OCI runtime (crun cannot run containers on hybrid cgroups; runc
//!   can), the cgroup manager (systemd only when systemd runs), and
//!   explicit rlimits where podman's defaults exceed what this machine
//!   grants (its open-files limit, and processes at most its `pid_max`).

mod args;
mod host;

use std::collections::BTreeMap;
use std::path::{Path, PathBuf};
use std::process::Command;
use std::sync::{Arc, Mutex};

use anyhow::{Context as _, bail};
use kpipe_compiler::ir::{NVIDIA_GPU, TaskNode};

use super::super::process::Failure;
use super::Execution;
use host::{CgroupMode, cdi_gpu, cgroup_mode, host_ulimits, which};

/// How a run wants podman: what the command line of `run --local` says.
#[derive(Clone, Debug, Default)]
pub struct PodmanSettings {
    /// `--image-map REF=LOCAL`: run LOCAL where the workflow names REF.
    pub image_map: BTreeMap<String, String>,
    /// Labels every container (`kpipe.run`).
    pub run_id: String,
    /// The run's workdir (`kpipe.workdir` label).
    pub workdir: PathBuf,
    /// Host paths the steps read at the same path.
    pub shared: Vec<PathBuf>,
}

/// An image a step runs, resolved once per run.
#[derive(Clone, Debug, PartialEq, Eq)]
pub(crate) struct Image {
    /// As the workflow names it.
    pub(crate) reference: String,
    /// What podman ran (the mapped reference).
    pub(crate) source: String,
    /// Its id (the digest of its configuration).
    pub(crate) id: String,
}

/// podman, set up for this machine.
#[derive(Clone, Debug)]
pub struct Podman {
    program: PathBuf,
    /// Options before `run` (`--runtime`, `--cgroup-manager`).
    global: Vec<String>,
    /// `--ulimit` values.
    ulimits: Vec<String>,
    settings: PodmanSettings,
    /// A CDI device for `nvidia.com/gpu` requests.
    gpu: Option<String>,
    images: Arc<Mutex<BTreeMap<String, Image>>>,
    /// What was detected, said once at the start of the run.
    pub notes: Vec<String>,
}

/// The command that installs podman on Debian and Ubuntu.
const INSTALL: &str = "apt-get install podman runc";

impl Podman {
    /// Finds podman and works out what it needs on this machine.
    pub fn detect(settings: PodmanSettings) -> anyhow::Result<Self> {
        let program = which("podman").with_context(|| {
            format!(
                "--engine podman needs podman, which is not on this machine's PATH: install it ({INSTALL}) or run with the process engine (no --engine)"
            )
        })?;
        let info = output(Command::new(&program).args(["info", "--format", "json"]))
            .context("`podman info` failed: podman is installed but cannot run here")?;
        let info: serde_json::Value =
            serde_json::from_str(&info).context("`podman info` printed no JSON")?;
        let runtime = info["host"]["ociRuntime"]["name"].as_str().unwrap_or("");
        let manager = info["host"]["cgroupManager"].as_str().unwrap_or("");
        let mut notes = Vec::new();
        let mut global = Vec::new();
        if runtime == "crun" && cgroup_mode() == CgroupMode::Hybrid {
            if which("runc").is_none() {
                bail!(
                    "podman's runtime is crun, which cannot run containers on this machine's hybrid cgroups (v1 controllers with a v2 unified hierarchy), and runc is not installed: install it ({INSTALL})"
                );
            }
            global.extend(["--runtime".to_owned(), "runc".to_owned()]);
            notes.push(
                "podman: --runtime runc (crun cannot run containers on hybrid cgroups)".to_owned(),
            );
        }
        if manager == "systemd" && !Path::new("/run/systemd/system").is_dir() {
            global.extend(["--cgroup-manager".to_owned(), "cgroupfs".to_owned()]);
            notes.push("podman: --cgroup-manager cgroupfs (systemd is not running)".to_owned());
        }
        let ulimits = host_ulimits();
        if !ulimits.is_empty() {
            notes.push(format!(
                "podman: --ulimit {} (this machine's limits; podman's defaults can exceed them)",
                ulimits.join(" --ulimit ")
            ));
        }
        let gpu = cdi_gpu();
        Ok(Self {
            program,
            global,
            ulimits,
            settings,
            gpu,
            images: Arc::new(Mutex::new(BTreeMap::new())),
            notes,
        })
    }

    /// What a run cannot give `t` of the GPUs it asks for, if anything.
    pub(crate) fn gpu_note(&self, t: &TaskNode) -> Option<String> {
        let r = &t.settings.resources;
        let n = r.limits.get(NVIDIA_GPU).or(r.requests.get(NVIDIA_GPU))?;
        self.gpu.is_none().then(|| {
            format!(
                "it asks for {n} {NVIDIA_GPU}, and this machine describes no NVIDIA GPU for CDI (/etc/cdi, /var/run/cdi; `nvidia-ctk cdi generate`): it runs without one"
            )
        })
    }

    /// The podman executable.
    pub(crate) fn program(&self) -> &Path {
        &self.program
    }

    /// The image `reference` resolves to here (mapped, looked up, pulled
    /// when missing), once per run.
    pub(crate) fn image(&self, task: &str, reference: &str) -> anyhow::Result<Image> {
        let mut images = self
            .images
            .lock()
            .map_err(|_| anyhow::anyhow!("the image table is poisoned"))?;
        if let Some(image) = images.get(reference) {
            return Ok(image.clone());
        }
        let source = self
            .settings
            .image_map
            .get(reference)
            .cloned()
            .unwrap_or_else(|| reference.to_owned());
        let podman = |args: &[&str]| output(Command::new(&self.program).args(args));
        let id = match podman(&["image", "inspect", "--format", "{{.Id}}", &source]) {
            Ok(id) => id,
            Err(_) => podman(&["pull", "--quiet", &source]).map_err(|e| {
                anyhow::anyhow!(
                    "step `{task}`: its image {source} is not in podman's store and cannot be pulled ({e:#}). Build it (`kpipe image build`, then `podman pull oci:LAYOUT`), pull it, or map it to one you have: --image-map {reference}=LOCAL"
                )
            })?,
        };
        let id = id.lines().last().unwrap_or_default().trim().to_owned();
        let image = Image {
            reference: reference.to_owned(),
            source,
            id,
        };
        images.insert(reference.to_owned(), image.clone());
        Ok(image)
    }

    /// Removes the containers a run in this workdir left (a killed kpipe);
    /// returns their names.
    pub fn remove_leftovers(&self) -> anyhow::Result<Vec<String>> {
        let label = format!("label=kpipe.workdir={}", self.settings.workdir.display());
        let names = output(Command::new(&self.program).args([
            "ps",
            "--all",
            "--filter",
            &label,
            "--format",
            "{{.Names}}",
        ]))?;
        let names: Vec<String> = names.lines().map(str::to_owned).collect();
        for name in &names {
            remove(&self.program, name);
        }
        Ok(names)
    }

    /// Attempt `a` of a step, in a container of `image`.
    pub(crate) fn attempt(&self, a: &Execution<'_>, image: &Image) -> Result<(), Failure> {
        let (t, ws) = (a.t, a.ws);
        let dir_name = ws
            .dir
            .file_name()
            .map(|n| n.to_string_lossy().into_owned())
            .unwrap_or_else(|| t.name.clone());
        let name = container_name(&self.settings.run_id, &dir_name, a.number);
        let args = self
            .run_args(t, ws, image, a.argv, a.env, &name)
            .map_err(|e| Failure::Start(format!("{e:#}")))?;
        a.shared.say(
            &ws.label,
            &format!(
                "in container {name} ({}, image {})",
                image.source,
                image.id.get(..12).unwrap_or(&image.id)
            ),
        );
        // (the environment goes to the container, on podman's command line)
        let ran = a.launch(&self.program, &args, &[]);
        let oom = output(Command::new(&self.program).args([
            "inspect",
            "--format",
            "{{.State.OOMKilled}}",
            &name,
        ]))
        .is_ok_and(|s| s.trim() == "true");
        remove(&self.program, &name);
        let limit = t.settings.resources.limits.get("memory");
        match (ran, limit) {
            // podman says so; or, where it cannot tell (runc on cgroup v1
            // does not report it), the kernel killed the container (exit
            // 137, SIGKILL, which kpipe did not send: its deadline and
            // interrupts end otherwise) while it had a memory limit: the
            // memory cgroup's OOM killer, which Kubernetes reports as
            // OOMKilled.
            (Err(Failure::Exit(_, code)), Some(limit)) if oom || code == Some(137) => {
                Err(Failure::Exit(
                    format!("OOMKilled: the step used more than its memory limit ({limit})"),
                    code,
                ))
            }
            (ran, _) => match ran {
                // podman's own errors (125: it could not create the container;
                // 126/127: the command cannot run) are Argo's errors, not failures.
                Err(Failure::Exit(msg, Some(code @ 125..=127))) => Err(Failure::Start(format!(
                    "{msg}: podman could not run the container (exit {code}; its message is in the log)"
                ))),
                other => other,
            },
        }
    }
}

/// A container name: the run, the task directory (task and loop item) and
/// the attempt, in the characters podman takes.
fn container_name(run: &str, dir: &str, attempt: u32) -> String {
    let clean: String = dir
        .chars()
        .map(|c| {
            if c.is_ascii_alphanumeric() || "_.-".contains(c) {
                c
            } else {
                '-'
            }
        })
        .collect();
    format!("kpipe-{run}-{clean}-{attempt}")
}

/// Stops and removes container `name` (nothing when it is gone).
fn remove(program: &Path, name: &str) {
    let _ = Command::new(program)
        .args(["rm", "--force", "--time", "0", name])
        .stdin(std::process::Stdio::null())
        .stdout(std::process::Stdio::null())
        .stderr(std::process::Stdio::null())
        .status();
}

/// Runs `cmd`, returning its stdout; an error holds its stderr.
fn output(cmd: &mut Command) -> anyhow::Result<String> {
    let out = cmd
        .stdin(std::process::Stdio::null())
        .output()
        .with_context(|| format!("cannot run {cmd:?}"))?;
    if !out.status.success() {
        bail!(
            "{} ({})",
            String::from_utf8_lossy(&out.stderr).trim(),
            out.status
        );
    }
    Ok(String::from_utf8_lossy(&out.stdout).into_owned())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn container_names() {
        assert_eq!(container_name("r1", "sweep-2", 0), "kpipe-r1-sweep-2-0");
        assert_eq!(container_name("r1", "a b/c", 3), "kpipe-r1-a-b-c-3");
    }
}
