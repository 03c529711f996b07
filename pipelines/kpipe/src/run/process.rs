//! Running a step's program: its output prefixed by the task on the run's
//! terminal and kept whole in the task's log file, with a deadline.
//!
//! stdout and stderr share one pipe (as `2>&1` does), so the log keeps the
//! order in which the program wrote its lines.

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
    let mut log = log;
    let pipe_error = |e: std::io::Error| Failure::Start(format!("cannot create a pipe: {e}"));
    let (output, out_end) = std::io::pipe().map_err(pipe_error)?;
    let err_end = out_end.try_clone().map_err(pipe_error)?;
    // (the Command, and with it this process's write ends, is dropped here:
    // the reader sees the end of the output when the program's side closes)
    let mut child = Command::new(l.program)
        .args(l.args)
        .envs(l.env.iter().cloned())
        .current_dir(l.dir)
        .stdin(Stdio::null())
        .stdout(out_end)
        .stderr(err_end)
        .spawn()
        .map_err(|e| Failure::Start(format!("cannot start `{}`: {e}", l.program.display())))?;
    let started = Instant::now();
    std::thread::scope(|scope| {
        scope.spawn(move || {
            // Line by line to the log as they come (`tail -f` works), bytes
            // that are not UTF-8 shown as U+FFFD: the pipe is read to its
            // end whatever the program prints, so it never blocks on a
            // full pipe.
            let mut output = BufReader::new(output);
            let mut raw = Vec::new();
            loop {
                raw.clear();
                match output.read_until(b'\n', &mut raw) {
                    Ok(0) => break,
                    Ok(_) => {}
                    Err(e) if e.kind() == std::io::ErrorKind::Interrupted => continue,
                    Err(_) => break,
                }
                let text = String::from_utf8_lossy(&raw);
                let line = text.strip_suffix('\n').unwrap_or(&text);
                let line = line.strip_suffix('\r').unwrap_or(line);
                shared.say(l.task, line);
                let _ = log.write_all(format!("{line}\n").as_bytes());
            }
        });
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
