//! Workflow-level lifecycle settings: pod garbage collection, TTL, schedules.

/// When Argo deletes a workflow's pods.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum PodGc {
    /// Delete each pod when it completes.
    OnPodCompletion,
    /// Delete each pod when it succeeds (failed ones stay for debugging).
    OnPodSuccess,
    /// Delete all pods when the workflow completes.
    OnWorkflowCompletion,
    /// Delete all pods when the workflow succeeds.
    OnWorkflowSuccess,
}

impl PodGc {
    /// Argo's spelling.
    pub fn as_str(self) -> &'static str {
        match self {
            Self::OnPodCompletion => "OnPodCompletion",
            Self::OnPodSuccess => "OnPodSuccess",
            Self::OnWorkflowCompletion => "OnWorkflowCompletion",
            Self::OnWorkflowSuccess => "OnWorkflowSuccess",
        }
    }
}

/// How long a finished workflow object is kept.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct Ttl {
    /// Seconds after it completes, whatever its result.
    pub after_completion: Option<i32>,
    /// Seconds after it succeeds.
    pub after_success: Option<i32>,
    /// Seconds after it fails.
    pub after_failure: Option<i32>,
}

impl Ttl {
    /// Delete the workflow `seconds` after it completes, whatever its result.
    pub fn after_completion(seconds: i32) -> Self {
        Self {
            after_completion: Some(seconds),
            ..Self::default()
        }
    }

    /// Delete a succeeded workflow after `seconds`.
    pub fn after_success(mut self, seconds: i32) -> Self {
        self.after_success = Some(seconds);
        self
    }

    /// Delete a failed workflow after `seconds`.
    pub fn after_failure(mut self, seconds: i32) -> Self {
        self.after_failure = Some(seconds);
        self
    }
}

/// What a CronWorkflow does when the previous run is still going.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum ConcurrencyPolicy {
    /// Run concurrently.
    Allow,
    /// Skip the new run.
    Forbid,
    /// Stop the old run and start the new one.
    Replace,
}

impl ConcurrencyPolicy {
    /// Argo's spelling.
    pub fn as_str(self) -> &'static str {
        match self {
            Self::Allow => "Allow",
            Self::Forbid => "Forbid",
            Self::Replace => "Replace",
        }
    }
}

/// When a CronWorkflow runs the pipeline.
#[derive(Clone, Debug, PartialEq)]
pub struct Schedule {
    /// The cron expression.
    pub cron: String,
    /// What happens when a run is due while the last still runs.
    pub concurrency: Option<ConcurrencyPolicy>,
    /// The time zone of the cron expression.
    pub timezone: Option<String>,
    /// How late a missed run may still start.
    pub starting_deadline_seconds: Option<i64>,
}

impl Schedule {
    /// A cron schedule, e.g. `"0 3 * * *"` (daily at 03:00).
    pub fn cron(expr: impl Into<String>) -> Self {
        Self {
            cron: expr.into(),
            concurrency: None,
            timezone: None,
            starting_deadline_seconds: None,
        }
    }

    /// What to do when a run is still going at the next tick.
    pub fn concurrency(mut self, policy: ConcurrencyPolicy) -> Self {
        self.concurrency = Some(policy);
        self
    }

    /// IANA time zone of the schedule (default: the controller's).
    pub fn timezone(mut self, tz: impl Into<String>) -> Self {
        self.timezone = Some(tz.into());
        self
    }

    /// Give up on a missed run after this many seconds.
    pub fn starting_deadline_seconds(mut self, seconds: i64) -> Self {
        self.starting_deadline_seconds = Some(seconds);
        self
    }
}

/// Caches a step's outputs by key (Argo memoization).
#[derive(Clone, Debug, PartialEq)]
pub struct Memoize {
    /// The cache key.
    pub key: crate::ir::Value,
    /// The config map Argo keeps the cache in.
    pub config_map: String,
    /// How long an entry is valid (a Go duration, e.g. `24h`).
    pub max_age: String,
}

impl Memoize {
    /// Cache outputs under `key` in config map `config_map`, for `max_age`
    /// (e.g. `"24h"`).
    pub fn new(
        key: impl Into<crate::ir::Value>,
        config_map: impl Into<String>,
        max_age: impl Into<String>,
    ) -> Self {
        Self {
            key: key.into(),
            config_map: config_map.into(),
            max_age: max_age.into(),
        }
    }
}

/// An environment variable of a step's container.
#[derive(Clone, Debug, PartialEq)]
pub enum EnvSource {
    /// A value (literal or run-time), as the container sees it.
    Value(crate::ir::Pieces),
    /// Key `key` of the Kubernetes secret `secret`.
    Secret {
        /// The secret's name.
        secret: String,
        /// The key in it.
        key: String,
    },
}
