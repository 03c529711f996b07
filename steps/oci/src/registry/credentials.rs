//! Registry credentials from a docker `config.json` (the mounted
//! `.dockerconfigjson` secret, or what `docker login` and `podman login`
//! write).

use std::path::{Path, PathBuf};

use anyhow::{Context, bail};
use base64::Engine;
use base64::engine::general_purpose::STANDARD;

use secrecy::{ExposeSecret, SecretString};

use crate::reference::{DOCKER_HUB, DOCKER_HUB_API, DOCKER_HUB_AUTH_KEY, Reference};

/// A user and password (or token) for one registry.
#[derive(Clone, Debug)]
pub struct Credentials {
    user: String,
    password: SecretString,
}

impl Credentials {
    /// Credentials from their parts.
    pub fn new(user: &str, password: SecretString) -> Self {
        Self {
            user: user.to_owned(),
            password,
        }
    }

    /// `Basic base64(USER:PASSWORD)`, for an `authorization` header.
    pub fn basic(&self) -> SecretString {
        let pair = SecretString::from(format!("{}:{}", self.user, self.password.expose_secret()));
        SecretString::from(format!("Basic {}", STANDARD.encode(pair.expose_secret())))
    }

    /// The credentials for `reference`'s registry in the docker
    /// `config.json` at `path`, if it has an entry for it. Docker Hub's
    /// entry is keyed `https://index.docker.io/v1/`, as `docker login`
    /// writes it (`index.docker.io`, `docker.io` and `registry-1.docker.io`
    /// match it too); other registries by host, with or without a scheme.
    pub fn from_docker_config(path: &Path, reference: &Reference) -> anyhow::Result<Option<Self>> {
        let text =
            SecretString::from(std::fs::read_to_string(path).with_context(|| {
                format!("cannot read the registry credentials {}", path.display())
            })?);
        let config: serde_json::Value = serde_json::from_str(text.expose_secret())
            .map_err(|e| anyhow::anyhow!("line {}, column {}", e.line(), e.column()))
            .with_context(|| format!("{} is not a docker config.json", path.display()))?;
        let auths = config.get("auths").and_then(|a| a.as_object());
        let Some((key, entry)) = auths.and_then(|auths| {
            auths
                .get(DOCKER_HUB_AUTH_KEY)
                .filter(|_| reference.domain == DOCKER_HUB)
                .map(|e| (DOCKER_HUB_AUTH_KEY, e))
                .or_else(|| {
                    auths
                        .iter()
                        .find(|(k, _)| matches(k, reference))
                        .map(|(k, e)| (k.as_str(), e))
                })
        }) else {
            return Ok(None);
        };
        let field = |name: &str| entry.get(name).and_then(|x| x.as_str());
        if let (Some(user), Some(password)) = (field("username"), field("password")) {
            return Ok(Some(Self::new(user, SecretString::from(password))));
        }
        let decoded = field("auth")
            .and_then(|a| STANDARD.decode(a.trim()).ok())
            .and_then(|b| String::from_utf8(b).ok())
            .map(SecretString::from);
        match decoded
            .as_ref()
            .and_then(|d| d.expose_secret().split_once(':'))
        {
            Some((user, password)) => Ok(Some(Self::new(user, SecretString::from(password)))),
            None => bail!(
                "the `auth` entry `{key}` in {} is not base64 of USER:PASSWORD; log in again (`docker login {}`)",
                path.display(),
                reference.domain
            ),
        }
    }
}

/// Where podman, skopeo and docker keep logins, in the order podman reads
/// them: `$REGISTRY_AUTH_FILE`, `$XDG_RUNTIME_DIR/containers/auth.json`,
/// `$DOCKER_CONFIG/config.json` (default `~/.docker/config.json`).
pub fn default_files() -> Vec<PathBuf> {
    let var = |name: &str| {
        std::env::var_os(name)
            .filter(|v| !v.is_empty())
            .map(PathBuf::from)
    };
    let mut files = Vec::new();
    files.extend(var("REGISTRY_AUTH_FILE"));
    files.extend(var("XDG_RUNTIME_DIR").map(|d| d.join("containers/auth.json")));
    match var("DOCKER_CONFIG") {
        Some(d) => files.push(d.join("config.json")),
        None => files.extend(var("HOME").map(|h| h.join(".docker/config.json"))),
    }
    files
}

