//! The `podman run` command line of one attempt: the container the workflow
//! describes (labels, limits, a GPU, the environment, the task's container
//! paths as volumes and tmpfs mounts, the command as the entrypoint).

use anyhow::{Context as _, bail};
use kpipe_compiler::ir::{NVIDIA_GPU, TaskNode};

use super::super::super::workspace::{Fill, Workspace};
use super::{Image, Podman};

impl Podman {
    /// `podman run …` for one attempt.
    pub(super) fn run_args(
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
    fn quantities() {
        assert_eq!(quantity("64Mi"), Some(64.0 * 1024.0 * 1024.0));
        assert_eq!(quantity("2G"), Some(2e9));
        assert_eq!(quantity("500m"), Some(0.5));
        assert_eq!(quantity("1.5"), Some(1.5));
        assert_eq!(quantity("lots"), None);
        assert_eq!(quantity("1Zi"), None);
    }
}
