//! Running a step's program: its output prefixed by the task on the run's
//! terminal and kept whole in the task's log file, with a deadline.

use std::io::{BufRead, BufReader, Write};
use std::path::{Path, PathBuf};
use std::process::{Command, Stdio};
use std::time::{Duration, Instant};

use super::Shared;

/// Why an attempt did not succeed.
#[derive(Clone, Debug, PartialEq, Eq)]
pub(crate) enum Failure {
    /// The program could not be started (Argo: an error, not a failure).
    Start(String),
    /// It exited unsuccessfully (with this code, unless a signal ended it).
    Exit(String, Option<i32>),
    /// It ran past `activeDeadlineSeconds` and was killed.
    Timeout(String),
}

impl Failure {
    pub(crate) fn message(&self) -> &str {
        match self {
            Failure::Start(m) | Failure::Exit(m, _) | Failure::Timeout(m) => m,
        }
    }
}

/// One process to run.
#[derive(Debug)]
pub(crate) struct Launch<'a> {
    pub(crate) task: &'a str,
    pub(crate) program: &'a Path,
    pub(crate) args: &'a [String],
    pub(crate) env: &'a [(String, String)],
    pub(crate) dir: &'a Path,
    pub(crate) log: &'a PathBuf,
    pub(crate) deadline: Option<Duration>,
}

/// Runs `l` to its end; `Ok` on exit code 0.
pub(crate) fn run(l: &Launch<'_>, shared: &Shared) -> Result<(), Failure> {
    let log = std::fs::OpenOptions::new()
        .create(true)
        .append(true)
        .open(l.log)
        .map_err(|e| Failure::Start(format!("cannot open the log {}: {e}", l.log.display())))?;
    let log = std::sync::Mutex::new(log);
    let mut child = Command::new(l.program)
        .args(l.args)
        .envs(l.env.iter().cloned())
        .current_dir(l.dir)
        .stdin(Stdio::null())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .map_err(|e| Failure::Start(format!("cannot start `{}`: {e}", l.program.display())))?;
    let stdout = child.stdout.take();
    let stderr = child.stderr.take();
    let started = Instant::now();
    let relay = |stream: Box<dyn std::io::Read + Send>| {
        for line in BufReader::new(stream).lines().map_while(Result::ok) {
            shared.say(l.task, &line);
            if let Ok(mut f) = log.lock() {
                let _ = writeln!(f, "{line}");
            }
        }
    };
    std::thread::scope(|scope| {
        if let Some(o) = stdout {
            scope.spawn(move || relay(Box::new(o)));
        }
        if let Some(e) = stderr {
            scope.spawn(move || relay(Box::new(e)));
        }
        loop {
            match child.try_wait() {
                Ok(Some(status)) if status.success() => return Ok(()),
                Ok(Some(status)) => {
                    return Err(Failure::Exit(
                        format!("`{}` exited with {status}", l.program.display()),
                        status.code(),
                    ));
                }
                Ok(None) => {}
                Err(e) => {
                    return Err(Failure::Start(format!(
                        "cannot wait for `{}`: {e}",
                        l.program.display()
                    )));
                }
            }
            if let Some(d) = l.deadline
                && started.elapsed() > d
            {
                let _ = child.kill();
                let _ = child.wait();
                return Err(Failure::Timeout(format!(
                    "timed out after {}s (activeDeadlineSeconds)",
                    d.as_secs()
                )));
            }
            std::thread::sleep(Duration::from_millis(10));
        }
    })
}
