//! The model directory: the contract between `train`, `predict`, `serve`
//! and the serving image.
//!
//! ```text
//! MODEL_DIR/
//!   kpipe-model.json   format, version, settings, threshold, checksums
//!   vectorizers.json   TF-IDF settings, vocabulary and idf per block
//!   selector.json      SelectKBest: the kept feature columns (or null)
//!   weights.bin        the network's weights (little-endian f32 tensors)
//!   metrics.json       metrics on the training-side validation split
//!   history.json       per-epoch loss, validation loss and AUC
//! ```
//!
//! Every file is checked on load (format, version, SHA-256 from
//! `kpipe-model.json`, shapes), so a model from an incompatible kpipe or a
//! damaged directory fails with a message instead of predicting garbage.

use std::fs;
use std::io::{Read, Write};
use std::path::{Path, PathBuf};

use anyhow::{Context, bail};
use serde::{Deserialize, Serialize};
use sha2::{Digest, Sha256};

use super::features::{FeatureConfig, Features};
use super::fit::Epoch;
use super::metrics::Metrics;
use super::net_config::NetConfig;
use super::select::Selector;
use super::tfidf::Tfidf;
use super::weights::{Dense, Weights};

/// `kpipe-model.json`'s `format`.
pub const FORMAT: &str = "kpipe-model";
/// The model format version this build writes.
///
/// 2 added the `lead` analyzer (a vectorizer block older builds cannot read).
pub const VERSION: u32 = 2;
/// The oldest format version this build still reads: a version 1 model is a
/// version 2 model without a `lead` block.
pub const OLDEST_READABLE: u32 = 1;
const WEIGHTS_MAGIC: &[u8; 8] = b"KPIPEW01";

/// `kpipe-model.json`.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct Manifest {
    /// Always [`FORMAT`].
    pub format: String,
    /// Format version.
    pub version: u32,
    /// The kpipe-step that trained it.
    pub created_by: String,
    /// Feature settings.
    pub features: FeatureConfig,
    /// Network settings.
    pub network: NetConfig,
    /// Probability at or above which a note is predicted bug.
    pub threshold: f64,
    /// Seed of the run.
    pub seed: u64,
    /// Epoch whose weights were kept.
    pub best_epoch: usize,
    /// Examples trained on / held out for validation.
    pub train_examples: usize,
    /// Validation examples.
    pub validation_examples: usize,
    /// SHA-256 (hex) of each other file.
    pub sha256: std::collections::BTreeMap<String, String>,
}

impl Manifest {
    /// The manifest this build writes for a model of `features` and
    /// `network` deciding at `threshold`; the run's numbers start at zero.
    pub fn new(features: FeatureConfig, network: NetConfig, threshold: f64) -> Self {
        Self {
            format: FORMAT.to_owned(),
            version: VERSION,
            created_by: concat!("kpipe-step ", env!("CARGO_PKG_VERSION")).to_owned(),
            features,
            network,
            threshold,
            seed: 0,
            best_epoch: 0,
            train_examples: 0,
            validation_examples: 0,
            sha256: std::collections::BTreeMap::new(),
        }
    }
}

/// A trained model, ready to predict.
#[derive(Clone, Debug)]
pub struct Model {
    /// Its manifest.
    pub manifest: Manifest,
    /// The feature pipeline.
    pub features: Features,
    /// The network's weights.
    pub weights: Weights,
}

/// Checks a `--threshold` given on the command line.
pub fn checked_threshold(flag: Option<f64>) -> anyhow::Result<Option<f64>> {
    match flag {
        Some(t) if !(0.0..=1.0).contains(&t) => bail!("--threshold must be in [0, 1], got {t}"),
        _ => Ok(flag),
    }
}

impl Model {
    /// The threshold to decide at: `flag` when the user gave one, else the
    /// one stored with the model (chosen when it was trained).
    pub fn threshold(&self, flag: Option<f64>) -> f64 {
        flag.unwrap_or(self.manifest.threshold)
    }

    /// The bug probability of `text`.
    pub fn predict(&self, text: &str) -> f64 {
        f64::from(self.weights.predict(&self.features.transform_one(text)))
    }

