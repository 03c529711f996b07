//! Pod tolerations of node taints.

/// The taint effect a toleration matches.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum TaintEffect {
    /// `NoSchedule`.
    NoSchedule,
    /// `PreferNoSchedule`.
    PreferNoSchedule,
    /// `NoExecute`.
    NoExecute,
}

impl TaintEffect {
    /// Kubernetes' spelling.
    pub fn as_str(self) -> &'static str {
        match self {
            Self::NoSchedule => "NoSchedule",
            Self::PreferNoSchedule => "PreferNoSchedule",
            Self::NoExecute => "NoExecute",
        }
    }
}

/// Lets a step run on nodes with a matching taint (e.g. GPU nodes).
#[derive(Clone, Debug, PartialEq)]
pub struct Toleration {
    /// The taint's key.
    pub key: String,
    /// Its value (`None`: any).
    pub value: Option<String>,
    /// Its effect (`None`: any).
    pub effect: Option<TaintEffect>,
    /// How long a `NoExecute` taint is tolerated.
    pub seconds: Option<i64>,
}

impl Toleration {
    /// Tolerates any taint with key `key` (`operator: Exists`).
    pub fn exists(key: impl Into<String>) -> Self {
        Self {
            key: key.into(),
            value: None,
            effect: None,
            seconds: None,
        }
    }

    /// Tolerates the taint `key=value` (`operator: Equal`).
    pub fn equal(key: impl Into<String>, value: impl Into<String>) -> Self {
        Self {
            key: key.into(),
            value: Some(value.into()),
            effect: None,
            seconds: None,
        }
    }

    /// Only for taints with this effect.
    pub fn effect(mut self, effect: TaintEffect) -> Self {
        self.effect = Some(effect);
        self
    }

    /// For `NoExecute`: how long the pod stays bound after the taint appears.
    pub fn for_seconds(mut self, seconds: i64) -> Self {
        self.seconds = Some(seconds);
        self
    }
}
