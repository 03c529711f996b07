//! The serving image: config, manifest, and the OCI image layout on disk.

use std::collections::BTreeMap;
use std::path::{Path, PathBuf};
use std::process::Command;

use anyhow::{Context, bail};
use serde_json::{Value, json};

use super::layer::{self, Entry, Layer};
use kpipe::fsutil::write_bytes_durably;

/// Media type of an OCI image manifest.
pub const MANIFEST_TYPE: &str = "application/vnd.oci.image.manifest.v1+json";
/// Media type of an OCI image config.
pub const CONFIG_TYPE: &str = "application/vnd.oci.image.config.v1+json";
/// Media type of a gzip layer.
pub const LAYER_TYPE: &str = "application/vnd.oci.image.layer.v1.tar+gzip";
/// Where the image keeps the step binary.
pub const BINARY_PATH: &str = "/usr/local/bin/kpipe-step";
/// Where the image keeps the model.
pub const MODEL_PATH: &str = "/model";

/// A built image: its blobs, by digest, and its manifest.
#[derive(Clone, Debug)]
pub struct Image {
    /// Every blob (layers and config), by digest.
    pub blobs: BTreeMap<String, Vec<u8>>,
    /// The manifest bytes.
    pub manifest: Vec<u8>,
    /// `sha256:` of the manifest: the image digest.
    pub digest: String,
}

/// The shared libraries a dynamically linked binary needs (and its loader),
/// from `ldd`; empty for a static binary.
fn shared_libraries(binary: &Path) -> anyhow::Result<Vec<PathBuf>> {
    let out = match Command::new("ldd").arg(binary).output() {
        Ok(o) => o,
        Err(_) => return Ok(Vec::new()), // no ldd: assume static
    };
    let text = String::from_utf8_lossy(&out.stdout);
    if !out.status.success()
        || text.contains("not a dynamic executable")
        || text.contains("statically linked")
    {
        return Ok(Vec::new());
    }
    let mut libs = Vec::new();
    for line in text.lines() {
        let line = line.trim();
        let path = match line.split_once("=>") {
            Some((_, rhs)) => rhs.split_whitespace().next().unwrap_or(""),
            None => line.split_whitespace().next().unwrap_or(""),
        };
        if path.starts_with('/') {
            libs.push(PathBuf::from(path));
        } else if line.contains("not found") {
            bail!(
                "{} needs a library that is not installed: {line}",
                binary.display()
            );
        }
    }
    Ok(libs)
}

fn read(path: &Path) -> anyhow::Result<Vec<u8>> {
    std::fs::read(path).with_context(|| format!("cannot read {}", path.display()))
}

fn model_entries(dir: &Path, prefix: &str, out: &mut Vec<Entry>) -> anyhow::Result<()> {
    let mut names: Vec<_> = std::fs::read_dir(dir)
        .with_context(|| format!("cannot read {}", dir.display()))?
        .collect::<Result<_, _>>()?;
    names.sort_by_key(|e| e.file_name());
    for e in names {
        let path = e.path();
        let name = format!("{prefix}/{}", e.file_name().to_string_lossy());
        if path.is_dir() {
            model_entries(&path, &name, out)?;
        } else {
            out.push(Entry {
                path: name,
                data: read(&path)?,
                mode: 0o644,
            });
        }
    }
    Ok(())
}

