//! One run at a time in a workdir: the lock names the kpipe that runs there
//! and the process groups of its steps, so that a run never starts while an
//! earlier run's steps still run in the same directories. A run that finds
//! the lock of a kpipe that is gone (killed with `kill -9`) stops the steps
//! it left (their process groups; a container engine's containers by their
//! label) before it starts; a run that finds a live one refuses, naming it.

use std::collections::BTreeSet;
use std::path::PathBuf;
use std::sync::Mutex;
use std::time::{Duration, Instant};

use anyhow::{Context as _, bail};
use serde::{Deserialize, Serialize};

use super::layout::Layout;

/// What the lock file holds.
#[derive(Debug, Default, Serialize, Deserialize)]
struct State {
    /// The kpipe that runs here.
    pid: u32,
    /// When it started (`/proc/PID/stat`'s start time; 0 where unknown),
    /// so a pid the system reused is not taken for it.
    started: u64,
    /// Process groups of the steps running now.
    groups: BTreeSet<u32>,
}

/// The lock of a running local run.
#[derive(Debug)]
pub(crate) struct WorkdirLock {
    path: PathBuf,
    state: Mutex<State>,
}

impl WorkdirLock {
    /// Takes the lock of `layout`'s workdir; returns it and what it did
    /// about an earlier run's leftovers.
    pub(crate) fn acquire(layout: &Layout) -> anyhow::Result<(Self, Vec<String>)> {
        let path = layout.lock();
        let mut notes = Vec::new();
        if let Ok(text) = std::fs::read_to_string(&path)
            && let Ok(old) = serde_json::from_str::<State>(&text)
        {
            let me = std::process::id();
            if old.pid != me && alive(old.pid, old.started) {
                bail!(
                    "another kpipe (pid {}) is running in {}: wait for it, or stop it (kill {})",
                    old.pid,
                    layout.workdir().display(),
                    old.pid
                );
            }
            let left: Vec<u32> = old
                .groups
                .iter()
                .copied()
                .filter(|g| group_alive(*g))
                .collect();
            if !left.is_empty() {
                stop_groups(&left);
                let list: Vec<String> = left.iter().map(u32::to_string).collect();
                notes.push(format!(
                    "stopped the steps a killed run (pid {}) left running in this workdir (process groups {})",
                    old.pid,
                    list.join(", ")
                ));
            }
        }
        let lock = Self {
            path,
            state: Mutex::new(State {
                pid: std::process::id(),
                started: start_time(std::process::id()),
                groups: BTreeSet::new(),
            }),
        };
        lock.save()?;
        Ok((lock, notes))
    }

    /// A step's process group started.
    pub(crate) fn started(&self, group: u32) {
        if let Ok(mut s) = self.state.lock() {
            s.groups.insert(group);
        }
        let _ = self.save();
    }

    /// A step's process group ended.
    pub(crate) fn ended(&self, group: u32) {
        if let Ok(mut s) = self.state.lock() {
            s.groups.remove(&group);
        }
        let _ = self.save();
    }

    fn save(&self) -> anyhow::Result<()> {
        let text = {
            let s = self
                .state
                .lock()
                .map_err(|_| anyhow::anyhow!("the lock's state is poisoned"))?;
            serde_json::to_string(&*s).context("cannot write the lock")?
        };
        // (not durably: a lost lock only means no cleanup after a crash)
        crate::fsutil::write_bytes_atomic(&self.path, text.as_bytes())
            .with_context(|| format!("cannot write the lock {}", self.path.display()))
    }
}

impl Drop for WorkdirLock {
    fn drop(&mut self) {
        let _ = std::fs::remove_file(&self.path);
    }
}

/// Whether process `pid`, started at `started`, still runs.
#[cfg(unix)]
fn alive(pid: u32, started: u64) -> bool {
    let Some(p) = i32::try_from(pid)
        .ok()
        .and_then(rustix::process::Pid::from_raw)
    else {
        return false;
    };
    rustix::process::test_kill_process(p).is_ok() && (started == 0 || start_time(pid) == started)
}

