//! Retry strategy of a step, and what it means: which failures are retried,
//! how long to wait, when to stop. Argo renders it as a `retryStrategy`,
//! Kubeflow Pipelines as a `retryPolicy`, and the local runner follows
//! [`Retry::next_delay`].

use std::time::Duration;

/// Which failures are retried (Argo's `retryPolicy`).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum RetryPolicy {
    /// Every failure and error.
    Always,
    /// Failures: the step ran and failed (exit code, deadline). The default.
    OnFailure,
    /// Errors: the step could not run (its pod or process did not start).
    OnError,
    /// Errors Argo considers transient; locally, like `OnError`.
    OnTransientError,
}

impl RetryPolicy {
    /// Argo's spelling.
    pub fn as_str(self) -> &'static str {
        match self {
            Self::Always => "Always",
            Self::OnFailure => "OnFailure",
            Self::OnError => "OnError",
            Self::OnTransientError => "OnTransientError",
        }
    }
}

/// How an attempt went wrong, in Argo's terms.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Attempt {
    /// The step ran and failed: a non-zero exit, or its deadline passed.
    Failed,
    /// The step could not run at all.
    Errored,
}

/// Waits between attempts: `duration`, then `factor` times longer each time.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Backoff {
    /// The first wait.
    pub duration: Duration,
    /// How much longer each next wait is.
    pub factor: u32,
    /// No retry starts once this much time has passed since the first
    /// attempt started.
    pub max_duration: Option<Duration>,
}

/// A step's retry strategy.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Retry {
    /// Retries after the first attempt.
    pub limit: u32,
    /// Which failures are retried (`None`: Argo's default, `OnFailure`).
    pub policy: Option<RetryPolicy>,
    /// Waits between attempts (`None`: retry at once).
    pub backoff: Option<Backoff>,
}

impl Retry {
    /// Up to `limit` retries after the first attempt.
    pub fn limit(limit: u32) -> Self {
        Self {
            limit,
            policy: None,
            backoff: None,
        }
    }

    /// Which failures are retried.
    pub fn policy(mut self, policy: RetryPolicy) -> Self {
        self.policy = Some(policy);
        self
    }

    /// Waits `duration` before the first retry, `factor` times longer before
    /// each next one, and starts no retry once `max_duration` has passed
    /// since the first attempt.
    pub fn backoff(
        mut self,
        duration: Duration,
        factor: u32,
        max_duration: Option<Duration>,
    ) -> Self {
        self.backoff = Some(Backoff {
            duration,
            factor,
            max_duration,
        });
        self
    }

    /// Whether an attempt that went wrong as `attempt` is retried.
    pub fn retries(&self, attempt: Attempt) -> bool {
        match self.policy.unwrap_or(RetryPolicy::OnFailure) {
            RetryPolicy::Always => true,
            RetryPolicy::OnFailure => attempt == Attempt::Failed,
            RetryPolicy::OnError | RetryPolicy::OnTransientError => attempt == Attempt::Errored,
        }
    }

    /// The wait before retrying after attempt number `n` (0-based) went
    /// wrong as `attempt`, `elapsed` after the first attempt started.
    /// `Err(None)`: not retried (the policy does not cover it); `Err(Some(why))`:
    /// it would be, but the limit or `max_duration` stops it.
    pub fn next_delay(
        &self,
        n: u32,
        attempt: Attempt,
        elapsed: Duration,
    ) -> Result<Duration, Option<String>> {
        if self.limit == 0 || !self.retries(attempt) {
            return Err(None);
        }
        if n >= self.limit {
            return Err(Some(format!("after {} attempts", n + 1)));
        }
        let Some(b) = &self.backoff else {
            return Ok(Duration::ZERO);
        };
        let delay = b.duration.saturating_mul(b.factor.max(1).saturating_pow(n));
        if let Some(max) = b.max_duration
            && elapsed + delay > max
        {
            return Err(Some(format!(
                "no retry: the backoff's maxDuration {} would pass",
                go_duration(max)
            )));
        }
        Ok(delay)
    }
}

/// `d` as a Go duration in its largest whole unit: `1m`, `30m`, `90s`,
/// `100ms` (what Argo's `retryStrategy.backoff` takes).
pub fn go_duration(d: Duration) -> String {
    let ms = d.as_millis();
    if ms == 0 {
        return "0s".to_owned();
    }
    if !d.subsec_nanos().is_multiple_of(1_000_000) {
        return format!("{}us", d.as_micros());
    }
    for (unit, size) in [("h", 3_600_000), ("m", 60_000), ("s", 1000)] {
        if ms.is_multiple_of(size) {
            return format!("{}{unit}", ms / size);
        }
    }
    format!("{ms}ms")
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn durations_render_in_their_largest_whole_unit() {
        for (d, go) in [
            (Duration::from_secs(60), "1m"),
            (Duration::from_secs(1800), "30m"),
            (Duration::from_secs(7200), "2h"),
            (Duration::from_secs(90), "90s"),
            (Duration::from_millis(100), "100ms"),
            (Duration::from_micros(1500), "1500us"),
            (Duration::ZERO, "0s"),
        ] {
            assert_eq!(go_duration(d), go, "{d:?}");
        }
    }

    #[test]
    fn backoff_grows_by_its_factor_and_stops_at_the_limit_or_max_duration() {
        let r = Retry::limit(3).backoff(Duration::from_secs(1), 2, Some(Duration::from_secs(5)));
        let f = Attempt::Failed;
        assert_eq!(
            r.next_delay(0, f, Duration::ZERO),
            Ok(Duration::from_secs(1))
        );
        assert_eq!(
            r.next_delay(1, f, Duration::from_secs(1)),
            Ok(Duration::from_secs(2))
        );
        assert_eq!(
            r.next_delay(2, f, Duration::from_secs(3)),
            Err(Some(
                "no retry: the backoff's maxDuration 5s would pass".to_owned()
            ))
        );
        assert_eq!(
            r.next_delay(3, f, Duration::ZERO),
            Err(Some("after 4 attempts".to_owned()))
        );
        assert_eq!(Retry::limit(0).next_delay(0, f, Duration::ZERO), Err(None));
    }

    #[test]
    fn policies_choose_what_is_retried() {
        for (policy, failed, errored) in [
            (None, true, false),
            (Some(RetryPolicy::OnFailure), true, false),
            (Some(RetryPolicy::OnError), false, true),
            (Some(RetryPolicy::OnTransientError), false, true),
            (Some(RetryPolicy::Always), true, true),
        ] {
            let mut r = Retry::limit(1);
            r.policy = policy;
            assert_eq!(r.retries(Attempt::Failed), failed, "{policy:?}");
            assert_eq!(r.retries(Attempt::Errored), errored, "{policy:?}");
        }
    }
}
