//! Running a step's program: its output prefixed by the task on the run's
//! terminal and kept whole in the task's log file, with a deadline.
//!
//! stdout and stderr share one pipe (as `2>&1` does), so the log keeps the
//! order in which the program wrote its lines.
//!
//! On Unix the program leads its own process group, which ends with it as
//! a container's processes end with the container: when it exits, times
//! out or the run is interrupted, whatever it started is killed too (and
//! cannot keep the log pipe open).

use std::io::{BufRead, BufReader, Write};
use std::path::{Path, PathBuf};
use std::process::{Child, Command, ExitStatus, Stdio};
use std::time::{Duration, Instant};

use super::Shared;
use super::interrupt::{GRACE, Stop};

/// Why an attempt did not succeed.
#[derive(Clone, Debug, PartialEq, Eq)]
pub(crate) enum Failure {
    /// The program could not be started (Argo: an error, not a failure).
    Start(String),
    /// It exited unsuccessfully (with this code, unless a signal ended it).
    Exit(String, Option<i32>),
    /// It ran past `activeDeadlineSeconds` and was killed.
    Timeout(String),
    /// The run was interrupted and the program stopped (never retried).
    Interrupted(String),
}

impl Failure {
    pub(crate) fn message(&self) -> &str {
        match self {
            Failure::Start(m)
            | Failure::Exit(m, _)
            | Failure::Timeout(m)
            | Failure::Interrupted(m) => m,
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
    pub(crate) interrupt: &'a Stop,
}

/// Runs `l` to its end; `Ok` on exit code 0.
pub(crate) fn run(l: &Launch<'_>, shared: &Shared) -> Result<(), Failure> {
    let pipe_error = |e: std::io::Error| Failure::Start(format!("cannot create a pipe: {e}"));
    let (output, out_end) = std::io::pipe().map_err(pipe_error)?;
    let err_end = out_end.try_clone().map_err(pipe_error)?;
    let mut command = Command::new(l.program);
    command
        .args(l.args)
        .envs(l.env.iter().cloned())
        .current_dir(l.dir)
        .stdin(Stdio::null())
        .stdout(out_end)
        .stderr(err_end);
    #[cfg(unix)]
    std::os::unix::process::CommandExt::process_group(&mut command, 0);
    let mut child = command
        .spawn()
        .map_err(|e| Failure::Start(format!("cannot start `{}`: {e}", l.program.display())))?;
    // (this process's write ends go with the Command: the reader sees the
    // end of the output once the program's side is closed)
    drop(command);
    // Its process group (its pid names it) is in the workdir's lock until
    // it ends: a run after a `kill -9` of this one stops what it left.
    let group = child.id();
    shared.track(group);
    let result = watch(&mut child, output, l, shared);
    shared.untrack(group);
    result
}

/// Follows the started program to its end.
fn watch(
    child: &mut Child,
    output: std::io::PipeReader,
    l: &Launch<'_>,
    shared: &Shared,
) -> Result<(), Failure> {
    let mut log = std::fs::OpenOptions::new()
        .create(true)
        .append(true)
        .open(l.log)
        .map_err(|e| Failure::Start(format!("cannot open the log {}: {e}", l.log.display())))?;
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
        let ended = supervise(child, l, shared);
        // the program is gone: so is everything it started
        group::kill(child);
        let status = child.wait();
        match (ended, status) {
            (Ended::Exited, Ok(status)) => exit_result(l, status),
            (Ended::Exited, Err(e)) => Err(Failure::Start(format!(
                "cannot wait for `{}`: {e}",
                l.program.display()
            ))),
            (Ended::Timeout(d), _) => Err(Failure::Timeout(format!(
                "timed out after {}s (activeDeadlineSeconds)",
                d.as_secs()
            ))),
            (Ended::Interrupted, Ok(status)) if status.success() => Ok(()),
            (Ended::Interrupted, _) => Err(Failure::Interrupted(format!(
                "stopped: {}",
                l.interrupt.reason()
            ))),
            (Ended::Lost(e), _) => Err(Failure::Start(format!(
                "cannot wait for `{}`: {e}",
                l.program.display()
            ))),
        }
    })
}

