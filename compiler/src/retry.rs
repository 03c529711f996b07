//! Retry strategy of a step.

/// When Argo retries a failed step.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum RetryPolicy {
    /// Retry on failures and errors.
    Always,
    /// Retry when the main container fails (the Argo default).
    OnFailure,
    /// Retry on Argo/Kubernetes errors only.
    OnError,
    /// Retry on transient errors (and errors matching `TRANSIENT_ERROR_PATTERN`).
    OnTransientError,
}

impl RetryPolicy {
    pub(crate) fn as_str(self) -> &'static str {
        match self {
            Self::Always => "Always",
            Self::OnFailure => "OnFailure",
            Self::OnError => "OnError",
            Self::OnTransientError => "OnTransientError",
        }
    }
}

/// Exponential backoff between retries.
#[derive(Clone, Debug, PartialEq)]
pub struct Backoff {
    pub(crate) duration: String,
    pub(crate) factor: u32,
    pub(crate) max_duration: Option<String>,
}

/// How often and when a step is retried.
#[derive(Clone, Debug, PartialEq)]
pub struct Retry {
    pub(crate) limit: u32,
    pub(crate) policy: Option<RetryPolicy>,
    pub(crate) backoff: Option<Backoff>,
}

impl Retry {
    /// Retry at most `limit` times.
    pub fn limit(limit: u32) -> Self {
        Self {
            limit,
            policy: None,
            backoff: None,
        }
    }

    /// When to retry.
    pub fn policy(mut self, policy: RetryPolicy) -> Self {
        self.policy = Some(policy);
        self
    }

    /// Wait `duration` (e.g. `"10s"`) before the first retry, multiplying the
    /// wait by `factor` each time, never waiting longer than `max_duration`.
    pub fn backoff(mut self, duration: &str, factor: u32, max_duration: Option<&str>) -> Self {
        self.backoff = Some(Backoff {
            duration: duration.to_owned(),
            factor,
            max_duration: max_duration.map(str::to_owned),
        });
        self
    }
}
