//! Child processes with deadlines, and their log lines.

use std::io::{BufRead, BufReader, Read};
use std::process::{Child, Command, ExitStatus, Output, Stdio};
use std::sync::{Arc, Condvar, Mutex, MutexGuard};
use std::time::{Duration, Instant};

/// How long a test lets a whole process run (a step, a `kpipe` command)
/// before it kills it and fails naming it. Far above what any takes on a
/// loaded machine; nextest's per-test timeout usually ends a hang first.
pub const RUN: Duration = Duration::from_secs(300);

/// Every file under `dir`, at any depth, sorted (none when `dir` cannot be
/// read).
pub fn files(dir: &std::path::Path) -> Vec<std::path::PathBuf> {
    let mut out = Vec::new();
    let mut stack = vec![dir.to_path_buf()];
    while let Some(d) = stack.pop() {
        for entry in std::fs::read_dir(&d).into_iter().flatten().flatten() {
            let path = entry.path();
            if path.is_dir() {
                stack.push(path);
            } else {
                out.push(path);
            }
        }
    }
    out.sort();
    out
}

/// A process's output as text (lossy UTF-8), for messages and `contains`.
pub fn text(bytes: &[u8]) -> String {
    String::from_utf8_lossy(bytes).into_owned()
}

/// [`output_within`] as a method: `Command::new(..).args(..).output_within(RUN)`.
pub trait CommandExt {
    /// See [`output_within`].
    fn output_within(&mut self, timeout: Duration) -> Output;
}

impl CommandExt for Command {
    fn output_within(&mut self, timeout: Duration) -> Output {
        output_within(self, timeout)
    }
}

/// Runs `cmd` to completion like [`Command::output`] (stdin empty, stdout and
/// stderr captured), but kills it and panics, naming the command and showing
/// what it printed so far, if it has not exited within `timeout`.
pub fn output_within(cmd: &mut Command, timeout: Duration) -> Output {
    let what = describe(cmd);
    let child = cmd
        .stdin(Stdio::null())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .unwrap_or_else(|e| panic!("cannot start {what}: {e}"));
    finish_within(child, &what, timeout)
}

/// Waits for a spawned `child` (with piped stdout and stderr) to exit and
/// collects its output; kills it and panics naming `what` after `timeout`.
///
/// Output is read on background threads into shared buffers, so a
/// grandchild that keeps a pipe open (a daemon the child started, or a
/// `sleep` left behind by a killed shell) cannot block the test: once the
/// child has exited, readers get a short grace period to drain, then the
/// output collected so far is returned.
pub fn finish_within(mut child: Child, what: &str, timeout: Duration) -> Output {
    let stdout = child.stdout.take().map(collect);
    let stderr = child.stderr.take().map(collect);
    let started = Instant::now();
    let status = loop {
        match child.try_wait() {
            Ok(Some(status)) => break Some(status),
            Ok(None) if started.elapsed() < timeout => {
                std::thread::sleep(Duration::from_millis(5));
            }
            Ok(None) => {
                let _ = child.kill();
                let _ = child.wait();
                break None;
            }
            Err(e) => panic!("cannot wait for {what}: {e}"),
        }
    };
    let grace = Instant::now() + Duration::from_secs(if status.is_some() { 10 } else { 1 });
    let stdout = stdout.map(|r| r.take(grace)).unwrap_or_default();
    let stderr = stderr.map(|r| r.take(grace)).unwrap_or_default();
    let Some(status) = status else {
        panic!(
            "{what} did not exit within {}s; killed it.\n--- stdout (tail)\n{}\n--- stderr (tail)\n{}",
            timeout.as_secs(),
            tail(&stdout),
            tail(&stderr)
        );
    };
    Output {
        status,
        stdout,
        stderr,
    }
}

/// A stream read to its end on a background thread.
struct Reader {
    buf: Arc<Mutex<Vec<u8>>>,
    done: std::sync::mpsc::Receiver<()>,
}

