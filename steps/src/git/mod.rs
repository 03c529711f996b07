//! git through its command line: clone, fetch a pull request, merge, commit,
//! push. Credentials come from mounted secrets and reach git through its
//! environment (`GIT_SSH_COMMAND`, `GIT_CONFIG_*`), never through arguments
//! or logs; the SSH key through a private copy (`ssh_key`).

mod ssh_key;

use std::path::Path;

use base64::Engine;
use base64::engine::general_purpose::STANDARD;

use crate::secret::{ExposeSecret, SecretString};

pub use ssh_key::SshKey;

/// How to authenticate to the remote.
#[derive(Debug, Default)]
pub struct Auth {
    /// A private copy of the SSH private key (removed with the `Auth`).
    pub ssh_key: Option<SshKey>,
    /// A token for HTTPS (sent as a basic-auth header).
    pub token: Option<SecretString>,
    /// Local repositories git may read although another user owns them
    /// (`safe.directory`): the source of a local clone, which a step in a
    /// container sees owned by the host's user.
    pub trusted: Vec<String>,
    /// The global configuration file that trusts them: git reads
    /// `safe.directory` from global configuration only, and does not pass
    /// `GIT_CONFIG_*` on to the process serving a local clone.
    trust_file: Option<tempfile::TempPath>,
}

impl Auth {
    /// Auth with the SSH key file `ssh_key` (copied, see [`SshKey`]) and
    /// the HTTPS `token`.
    pub fn new(ssh_key: Option<&Path>, token: Option<SecretString>) -> anyhow::Result<Self> {
        Ok(Self {
            ssh_key: ssh_key.map(SshKey::private_copy).transpose()?,
            token,
            trusted: Vec::new(),
            trust_file: None,
        })
    }

    /// Also trusts the local repository at `path` (and its `.git`).
    pub fn trusting(mut self, path: &Path) -> anyhow::Result<Self> {
        let p = path.display().to_string();
        self.trusted.push(format!("{p}/.git"));
        self.trusted.push(p);
        let mut text = String::from("[safe]\n");
        for t in &self.trusted {
            text.push_str(&format!("\tdirectory = {t}\n"));
        }
        let mut file = tempfile::NamedTempFile::new()
            .map_err(|e| anyhow::anyhow!("cannot create git's configuration file: {e}"))?;
        std::io::Write::write_all(&mut file, text.as_bytes())
            .map_err(|e| anyhow::anyhow!("cannot write git's configuration file: {e}"))?;
        self.trust_file = Some(file.into_temp_path());
        Ok(self)
    }
}

pub use kpipe_step_contract::git::{IDENTITY, identity};

/// Runs `git ARGS` in `dir` (as [`IDENTITY`], see
/// [`kpipe_step_contract::git`]) with `auth`, and returns its standard
/// output; a token never appears in the error.
pub fn git(dir: &Path, args: &[&str], auth: &Auth) -> anyhow::Result<String> {
    let mut cmd = kpipe_step_contract::git::command(dir, args);
    if let Some(key) = &auth.ssh_key {
        cmd.env(
            "GIT_SSH_COMMAND",
            format!(
                "ssh -i '{}' -o IdentitiesOnly=yes -o StrictHostKeyChecking=accept-new",
                key.path().display()
            ),
        );
    }
    if let Some(file) = &auth.trust_file {
        cmd.env("GIT_CONFIG_GLOBAL", file);
    }
    // Configuration through the environment (never on the command line,
    // where a token would show in `ps`).
    let mut config: Vec<(&str, String)> = Vec::new();
    if let Some(token) = &auth.token {
        config.push((
            "http.extraHeader",
            format!(
                "Authorization: Basic {}",
                STANDARD.encode(format!("x-access-token:{}", token.expose_secret()))
            ),
        ));
    }
    if !config.is_empty() {
        cmd.env("GIT_CONFIG_COUNT", config.len().to_string());
        for (i, (key, value)) in config.iter().enumerate() {
            cmd.env(format!("GIT_CONFIG_KEY_{i}"), key)
                .env(format!("GIT_CONFIG_VALUE_{i}"), value);
        }
    }
    let secret = auth.token.as_ref().map(|t| t.expose_secret());
    kpipe_step_contract::git::output(cmd, args, secret)
}

/// A clone URL for `repo`: local paths become `file://` URLs so that shallow
/// clones work (git ignores --depth for plain local paths).
pub fn clone_url(repo: &str) -> String {
    let looks_remote = repo.contains("://") || (repo.contains('@') && repo.contains(':'));
    if looks_remote {
        return repo.to_owned();
    }
    let p = Path::new(repo);
    let abs = p.canonicalize().unwrap_or_else(|_| p.to_path_buf());
    format!("file://{}", abs.display())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn urls() {
        assert_eq!(
            clone_url("git@github.com:o/r.git"),
            "git@github.com:o/r.git"
        );
        assert_eq!(
            clone_url("https://github.com/o/r"),
            "https://github.com/o/r"
        );
        assert!(clone_url("/tmp").starts_with("file:///"));
    }

    #[test]
    fn debug_hides_the_token() {
        let a = Auth {
            ssh_key: None,
            token: Some("secret".into()),
            trusted: Vec::new(),
            trust_file: None,
        };
        assert!(!format!("{a:?}").contains("secret"));
    }
}
