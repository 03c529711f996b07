//! CPU, memory and accelerator requests of a step.

use std::collections::BTreeMap;

/// Kubernetes resource requests and limits of a step's container.
///
/// Quantities are kept as the strings Kubernetes accepts (`"500m"`, `"4Gi"`).
#[derive(Clone, Debug, Default, PartialEq)]
pub struct Resources {
    /// Requests by resource name (`cpu`, `memory`, `nvidia.com/gpu`).
    pub requests: BTreeMap<String, String>,
    /// Limits by resource name.
    pub limits: BTreeMap<String, String>,
}

/// The extended resource name of NVIDIA GPUs.
pub const NVIDIA_GPU: &str = "nvidia.com/gpu";

impl Resources {
    /// Requests `quantity` of `resource` (`cpu`, `memory`, …).
    pub fn request(mut self, resource: &str, quantity: impl Into<String>) -> Self {
        self.requests.insert(resource.to_owned(), quantity.into());
        self
    }

    /// Limits `resource` to `quantity`.
    pub fn limit(mut self, resource: &str, quantity: impl Into<String>) -> Self {
        self.limits.insert(resource.to_owned(), quantity.into());
        self
    }

    /// Asks for `count` NVIDIA GPUs (a limit, as Kubernetes requires for
    /// extended resources).
    pub fn gpus(self, count: u32) -> Self {
        self.limit(NVIDIA_GPU, count.to_string())
    }

    /// Neither requests nor limits.
    pub fn is_empty(&self) -> bool {
        self.requests.is_empty() && self.limits.is_empty()
    }

    pub(crate) fn merge(&mut self, other: Resources) {
        self.requests.extend(other.requests);
        self.limits.extend(other.limits);
    }
}