impl Reader {
    /// Everything read once the stream ends, or what was read by `until`.
    fn take(self, until: Instant) -> Vec<u8> {
        let _ = self
            .done
            .recv_timeout(until.saturating_duration_since(Instant::now()));
        std::mem::take(&mut *self.buf.lock().unwrap_or_else(|e| e.into_inner()))
    }
}

fn collect(mut r: impl Read + Send + 'static) -> Reader {
    let buf = Arc::new(Mutex::new(Vec::new()));
    let (tx, done) = std::sync::mpsc::channel();
    let sink = buf.clone();
    std::thread::spawn(move || {
        let mut chunk = [0u8; 8192];
        loop {
            match r.read(&mut chunk) {
                Ok(0) | Err(_) => break,
                Ok(n) => sink
                    .lock()
                    .unwrap_or_else(|e| e.into_inner())
                    .extend_from_slice(&chunk[..n]),
            }
        }
        let _ = tx.send(());
    });
    Reader { buf, done }
}

fn tail(bytes: &[u8]) -> String {
    let text = String::from_utf8_lossy(bytes);
    let lines: Vec<&str> = text.lines().collect();
    lines[lines.len().saturating_sub(40)..].join("\n")
}

fn describe(cmd: &Command) -> String {
    let mut s = format!("`{}", cmd.get_program().to_string_lossy());
    for a in cmd.get_args() {
        s.push(' ');
        s.push_str(&a.to_string_lossy());
    }
    s.push('`');
    s
}

#[derive(Default)]
struct Lines {
    lines: Vec<String>,
    closed: bool,
}

/// The lines a child process writes to one of its streams, read on a
/// background thread, with waits for a line that matches.
#[derive(Clone)]
pub struct LogLines {
    state: Arc<(Mutex<Lines>, Condvar)>,
}

impl std::fmt::Debug for LogLines {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("LogLines").finish_non_exhaustive()
    }
}

impl LogLines {
    /// Starts reading `stream`; each line is also echoed to stderr after
    /// `echo` (e.g. `"bot: "`) so a failing test shows the process's log.
    pub fn follow(stream: impl Read + Send + 'static, echo: &str) -> Self {
        let state: Arc<(Mutex<Lines>, Condvar)> = Arc::default();
        let shared = state.clone();
        let echo = echo.to_owned();
        std::thread::spawn(move || {
            for line in BufReader::new(stream).lines().map_while(Result::ok) {
                eprintln!("{echo}{line}");
                let (lock, cv) = &*shared;
                guard(lock).lines.push(line);
                cv.notify_all();
            }
            let (lock, cv) = &*shared;
            guard(lock).closed = true;
            cv.notify_all();
        });
        Self { state }
    }

    /// Every line so far.
    pub fn lines(&self) -> Vec<String> {
        guard(&self.state.0).lines.clone()
    }

    /// How many lines so far match `pred`.
    pub fn count(&self, pred: impl Fn(&str) -> bool) -> usize {
        guard(&self.state.0)
            .lines
            .iter()
            .filter(|l| pred(l))
            .count()
    }

    /// Waits until at least `n` lines match `pred` and returns the matching
    /// lines. Panics naming `what` after `timeout`, or as soon as the stream
    /// ends without them (the process exited), with the log so far.
    pub fn wait_for_count(
        &self,
        what: &str,
        n: usize,
        timeout: Duration,
        pred: impl Fn(&str) -> bool,
    ) -> Vec<String> {
        let (lock, cv) = &*self.state;
        let started = Instant::now();
        let mut state = guard(lock);
        loop {
            let matching: Vec<String> = state.lines.iter().filter(|l| pred(l)).cloned().collect();
            if matching.len() >= n {
                return matching;
            }
            let waited = started.elapsed();
            if state.closed || waited >= timeout {
                let log = state.lines.join("\n");
                drop(state);
                panic!(
                    "{} after {:.1}s waiting for {what} ({} of {n} seen); the log:\n{log}",
                    if waited >= timeout {
                        "timed out"
                    } else {
                        "the process closed its log"
                    },
                    waited.as_secs_f64(),
                    matching.len(),
                );
            }
            state = cv
                .wait_timeout(state, timeout - waited)
                .map(|(g, _)| g)
                .unwrap_or_else(|e| e.into_inner().0);
        }
    }

