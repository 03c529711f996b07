//! Real OCI tools for the image tests (Debian's packages; `.ci/run`
//! installs them): a `docker-registry` on a free loopback port, and podman
//! set up the way it runs on these machines.

use std::path::Path;
use std::process::{Child, Command};

use crate::wait::{WAIT, wait_until};

/// Debian's `docker-registry` (distribution) serving plain HTTP on
/// 127.0.0.1, its storage in a temporary directory; stopped when dropped.
#[derive(Debug)]
pub struct Registry {
    child: Child,
    /// `127.0.0.1:PORT`.
    pub addr: String,
    _dir: tempfile::TempDir,
}

impl Drop for Registry {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

impl Registry {
    /// Starts one and waits until it listens.
    pub fn start() -> Self {
        let dir = tempfile::tempdir().unwrap_or_else(|e| panic!("{e}"));
        let port = free_port();
        let config = dir.path().join("config.yml");
        std::fs::write(
            &config,
            format!(
                "version: 0.1\nlog:\n  level: warn\nstorage:\n  filesystem:\n    rootdirectory: {}\nhttp:\n  addr: 127.0.0.1:{port}\n",
                dir.path().join("data").display()
            ),
        )
        .unwrap_or_else(|e| panic!("cannot write {}: {e}", config.display()));
        let child = Command::new("docker-registry")
            .args(["serve", &config.to_string_lossy()])
            .spawn()
            .unwrap_or_else(|e| {
                panic!("cannot start docker-registry (apt-get install docker-registry): {e}")
            });
        let addr = format!("127.0.0.1:{port}");
        wait_until(
            &format!("docker-registry to listen on {addr}"),
            WAIT,
            || std::net::TcpStream::connect(&addr).ok(),
        );
        Self {
            child,
            addr,
            _dir: dir,
        }
    }
}

/// A port nothing listens on now.
pub fn free_port() -> u16 {
    std::net::TcpListener::bind("127.0.0.1:0")
        .and_then(|l| l.local_addr())
        .map(|a| a.port())
        .unwrap_or(5055)
}

/// `podman` as it runs here: Debian's podman 4.3 as root with runc and
/// cgroupfs (crun fails on these machines' hybrid cgroups), explicit
/// ulimits, its storage under `root` (so tests leave nothing behind and
/// do not share images).
pub fn podman(root: &Path) -> Command {
    let mut cmd = Command::new("podman");
    cmd.arg("--runtime=runc")
        .arg("--cgroup-manager=cgroupfs")
        .arg(format!("--root={}", root.join("storage").display()))
        .arg(format!("--runroot={}", root.join("run").display()));
    cmd
}

/// The `podman run` arguments every test container gets (ulimits the
/// runtime cannot inherit here).
pub const PODMAN_RUN: [&str; 4] = [
    "run",
    "--rm",
    "--ulimit=nofile=4096:4096",
    "--ulimit=nproc=4096:4096",
];
