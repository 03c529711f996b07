//! Reproducible layers: tar entries sorted, owned by root, dated at the
//! epoch; gzip without a timestamp or name. Same inputs, same bytes.

use std::io::Write;
use std::path::Path;

use anyhow::Context;
use flate2::{Compression, GzBuilder};
use sha2::{Digest, Sha256};

/// A file to put in a layer.
#[derive(Clone, Debug)]
pub struct Entry {
    /// Path in the image (absolute).
    pub path: String,
    /// Contents.
    pub data: Vec<u8>,
    /// Unix permission bits.
    pub mode: u32,
}

/// A built layer: the gzip blob and its digests.
#[derive(Clone, Debug)]
pub struct Layer {
    /// Compressed tarball.
    pub blob: Vec<u8>,
    /// `sha256:` of `blob`.
    pub digest: String,
    /// `sha256:` of the uncompressed tar (the config's diff_id).
    pub diff_id: String,
}

/// `sha256:<hex>` of `bytes`.
pub fn sha256(bytes: &[u8]) -> String {
    format!("sha256:{}", hex::encode(Sha256::digest(bytes)))
}

/// Builds a layer from `entries` (parent directories are added).
pub fn build(entries: &[Entry]) -> anyhow::Result<Layer> {
    let mut entries: Vec<&Entry> = entries.iter().collect();
    entries.sort_by(|a, b| a.path.cmp(&b.path));
    let mut dirs = std::collections::BTreeSet::new();
    for e in &entries {
        let mut p = Path::new(e.path.trim_start_matches('/')).parent();
        while let Some(d) = p.filter(|d| !d.as_os_str().is_empty()) {
            dirs.insert(d.to_string_lossy().into_owned());
            p = d.parent();
        }
    }
    let mut tar = tar::Builder::new(Vec::new());
    tar.mode(tar::HeaderMode::Deterministic);
    for d in &dirs {
        let mut h = header(0o755, tar::EntryType::Directory, 0);
        tar.append_data(&mut h, format!("{d}/"), std::io::empty())
            .context("tar")?;
    }
    for e in entries {
        let mut h = header(e.mode, tar::EntryType::Regular, e.data.len() as u64);
        tar.append_data(&mut h, e.path.trim_start_matches('/'), &e.data[..])
            .context("tar")?;
    }
    let tar = tar.into_inner().context("tar")?;
    let mut gz = GzBuilder::new()
        .mtime(0)
        .write(Vec::new(), Compression::new(6));
    gz.write_all(&tar)?;
    let blob = gz.finish()?;
    Ok(Layer {
        digest: sha256(&blob),
        diff_id: sha256(&tar),
        blob,
    })
}

fn header(mode: u32, kind: tar::EntryType, size: u64) -> tar::Header {
    let mut h = tar::Header::new_ustar();
    h.set_entry_type(kind);
    h.set_mode(mode);
    h.set_uid(0);
    h.set_gid(0);
    h.set_mtime(0);
    h.set_size(size);
    h
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn same_entries_same_digest_in_any_order() {
        let a = Entry {
            path: "/usr/bin/x".into(),
            data: b"bin".to_vec(),
            mode: 0o755,
        };
        let b = Entry {
            path: "/model/w.bin".into(),
            data: vec![1, 2, 3],
            mode: 0o644,
        };
        let l1 = build(&[a.clone(), b.clone()]).unwrap_or_else(|e| panic!("{e}"));
        let l2 = build(&[b, a]).unwrap_or_else(|e| panic!("{e}"));
        assert_eq!(l1.digest, l2.digest);
        assert_eq!(l1.diff_id, l2.diff_id);
        assert!(l1.digest.starts_with("sha256:") && l1.digest.len() == 71);
    }
}