    /// Waits for the first line matching `pred` (see [`Self::wait_for_count`]).
    pub fn wait_for(&self, what: &str, timeout: Duration, pred: impl Fn(&str) -> bool) -> String {
        self.wait_for_count(what, 1, timeout, pred)
            .into_iter()
            .next()
            .unwrap_or_default()
    }

    /// Waits for a kpipe server's JSON `listening` line and returns the port
    /// it names.
    pub fn listening_port(&self, timeout: Duration) -> u16 {
        let line = self.wait_for("the server's `listening` log line", timeout, |l| {
            serde_json::from_str::<serde_json::Value>(l).is_ok_and(|v| v["msg"] == "listening")
        });
        serde_json::from_str::<serde_json::Value>(&line)
            .ok()
            .and_then(|v| {
                v["addr"]
                    .as_str()
                    .and_then(|a| a.rsplit(':').next())
                    .and_then(|p| p.parse().ok())
            })
            .unwrap_or_else(|| panic!("the `listening` line names no port: {line}"))
    }
}

fn guard(lock: &Mutex<Lines>) -> MutexGuard<'_, Lines> {
    lock.lock().unwrap_or_else(|e| e.into_inner())
}

/// Waits up to `timeout` for `child` to exit on its own; panics naming `what`
/// (after killing it) if it does not.
pub fn exit_within(child: &mut Child, what: &str, timeout: Duration) -> ExitStatus {
    let started = Instant::now();
    loop {
        match child.try_wait() {
            Ok(Some(status)) => return status,
            Ok(None) if started.elapsed() < timeout => {
                std::thread::sleep(Duration::from_millis(5));
            }
            Ok(None) => {
                let _ = child.kill();
                let _ = child.wait();
                panic!(
                    "{what} did not exit within {}s; killed it",
                    timeout.as_secs()
                );
            }
            Err(e) => panic!("cannot wait for {what}: {e}"),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_command_that_overruns_is_killed_and_named() {
        let caught = std::panic::catch_unwind(|| {
            output_within(
                Command::new("sh").args(["-c", "echo started; sleep 30"]),
                Duration::from_millis(300),
            )
        });
        let message = caught
            .err()
            .and_then(|p| p.downcast_ref::<String>().cloned())
            .unwrap_or_default();
        assert!(
            message.contains("`sh -c echo started; sleep 30` did not exit within"),
            "{message}"
        );
    }

    #[test]
    fn output_is_collected() {
        let out = output_within(
            Command::new("sh").args(["-c", "echo out; echo err >&2; exit 3"]),
            Duration::from_secs(30),
        );
        assert_eq!(out.status.code(), Some(3));
        assert_eq!(out.stdout, b"out\n");
        assert_eq!(out.stderr, b"err\n");
    }

    #[test]
    fn log_lines_wait_for_a_match_and_fail_fast_when_the_stream_ends() {
        let mut child = Command::new("sh")
            .args([
                "-c",
                "echo one; echo '{\"msg\":\"listening\",\"addr\":\"127.0.0.1:4242\"}'",
            ])
            .stdout(Stdio::piped())
            .spawn()
            .unwrap_or_else(|e| panic!("{e}"));
        let log = LogLines::follow(
            child.stdout.take().unwrap_or_else(|| panic!("no stdout")),
            "",
        );
        assert_eq!(log.listening_port(Duration::from_secs(30)), 4242);
        exit_within(&mut child, "sh", Duration::from_secs(30));
        let started = Instant::now();
        let caught = std::panic::catch_unwind(|| {
            log.wait_for("a line never written", Duration::from_secs(30), |l| {
                l == "two"
            })
        });
        assert!(caught.is_err());
        assert!(started.elapsed() < Duration::from_secs(10), "failed fast");
    }
}
