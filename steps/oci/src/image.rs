//! An image: its config and manifest over a list of layers.

use std::collections::BTreeMap;

use anyhow::Context;
use serde_json::{Value, json};

use crate::blob::Blob;
use crate::layer::Layer;

/// Media type of an OCI image manifest.
pub const MANIFEST_TYPE: &str = "application/vnd.oci.image.manifest.v1+json";
/// Media type of an OCI image index.
pub const INDEX_TYPE: &str = "application/vnd.oci.image.index.v1+json";
/// Media type of an OCI image config.
pub const CONFIG_TYPE: &str = "application/vnd.oci.image.config.v1+json";
/// The date every kpipe image carries (no build time in a reproducible image).
pub const EPOCH: &str = "1970-01-01T00:00:00Z";

/// The architecture of this machine as images name it (`amd64`, `arm64`).
pub fn host_architecture() -> &'static str {
    match std::env::consts::ARCH {
        "x86_64" => "amd64",
        "aarch64" => "arm64",
        "x86" => "386",
        "powerpc64" => "ppc64le",
        other => other,
    }
}

/// What the image's config says about how it runs.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Config {
    /// `amd64`, `arm64`… (default: this machine's).
    pub architecture: String,
    /// `UID:GID` or a name.
    pub user: String,
    /// The program and its first arguments.
    pub entrypoint: Vec<String>,
    /// Default arguments after the entrypoint.
    pub cmd: Vec<String>,
    /// `NAME=VALUE` lines.
    pub env: Vec<String>,
    /// The working directory.
    pub working_dir: String,
    /// `org.opencontainers.image.*` and other labels.
    pub labels: BTreeMap<String, String>,
    /// `8080/tcp`…
    pub exposed_ports: Vec<String>,
    /// One line per layer saying what made it (the config's history).
    pub history: Vec<String>,
}

impl Config {
    /// A config running `entrypoint` as root in `/`, for this machine's
    /// architecture, with the usual `PATH`.
    pub fn new(entrypoint: Vec<String>) -> Self {
        Self {
            architecture: host_architecture().to_owned(),
            user: "0:0".to_owned(),
            entrypoint,
            cmd: Vec::new(),
            env: vec![
                "PATH=/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin".to_owned(),
            ],
            working_dir: "/".to_owned(),
            labels: BTreeMap::new(),
            exposed_ports: Vec::new(),
            history: Vec::new(),
        }
    }

    fn to_json(&self, layers: &[Layer]) -> Value {
        let mut config = json!({
            "User": self.user,
            "Entrypoint": self.entrypoint,
            "Env": self.env,
            "WorkingDir": self.working_dir,
        });
        if !self.cmd.is_empty() {
            config["Cmd"] = json!(self.cmd);
        }
        if !self.exposed_ports.is_empty() {
            config["ExposedPorts"] = self
                .exposed_ports
                .iter()
                .map(|p| (p.clone(), json!({})))
                .collect::<serde_json::Map<_, _>>()
                .into();
        }
        if !self.labels.is_empty() {
            config["Labels"] = json!(self.labels);
        }
        let history: Vec<Value> = (0..layers.len())
            .map(|i| {
                let by = self.history.get(i).map_or("kpipe", String::as_str);
                json!({"created": EPOCH, "created_by": by})
            })
            .collect();
        json!({
            "architecture": self.architecture,
            "os": "linux",
            "created": EPOCH,
            "config": config,
            "rootfs": {"type": "layers", "diff_ids": layers.iter().map(|l| l.diff_id.as_str()).collect::<Vec<_>>()},
            "history": history,
        })
    }
}

/// A built image: its config, its layers and its manifest.
#[derive(Clone, Debug)]
pub struct Image {
    /// The config blob.
    pub config: Blob,
    /// The layers, base first.
    pub layers: Vec<Layer>,
    /// The manifest blob; its digest is the image's.
    pub manifest: Blob,
}

impl Image {
    /// The image of `layers` (base first) run as `config` says.
    pub fn new(config: &Config, layers: Vec<Layer>) -> anyhow::Result<Self> {
        let config = Blob::from_bytes(
            serde_json::to_vec(&config.to_json(&layers))
                .context("cannot write the image config")?,
        );
        let manifest = json!({
            "schemaVersion": 2,
            "mediaType": MANIFEST_TYPE,
            "config": {"mediaType": CONFIG_TYPE, "digest": config.digest, "size": config.size},
            "layers": layers.iter().map(|l| json!({"mediaType": l.media_type, "digest": l.blob.digest, "size": l.blob.size})).collect::<Vec<Value>>(),
        });
        let manifest = Blob::from_bytes(
            serde_json::to_vec(&manifest).context("cannot write the image manifest")?,
        );
        Ok(Self {
            config,
            layers,
            manifest,
        })
    }

    /// `sha256:` of the manifest: the image's digest.
    pub fn digest(&self) -> &str {
        &self.manifest.digest
    }

    /// The config and every layer (the blobs a registry needs before the manifest).
    pub fn blobs(&self) -> impl Iterator<Item = &Blob> {
        std::iter::once(&self.config).chain(self.layers.iter().map(|l| &l.blob))
    }

    /// The size of every blob and the manifest together.
    pub fn size(&self) -> u64 {
        self.blobs().map(|b| b.size).sum::<u64>() + self.manifest.size
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::layer::{Entry, build};

    #[test]
    fn the_config_lists_every_layer_and_the_manifest_every_blob() -> anyhow::Result<()> {
        let a = build(&[Entry::file("/a", b"a".to_vec(), 0o644)])?;
        let b = build(&[Entry::file("/b", b"b".to_vec(), 0o644)])?;
        let mut config = Config::new(vec!["/usr/local/bin/app".into()]);
        config.user = "65532:65532".into();
        config.history = vec!["base".into()];
        let image = Image::new(&config, vec![a.clone(), b.clone()])?;
        let c: Value = serde_json::from_slice(&image.config.bytes()?)?;
        assert_eq!(c["rootfs"]["diff_ids"], json!([a.diff_id, b.diff_id]));
        assert_eq!(c["history"][0]["created_by"], "base");
        assert_eq!(c["history"][1]["created_by"], "kpipe");
        assert_eq!(c["config"]["User"], "65532:65532");
        assert!(c["config"].get("Cmd").is_none());
        let m: Value = serde_json::from_slice(&image.manifest.bytes()?)?;
        assert_eq!(m["config"]["digest"], image.config.digest);
        assert_eq!(m["layers"][1]["digest"], b.blob.digest);
        assert_eq!(image.blobs().count(), 3);
        assert_eq!(Image::new(&config, vec![a, b])?.digest(), image.digest());
        Ok(())
    }
}
