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
    pub(crate) fn as_str(self) -> &'static str {
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
    pub(crate) key: String,
    pub(crate) value: Option<String>,
    pub(crate) effect: Option<TaintEffect>,
    pub(crate) seconds: Option<i64>,
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
