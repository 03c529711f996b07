//! The image a step image is built on, as the cache records it: its layers
//! (blobs in the cache's store), the environment its config sets, and its
//! inventory (users, groups, shared libraries, glibc).

use anyhow::Context;
use kpipe_oci::Layer;
use kpipe_oci::rootfs::Inventory;
use serde::{Deserialize, Serialize};

use super::cache::Cache;

/// A base image.
#[derive(Clone, Debug)]
pub(crate) struct Base {
    /// What it is, for labels, history and messages
    /// (`debian bookworm (mmdebstrap …)`, `REF@sha256:…`).
    pub(crate) description: String,
    /// Its layers, bottom first.
    pub(crate) layers: Vec<Layer>,
    /// `NAME=VALUE` lines of its config (`PATH`, CUDA's variables).
    pub(crate) env: Vec<String>,
    /// What its files hold.
    pub(crate) inventory: Inventory,
}

/// [`Base`] as a JSON record in the cache.
#[derive(Serialize, Deserialize)]
pub(crate) struct Record {
    description: String,
    layers: Vec<LayerRecord>,
    env: Vec<String>,
    inventory: Inventory,
}

#[derive(Serialize, Deserialize)]
struct LayerRecord {
    digest: String,
    size: u64,
    diff_id: String,
    media_type: String,
}

impl Base {
    /// The base recorded in `bases/NAME.json`, if it is there and the
    /// cache still holds all of its blobs.
    pub(crate) fn load(cache: &Cache, name: &str) -> anyhow::Result<Option<Self>> {
        let Some(record) = cache.read_record::<Record>(&cache.record(name)) else {
            return Ok(None);
        };
        let mut layers = Vec::new();
        for l in record.layers {
            let Some(blob) = cache.store().get(&l.digest)? else {
                return Ok(None);
            };
            if blob.size != l.size {
                return Ok(None);
            }
            layers.push(Layer {
                blob,
                diff_id: l.diff_id,
                media_type: l.media_type,
            });
        }
        Ok(Some(Self {
            description: record.description,
            layers,
            env: record.env,
            inventory: record.inventory,
        }))
    }

    /// Records this base as `bases/NAME.json` (its blobs must be in the
    /// cache's store).
    pub(crate) fn save(&self, cache: &Cache, name: &str) -> anyhow::Result<()> {
        let record = Record {
            description: self.description.clone(),
            layers: self
                .layers
                .iter()
                .map(|l| LayerRecord {
                    digest: l.blob.digest.clone(),
                    size: l.blob.size,
                    diff_id: l.diff_id.clone(),
                    media_type: l.media_type.clone(),
                })
                .collect(),
            env: self.env.clone(),
            inventory: self.inventory.clone(),
        };
        cache
            .write_record(&cache.record(name), &record)
            .context("cannot record the base image in the cache")
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use kpipe_oci::layer::{Entry, build};

    #[test]
    fn a_recorded_base_loads_while_its_blobs_are_cached() -> anyhow::Result<()> {
        let tmp = tempfile::tempdir()?;
        let cache = Cache::at(tmp.path());
        let mut layer = build(&[Entry::file(
            "/etc/passwd",
            b"root:x:0:0::/root:/bin/sh\n".to_vec(),
            0o644,
        )])?;
        layer.blob = cache.store().put(&layer.blob)?;
        let base = Base {
            description: "test".into(),
            layers: vec![layer.clone()],
            env: vec!["PATH=/bin".into()],
            inventory: Inventory::default(),
        };
        base.save(&cache, "t")?;
        let loaded =
            Base::load(&cache, "t")?.map(|b| (b.description, b.layers[0].diff_id.clone(), b.env));
        assert_eq!(
            loaded,
            Some((
                "test".into(),
                layer.diff_id.clone(),
                vec!["PATH=/bin".into()]
            ))
        );
        std::fs::remove_file(cache.store().path(&layer.blob.digest)?)?;
        assert!(
            Base::load(&cache, "t")?.is_none(),
            "a lost blob means building it again"
        );
        Ok(())
    }
}
