//! Where the pipeline mounts its secrets in step containers.

use std::path::PathBuf;

/// Mount points of the secrets a step may read. The pipeline declares the
/// secret volumes; steps only ever see file paths (never values in args).
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct SecretPaths {
    /// Directory of the GitHub token secret (key `token`).
    pub github: PathBuf,
    /// Directory of the registry credentials secret (key `.dockerconfigjson`).
    pub registry: PathBuf,
    /// Directory of the git SSH key secret (key `ssh-privatekey`).
    pub ssh: PathBuf,
}

impl Default for SecretPaths {
    fn default() -> Self {
        Self {
            github: PathBuf::from("/kpipe/secrets/github"),
            registry: PathBuf::from("/kpipe/secrets/registry"),
            ssh: PathBuf::from("/kpipe/secrets/ssh"),
        }
    }
}

impl SecretPaths {
    /// The GitHub token file.
    pub fn github_token(&self) -> PathBuf {
        self.github.join("token")
    }

    /// The registry credentials file (Docker `config.json` format).
    pub fn registry_auth(&self) -> PathBuf {
        self.registry.join(".dockerconfigjson")
    }

    /// The SSH private key.
    pub fn ssh_key(&self) -> PathBuf {
        self.ssh.join("ssh-privatekey")
    }
}