#[cfg(not(unix))]
fn alive(_: u32, _: u64) -> bool {
    false
}

/// Whether process group `group` has a member.
#[cfg(unix)]
fn group_alive(group: u32) -> bool {
    i32::try_from(group)
        .ok()
        .and_then(rustix::process::Pid::from_raw)
        .is_some_and(|g| rustix::process::test_kill_process_group(g).is_ok())
}

#[cfg(not(unix))]
fn group_alive(_: u32) -> bool {
    false
}

/// SIGTERM to each group, SIGKILL to those still there 5 s later.
#[cfg(unix)]
fn stop_groups(groups: &[u32]) {
    use rustix::process::{Pid, Signal, kill_process_group};
    let pids: Vec<Pid> = groups
        .iter()
        .filter_map(|g| i32::try_from(*g).ok().and_then(Pid::from_raw))
        .collect();
    for p in &pids {
        let _ = kill_process_group(*p, Signal::TERM);
    }
    let deadline = Instant::now() + Duration::from_secs(5);
    while Instant::now() < deadline && groups.iter().any(|g| group_alive(*g)) {
        std::thread::sleep(Duration::from_millis(50));
    }
    for p in &pids {
        let _ = kill_process_group(*p, Signal::KILL);
    }
}

#[cfg(not(unix))]
fn stop_groups(_: &[u32]) {}

/// When process `pid` started, in clock ticks since boot (0 where unknown).
fn start_time(pid: u32) -> u64 {
    let Ok(stat) = std::fs::read_to_string(format!("/proc/{pid}/stat")) else {
        return 0;
    };
    // (the command name, field 2, is in parentheses and may hold spaces)
    stat.rsplit_once(')')
        .and_then(|(_, rest)| rest.split_whitespace().nth(19))
        .and_then(|s| s.parse().ok())
        .unwrap_or(0)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_live_run_is_refused_and_a_dead_ones_steps_are_stopped() {
        let tmp = tempfile::tempdir().unwrap_or_else(|e| panic!("{e}"));
        let layout = Layout::new(tmp.path());
        // A "killed run": a pid that is not running, and a step (a sleep in
        // its own process group) it left behind.
        let mut cmd = std::process::Command::new("sleep");
        cmd.arg("30");
        #[cfg(unix)]
        std::os::unix::process::CommandExt::process_group(&mut cmd, 0);
        let mut step = cmd.spawn().unwrap_or_else(|e| panic!("{e}"));
        let state = State {
            pid: 999_999_999,
            started: 0,
            groups: BTreeSet::from([step.id()]),
        };
        std::fs::write(
            layout.lock(),
            serde_json::to_string(&state).unwrap_or_default(),
        )
        .unwrap_or_else(|e| panic!("{e}"));
        let (lock, notes) = WorkdirLock::acquire(&layout).unwrap_or_else(|e| panic!("{e:#}"));
        assert_eq!(notes.len(), 1, "{notes:?}");
        assert!(notes[0].contains(&step.id().to_string()), "{notes:?}");
        let status = step.wait().unwrap_or_else(|e| panic!("{e}"));
        assert!(!status.success(), "the leftover step was stopped");

        // While this lock is held, another kpipe (this test plays it with
        // a live pid that is not ours) is refused.
        drop(lock);
        let mut other = std::process::Command::new("sleep")
            .arg("30")
            .spawn()
            .unwrap_or_else(|e| panic!("{e}"));
        let state = State {
            pid: other.id(),
            started: start_time(other.id()),
            groups: BTreeSet::new(),
        };
        std::fs::write(
            layout.lock(),
            serde_json::to_string(&state).unwrap_or_default(),
        )
        .unwrap_or_else(|e| panic!("{e}"));
        let err = WorkdirLock::acquire(&layout)
            .err()
            .map(|e| e.to_string())
            .unwrap_or_default();
        let _ = other.kill();
        let _ = other.wait();
        assert!(
            err.starts_with(&format!(
                "another kpipe (pid {}) is running in ",
                other.id()
            )),
            "{err}"
        );
    }
}
