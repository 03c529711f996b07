//! Where `kpipe submit` finds its bearer tokens, each read into a
//! [`SecretString`] (whose `Debug` redacts and which has no `Display`), so
//! that no log line or `{:?}` can print one.
//!
//! - Kubeflow Pipelines: `--kfp-token-file`, `KPIPE_KFP_TOKEN`, or the
//!   projected service-account token KFP's SDK reads
//!   (`KF_PIPELINES_SA_TOKEN_PATH`, default [`KFP_SA_TOKEN`]).
//! - The Argo Server: `ARGO_TOKEN` (which usually carries its own `Bearer `).

use std::path::Path;

use anyhow::Context;
use secrecy::{ExposeSecret, SecretString};

/// Default token file of KFP's in-cluster service account token projection.
pub(crate) const KFP_SA_TOKEN: &str = "/var/run/secrets/kubeflow/pipelines/token";

/// The token in `path`, without surrounding whitespace.
pub(crate) fn read_file(path: &Path) -> std::io::Result<SecretString> {
    let text = SecretString::from(std::fs::read_to_string(path)?);
    Ok(trimmed(&text))
}

/// The KFP token: the file given, `KPIPE_KFP_TOKEN`, or the projected
/// service-account token (none when that file does not exist).
pub(crate) fn kfp(file: Option<&Path>) -> anyhow::Result<Option<SecretString>> {
    if let Some(f) = file {
        let token = read_file(f)
            .with_context(|| format!("cannot read the KFP token file {}", f.display()))?;
        return Ok(Some(token));
    }
    if let Some(t) = env("KPIPE_KFP_TOKEN") {
        return Ok(Some(t));
    }
    let path = std::env::var_os("KF_PIPELINES_SA_TOKEN_PATH")
        .map_or_else(|| Path::new(KFP_SA_TOKEN).to_path_buf(), Into::into);
    Ok(read_file(&path).ok())
}

/// The Argo Server token from `ARGO_TOKEN`, without its `Bearer ` prefix.
pub(crate) fn argo() -> Option<SecretString> {
    let token = env("ARGO_TOKEN")?;
    let bare =
        (token.expose_secret().strip_prefix("Bearer ")).map(|t| SecretString::from(t.trim()));
    Some(bare.unwrap_or(token))
}

/// The non-empty token `token` holds, if any.
pub(crate) fn non_empty(token: Option<&SecretString>) -> Option<&str> {
    token.map(|t| t.expose_secret()).filter(|t| !t.is_empty())
}

fn env(name: &str) -> Option<SecretString> {
    let value = std::env::var(name).ok()?;
    Some(trimmed(&SecretString::from(value)))
}

fn trimmed(token: &SecretString) -> SecretString {
    SecretString::from(token.expose_secret().trim())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn token_files_are_trimmed_and_missing_ones_named() {
        let dir = tempfile::tempdir().unwrap_or_else(|e| panic!("{e}"));
        let file = dir.path().join("token");
        std::fs::write(&file, "  abc.def\n").unwrap_or_else(|e| panic!("{e}"));
        let token = kfp(Some(&file)).unwrap_or_else(|e| panic!("{e:#}"));
        assert_eq!(token.as_ref().map(|t| t.expose_secret()), Some("abc.def"));
        let err = kfp(Some(&dir.path().join("nope")))
            .err()
            .map(|e| format!("{e:#}"))
            .unwrap_or_default();
        assert!(err.contains("cannot read the KFP token file"), "{err}");
        assert_eq!(non_empty(Some(&SecretString::from(""))), None);
    }
}
