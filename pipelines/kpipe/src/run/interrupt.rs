//! Stopping a local run halfway: Ctrl-C (SIGINT) or SIGTERM.
//!
//! A stop is a request, not an exit: the steps that are running get SIGTERM
//! (their whole process group, as a container's processes end with it) and
//! SIGKILL after [`GRACE`] or at a second stop, no step starts after it, and
//! the run returns what it has. So an interrupted run still prints its
//! summary and writes its report, and no step outlives it.

use std::fmt;
use std::sync::Arc;
use std::sync::atomic::{AtomicU8, AtomicU32, Ordering};
use std::time::{Duration, Instant};

/// Which signal asked kpipe to stop (a local run, or a submission).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Interrupt {
    /// SIGINT (Ctrl-C).
    Int,
    /// SIGTERM (what Prow and Kubernetes send when a job is aborted).
    Term,
}

impl Interrupt {
    /// kpipe's exit code after it: 128 + the signal, as a shell reports a
    /// process the signal ended.
    pub fn exit_code(self) -> u8 {
        match self {
            Interrupt::Int => 130,
            Interrupt::Term => 143,
        }
    }
}

impl fmt::Display for Interrupt {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(match self {
            Interrupt::Int => "SIGINT",
            Interrupt::Term => "SIGTERM",
        })
    }
}

/// How long a step has to exit after SIGTERM before it gets SIGKILL
/// (Kubernetes gives a pod 30 s; a local run at the keyboard, less).
pub const GRACE: Duration = Duration::from_secs(10);

/// A stop request shared by a run and whoever may stop it.
#[derive(Clone, Debug, Default)]
pub struct Stop(Arc<State>);

#[derive(Debug, Default)]
struct State {
    /// The first signal (0: none, 1: SIGINT, 2: SIGTERM).
    signal: AtomicU8,
    /// Stops requested so far.
    count: AtomicU32,
}

impl Stop {
    /// Not stopped.
    pub fn new() -> Self {
        Self::default()
    }

    /// Stops the run as `signal` would; a second call kills the running
    /// steps at once.
    pub fn raise(&self, signal: Interrupt) {
        let code = match signal {
            Interrupt::Int => 1,
            Interrupt::Term => 2,
        };
        let _ = self
            .0
            .signal
            .compare_exchange(0, code, Ordering::SeqCst, Ordering::SeqCst);
        self.0.count.fetch_add(1, Ordering::SeqCst);
    }

    /// The signal that stopped the run, if one did.
    pub fn signal(&self) -> Option<Interrupt> {
        match self.0.signal.load(Ordering::SeqCst) {
            0 => None,
            1 => Some(Interrupt::Int),
            _ => Some(Interrupt::Term),
        }
    }

    /// Whether the run was stopped.
    pub fn is_raised(&self) -> bool {
        self.signal().is_some()
    }

    /// Whether running steps are to be killed now (a second stop).
    pub(crate) fn is_urgent(&self) -> bool {
        self.0.count.load(Ordering::SeqCst) >= 2
    }

    /// "the run was interrupted (SIGINT)".
    pub fn reason(&self) -> String {
        match self.signal() {
            Some(s) => format!("the run was interrupted ({s})"),
            None => "the run was interrupted".to_owned(),
        }
    }

    /// Sleeps `d`, or less when the run is stopped meanwhile; whether it
    /// slept the whole time.
    pub(crate) fn sleep(&self, d: Duration) -> bool {
        let until = Instant::now() + d;
        loop {
            if self.is_raised() {
                return false;
            }
            let left = until.saturating_duration_since(Instant::now());
            if left.is_zero() {
                return true;
            }
            std::thread::sleep(left.min(Duration::from_millis(20)));
        }
    }

    /// Raises this on SIGINT and SIGTERM from now on (a thread receives
    /// them). While it is registered, those signals no longer end the
    /// process by themselves: the run ends itself.
    #[cfg(unix)]
    pub fn on_signals(&self) -> std::io::Result<()> {
        use signal_hook::consts::{SIGINT, SIGTERM};
        let mut signals = signal_hook::iterator::Signals::new([SIGINT, SIGTERM])?;
        let me = self.clone();
        std::thread::Builder::new()
            .name("kpipe-signals".to_owned())
            .spawn(move || {
                for s in signals.forever() {
                    me.raise(if s == SIGTERM {
                        Interrupt::Term
                    } else {
                        Interrupt::Int
                    });
                }
            })?;
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_first_signal_counts_and_a_second_stop_is_urgent() {
        let i = Stop::new();
        assert_eq!(i.signal(), None);
        assert!(!i.is_urgent());
        assert!(i.sleep(Duration::from_millis(1)), "not stopped: sleeps");
        let other = i.clone();
        other.raise(Interrupt::Term);
        assert_eq!(i.signal(), Some(Interrupt::Term));
        assert!(!i.is_urgent());
        assert_eq!(i.reason(), "the run was interrupted (SIGTERM)");
        i.raise(Interrupt::Int);
        assert_eq!(
            i.signal(),
            Some(Interrupt::Term),
            "the first signal is kept"
        );
        assert!(i.is_urgent());
        let started = Instant::now();
        assert!(!i.sleep(Duration::from_secs(60)), "stopped: no sleep");
        assert!(started.elapsed() < Duration::from_secs(5));
    }
}