/// Builds the serving image of `model_dir` running `binary serve`.
pub fn build(binary: &Path, model_dir: &Path) -> anyhow::Result<Image> {
    if !model_dir.join("kpipe-model.json").is_file() {
        bail!(
            "{} is not a model directory (no kpipe-model.json); pass the train step's output",
            model_dir.display()
        );
    }
    let bin =
        read(binary).with_context(|| "the step binary (--base-binary) is needed in the image")?;
    let mut system = Vec::new();
    for lib in shared_libraries(binary)? {
        // Resolve symlinks so the file is stored at the path the loader asks for.
        let data = read(&lib)?;
        system.push(Entry {
            path: lib.to_string_lossy().into_owned(),
            data,
            mode: 0o755,
        });
    }
    let mut layers: Vec<Layer> = Vec::new();
    if !system.is_empty() {
        layers.push(layer::build(&system)?);
    }
    layers.push(layer::build(&[Entry {
        path: BINARY_PATH.to_owned(),
        data: bin,
        mode: 0o755,
    }])?);
    let mut model = Vec::new();
    model_entries(model_dir, MODEL_PATH, &mut model)?;
    layers.push(layer::build(&model)?);

    let config = json!({
        "architecture": "amd64",
        "os": "linux",
        "created": "1970-01-01T00:00:00Z",
        "config": {
            "User": "65532:65532",
            "Entrypoint": [BINARY_PATH, "serve"],
            "Cmd": ["--model", MODEL_PATH],
            "Env": ["PATH=/usr/local/bin:/usr/bin:/bin", format!("KPIPE_MODEL_DIR={MODEL_PATH}")],
            "ExposedPorts": {"8080/tcp": {}},
            "WorkingDir": "/",
            "Labels": {
                "org.opencontainers.image.title": "kubernetes-analysis model server",
                "org.opencontainers.image.description": "KServe V1 model server for the kind/bug release-note classifier",
                "org.opencontainers.image.source": "https://github.com/kpipe/kpipe",
            },
        },
        "rootfs": {"type": "layers", "diff_ids": layers.iter().map(|l| l.diff_id.clone()).collect::<Vec<_>>()},
        "history": layers.iter().map(|_| json!({"created": "1970-01-01T00:00:00Z", "created_by": "kpipe-step build-image"})).collect::<Vec<_>>(),
    });
    let config = serde_json::to_vec(&config)?;
    let config_digest = layer::sha256(&config);
    let manifest = json!({
        "schemaVersion": 2,
        "mediaType": MANIFEST_TYPE,
        "config": {"mediaType": CONFIG_TYPE, "digest": config_digest, "size": config.len()},
        "layers": layers.iter().map(|l| json!({"mediaType": LAYER_TYPE, "digest": l.digest, "size": l.blob.len()})).collect::<Vec<Value>>(),
    });
    let manifest = serde_json::to_vec(&manifest)?;
    let mut blobs = BTreeMap::new();
    blobs.insert(config_digest, config);
    for l in layers {
        blobs.insert(l.digest, l.blob);
    }
    Ok(Image {
        digest: layer::sha256(&manifest),
        blobs,
        manifest,
    })
}

/// Writes `image` as an OCI image layout in `dir`, tagged `tags`.
pub fn write_layout(
    image: &Image,
    dir: &Path,
    repository: &str,
    tags: &[String],
) -> anyhow::Result<()> {
    let blobs = dir.join("blobs/sha256");
    std::fs::create_dir_all(&blobs)
        .with_context(|| format!("cannot create {}", blobs.display()))?;
    let write_blob = |digest: &str, bytes: &[u8]| -> anyhow::Result<()> {
        let path = blobs.join(digest.trim_start_matches("sha256:"));
        if !path.exists() {
            write_bytes_durably(&path, bytes)
                .with_context(|| format!("cannot write {}", path.display()))?;
        }
        Ok(())
    };
    for (d, b) in &image.blobs {
        write_blob(d, b)?;
    }
    write_blob(&image.digest, &image.manifest)?;
    write_bytes_durably(
        &dir.join("oci-layout"),
        br#"{"imageLayoutVersion":"1.0.0"}"#,
    )?;
    let manifests: Vec<Value> = tags
        .iter()
        .map(|t| {
            json!({
                "mediaType": MANIFEST_TYPE,
                "digest": image.digest,
                "size": image.manifest.len(),
                "annotations": {
                    "org.opencontainers.image.ref.name": t,
                    "io.kpipe.image.repository": repository,
                },
            })
        })
        .collect();
    let index = json!({"schemaVersion": 2, "mediaType": "application/vnd.oci.image.index.v1+json", "manifests": manifests});
    write_bytes_durably(&dir.join("index.json"), &serde_json::to_vec_pretty(&index)?)?;
    Ok(())
}
