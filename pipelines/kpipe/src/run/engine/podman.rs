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

use std::collections::BTreeMap;
use std::path::{Path, PathBuf};
use std::process::Command;
use std::sync::{Arc, Mutex};
use std::time::Duration;

use anyhow::{Context as _, bail};
use kpipe_compiler::ir::{NVIDIA_GPU, TaskNode};

use super::super::process::{self, Failure, Launch};
use super::super::workspace::{Fill, Workspace};
use super::super::{RunContext, Shared};

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

    /// One attempt of a step in its container.
    #[allow(clippy::too_many_arguments)]
    pub(crate) fn attempt(
        &self,
        t: &TaskNode,
        ctx: &RunContext,
        shared: &Shared,
        ws: &Workspace,
        image: &Image,
        argv: &[String],
        env: &[(String, String)],
        attempt: u32,
        deadline: Option<Duration>,
        log: &Path,
    ) -> Result<(), Failure> {
        let dir_name = ws
            .dir
            .file_name()
            .map(|n| n.to_string_lossy().into_owned())
            .unwrap_or_else(|| t.name.clone());
        let name = container_name(&self.settings.run_id, &dir_name, attempt);
        let args = self
            .run_args(t, ws, image, argv, env, &name)
            .map_err(|e| Failure::Start(format!("{e:#}")))?;
        shared.say(
            &t.name,
            &format!(
                "in container {name} ({}, image {})",
                image.source,
                image.id.get(..12).unwrap_or(&image.id)
            ),
        );
        let ran = process::run(
            &Launch {
                task: &t.name,
                program: &self.program,
                args: &args,
                env: &[],
                dir: &ws.dir,
                log: &log.to_path_buf(),
                deadline,
                interrupt: &ctx.interrupt,
            },
            shared,
        );
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

    /// `podman run …` for one attempt.
    fn run_args(
        &self,
        t: &TaskNode,
        ws: &Workspace,
        image: &Image,
        argv: &[String],
        env: &[(String, String)],
        name: &str,
    ) -> anyhow::Result<Vec<String>> {
        let mut a: Vec<String> = self.global.clone();
        let workdir = self.settings.workdir.display().to_string();
        a.extend(
            [
                "run",
                "--name",
                name,
                "--label",
                &format!("kpipe.run={}", self.settings.run_id),
                "--label",
                &format!("kpipe.workdir={workdir}"),
                "--label",
                &format!("kpipe.task={}", t.name),
                "--network",
                "host",
                "--pull",
                "never",
            ]
            .map(str::to_owned),
        );
        for u in &self.ulimits {
            a.extend(["--ulimit".to_owned(), u.clone()]);
        }
        let limits = &t.settings.resources.limits;
        if let Some(q) = limits.get("memory") {
            let bytes = quantity(q).with_context(|| {
                format!(
                    "step `{}`: memory limit `{q}` is not a Kubernetes quantity",
                    t.name
                )
            })?;
            a.extend(["--memory".to_owned(), format!("{}b", bytes.round() as u64)]);
            // (no swap: over the limit is over the limit, as in a pod)
            a.extend([
                "--memory-swap".to_owned(),
                format!("{}b", bytes.round() as u64),
            ]);
        }
        if let Some(q) = limits.get("cpu") {
            let cpus = quantity(q).with_context(|| {
                format!(
                    "step `{}`: CPU limit `{q}` is not a Kubernetes quantity",
                    t.name
                )
            })?;
            a.extend(["--cpus".to_owned(), format!("{cpus}")]);
        }
        let wants_gpu = t.settings.resources.limits.contains_key(NVIDIA_GPU)
            || t.settings.resources.requests.contains_key(NVIDIA_GPU);
        if let (true, Some(device)) = (wants_gpu, &self.gpu) {
            a.extend(["--device".to_owned(), device.clone()]);
        }
        for (k, v) in env {
            a.extend(["--env".to_owned(), format!("{k}={v}")]);
        }
        // The task's container paths: /kpipe (inputs, outputs), then each
        // volume mount over it.
        let kpipe = ws.local("/kpipe");
        std::fs::create_dir_all(&kpipe)
            .with_context(|| format!("cannot create {}", kpipe.display()))?;
        a.extend([
            "--volume".to_owned(),
            format!("{}:/kpipe:U", kpipe.display()),
        ]);
        for m in &ws.mounts {
            let host = ws.local(&m.path);
            match &m.fill {
                Fill::Tmpfs { size } => {
                    let opts = size
                        .as_deref()
                        .and_then(quantity)
                        .map_or_else(String::new, |b| format!(":size={}", b.round() as u64));
                    a.extend(["--tmpfs".to_owned(), format!("{}{opts}", m.path)]);
                }
                Fill::Secret { .. } => a.extend([
                    "--volume".to_owned(),
                    format!("{}:{}:ro,U", host.display(), m.path),
                ]),
                Fill::Empty if m.path == "/kpipe" || m.path.starts_with("/kpipe/") => {}
                Fill::Empty => a.extend([
                    "--volume".to_owned(),
                    format!(
                        "{}:{}:{}U",
                        host.display(),
                        m.path,
                        if m.read_only { "ro," } else { "" }
                    ),
                ]),
            }
        }
        for p in &self.settings.shared {
            a.extend([
                "--volume".to_owned(),
                format!("{}:{}", p.display(), p.display()),
            ]);
        }
        // The workflow's command replaces the image's entrypoint, and with
        // it the image's default arguments, as Kubernetes' `command` does.
        let Some((program, rest)) = argv.split_first() else {
            bail!("step `{}`: the container has no command", t.name);
        };
        let entrypoint =
            serde_json::to_string(&[program]).context("cannot write the entrypoint as JSON")?;
        a.extend(["--entrypoint".to_owned(), entrypoint, image.id.clone()]);
        a.extend(rest.iter().cloned());
        Ok(a)
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

/// `name` on `PATH`.
fn which(name: &str) -> Option<PathBuf> {
    std::env::split_paths(&std::env::var_os("PATH").unwrap_or_default())
        .map(|d| d.join(name))
        .find(|p| p.is_file())
}

#[derive(Debug, PartialEq, Eq)]
enum CgroupMode {
    Unified,
    Hybrid,
    Legacy,
}

/// How this machine mounts cgroups.
fn cgroup_mode() -> CgroupMode {
    let mounts = std::fs::read_to_string("/proc/self/mounts").unwrap_or_default();
    let cgroup2 = |path: &str| {
        mounts
            .lines()
            .any(|l| l.split_whitespace().nth(1) == Some(path) && l.contains(" cgroup2 "))
    };
    if cgroup2("/sys/fs/cgroup") {
        CgroupMode::Unified
    } else if cgroup2("/sys/fs/cgroup/unified") {
        CgroupMode::Hybrid
    } else {
        CgroupMode::Legacy
    }
}

/// `--ulimit` values this machine grants: kpipe's own hard open-files
/// limit, and processes up to its hard limit but at most `pid_max`.
#[cfg(unix)]
fn host_ulimits() -> Vec<String> {
    use rustix::process::{Resource, getrlimit};
    let mut out = Vec::new();
    if let Some(n) = getrlimit(Resource::Nofile).maximum {
        out.push(format!("nofile={n}:{n}"));
    }
    let pid_max: Option<u64> = std::fs::read_to_string("/proc/sys/kernel/pid_max")
        .ok()
        .and_then(|s| s.trim().parse().ok());
    let nproc = match (getrlimit(Resource::Nproc).maximum, pid_max) {
        (Some(n), Some(p)) => Some(n.min(p)),
        (Some(n), None) => Some(n),
        (None, p) => p,
    };
    if let Some(n) = nproc {
        out.push(format!("nproc={n}:{n}"));
    }
    out
}

#[cfg(not(unix))]
fn host_ulimits() -> Vec<String> {
    Vec::new()
}

/// The CDI name of this machine's NVIDIA GPUs, when it describes them.
fn cdi_gpu() -> Option<String> {
    ["/etc/cdi", "/var/run/cdi"]
        .iter()
        .filter_map(|d| std::fs::read_dir(d).ok())
        .flatten()
        .flatten()
        .filter_map(|e| std::fs::read_to_string(e.path()).ok())
        .any(|spec| spec.contains("nvidia.com/gpu"))
        .then(|| "nvidia.com/gpu=all".to_owned())
}

/// A Kubernetes quantity (`64Mi`, `2G`, `500m`, `1.5`) as a number.
fn quantity(q: &str) -> Option<f64> {
    let q = q.trim();
    let split = q
        .find(|c: char| !(c.is_ascii_digit() || c == '.'))
        .unwrap_or(q.len());
    let (number, suffix) = q.split_at(split);
    let number: f64 = number.parse().ok()?;
    let scale = match suffix {
        "" => 1.0,
        "m" => 1e-3,
        "k" => 1e3,
        "M" => 1e6,
        "G" => 1e9,
        "T" => 1e12,
        "P" => 1e15,
        "Ki" => 1024.0,
        "Mi" => 1024f64.powi(2),
        "Gi" => 1024f64.powi(3),
        "Ti" => 1024f64.powi(4),
        "Pi" => 1024f64.powi(5),
        _ => return None,
    };
    Some(number * scale)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn quantities_and_names() {
        assert_eq!(quantity("64Mi"), Some(64.0 * 1024.0 * 1024.0));
        assert_eq!(quantity("2G"), Some(2e9));
        assert_eq!(quantity("500m"), Some(0.5));
        assert_eq!(quantity("1.5"), Some(1.5));
        assert_eq!(quantity("lots"), None);
        assert_eq!(quantity("1Zi"), None);
        assert_eq!(container_name("r1", "sweep-2", 0), "kpipe-r1-sweep-2-0");
        assert_eq!(container_name("r1", "a b/c", 3), "kpipe-r1-a-b-c-3");
    }
}