/// The credentials for `reference` in the first of `files` that has an
/// entry for its registry, and that file; files that do not exist are
/// skipped.
pub fn find(
    files: &[PathBuf],
    reference: &Reference,
) -> anyhow::Result<Option<(Credentials, PathBuf)>> {
    for f in files {
        if !f.is_file() {
            continue;
        }
        if let Some(c) = Credentials::from_docker_config(f, reference)? {
            return Ok(Some((c, f.clone())));
        }
    }
    Ok(None)
}

/// Whether the `auths` key `key` names `reference`'s registry.
fn matches(key: &str, reference: &Reference) -> bool {
    let host = key
        .trim_start_matches("https://")
        .trim_start_matches("http://");
    let host = host.split('/').next().unwrap_or(host);
    if reference.domain == DOCKER_HUB {
        ["index.docker.io", DOCKER_HUB, DOCKER_HUB_API].contains(&host)
    } else {
        host == reference.domain
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn lookup(config: &str, image: &str) -> anyhow::Result<Option<String>> {
        let dir = tempfile::tempdir()?;
        let path = dir.path().join("config.json");
        std::fs::write(&path, config)?;
        let reference = Reference::parse(image)?;
        Ok(Credentials::from_docker_config(&path, &reference)?
            .map(|c| format!("{}:{}", c.user, c.password.expose_secret())))
    }

    fn found(config: &str, image: &str) -> Option<String> {
        lookup(config, image).unwrap_or_else(|e| panic!("{image}: {e:#}"))
    }

    #[test]
    fn docker_hub_credentials_are_keyed_like_docker_login_writes_them() {
        // `docker login` with user `hub` and password `pw`.
        let config = r#"{"auths":{"https://index.docker.io/v1/":{"auth":"aHViOnB3"},"ghcr.io":{"auth":"Z2g6dG9r"}}}"#;
        for image in ["alpine", "docker.io/kpipe/x", "index.docker.io/kpipe/x"] {
            assert_eq!(found(config, image).as_deref(), Some("hub:pw"), "{image}");
        }
        assert_eq!(found(config, "ghcr.io/kpipe/x").as_deref(), Some("gh:tok"));
        assert_eq!(found(config, "quay.io/kpipe/x"), None);
        // Hosts written without the v1 path match too.
        let bare = r#"{"auths":{"registry-1.docker.io":{"username":"u","password":"p:w"}}}"#;
        assert_eq!(found(bare, "alpine").as_deref(), Some("u:p:w"));
        let with_scheme = r#"{"auths":{"https://localhost:5000":{"auth":"dXNlcjpwYXNz"}}}"#;
        assert_eq!(
            found(with_scheme, "localhost:5000/x").as_deref(),
            Some("user:pass")
        );
    }

    #[test]
    fn the_first_file_with_an_entry_wins() -> anyhow::Result<()> {
        let dir = tempfile::tempdir()?;
        let (a, b) = (dir.path().join("a.json"), dir.path().join("b.json"));
        std::fs::write(&a, r#"{"auths":{"quay.io":{"auth":"cTpx"}}}"#)?;
        std::fs::write(&b, r#"{"auths":{"ghcr.io":{"auth":"Z2g6dG9r"}}}"#)?;
        let files = [dir.path().join("missing.json"), a.clone(), b.clone()];
        let found = find(&files, &Reference::parse("ghcr.io/x")?)?;
        assert_eq!(found.map(|(c, f)| (c.user, f)), Some(("gh".to_owned(), b)));
        assert!(find(&files, &Reference::parse("r.io/x")?)?.is_none());
        Ok(())
    }

    #[test]
    fn damaged_entries_fail_without_showing_the_secret() {
        for config in [
            r#"{"auths":{"ghcr.io":{"auth":"bm9jb2xvbg=="}}}"#, // "nocolon"
            r#"{"auths":{"ghcr.io":{"auth":"%%%"}}}"#,
            r#"{"auths":{"ghcr.io":{"username":"u"}}}"#,
        ] {
            let e = lookup(config, "ghcr.io/x").map_err(|e| format!("{e:#}"));
            assert!(
                e.as_ref().is_err_and(
                    |e| e.contains("is not base64 of USER:PASSWORD") && !e.contains("nocolon")
                ),
                "{config}: {e:?}"
            );
        }
        let e = lookup(r#"{"auths": {"ghcr.io": {"auth": "c2VjcmV0""#, "ghcr.io/x")
            .map_err(|e| format!("{e:#}"));
        assert!(
            e.as_ref().is_err_and(
                |e| e.contains("is not a docker config.json") && !e.contains("c2VjcmV0")
            ),
            "{e:?}"
        );
    }
}
