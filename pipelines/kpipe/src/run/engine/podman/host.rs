//! What podman needs on this machine, detected rather than assumed: where
//! programs are, how cgroups are mounted, the rlimits this machine grants,
//! and whether it describes an NVIDIA GPU for CDI.

use std::path::PathBuf;

/// `name` on `PATH`.
pub(super) fn which(name: &str) -> Option<PathBuf> {
    std::env::split_paths(&std::env::var_os("PATH").unwrap_or_default())
        .map(|d| d.join(name))
        .find(|p| p.is_file())
}

#[derive(Debug, PartialEq, Eq)]
pub(super) enum CgroupMode {
    Unified,
    Hybrid,
    Legacy,
}

/// How this machine mounts cgroups.
pub(super) fn cgroup_mode() -> CgroupMode {
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
pub(super) fn host_ulimits() -> Vec<String> {
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
pub(super) fn host_ulimits() -> Vec<String> {
    Vec::new()
}

/// The CDI name of this machine's NVIDIA GPUs, when it describes them.
pub(super) fn cdi_gpu() -> Option<String> {
    ["/etc/cdi", "/var/run/cdi"]
        .iter()
        .filter_map(|d| std::fs::read_dir(d).ok())
        .flatten()
        .flatten()
        .filter_map(|e| std::fs::read_to_string(e.path()).ok())
        .any(|spec| spec.contains("nvidia.com/gpu"))
        .then(|| "nvidia.com/gpu=all".to_owned())
}
