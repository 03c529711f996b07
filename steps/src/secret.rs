//! Secrets: every token, password, HMAC key and registry credential in the
//! steps is held in [`secrecy`]'s types. Their `Debug` prints `[REDACTED]`
//! and they have no `Display`, so no log line, error or `{:?}` can show one;
//! code that must send a secret calls `expose_secret()` at that one place.

use std::path::Path;

use anyhow::{Context, bail};
pub use secrecy::{ExposeSecret, SecretSlice, SecretString};

/// Reads a secret file (a mounted Kubernetes secret): the contents without
/// surrounding white space, which must not be empty. `what` names the
/// secret in errors ("the GitHub token").
pub fn read_secret_file(path: &Path, what: &str) -> anyhow::Result<SecretString> {
    let text = SecretString::from(
        std::fs::read_to_string(path)
            .with_context(|| format!("cannot read {what} file {}", path.display()))?,
    );
    let secret = SecretString::from(text.expose_secret().trim());
    if secret.expose_secret().is_empty() {
        bail!("{what} file {} is empty", path.display());
    }
    Ok(secret)
}

/// `path` when it names a file; `None`, said once on stderr, when it names
/// nothing: a secret volume that is optional and absent on the cluster (or
/// a secret a local run was not given) is an empty directory, so a step
/// goes on without it and fails later only if it needs it.
pub fn mounted<'a>(path: Option<&'a Path>, what: &str) -> Option<&'a Path> {
    let path = path?;
    if path.exists() {
        return Some(path);
    }
    eprintln!(
        "note: no {what} at {} (its secret is not mounted); going on without it",
        path.display()
    );
    None
}

#[cfg(test)]
mod tests {
    use std::collections::BTreeMap;

    use super::*;
    use crate::bot::signature::Secrets;
    use crate::bot::{Bot, Predictor};
    use crate::git::Auth;
    use crate::github::{Backoff, GithubClient, Token};
    use kpipe_oci::Reference;
    use kpipe_oci::registry::{Client, Credentials};

    const SECRET: &str = "s3cr3t-value-that-must-not-show";

    fn assert_redacted(what: &str, debug: String) {
        assert!(!debug.contains(SECRET), "{what} shows its secret: {debug}");
        assert!(
            !debug.contains(&SECRET[..8]),
            "{what} shows part of its secret: {debug}"
        );
    }

    #[test]
    fn every_secret_holding_struct_redacts_its_debug() {
        let token = Token::new(SECRET);
        assert_redacted("Token", format!("{token:?} {:#?}", Some(&token)));
        let client = GithubClient::new(Some(token.clone()), Backoff::default())
            .unwrap_or_else(|e| panic!("{e:#}"));
        assert_redacted("GithubClient", format!("{client:?}"));
        let secrets = Secrets::parse(&format!("'*':\n- value: {SECRET}\n"))
            .unwrap_or_else(|e| panic!("{e:#}"));
        assert_redacted("Secrets::Map", format!("{secrets:?}"));
        let single = Secrets::parse(SECRET).unwrap_or_else(|e| panic!("{e:#}"));
        assert_redacted("Secrets::Single", format!("{single:?}"));
        let bot = Bot {
            secrets,
            token: token.clone(),
            api: "https://api.github.com".to_owned(),
            predictor: Predictor::Remote {
                url: "http://model/v1/models/m:predict".to_owned(),
            },
            threshold: None,
            dry_run: true,
            http: crate::http::client(std::time::Duration::from_secs(1))
                .unwrap_or_else(|e| panic!("{e:#}")),
        };
        assert_redacted("Bot", format!("{bot:?}"));
        let repo = crate::bot::github::Repo::new(bot.http.clone(), &bot.api, &token, "o/r", false);
        assert_redacted("bot::github::Repo", format!("{repo:?}"));
        let auth =
            Auth::new(None, Some(SecretString::from(SECRET))).unwrap_or_else(|e| panic!("{e:#}"));
        assert_redacted("git::Auth", format!("{auth:?}"));
        let credentials = Credentials::new("user", SecretString::from(SECRET));
        assert_redacted("Credentials", format!("{credentials:?}"));
        let reference = Reference::parse("ghcr.io/kpipe/x").unwrap_or_else(|e| panic!("{e:#}"));
        let http = crate::http::client(std::time::Duration::from_secs(1))
            .unwrap_or_else(|e| panic!("{e:#}"));
        let client = Client::new(http, reference, Some(credentials), false);
        assert_redacted("registry Client", format!("{client:?}"));
        let map: BTreeMap<&str, SecretString> = [("k", SecretString::from(SECRET))].into();
        assert_redacted("SecretString", format!("{map:?}"));
    }

    #[test]
    fn secret_files_are_trimmed_and_must_not_be_empty() {
        let dir = tempfile::tempdir().unwrap_or_else(|e| panic!("{e}"));
        let path = dir.path().join("token");
        std::fs::write(&path, format!("  {SECRET}\n")).unwrap_or_else(|e| panic!("{e}"));
        let s = read_secret_file(&path, "the test token").map_err(|e| format!("{e:#}"));
        assert_eq!(s.as_ref().map(|s| s.expose_secret()), Ok(SECRET));
        std::fs::write(&path, "\n").unwrap_or_else(|e| panic!("{e}"));
        let e = read_secret_file(&path, "the test token").map_err(|e| format!("{e:#}"));
        assert!(
            e.as_ref()
                .is_err_and(|e| e.contains("the test token file") && e.ends_with("is empty")),
            "{e:?}"
        );
        let e = read_secret_file(&dir.path().join("nope"), "the test token")
            .map_err(|e| format!("{e:#}"));
        assert!(
            e.is_err_and(|e| e.starts_with("cannot read the test token file")),
            "missing file"
        );
    }
}