    /// Writes the model directory `dir` with `metrics` and `history`,
    /// replacing any previous model there only once everything is written.
    pub fn save(&self, dir: &Path, metrics: &Metrics, history: &[Epoch]) -> anyhow::Result<()> {
        let tmp = sibling(dir, "tmp");
        if tmp.exists() {
            fs::remove_dir_all(&tmp).with_context(|| format!("cannot remove {}", tmp.display()))?;
        }
        fs::create_dir_all(&tmp).with_context(|| format!("cannot create {}", tmp.display()))?;
        let mut files: Vec<(&str, Vec<u8>)> = vec![
            (
                "vectorizers.json",
                serde_json::to_vec(&self.features.vectorizers)?,
            ),
            (
                "selector.json",
                serde_json::to_vec(&self.features.selector)?,
            ),
            ("weights.bin", encode_weights(&self.weights)),
            ("metrics.json", serde_json::to_vec_pretty(metrics)?),
            ("history.json", serde_json::to_vec_pretty(history)?),
        ];
        let mut manifest = self.manifest.clone();
        manifest.sha256 = files
            .iter()
            .map(|(name, bytes)| ((*name).to_owned(), hex::encode(Sha256::digest(bytes))))
            .collect();
        files.push(("kpipe-model.json", serde_json::to_vec_pretty(&manifest)?));
        for (name, bytes) in &files {
            let path = tmp.join(name);
            let mut f = fs::File::create(&path)
                .with_context(|| format!("cannot create {}", path.display()))?;
            f.write_all(bytes)
                .and_then(|()| f.sync_all())
                .with_context(|| format!("cannot write {}", path.display()))?;
        }
        let old = sibling(dir, "old");
        if dir.exists() {
            if old.exists() {
                fs::remove_dir_all(&old)
                    .with_context(|| format!("cannot remove {}", old.display()))?;
            }
            fs::rename(dir, &old)
                .with_context(|| format!("cannot move {} aside", dir.display()))?;
        }
        fs::rename(&tmp, dir)
            .with_context(|| format!("cannot move the model to {}", dir.display()))?;
        if old.exists() {
            let _ = fs::remove_dir_all(&old);
        }
        Ok(())
    }

    /// Loads and checks the model directory `dir`.
    pub fn load(dir: &Path) -> anyhow::Result<Self> {
        let manifest_path = dir.join("kpipe-model.json");
        if !dir.is_dir() {
            bail!(
                "model directory {} does not exist; train one with `kpipe-step train --data FILE --out {}`",
                dir.display(),
                dir.display()
            );
        }
        let manifest_bytes = fs::read(&manifest_path).with_context(|| {
            format!(
                "{} is not a kpipe model directory (no kpipe-model.json)",
                dir.display()
            )
        })?;
        let head: serde_json::Value = serde_json::from_slice(&manifest_bytes)
            .with_context(|| format!("{} is not JSON", manifest_path.display()))?;
        if head.get("format").and_then(|f| f.as_str()) != Some(FORMAT) {
            bail!("{} is not a kpipe model manifest", manifest_path.display());
        }
        let version = head.get("version").and_then(|v| v.as_u64()).unwrap_or(0);
        if !(u64::from(OLDEST_READABLE)..=u64::from(VERSION)).contains(&version) {
            let by = head
                .get("created_by")
                .and_then(|c| c.as_str())
                .unwrap_or("an unknown kpipe");
            bail!(
                "model in {} has format version {version} (written by {by}); this kpipe-step ({}) reads versions {OLDEST_READABLE} to {VERSION}: retrain the model with this version",
                dir.display(),
                env!("CARGO_PKG_VERSION")
            );
        }
        let manifest: Manifest = serde_json::from_value(head)
            .with_context(|| format!("{} is damaged", manifest_path.display()))?;
        if !(0.0..=1.0).contains(&manifest.threshold) {
            bail!(
                "{} is damaged: the threshold {} is not a probability",
                manifest_path.display(),
                manifest.threshold
            );
        }
        let read = |name: &str| -> anyhow::Result<Vec<u8>> {
            let path = dir.join(name);
            let bytes =
                fs::read(&path).with_context(|| format!("cannot read {}", path.display()))?;
            if let Some(want) = manifest.sha256.get(name)
                && hex::encode(Sha256::digest(&bytes)) != *want
            {
                bail!(
                    "{} is damaged (checksum mismatch); retrain or restore the model",
                    path.display()
                );
            }
            Ok(bytes)
        };
        let vectorizers: Vec<Tfidf> = serde_json::from_slice(&read("vectorizers.json")?)
            .with_context(|| format!("{} is damaged", dir.join("vectorizers.json").display()))?;
        let vectorizers = vectorizers
            .into_iter()
            .enumerate()
            .map(|(i, v)| {
                Tfidf::from_parts(v.config, v.vocabulary, v.idf).map_err(|e| {
                    let path = dir.join("vectorizers.json");
                    anyhow::anyhow!("{} is damaged: block {i}: {e}", path.display())
                })
            })
            .collect::<anyhow::Result<_>>()?;
        let selector: Option<Selector> = serde_json::from_slice(&read("selector.json")?)
            .with_context(|| format!("{} is damaged", dir.join("selector.json").display()))?;
        let features = Features::from_parts(vectorizers, selector).map_err(|e| {
            let path = dir.join("selector.json");
            anyhow::anyhow!("{} is damaged: {e}", path.display())
        })?;
        let weights = decode_weights(&read("weights.bin")?)
            .with_context(|| format!("{} is damaged", dir.join("weights.bin").display()))?;
        if weights.first.inputs != features.dim() {
            bail!(
                "model in {} is inconsistent: the network takes {} inputs but the features give {}",
                dir.display(),
                weights.first.inputs,
                features.dim()
            );
        }
        Ok(Self {
            manifest,
            features,
            weights,
        })
    }
}

