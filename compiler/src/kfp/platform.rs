//! The second document of an IR file: `PlatformSpec` with the Kubernetes
//! platform's per-executor `KubernetesExecutorConfig` (kfp-kubernetes 2.17)
//! and its `PipelineConfig`. Proto JSON names, fields in alphabetical order,
//! `BTreeMap`s: byte-stable like `spec.rs`. int64 fields are strings, as proto
//! JSON (and the KFP SDK) writes them.

use std::collections::BTreeMap;

use serde::Serialize;

#[derive(Debug, Serialize)]
pub(crate) struct PlatformSpec {
    pub(crate) platforms: Platforms,
}

#[derive(Debug, Serialize)]
pub(crate) struct Platforms {
    pub(crate) kubernetes: SinglePlatformSpec,
}

#[derive(Debug, Serialize)]
#[serde(rename_all = "camelCase")]
pub(crate) struct SinglePlatformSpec {
    pub(crate) deployment_spec: PlatformDeploymentConfig,
    /// The proto field is named `pipelineConfig` already.
    #[serde(rename = "pipelineConfig", skip_serializing_if = "Option::is_none")]
    pub(crate) pipeline_config: Option<PipelineConfig>,
}

#[derive(Debug, Default, Serialize)]
pub(crate) struct PlatformDeploymentConfig {
    pub(crate) executors: BTreeMap<String, KubernetesExecutorConfig>,
}

/// Argo's TTL strategy, in KFP's words.
#[derive(Debug, Default, Serialize)]
#[serde(rename_all = "camelCase")]
pub(crate) struct PipelineConfig {
    #[serde(skip_serializing_if = "Option::is_none")]
    pub(crate) resource_ttl_on_completion: Option<i32>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub(crate) resource_ttl_on_failure: Option<i32>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub(crate) resource_ttl_on_success: Option<i32>,
}

#[derive(Debug, Default, Serialize)]
#[serde(rename_all = "camelCase")]
pub(crate) struct KubernetesExecutorConfig {
    #[serde(skip_serializing_if = "Option::is_none")]
    pub(crate) active_deadline_seconds: Option<String>,
    #[serde(skip_serializing_if = "Vec::is_empty")]
    pub(crate) config_map_as_volume: Vec<ConfigMapAsVolume>,
    #[serde(skip_serializing_if = "Vec::is_empty")]
    pub(crate) empty_dir_mounts: Vec<EmptyDirMount>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub(crate) image_pull_policy: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub(crate) node_selector: Option<NodeSelector>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub(crate) pod_metadata: Option<PodMetadata>,
    #[serde(skip_serializing_if = "Vec::is_empty")]
    pub(crate) pvc_mount: Vec<PvcMount>,
    #[serde(skip_serializing_if = "Vec::is_empty")]
    pub(crate) secret_as_env: Vec<SecretAsEnv>,
    #[serde(skip_serializing_if = "Vec::is_empty")]
    pub(crate) secret_as_volume: Vec<SecretAsVolume>,
    #[serde(skip_serializing_if = "Vec::is_empty")]
    pub(crate) tolerations: Vec<Toleration>,
}

impl KubernetesExecutorConfig {
    pub(crate) fn is_empty(&self) -> bool {
        self.active_deadline_seconds.is_none()
            && self.config_map_as_volume.is_empty()
            && self.empty_dir_mounts.is_empty()
            && self.image_pull_policy.is_none()
            && self.node_selector.is_none()
            && self.pod_metadata.is_none()
            && self.pvc_mount.is_empty()
            && self.secret_as_env.is_empty()
            && self.secret_as_volume.is_empty()
            && self.tolerations.is_empty()
    }
}

/// A constant `InputParameterSpec` (`runtimeValue.constant`), how
/// kfp-kubernetes names secrets, config maps and claims.
#[derive(Debug, Serialize)]
#[serde(rename_all = "camelCase")]
pub(crate) struct NameParameter {
    pub(crate) runtime_value: Constant,
}

#[derive(Debug, Serialize)]
pub(crate) struct Constant {
    pub(crate) constant: String,
}

impl NameParameter {
    pub(crate) fn constant(name: &str) -> Self {
        Self {
            runtime_value: Constant {
                constant: name.to_owned(),
            },
        }
    }
}

/// Like kfp-kubernetes 2.17, kpipe writes the deprecated `secretName` next
/// to `secretNameParameter` (older backends read only the former).
#[derive(Debug, Serialize)]
#[serde(rename_all = "camelCase")]
pub(crate) struct SecretAsVolume {
    pub(crate) mount_path: String,
    pub(crate) optional: bool,
    pub(crate) secret_name: String,
    pub(crate) secret_name_parameter: NameParameter,
}

#[derive(Debug, Serialize)]
#[serde(rename_all = "camelCase")]
pub(crate) struct SecretAsEnv {
    pub(crate) key_to_env: Vec<SecretKeyToEnv>,
    pub(crate) optional: bool,
    pub(crate) secret_name: String,
    pub(crate) secret_name_parameter: NameParameter,
}

#[derive(Debug, Serialize)]
#[serde(rename_all = "camelCase")]
pub(crate) struct SecretKeyToEnv {
    pub(crate) env_var: String,
    pub(crate) secret_key: String,
}

#[derive(Debug, Serialize)]
#[serde(rename_all = "camelCase")]
pub(crate) struct ConfigMapAsVolume {
    pub(crate) config_map_name: String,
    pub(crate) config_map_name_parameter: NameParameter,
    pub(crate) mount_path: String,
    pub(crate) optional: bool,
}

#[derive(Debug, Serialize)]
#[serde(rename_all = "camelCase")]
pub(crate) struct EmptyDirMount {
    #[serde(skip_serializing_if = "Option::is_none")]
    pub(crate) medium: Option<String>,
    pub(crate) mount_path: String,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub(crate) size_limit: Option<String>,
    pub(crate) volume_name: String,
}

/// `constant` is the deprecated name field kfp-kubernetes still writes.
#[derive(Debug, Serialize)]
#[serde(rename_all = "camelCase")]
pub(crate) struct PvcMount {
    pub(crate) constant: String,
    pub(crate) mount_path: String,
    pub(crate) pvc_name_parameter: NameParameter,
}

#[derive(Debug, Serialize)]
pub(crate) struct NodeSelector {
    pub(crate) labels: BTreeMap<String, String>,
}

#[derive(Debug, Serialize)]
pub(crate) struct PodMetadata {
    #[serde(skip_serializing_if = "BTreeMap::is_empty")]
    pub(crate) annotations: BTreeMap<String, String>,
    #[serde(skip_serializing_if = "BTreeMap::is_empty")]
    pub(crate) labels: BTreeMap<String, String>,
}

#[derive(Debug, Serialize)]
#[serde(rename_all = "camelCase")]
pub(crate) struct Toleration {
    #[serde(skip_serializing_if = "Option::is_none")]
    pub(crate) effect: Option<String>,
    pub(crate) key: String,
    pub(crate) operator: String,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub(crate) toleration_seconds: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub(crate) value: Option<String>,
}
