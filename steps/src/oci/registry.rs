//! Pushing an image over the OCI distribution API.

use std::path::Path;

use anyhow::{Context, bail};
use reqwest::{Method, StatusCode};

use super::image::{Image, MANIFEST_TYPE};

/// A registry and repository, from `HOST[:PORT]/PATH`.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Reference {
    /// Registry host (and port).
    pub registry: String,
    /// Repository path.
    pub repository: String,
}

impl Reference {
    /// Parses an image repository (no tag), Docker Hub names included.
    pub fn parse(image: &str) -> anyhow::Result<Self> {
        if image.contains('@')
            || image
                .rsplit('/')
                .next()
                .is_some_and(|last| last.contains(':'))
        {
            bail!(
                "--image is the repository without tag or digest (tags go in --tag), got `{image}`"
            );
        }
        let (first, rest) = image.split_once('/').unwrap_or(("", image));
        if !first.is_empty() && (first.contains('.') || first.contains(':') || first == "localhost")
        {
            return Ok(Self {
                registry: first.to_owned(),
                repository: rest.to_owned(),
            });
        }
        let repository = if image.contains('/') {
            image.to_owned()
        } else {
            format!("library/{image}")
        };
        Ok(Self {
            registry: "registry-1.docker.io".to_owned(),
            repository,
        })
    }
}

/// Credentials for one registry.
#[derive(Clone)]
pub struct Credentials {
    user: String,
    password: String,
}

impl std::fmt::Debug for Credentials {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "Credentials({}, <redacted>)", self.user)
    }
}

fn b64decode(s: &str) -> Option<Vec<u8>> {
    let val = |c: u8| -> Option<u32> {
        Some(match c {
            b'A'..=b'Z' => u32::from(c - b'A'),
            b'a'..=b'z' => u32::from(c - b'a') + 26,
            b'0'..=b'9' => u32::from(c - b'0') + 52,
            b'+' => 62,
            b'/' => 63,
            _ => return None,
        })
    };
    let bytes: Vec<u8> = s
        .bytes()
        .filter(|c| *c != b'=' && !c.is_ascii_whitespace())
        .collect();
    let mut out = Vec::new();
    for chunk in bytes.chunks(4) {
        let mut n = 0u32;
        for (i, &c) in chunk.iter().enumerate() {
            n |= val(c)? << (18 - 6 * i);
        }
        let take = chunk.len().saturating_sub(1);
        for i in 0..take {
            out.push((n >> (16 - 8 * i)) as u8);
        }
    }
    Some(out)
}

impl Credentials {
    /// The credentials for `registry` in a Docker `config.json`.
    pub fn from_docker_config(path: &Path, registry: &str) -> anyhow::Result<Option<Self>> {
        let text = std::fs::read_to_string(path)
            .with_context(|| format!("cannot read the registry credentials {}", path.display()))?;
        let v: serde_json::Value = serde_json::from_str(&text)
            .with_context(|| format!("{} is not a Docker config.json", path.display()))?;
        let auths = v
            .get("auths")
            .and_then(|a| a.as_object())
            .cloned()
            .unwrap_or_default();
        let entry = auths.iter().find(|(k, _)| {
            let host = k
                .trim_start_matches("https://")
                .trim_start_matches("http://");
            let host = host.split('/').next().unwrap_or(host);
            host == registry || (registry == "registry-1.docker.io" && host == "index.docker.io")
        });
        let Some((_, e)) = entry else { return Ok(None) };
        if let (Some(u), Some(p)) = (
            e.get("username").and_then(|x| x.as_str()),
            e.get("password").and_then(|x| x.as_str()),
        ) {
            return Ok(Some(Self {
                user: u.to_owned(),
                password: p.to_owned(),
            }));
        }
        let auth = e.get("auth").and_then(|x| x.as_str()).unwrap_or("");
        let decoded = b64decode(auth).and_then(|b| String::from_utf8(b).ok());
        match decoded.as_deref().and_then(|d| d.split_once(':')) {
            Some((u, p)) => Ok(Some(Self {
                user: u.to_owned(),
                password: p.to_owned(),
            })),
            None => bail!(
                "the `auth` entry for {registry} in {} is not base64 of USER:PASSWORD",
                path.display()
            ),
        }
    }
}

/// Pushes blobs and manifests, authenticating as the registry asks.
#[derive(Debug)]
pub struct Pusher {
    http: reqwest::Client,
    base: String,
    reference: Reference,
    credentials: Option<Credentials>,
    authorization: Option<String>,
}

/// Upload chunk size.
const CHUNK: usize = 5 << 20;

