//! Image references, normalised as docker, crane and every other OCI client
//! do: `alpine` is `docker.io/library/alpine`, Docker Hub's API lives at
//! `registry-1.docker.io`, and a loopback registry speaks plain HTTP.
//! [`Reference`] is a repository; [`ImageRef`] one with a tag or digest.

use std::fmt;
use std::net::{Ipv4Addr, Ipv6Addr};

use anyhow::{Context, bail};

use crate::digest::hex_of;

/// Docker Hub's name in references.
pub const DOCKER_HUB: &str = "docker.io";
/// Docker Hub's registry API host.
pub const DOCKER_HUB_API: &str = "registry-1.docker.io";
/// The key of Docker Hub's credentials in docker's `config.json`.
pub const DOCKER_HUB_AUTH_KEY: &str = "https://index.docker.io/v1/";

/// A registry and repository, from `[HOST[:PORT]/]PATH` (no tag or digest).
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Reference {
    /// Registry as named in references (`docker.io`, `ghcr.io`,
    /// `localhost:5000`).
    pub domain: String,
    /// Repository path (`library/alpine`, `kpipe/serving`).
    pub repository: String,
}

impl Reference {
    /// Parses an image repository (tags go elsewhere).
    ///
    /// The first path component is the registry when it has a `.` or a `:`,
    /// is `localhost`, or has upper-case letters (distribution's rule);
    /// otherwise the image is on Docker Hub, where a single name is an
    /// official image under `library/`.
    pub fn parse(image: &str) -> anyhow::Result<Self> {
        let last = image.rsplit('/').next().unwrap_or(image);
        if image.contains('@') || last.contains(':') {
            bail!(
                "`{image}` names a tag or digest; a repository is wanted here, without tag or digest"
            );
        }
        let (domain, path) = match image.split_once('/') {
            Some((first, rest))
                if first.contains(['.', ':'])
                    || first == "localhost"
                    || first.chars().any(|c| c.is_ascii_uppercase()) =>
            {
                (first, rest)
            }
            _ => (DOCKER_HUB, image),
        };
        let domain = if domain == "index.docker.io" {
            DOCKER_HUB
        } else {
            domain
        };
        let repository = if domain == DOCKER_HUB && !path.contains('/') {
            format!("library/{path}")
        } else {
            path.to_owned()
        };
        let component_ok = |c: &str| {
            !c.is_empty()
                && c.chars()
                    .all(|ch| ch.is_ascii_lowercase() || ch.is_ascii_digit() || "._-".contains(ch))
                && c.starts_with(|ch: char| ch.is_ascii_alphanumeric())
        };
        if domain.is_empty() || !repository.split('/').all(component_ok) {
            bail!(
                "`{image}` is not an image repository: expected [HOST[:PORT]/]NAME[/NAME…] with lower-case names of letters, digits, `.`, `_` and `-`"
            );
        }
        Ok(Self {
            domain: domain.to_owned(),
            repository,
        })
    }

    /// The host (and port) of the registry's API.
    pub fn api_host(&self) -> &str {
        if self.domain == DOCKER_HUB {
            DOCKER_HUB_API
        } else {
            &self.domain
        }
    }

    /// A registry on this machine (`localhost`, `127.0.0.0/8`, `[::1]`, with
    /// or without a port): reached over plain HTTP, as docker and crane do.
    pub fn is_loopback(&self) -> bool {
        let host = match self.domain.strip_prefix('[') {
            Some(v6) => match v6.split_once(']') {
                Some((addr, rest)) if rest.is_empty() || rest.starts_with(':') => {
                    return addr.parse::<Ipv6Addr>().is_ok_and(|a| a.is_loopback());
                }
                _ => return false,
            },
            None => self
                .domain
                .rsplit_once(':')
                .map_or(self.domain.as_str(), |(h, _)| h),
        };
        host == "localhost" || host.parse::<Ipv4Addr>().is_ok_and(|a| a.is_loopback())
    }
}

impl fmt::Display for Reference {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{}/{}", self.domain, self.repository)
    }
}

/// `true` when `tag` is a valid tag: up to 128 letters, digits, `_`, `.`
/// and `-`, not starting with `.` or `-`.
pub fn is_valid_tag(tag: &str) -> bool {
    !tag.is_empty()
        && tag.len() <= 128
        && tag
            .chars()
            .all(|c| c.is_ascii_alphanumeric() || "_.-".contains(c))
        && !tag.starts_with(['.', '-'])
}

/// An image: a repository with a tag, a digest, or both
/// (`ghcr.io/kpipe/kpipe-step:0.1.0`, `…@sha256:…`).
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct ImageRef {
    /// The repository.
    pub repository: Reference,
    /// The tag, if given.
    pub tag: Option<String>,
    /// The `sha256:` digest, if given.
    pub digest: Option<String>,
}

impl ImageRef {
    /// Parses `[HOST[:PORT]/]PATH[:TAG][@sha256:HEX]`.
    pub fn parse(image: &str) -> anyhow::Result<Self> {
        let (rest, digest) = match image.split_once('@') {
            Some((rest, digest)) => {
                hex_of(digest).with_context(|| format!("`{image}` has a bad digest"))?;
                (rest, Some(digest.to_owned()))
            }
            None => (image, None),
        };
        let last = rest.rsplit('/').next().unwrap_or(rest);
        let (repository, tag) = match last.rsplit_once(':') {
            Some((_, tag)) => (&rest[..rest.len() - tag.len() - 1], Some(tag.to_owned())),
            None => (rest, None),
        };
        if let Some(t) = &tag
            && !is_valid_tag(t)
        {
            bail!(
                "`{image}` has a bad tag `{t}`: use up to 128 letters, digits, `_`, `.` and `-`, not starting with `.` or `-`"
            );
        }
        Ok(Self {
            repository: Reference::parse(repository)?,
            tag,
            digest,
        })
    }

