//! A task's pod settings as kfp-kubernetes' `KubernetesExecutorConfig`:
//! volume mounts, secrets as env, node selector, tolerations, pull policy,
//! pod metadata and deadline.

use std::collections::BTreeMap;

use super::platform::{
    ConfigMapAsVolume, EmptyDirMount, KubernetesExecutorConfig, NameParameter, NodeSelector,
    PodMetadata, PvcMount, SecretAsEnv, SecretAsVolume, SecretKeyToEnv, Toleration,
};
use crate::diagnostic::KfpFeature;
use crate::ir::EnvSource;
use crate::ir::VolumeSource;
use crate::ir::{PipelineData, TaskNode};

/// The executor's Kubernetes config and what KFP loses of it.
pub(crate) fn executor_config(
    d: &PipelineData,
    t: &TaskNode,
) -> (KubernetesExecutorConfig, Vec<KfpFeature>) {
    let s = &t.settings;
    let mut losses = Vec::new();
    let mut config = KubernetesExecutorConfig {
        active_deadline_seconds: s.timeout_seconds.map(|n| n.to_string()),
        image_pull_policy: s.image_pull_policy.clone(),
        node_selector: (!s.node_selector.is_empty()).then(|| NodeSelector {
            labels: s.node_selector.clone(),
        }),
        pod_metadata: (!s.annotations.is_empty() || !s.labels.is_empty()).then(|| PodMetadata {
            annotations: s.annotations.clone(),
            labels: s.labels.clone(),
        }),
        tolerations: s
            .tolerations
            .iter()
            .map(|t| Toleration {
                effect: t.effect.map(|e| e.as_str().to_owned()),
                key: t.key.clone(),
                operator: if t.value.is_some() { "Equal" } else { "Exists" }.to_owned(),
                toleration_seconds: t.seconds.map(|n| n.to_string()),
                value: t.value.clone(),
            })
            .collect(),
        ..KubernetesExecutorConfig::default()
    };

    // Secrets as environment variables, one entry per secret.
    let mut by_secret: BTreeMap<&str, Vec<SecretKeyToEnv>> = BTreeMap::new();
    let mut secret_order: Vec<&str> = Vec::new();
    for (name, source) in &s.env {
        if let EnvSource::Secret { secret, key } = source {
            if !by_secret.contains_key(secret.as_str()) {
                secret_order.push(secret);
            }
            by_secret.entry(secret).or_default().push(SecretKeyToEnv {
                env_var: name.clone(),
                secret_key: key.clone(),
            });
        }
    }
    for secret in secret_order {
        config.secret_as_env.push(SecretAsEnv {
            key_to_env: by_secret.remove(secret).unwrap_or_default(),
            optional: false,
            secret_name: secret.to_owned(),
            secret_name_parameter: NameParameter::constant(secret),
        });
    }

    for (mount, _) in &s.mounts {
        // The step's own volumes shadow the pipeline's.
        let volume = s
            .volumes
            .iter()
            .chain(&d.volumes)
            .map(|(v, _)| v)
            .find(|v| v.name == mount.volume);
        let Some(volume) = volume else { continue };
        let path = mount.path.clone();
        match &volume.source {
            VolumeSource::Secret {
                secret_name,
                default_mode,
                optional,
            } => {
                if let Some(mode) = default_mode {
                    losses.push(KfpFeature::SecretDefaultMode {
                        volume: volume.name.clone(),
                        mode: *mode,
                    });
                }
                config.secret_as_volume.push(SecretAsVolume {
                    mount_path: path,
                    optional: *optional,
                    secret_name: secret_name.clone(),
                    secret_name_parameter: NameParameter::constant(secret_name),
                });
            }
            VolumeSource::ConfigMap { name } => {
                config.config_map_as_volume.push(ConfigMapAsVolume {
                    config_map_name: name.clone(),
                    config_map_name_parameter: NameParameter::constant(name),
                    mount_path: path,
                    optional: false,
                })
            }
            VolumeSource::EmptyDir { medium, size_limit } => {
                if mount.read_only {
                    losses.push(KfpFeature::ReadOnlyMount {
                        volume: volume.name.clone(),
                    });
                }
                config.empty_dir_mounts.push(EmptyDirMount {
                    medium: medium.clone(),
                    mount_path: path,
                    size_limit: size_limit.clone(),
                    volume_name: volume.name.clone(),
                });
            }
            VolumeSource::PersistentVolumeClaim {
                claim_name,
                read_only,
            } => {
                if mount.read_only || *read_only {
                    losses.push(KfpFeature::ReadOnlyMount {
                        volume: volume.name.clone(),
                    });
                }
                config.pvc_mount.push(PvcMount {
                    constant: claim_name.clone(),
                    mount_path: path,
                    pvc_name_parameter: NameParameter::constant(claim_name),
                });
            }
        }
    }
    (config, losses)
}
