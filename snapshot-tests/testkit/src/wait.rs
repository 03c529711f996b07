//! Waiting for a condition, with a deadline.

use std::time::{Duration, Instant};

/// How long a test waits for something that should happen "soon" (a server
/// to answer, a process to log a line). Generous, so that a loaded machine
/// does not fail a correct test; nextest's per-test timeout is the backstop.
pub const WAIT: Duration = Duration::from_secs(60);

/// Polls `poll` until it returns `Some`, and returns that value. Panics with
/// `what` (and how long it waited) if `timeout` passes first.
///
/// Polling starts fast (1 ms) and backs off to 50 ms, so a condition that
/// becomes true quickly costs almost nothing.
pub fn wait_until<T>(what: &str, timeout: Duration, mut poll: impl FnMut() -> Option<T>) -> T {
    let started = Instant::now();
    let mut pause = Duration::from_millis(1);
    loop {
        if let Some(v) = poll() {
            return v;
        }
        let waited = started.elapsed();
        assert!(
            waited < timeout,
            "timed out after {:.1}s waiting for {what}",
            waited.as_secs_f64()
        );
        std::thread::sleep(pause.min(timeout.saturating_sub(waited)));
        pause = (pause * 2).min(Duration::from_millis(50));
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn returns_the_value_once_the_condition_holds() {
        let mut n = 0;
        let got = wait_until("the third poll", WAIT, || {
            n += 1;
            (n == 3).then_some(n)
        });
        assert_eq!(got, 3);
    }

    #[test]
    fn names_what_it_waited_for_when_time_runs_out() {
        let caught = std::panic::catch_unwind(|| {
            wait_until(
                "a thing that never happens",
                Duration::from_millis(20),
                || None::<()>,
            )
        });
        let message = caught
            .err()
            .and_then(|p| p.downcast_ref::<String>().cloned())
            .unwrap_or_default();
        assert!(
            message.contains("waiting for a thing that never happens"),
            "{message}"
        );
    }
}