    /// The tag, `latest` when none was given.
    pub fn tag_or_latest(&self) -> &str {
        self.tag.as_deref().unwrap_or("latest")
    }

    /// What the registry's manifest endpoint is asked for: the digest if
    /// given, else the tag (`latest` when none was given).
    pub fn manifest_reference(&self) -> &str {
        self.digest
            .as_deref()
            .unwrap_or_else(|| self.tag_or_latest())
    }
}

impl fmt::Display for ImageRef {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{}", self.repository)?;
        if let Some(t) = &self.tag {
            write!(f, ":{t}")?;
        }
        if let Some(d) = &self.digest {
            write!(f, "@{d}")?;
        }
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn parse(image: &str) -> Reference {
        Reference::parse(image).unwrap_or_else(|e| panic!("{image}: {e:#}"))
    }

    #[test]
    fn docker_hub_names_normalise_like_docker() {
        for (image, canonical) in [
            ("alpine", "docker.io/library/alpine"),
            ("docker.io/alpine", "docker.io/library/alpine"),
            ("index.docker.io/alpine", "docker.io/library/alpine"),
            ("docker.io/library/alpine", "docker.io/library/alpine"),
            ("kpipe/serving", "docker.io/kpipe/serving"),
            ("docker.io/kpipe/serving", "docker.io/kpipe/serving"),
        ] {
            let r = parse(image);
            assert_eq!(r.to_string(), canonical, "{image}");
            assert_eq!(r.api_host(), "registry-1.docker.io", "{image}");
            assert!(!r.is_loopback());
        }
    }

    #[test]
    fn other_registries_keep_their_host() {
        let r = parse("ghcr.io/kpipe/x");
        assert_eq!(
            (r.api_host(), r.repository.as_str()),
            ("ghcr.io", "kpipe/x")
        );
        let r = parse("quay.io/x");
        assert_eq!((r.api_host(), r.repository.as_str()), ("quay.io", "x"));
        let r = parse("registry:5000/team/app");
        assert_eq!(r.api_host(), "registry:5000");
        assert!(!r.is_loopback(), "a named host is not loopback");
    }

    #[test]
    fn loopback_registries_are_recognised() {
        for image in [
            "localhost/x",
            "localhost:5000/kpipe/serving",
            "127.0.0.1/x",
            "127.0.0.1:5000/x",
            "127.1.2.3:80/x",
            "[::1]/x",
            "[::1]:5000/x",
        ] {
            assert!(parse(image).is_loopback(), "{image}");
        }
        for image in [
            "localhost.example.com/x",
            "127.0.0.1.nip.io/x",
            "128.0.0.1:5000/x",
            "[::2]:5000/x",
            "ghcr.io/x",
        ] {
            assert!(!parse(image).is_loopback(), "{image}");
        }
    }

    #[test]
    fn tags_digests_and_bad_names_are_refused() {
        for (image, needle) in [
            ("ghcr.io/x:tag", "without tag or digest"),
            ("alpine:3", "without tag or digest"),
            ("alpine@sha256:abc", "without tag or digest"),
            ("ghcr.io/", "is not an image repository"),
            ("ghcr.io/Kpipe/x", "is not an image repository"),
            ("ghcr.io//x", "is not an image repository"),
            ("", "is not an image repository"),
        ] {
            let e = Reference::parse(image).map_err(|e| e.to_string());
            assert!(
                e.as_ref().is_err_and(|e| e.contains(needle)),
                "{image}: {e:?}"
            );
        }
        // A port is not a tag.
        assert_eq!(parse("localhost:5000/x").domain, "localhost:5000");
    }

    #[test]
    fn image_references_carry_a_tag_a_digest_or_both() {
        let digest = format!("sha256:{}", "a".repeat(64));
        let image = |s: &str| ImageRef::parse(s).unwrap_or_else(|e| panic!("{s}: {e:#}"));
        let r = image("localhost:5000/kpipe/step");
        assert_eq!((r.tag.as_deref(), r.manifest_reference()), (None, "latest"));
        assert_eq!(r.repository.domain, "localhost:5000");
        let r = image("nvidia/cuda:12.4.1-runtime-ubuntu22.04");
        assert_eq!(r.repository.to_string(), "docker.io/nvidia/cuda");
        assert_eq!(r.tag_or_latest(), "12.4.1-runtime-ubuntu22.04");
        let r = image(&format!("ghcr.io/kpipe/kpipe-step:0.1.0@{digest}"));
        assert_eq!(r.manifest_reference(), digest);
        assert_eq!(
            r.to_string(),
            format!("ghcr.io/kpipe/kpipe-step:0.1.0@{digest}")
        );
        for (bad, needle) in [
            ("ghcr.io/x@sha256:abc", "bad digest"),
            ("ghcr.io/x:-bad", "bad tag"),
            ("ghcr.io/x:", "bad tag"),
            ("ghcr.io/X:1", "is not an image repository"),
        ] {
            let e = ImageRef::parse(bad).map_err(|e| format!("{e:#}"));
            assert!(
                e.as_ref().is_err_and(|e| e.contains(needle)),
                "{bad}: {e:?}"
            );
        }
        assert!(is_valid_tag("v1.2_3-rc") && !is_valid_tag(&"a".repeat(129)));
    }
}
