//! Volumes (secrets, scratch space) and where steps mount them.

/// A pod volume, declared on the pipeline or on one step.
#[derive(Clone, Debug, PartialEq)]
pub struct Volume {
    /// The volume's name (what mounts refer to).
    pub name: String,
    /// What it holds.
    pub source: VolumeSource,
}

#[derive(Clone, Debug, PartialEq)]
/// What a volume holds.
pub enum VolumeSource {
    /// The keys of a Kubernetes secret, as files.
    Secret {
        /// The secret's name.
        secret_name: String,
        /// The files' mode (e.g. `0o400`).
        default_mode: Option<u32>,
        /// A missing secret is an empty directory, not an error.
        optional: bool,
    },
    /// Scratch space, on disk or in memory.
    EmptyDir {
        /// `Memory` for a tmpfs.
        medium: Option<String>,
        /// Its size limit (`16Gi`).
        size_limit: Option<String>,
    },
    /// The keys of a config map, as files.
    ConfigMap {
        /// The config map's name.
        name: String,
    },
    /// A persistent volume claim.
    PersistentVolumeClaim {
        /// The claim's name.
        claim_name: String,
        /// Mounted read-only.
        read_only: bool,
    },
}

impl Volume {
    /// A volume with the keys of Kubernetes secret `secret_name` as files.
    pub fn secret(name: impl Into<String>, secret_name: impl Into<String>) -> Self {
        Self {
            name: name.into(),
            source: VolumeSource::Secret {
                secret_name: secret_name.into(),
                default_mode: None,
                optional: false,
            },
        }
    }

    /// Scratch space that lives as long as the pod.
    pub fn empty_dir(name: impl Into<String>) -> Self {
        Self {
            name: name.into(),
            source: VolumeSource::EmptyDir {
                medium: None,
                size_limit: None,
            },
        }
    }

    /// Scratch space in memory (`medium: Memory`).
    pub fn memory_dir(name: impl Into<String>, size_limit: impl Into<String>) -> Self {
        Self {
            name: name.into(),
            source: VolumeSource::EmptyDir {
                medium: Some("Memory".to_owned()),
                size_limit: Some(size_limit.into()),
            },
        }
    }

    /// The keys of config map `config_map` as files.
    pub fn config_map(name: impl Into<String>, config_map: impl Into<String>) -> Self {
        Self {
            name: name.into(),
            source: VolumeSource::ConfigMap {
                name: config_map.into(),
            },
        }
    }

    /// A persistent volume claim.
    pub fn claim(name: impl Into<String>, claim_name: impl Into<String>, read_only: bool) -> Self {
        Self {
            name: name.into(),
            source: VolumeSource::PersistentVolumeClaim {
                claim_name: claim_name.into(),
                read_only,
            },
        }
    }

    /// File mode of a secret's files, e.g. `0o600` for an SSH key.
    ///
    /// Has no effect on other volume kinds.
    pub fn default_mode(mut self, mode: u32) -> Self {
        if let VolumeSource::Secret { default_mode, .. } = &mut self.source {
            *default_mode = Some(mode);
        }
        self
    }

    /// Start the pod even when the secret does not exist.
    pub fn optional(mut self) -> Self {
        if let VolumeSource::Secret { optional, .. } = &mut self.source {
            *optional = true;
        }
        self
    }

    /// The volume's name, as mounts refer to it.
    pub fn name(&self) -> &str {
        &self.name
    }
}

/// A mount of a named volume into a step's container.
#[derive(Clone, Debug, PartialEq)]
pub struct Mount {
    /// The volume mounted.
    pub volume: String,
    /// Where, in the container.
    pub path: String,
    /// Mounted read-only.
    pub read_only: bool,
}