/// How supervising a program ended (it has exited unless `Lost`; on Unix
/// it is not reaped yet, so its process group can still be signalled).
enum Ended {
    Exited,
    Timeout(Duration),
    Interrupted,
    Lost(std::io::Error),
}

/// Waits for the program to exit: kills it at its deadline; stops it when
/// the run is interrupted (SIGTERM, SIGKILL after [`GRACE`] or a second
/// interrupt).
fn supervise(child: &mut Child, l: &Launch<'_>, shared: &Shared) -> Ended {
    let started = Instant::now();
    let mut term_sent: Option<Instant> = None;
    let mut killed = false;
    loop {
        match group::exited(child) {
            Ok(true) if term_sent.is_some() => return Ended::Interrupted,
            Ok(true) => return Ended::Exited,
            Ok(false) => {}
            Err(e) => return Ended::Lost(e),
        }
        if l.interrupt.is_raised() {
            match term_sent {
                None => {
                    shared.say(
                        l.task,
                        &format!("{}: stopping the step (SIGTERM)", l.interrupt.reason()),
                    );
                    group::terminate(child);
                    term_sent = Some(Instant::now());
                }
                Some(at) if !killed && (l.interrupt.is_urgent() || at.elapsed() > GRACE) => {
                    shared.say(l.task, "killing the step (SIGKILL)");
                    group::kill(child);
                    killed = true;
                }
                Some(_) => {}
            }
        } else if let Some(d) = l.deadline
            && started.elapsed() > d
        {
            group::kill(child);
            return Ended::Timeout(d);
        }
        std::thread::sleep(Duration::from_millis(10));
    }
}

fn exit_result(l: &Launch<'_>, status: ExitStatus) -> Result<(), Failure> {
    if status.success() {
        Ok(())
    } else {
        Err(Failure::Exit(
            format!("`{}` exited with {status}", l.program.display()),
            status.code(),
        ))
    }
}

/// The program's process group (its pid names it).
#[cfg(unix)]
mod group {
    use std::process::Child;

    use rustix::process::{Pid, Signal, WaitId, WaitIdOptions};

    fn pid(child: &Child) -> Option<Pid> {
        Pid::from_raw(i32::try_from(child.id()).ok()?)
    }

    /// Whether it exited, left unreaped (its pid, and so its group, stays
    /// taken until `Child::wait`).
    pub(super) fn exited(child: &mut Child) -> std::io::Result<bool> {
        let Some(pid) = pid(child) else {
            return Ok(true);
        };
        let options = WaitIdOptions::EXITED | WaitIdOptions::NOHANG | WaitIdOptions::NOWAIT;
        Ok(rustix::process::waitid(WaitId::Pid(pid), options)?.is_some())
    }

    // (`&mut` as the portable versions need)
    pub(super) fn terminate(child: &mut Child) {
        signal(child, Signal::TERM);
    }

    pub(super) fn kill(child: &mut Child) {
        signal(child, Signal::KILL);
    }

    fn signal(child: &Child, sig: Signal) {
        if let Some(pid) = pid(child) {
            // (ESRCH: the group is gone already)
            let _ = rustix::process::kill_process_group(pid, sig);
        }
    }
}

/// Without process groups: the program alone.
#[cfg(not(unix))]
mod group {
    use std::process::Child;

    pub(super) fn exited(child: &mut Child) -> std::io::Result<bool> {
        Ok(child.try_wait()?.is_some())
    }

    pub(super) fn terminate(child: &mut Child) {
        let _ = child.kill();
    }

    pub(super) fn kill(child: &mut Child) {
        let _ = child.kill();
    }
}