impl Pusher {
    /// A pusher to `reference` (plain HTTP for local test registries).
    pub fn new(
        reference: Reference,
        credentials: Option<Credentials>,
        plain_http: bool,
    ) -> anyhow::Result<Self> {
        crate::tls::install_crypto_provider();
        let http = reqwest::Client::builder()
            .user_agent(concat!("kpipe/", env!("CARGO_PKG_VERSION")))
            .connect_timeout(std::time::Duration::from_secs(15))
            .timeout(std::time::Duration::from_secs(300))
            .build()?;
        let scheme = if plain_http { "http" } else { "https" };
        Ok(Self {
            base: format!("{scheme}://{}", reference.registry),
            http,
            reference,
            credentials,
            authorization: None,
        })
    }

    async fn send(
        &mut self,
        method: Method,
        url: &str,
        headers: &[(&str, String)],
        body: Option<Vec<u8>>,
    ) -> anyhow::Result<reqwest::Response> {
        for attempt in 0..2 {
            let mut req = self.http.request(method.clone(), url);
            for (k, v) in headers {
                req = req.header(*k, v);
            }
            if let Some(a) = &self.authorization {
                req = req.header("authorization", a);
            }
            if let Some(b) = &body {
                req = req.body(b.clone());
            }
            let resp = req.send().await.with_context(|| {
                format!(
                    "cannot reach the registry {} ({method} {url})",
                    self.reference.registry
                )
            })?;
            if resp.status() != StatusCode::UNAUTHORIZED || attempt == 1 {
                if resp.status() == StatusCode::UNAUTHORIZED {
                    bail!(
                        "the registry {} rejected the credentials ({method} {url}): check --registry-auth",
                        self.reference.registry
                    );
                }
                return Ok(resp);
            }
            let challenge = resp
                .headers()
                .get("www-authenticate")
                .and_then(|v| v.to_str().ok())
                .unwrap_or("")
                .to_owned();
            self.authorization = Some(self.authorize(&challenge).await?);
        }
        bail!("the registry kept asking for authentication")
    }

    async fn authorize(&self, challenge: &str) -> anyhow::Result<String> {
        let basic = |c: &Credentials| {
            format!(
                "Basic {}",
                crate::git_base64(format!("{}:{}", c.user, c.password).as_bytes())
            )
        };
        let lower = challenge.to_ascii_lowercase();
        if lower.starts_with("basic") {
            let c = self.credentials.as_ref().with_context(|| {
                format!(
                    "the registry {} needs credentials: pass --registry-auth",
                    self.reference.registry
                )
            })?;
            return Ok(basic(c));
        }
        if !lower.starts_with("bearer") {
            bail!(
                "the registry {} asks for unsupported authentication `{challenge}`",
                self.reference.registry
            );
        }
        let params: std::collections::BTreeMap<String, String> = challenge[6..]
            .split(',')
            .filter_map(|kv| kv.trim().split_once('='))
            .map(|(k, v)| {
                (
                    k.trim().to_ascii_lowercase(),
                    v.trim().trim_matches('"').to_owned(),
                )
            })
            .collect();
        let realm = params
            .get("realm")
            .context("the registry's bearer challenge has no realm")?;
        let scope = params
            .get("scope")
            .cloned()
            .unwrap_or_else(|| format!("repository:{}:pull,push", self.reference.repository));
        let mut query = vec![("scope", scope)];
        if let Some(s) = params.get("service") {
            query.push(("service", s.clone()));
        }
        let encode = |s: &str| -> String {
            s.bytes()
                .map(|b| match b {
                    b'A'..=b'Z' | b'a'..=b'z' | b'0'..=b'9' | b'-' | b'_' | b'.' | b'~' => {
                        (b as char).to_string()
                    }
                    _ => format!("%{b:02X}"),
                })
                .collect()
        };
        let qs: Vec<String> = query
            .iter()
            .map(|(k, v)| format!("{k}={}", encode(v)))
            .collect();
        let sep = if realm.contains('?') { '&' } else { '?' };
        let mut req = self.http.get(format!("{realm}{sep}{}", qs.join("&")));
        if let Some(c) = &self.credentials {
            req = req.header("authorization", basic(c));
        }
        let resp = req
            .send()
            .await
            .with_context(|| format!("cannot reach the token service {realm}"))?;
        if !resp.status().is_success() {
            bail!(
                "the token service {realm} refused: HTTP {} (check --registry-auth)",
                resp.status().as_u16()
            );
        }
        let v: serde_json::Value = resp
            .json()
            .await
            .context("the token service's answer is not JSON")?;
        let token = v
            .get("token")
            .or_else(|| v.get("access_token"))
            .and_then(|t| t.as_str())
            .context("the token service returned no token")?;
        Ok(format!("Bearer {token}"))
    }

    fn url(&self, rest: &str) -> String {
        format!("{}/v2/{}/{rest}", self.base, self.reference.repository)
    }

