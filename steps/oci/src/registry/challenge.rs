//! The registry's authentication challenge (`WWW-Authenticate` on a 401)
//! and the `authorization` header that answers it: basic credentials, or a
//! bearer token from the token service the challenge names (the distribution
//! token protocol).

use std::collections::BTreeMap;

use anyhow::{Context, bail};

use secrecy::{ExposeSecret, SecretString};

use super::client::sensitive_header;
use super::credentials::Credentials;
use crate::reference::Reference;

/// What a registry asked for.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Challenge {
    /// `Basic realm=…`: send the credentials.
    Basic,
    /// `Bearer realm=…,service=…,scope=…`: get a token from `realm`.
    Bearer {
        /// The token service URL.
        realm: String,
        /// The `service` to ask a token for.
        service: Option<String>,
        /// The `scope` the registry wants (`repository:NAME:pull,push`).
        scope: Option<String>,
    },
}

impl Challenge {
    /// Parses a `WWW-Authenticate` value (RFC 7235: a scheme, then
    /// `name=token` or `name="quoted string"` parameters; a quoted value may
    /// hold commas, as Docker Hub's `scope="repository:x:pull,push"` does).
    pub fn parse(header: &str) -> anyhow::Result<Self> {
        let header = header.trim();
        let (scheme, rest) = header.split_once(' ').unwrap_or((header, ""));
        let params = auth_params(rest).with_context(|| {
            format!("the registry's authentication challenge `{header}` is malformed")
        })?;
        match scheme.to_ascii_lowercase().as_str() {
            "basic" => Ok(Self::Basic),
            "bearer" => Ok(Self::Bearer {
                realm: params
                    .get("realm")
                    .cloned()
                    .context("the registry's bearer challenge has no realm")?,
                service: params.get("service").cloned(),
                scope: params.get("scope").cloned(),
            }),
            _ => bail!("the registry asks for unsupported authentication `{header}`"),
        }
    }

    /// The `authorization` value answering this challenge for `reference`
    /// (`access`: `pull` or `pull,push`, when the challenge names no scope);
    /// `hint` says how to give credentials.
    pub async fn answer(
        &self,
        http: &reqwest::Client,
        credentials: Option<&Credentials>,
        reference: &Reference,
        access: &str,
        hint: &str,
    ) -> anyhow::Result<SecretString> {
        let (realm, service, scope) = match self {
            Self::Basic => {
                return credentials.map(Credentials::basic).with_context(|| {
                    format!(
                        "the registry {} needs credentials, and none were given: {hint}",
                        reference.domain
                    )
                });
            }
            Self::Bearer {
                realm,
                service,
                scope,
            } => (realm, service, scope),
        };
        let scope = scope
            .clone()
            .unwrap_or_else(|| format!("repository:{}:{access}", reference.repository));
        let mut query = vec![("scope", scope.as_str())];
        if let Some(s) = service {
            query.push(("service", s));
        }
        let mut req = http.get(realm).query(&query);
        if let Some(c) = credentials {
            req = req.header(
                "authorization",
                sensitive_header(c.basic().expose_secret())?,
            );
        }
        let resp = req
            .send()
            .await
            .with_context(|| format!("cannot reach the token service {realm}"))?;
        if !resp.status().is_success() {
            bail!(
                "the token service {realm} refused: HTTP {} ({hint})",
                resp.status().as_u16()
            );
        }
        let v: serde_json::Value = resp
            .json()
            .await
            .with_context(|| format!("the answer of the token service {realm} is not JSON"))?;
        let token = v
            .get("token")
            .or_else(|| v.get("access_token"))
            .and_then(|t| t.as_str())
            .with_context(|| format!("the token service {realm} returned no token"))?;
        Ok(SecretString::from(format!("Bearer {token}")))
    }
}

/// `name=value, name="value"` → map (names lower-cased).
fn auth_params(s: &str) -> anyhow::Result<BTreeMap<String, String>> {
    let mut out = BTreeMap::new();
    let mut rest = s.trim_start();
    while !rest.is_empty() {
        let Some((name, after)) = rest.split_once('=') else {
            bail!("`{rest}` is not name=value");
        };
        let name = name.trim().to_ascii_lowercase();
        if name.is_empty() || name.contains([' ', ',', '"']) {
            bail!("`{name}` is not a parameter name");
        }
        let after = after.trim_start();
        let (value, tail) = match after.strip_prefix('"') {
            Some(quoted) => {
                let mut value = String::new();
                let mut chars = quoted.char_indices();
                let end = loop {
                    match chars.next() {
                        Some((i, '"')) => break i,
                        Some((_, '\\')) => match chars.next() {
                            Some((_, c)) => value.push(c),
                            None => bail!("unterminated quoted value of `{name}`"),
                        },
                        Some((_, c)) => value.push(c),
                        None => bail!("unterminated quoted value of `{name}`"),
                    }
                };
                (value, &quoted[end + 1..])
            }
            None => {
                let end = after.find(',').unwrap_or(after.len());
                (after[..end].trim().to_owned(), &after[end..])
            }
        };
        out.insert(name, value);
        let tail = tail.trim_start();
        rest = match tail.strip_prefix(',') {
            Some(t) => t.trim_start(),
            None if tail.is_empty() => tail,
            None => bail!("`{tail}` follows a parameter without a comma"),
        };
    }
    Ok(out)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn docker_hubs_challenge_keeps_the_whole_scope() {
        // Docker Hub's answer to an anonymous push: the scope holds a comma.
        let c = Challenge::parse(
            r#"Bearer realm="https://auth.docker.io/token",service="registry.docker.io",scope="repository:library/alpine:pull,push""#,
        );
        assert_eq!(
            c.ok(),
            Some(Challenge::Bearer {
                realm: "https://auth.docker.io/token".into(),
                service: Some("registry.docker.io".into()),
                scope: Some("repository:library/alpine:pull,push".into()),
            })
        );
    }

    #[test]
    fn challenges_parse_or_fail_clearly() {
        assert_eq!(
            Challenge::parse(r#"Basic realm="Registry Realm""#).ok(),
            Some(Challenge::Basic)
        );
        assert_eq!(
            Challenge::parse(r#"bearer realm=http://x/token , scope="a\"b""#).ok(),
            Some(Challenge::Bearer {
                realm: "http://x/token".into(),
                service: None,
                scope: Some("a\"b".into()),
            })
        );
        for (bad, needle) in [
            ("Bearer service=x", "has no realm"),
            ("Negotiate abc", "malformed"),
            ("Digest realm=x", "unsupported authentication"),
            (r#"Bearer realm="unterminated"#, "malformed"),
            (r#"Bearer realm="a" scope="b""#, "malformed"),
        ] {
            let e = Challenge::parse(bad).map_err(|e| format!("{e:#}"));
            assert!(
                e.as_ref().is_err_and(|e| e.contains(needle)),
                "{bad}: {e:?}"
            );
        }
    }
}