fn sibling(dir: &Path, suffix: &str) -> PathBuf {
    let name = dir
        .file_name()
        .map(|n| n.to_string_lossy().into_owned())
        .unwrap_or_else(|| "model".to_owned());
    dir.with_file_name(format!(".{name}.{suffix}"))
}

fn encode_weights(w: &Weights) -> Vec<u8> {
    let mut tensors: Vec<(String, &Dense)> = vec![("first".to_owned(), &w.first)];
    for (i, h) in w.hidden.iter().enumerate() {
        tensors.push((format!("hidden.{i}"), h));
    }
    tensors.push(("output".to_owned(), &w.output));
    let mut out = Vec::new();
    out.extend_from_slice(WEIGHTS_MAGIC);
    out.extend_from_slice(&(w.units as u32).to_le_bytes());
    out.extend_from_slice(&(tensors.len() as u32).to_le_bytes());
    for (name, d) in tensors {
        out.extend_from_slice(&(name.len() as u32).to_le_bytes());
        out.extend_from_slice(name.as_bytes());
        out.extend_from_slice(&(d.inputs as u64).to_le_bytes());
        out.extend_from_slice(&(d.outputs as u64).to_le_bytes());
        for v in d.w.iter().chain(&d.b) {
            out.extend_from_slice(&v.to_le_bytes());
        }
    }
    out
}