    fn absolute(&self, location: &str) -> String {
        if location.starts_with("http://") || location.starts_with("https://") {
            location.to_owned()
        } else {
            format!("{}{location}", self.base)
        }
    }

    /// Uploads one blob unless the registry has it. Returns whether it uploaded.
    pub async fn blob(&mut self, digest: &str, bytes: &[u8]) -> anyhow::Result<bool> {
        let head = self
            .send(
                Method::HEAD,
                &self.url(&format!("blobs/{digest}")),
                &[],
                None,
            )
            .await?;
        if head.status().is_success() {
            return Ok(false);
        }
        let start = self
            .send(
                Method::POST,
                &self.url("blobs/uploads/"),
                &[("content-length", "0".into())],
                Some(Vec::new()),
            )
            .await?;
        if start.status() != StatusCode::ACCEPTED {
            bail!(
                "the registry refused to start an upload: HTTP {}",
                start.status().as_u16()
            );
        }
        let mut location = location(&start)?;
        let mut offset = 0usize;
        for chunk in bytes.chunks(CHUNK) {
            let end = offset + chunk.len() - 1;
            let url = self.absolute(&location);
            let resp = self
                .send(
                    Method::PATCH,
                    &url,
                    &[
                        ("content-type", "application/octet-stream".into()),
                        ("content-range", format!("{offset}-{end}")),
                        ("content-length", chunk.len().to_string()),
                    ],
                    Some(chunk.to_vec()),
                )
                .await?;
            if resp.status() != StatusCode::ACCEPTED {
                bail!(
                    "the registry refused an upload chunk of {digest}: HTTP {}",
                    resp.status().as_u16()
                );
            }
            location = self::location(&resp)?;
            offset = end + 1;
        }
        let url = self.absolute(&location);
        let sep = if url.contains('?') { '&' } else { '?' };
        let done = self
            .send(
                Method::PUT,
                &format!("{url}{sep}digest={digest}"),
                &[("content-length", "0".into())],
                Some(Vec::new()),
            )
            .await?;
        if done.status() != StatusCode::CREATED {
            bail!(
                "the registry did not accept blob {digest}: HTTP {}",
                done.status().as_u16()
            );
        }
        Ok(true)
    }

    /// Puts the manifest under `tag`.
    pub async fn manifest(&mut self, image: &Image, tag: &str) -> anyhow::Result<()> {
        let resp = self
            .send(
                Method::PUT,
                &self.url(&format!("manifests/{tag}")),
                &[("content-type", MANIFEST_TYPE.into())],
                Some(image.manifest.clone()),
            )
            .await?;
        if resp.status() != StatusCode::CREATED {
            let status = resp.status().as_u16();
            let body = resp.text().await.unwrap_or_default();
            bail!("the registry did not accept the manifest for tag {tag}: HTTP {status}: {body}");
        }
        Ok(())
    }
}

fn location(resp: &reqwest::Response) -> anyhow::Result<String> {
    resp.headers()
        .get("location")
        .and_then(|v| v.to_str().ok())
        .map(str::to_owned)
        .context("the registry's upload answer has no Location")
}

/// Pushes `image` to `reference` under every tag.
pub async fn push(
    image: &Image,
    reference: Reference,
    tags: &[String],
    credentials: Option<Credentials>,
    plain_http: bool,
) -> anyhow::Result<()> {
    let mut p = Pusher::new(reference, credentials, plain_http)?;
    for (digest, bytes) in &image.blobs {
        let uploaded = p.blob(digest, bytes).await?;
        eprintln!(
            "{} {digest} ({} bytes)",
            if uploaded { "Pushed" } else { "Exists" },
            bytes.len()
        );
    }
    for tag in tags {
        p.manifest(image, tag).await?;
        eprintln!(
            "Tagged {}/{}:{tag} = {}",
            p.reference.registry, p.reference.repository, image.digest
        );
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn references() {
        let r = Reference::parse("localhost:5000/kpipe/serving").unwrap_or_else(|e| panic!("{e}"));
        assert_eq!(
            (r.registry.as_str(), r.repository.as_str()),
            ("localhost:5000", "kpipe/serving")
        );
        let r = Reference::parse("ghcr.io/kpipe/x").unwrap_or_else(|e| panic!("{e}"));
        assert_eq!(r.registry, "ghcr.io");
        let r = Reference::parse("ubuntu").unwrap_or_else(|e| panic!("{e}"));
        assert_eq!(
            (r.registry.as_str(), r.repository.as_str()),
            ("registry-1.docker.io", "library/ubuntu")
        );
        assert!(Reference::parse("ghcr.io/x:tag").is_err());
    }

    #[test]
    fn decodes_docker_auth() {
        assert_eq!(
            b64decode("dXNlcjpwYXNz").as_deref(),
            Some(&b"user:pass"[..])
        );
    }
}
