//! Webhook authenticity: `X-Hub-Signature-256: sha256=<hex HMAC-SHA256>` over
//! the raw body, compared in constant time, with the secret chosen like
//! Prow's hook does (most specific of `org/repo`, `org`, `*`).

use std::collections::BTreeMap;
use std::path::Path;

use anyhow::{Context, bail};
use hmac::{Hmac, Mac};
use sha2::Sha256;

use crate::secret::{ExposeSecret, SecretSlice, SecretString, read_secret_file};

/// The HMAC secrets, as Prow's hook configures them.
#[derive(Clone, Debug)]
pub enum Secrets {
    /// One token for every repository.
    Single(SecretSlice<u8>),
    /// `org/repo` / `org` / `*` → tokens (several during a rotation).
    Map(BTreeMap<String, Vec<SecretSlice<u8>>>),
}

#[derive(serde::Deserialize)]
struct Entry {
    value: SecretString,
}

impl Secrets {
    /// Reads a secret file: a single token, or Prow's YAML map
    /// `{'org/repo' | 'org' | '*': [{value, created_at}]}`.
    pub fn read(path: &Path) -> anyhow::Result<Self> {
        let text = read_secret_file(path, "the HMAC secret")?;
        Self::parse(text.expose_secret())
            .with_context(|| format!("{} holds no usable HMAC secret", path.display()))
    }

    /// Parses the secret file's contents.
    pub fn parse(text: &str) -> anyhow::Result<Self> {
        let trimmed = text.trim();
        if trimmed.is_empty() {
            bail!("the secret is empty");
        }
        if let Ok(map) = serde_saphyr::from_str::<BTreeMap<String, Vec<Entry>>>(trimmed) {
            let map: BTreeMap<String, Vec<SecretSlice<u8>>> = map
                .into_iter()
                .map(|(k, v)| {
                    (
                        k,
                        v.into_iter()
                            .map(|e| e.value.expose_secret().as_bytes().to_vec())
                            .filter(|v| !v.is_empty())
                            .map(SecretSlice::from)
                            .collect(),
                    )
                })
                .collect();
            if map.values().all(Vec::is_empty) {
                bail!("the secret map has no values");
            }
            return Ok(Secrets::Map(map));
        }
        Ok(Secrets::Single(trimmed.as_bytes().to_vec().into()))
    }

    /// The tokens that may sign events of `repo` (OWNER/NAME): the most
    /// specific key present wins.
    pub fn for_repo(&self, repo: &str) -> Vec<&[u8]> {
        match self {
            Secrets::Single(s) => vec![s.expose_secret()],
            Secrets::Map(m) => {
                let org = repo.split('/').next().unwrap_or("");
                [repo, org, "*"]
                    .iter()
                    .find_map(|k| m.get(*k).filter(|v| !v.is_empty()))
                    .map(|v| v.iter().map(|s| s.expose_secret()).collect())
                    .unwrap_or_default()
            }
        }
    }
}

/// True when `header` (`sha256=<hex>`) is the HMAC-SHA256 of `body` under one
/// of `secrets`. SHA-1 (`sha1=`) is not accepted.
pub fn verify(header: &str, body: &[u8], secrets: &[&[u8]]) -> bool {
    let Some(hex) = header.strip_prefix("sha256=") else {
        return false;
    };
    let Ok(sig) = hex::decode(hex.trim()) else {
        return false;
    };
    secrets.iter().any(|secret| {
        Hmac::<Sha256>::new_from_slice(secret)
            .map(|mut mac| {
                mac.update(body);
                mac.verify_slice(&sig).is_ok() // constant-time comparison
            })
            .unwrap_or(false)
    })
}

/// `sha256=<hex>` for `body` under `secret` (what GitHub sends; for tests
/// and tools).
pub fn sign(secret: &[u8], body: &[u8]) -> String {
    let mut mac = match Hmac::<Sha256>::new_from_slice(secret) {
        Ok(m) => m,
        Err(_) => return String::new(),
    };
    mac.update(body);
    format!("sha256={}", hex::encode(mac.finalize().into_bytes()))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn verifies_githubs_documented_example() {
        // docs.github.com "Validating webhook deliveries": secret "It's a Secret to Everybody",
        // payload "Hello, World!".
        let sig = "sha256=757107ea0eb2509fc211221cce984b8a37570b6d7586c22c46f4379c8b043e17";
        assert!(verify(
            sig,
            b"Hello, World!",
            &[b"It's a Secret to Everybody"]
        ));
        assert!(!verify(
            sig,
            b"Hello, World?",
            &[b"It's a Secret to Everybody"]
        ));
        assert!(!verify(
            "sha1=01dc10d0c83e72ed246219cdd91669667fe2ca59",
            b"Hello, World!",
            &[b"It's a Secret to Everybody"]
        ));
        assert!(!verify("sha256=zz", b"x", &[b"s"]));
        assert_eq!(sign(b"It's a Secret to Everybody", b"Hello, World!"), sig);
    }

    #[test]
    fn the_most_specific_secret_wins() {
        let s = Secrets::parse(
            "'*':\n- value: global\n  created_at: 2020-01-01T00:00:00Z\nkubernetes:\n- value: org\n  created_at: 2020-01-01T00:00:00Z\nkubernetes/kubernetes:\n- value: repo-old\n  created_at: 2020-01-01T00:00:00Z\n- value: repo-new\n  created_at: 2021-01-01T00:00:00Z\n",
        )
        .unwrap_or_else(|e| panic!("{e}"));
        assert_eq!(
            s.for_repo("kubernetes/kubernetes"),
            [b"repo-old".as_slice(), b"repo-new"]
        );
        assert_eq!(s.for_repo("kubernetes/test-infra"), [b"org".as_slice()]);
        assert_eq!(s.for_repo("other/x"), [b"global".as_slice()]);
        let single = Secrets::parse("just-a-token\n").unwrap_or_else(|e| panic!("{e}"));
        assert_eq!(single.for_repo("a/b"), [b"just-a-token".as_slice()]);
        assert!(Secrets::parse("  ").is_err());
        assert!(!format!("{single:?}").contains("just-a-token"));
    }
}
