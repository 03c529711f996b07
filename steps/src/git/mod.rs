//! git through its command line: clone, fetch a pull request, merge, commit,
//! push. Credentials come from mounted secrets and reach git through its
//! environment (`GIT_SSH_COMMAND`, `GIT_CONFIG_*`), never through arguments
//! or logs; the SSH key through a private copy (`ssh_key`).

mod ssh_key;

use std::path::Path;
use std::process::Command;

use anyhow::{Context, bail};
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
}

impl Auth {
    /// Auth with the SSH key file `ssh_key` (copied, see [`SshKey`]) and
    /// the HTTPS `token`.
    pub fn new(ssh_key: Option<&Path>, token: Option<SecretString>) -> anyhow::Result<Self> {
        Ok(Self {
            ssh_key: ssh_key.map(SshKey::private_copy).transpose()?,
            token,
        })
    }
}

/// The author and committer of kpipe's commits (name, email), unless
/// `KPIPE_GIT_NAME` / `KPIPE_GIT_EMAIL` say otherwise.
pub const IDENTITY: (&str, &str) = ("kpipe", "kpipe@users.noreply.github.com");

/// [`IDENTITY`] with the environment's overrides.
pub fn identity() -> (String, String) {
    let var =
        |name: &str, default: &str| std::env::var(name).unwrap_or_else(|_| default.to_owned());
    (
        var("KPIPE_GIT_NAME", IDENTITY.0),
        var("KPIPE_GIT_EMAIL", IDENTITY.1),
    )
}

/// Runs `git ARGS` in `dir` and returns its standard output.
pub fn git(dir: &Path, args: &[&str], auth: &Auth) -> anyhow::Result<String> {
    let (name, email) = identity();
    let mut cmd = Command::new("git");
    cmd.args(args)
        .current_dir(dir)
        .env("GIT_TERMINAL_PROMPT", "0")
        .env("GIT_AUTHOR_NAME", &name)
        .env("GIT_AUTHOR_EMAIL", &email)
        .env("GIT_COMMITTER_NAME", &name)
        .env("GIT_COMMITTER_EMAIL", &email);
    if let Some(key) = &auth.ssh_key {
        cmd.env(
            "GIT_SSH_COMMAND",
            format!(
                "ssh -i '{}' -o IdentitiesOnly=yes -o StrictHostKeyChecking=accept-new",
                key.path().display()
            ),
        );
    }
    if let Some(token) = &auth.token {
        cmd.env("GIT_CONFIG_COUNT", "1")
            .env("GIT_CONFIG_KEY_0", "http.extraHeader")
            .env(
                "GIT_CONFIG_VALUE_0",
                format!(
                    "Authorization: Basic {}",
                    STANDARD.encode(format!("x-access-token:{}", token.expose_secret()))
                ),
            );
    }
    let out = cmd
        .output()
        .context("cannot run git: is it installed and on PATH?")?;
    if !out.status.success() {
        let err = String::from_utf8_lossy(&out.stderr);
        let err = match &auth.token {
            Some(t) => err.replace(t.expose_secret(), "<token>"),
            None => err.into_owned(),
        };
        bail!("git {} failed: {}", args.first().unwrap_or(&""), err.trim());
    }
    Ok(String::from_utf8_lossy(&out.stdout).trim().to_owned())
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
        };
        assert!(!format!("{a:?}").contains("secret"));
    }
}