fn decode_weights(bytes: &[u8]) -> anyhow::Result<Weights> {
    let mut r = bytes;
    let mut magic = [0u8; 8];
    r.read_exact(&mut magic).context("too short")?;
    if &magic != WEIGHTS_MAGIC {
        bail!("not a kpipe weights file");
    }
    let u32_ = |r: &mut &[u8]| -> anyhow::Result<u32> {
        let mut b = [0u8; 4];
        r.read_exact(&mut b).context("truncated")?;
        Ok(u32::from_le_bytes(b))
    };
    let units = u32_(&mut r)? as usize;
    let count = u32_(&mut r)? as usize;
    let mut layers = Vec::with_capacity(count);
    for _ in 0..count {
        let len = u32_(&mut r)? as usize;
        if len > 64 || r.len() < len {
            bail!("bad tensor name");
        }
        let (name, rest) = r.split_at(len);
        r = rest;
        let mut dims = [0u64; 2];
        for d in &mut dims {
            let mut b = [0u8; 8];
            r.read_exact(&mut b).context("truncated")?;
            *d = u64::from_le_bytes(b);
        }
        let (inputs, outputs) = (dims[0] as usize, dims[1] as usize);
        let n = inputs
            .checked_mul(outputs)
            .and_then(|n| n.checked_add(outputs))
            .filter(|n| n.checked_mul(4).is_some_and(|b| b <= r.len()))
            .ok_or_else(|| {
                anyhow::anyhow!("tensor {} is truncated", String::from_utf8_lossy(name))
            })?;
        let (data, rest) = r.split_at(n * 4);
        r = rest;
        let values: Vec<f32> = data
            .chunks_exact(4)
            .map(|c| f32::from_le_bytes([c[0], c[1], c[2], c[3]]))
            .collect();
        if values.iter().any(|v| !v.is_finite()) {
            bail!(
                "tensor {} holds a weight that is not a finite number",
                String::from_utf8_lossy(name)
            );
        }
        let (w, b) = values.split_at(inputs * outputs);
        layers.push(Dense {
            inputs,
            outputs,
            w: w.to_vec(),
            b: b.to_vec(),
        });
    }
    if !r.is_empty() || layers.len() < 2 {
        bail!("unexpected layout");
    }
    let output = layers
        .pop()
        .ok_or_else(|| anyhow::anyhow!("no output layer"))?;
    let first = layers.remove(0);
    let weights = Weights {
        first,
        units,
        hidden: layers,
        output,
    };
    weights
        .check_shapes()
        .map_err(|e| anyhow::anyhow!("unexpected layer shapes: {e}"))?;
    Ok(weights)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::ml::tfidf::Analyzer;

    #[test]
    fn weights_round_trip_and_reject_damage() {
        let w = Weights {
            first: Dense {
                inputs: 3,
                outputs: 3,
                w: (0..9).map(|i| i as f32 / 10.0).collect(),
                b: vec![0.1, -0.2, 0.3],
            },
            units: 2,
            hidden: vec![Dense {
                inputs: 2,
                outputs: 2,
                w: vec![1.0, -1.0, 0.5, 0.25],
                b: vec![0.0, 0.1],
            }],
            output: Dense {
                inputs: 2,
                outputs: 1,
                w: vec![0.7, -0.3],
                b: vec![0.05],
            },
        };
        let bytes = encode_weights(&w);
        assert_eq!(decode_weights(&bytes).ok(), Some(w.clone()));
        assert!(decode_weights(&bytes[..bytes.len() - 3]).is_err());
        assert!(decode_weights(b"KPIPEW01").is_err());
        assert!(decode_weights(b"garbage!garbage").is_err());
        // logit = hidden path + wide column
        let x = [(0u32, 1.0f32), (2, 0.5)];
        let z: Vec<f32> = (0..3)
            .map(|j| w.first.b[j] + w.first.w[j] + 0.5 * w.first.w[6 + j])
            .collect();
        let h: Vec<f32> = z[..2].iter().map(|v| v.max(0.0)).collect();
        let h2: Vec<f32> = (0..2)
            .map(|o| {
                (w.hidden[0].b[o] + h[0] * w.hidden[0].w[o] + h[1] * w.hidden[0].w[2 + o]).max(0.0)
            })
            .collect();
        let want = w.output.b[0] + h2[0] * w.output.w[0] + h2[1] * w.output.w[1] + z[2];
        assert!((w.logit(&x) - want).abs() < 1e-6);
    }

    fn tiny_model(features: &FeatureConfig, version: u32) -> Model {
        let docs = [
            "Fixed a crash in kubelet",
            "Added a flag to kubectl",
            "Fixed kubectl",
        ];
        let (features, _) = Features::fit(features, &docs, &[true, false, true]);
        Model {
            manifest: Manifest {
                version,
                ..Manifest::new(features_config(&features), NetConfig::default(), 0.6)
            },
            weights: Weights::patterned(features.dim(), 2),
            features,
        }
    }

    fn features_config(f: &Features) -> FeatureConfig {
        FeatureConfig {
            vectorizers: f.vectorizers.iter().map(|v| v.config.clone()).collect(),
            select_k: None,
        }
    }

    fn save_and_load(model: &Model) -> anyhow::Result<Model> {
        let dir = tempfile::tempdir()?;
        let path = dir.path().join("model");
        let metrics = Metrics::compute(&[0.9, 0.1], &[true, false], 0.5);
        model.save(&path, &metrics, &[])?;
        Model::load(&path)
    }

    #[test]
    fn version_1_models_still_load_and_newer_ones_are_refused() {
        // Version 1 had no `lead` block: word n-grams only.
        let mut words = FeatureConfig::kpipe();
        words.vectorizers.retain(|v| v.analyzer != Analyzer::Lead);
        let v1 = tiny_model(&words, 1);
        let loaded = save_and_load(&v1).map_err(|e| format!("{e:#}"));
        let loaded = loaded.as_ref().map(|m| m.predict("Fixed a crash"));
        assert_eq!(loaded, Ok(v1.predict("Fixed a crash")));

        let current = tiny_model(&FeatureConfig::kpipe(), VERSION);
        let loaded = save_and_load(&current).map(|m| m.predict("Fixed kubectl"));
        assert_eq!(loaded.ok(), Some(current.predict("Fixed kubectl")));

        let err = save_and_load(&tiny_model(&FeatureConfig::kpipe(), VERSION + 1))
            .err()
            .map(|e| format!("{e:#}"))
            .unwrap_or_default();
        assert!(
            err.contains(&format!("reads versions 1 to {VERSION}: retrain")),
            "{err}"
        );
    }
}
