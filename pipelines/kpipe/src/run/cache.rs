//! Step caching for local runs: the counterpart of KFP's execution caching
//! and Argo's memoize.
//!
//! A step's key hashes everything that decides what it does: its resolved
//! command line and environment, its loop item, the contents of its input
//! artifacts and the program itself (the executable's bytes). After a
//! successful run the key and the outputs (with their content hashes) are
//! written to `<task dir>/cache.json`, atomically (a temporary file renamed
//! into place). The next run in the same workdir reuses the outputs when the
//! key is the same and every output is still there unchanged.
//!
//! The entry lives in the task's directory, which a run empties before it
//! starts the step: a run killed halfway leaves no entry, so it cannot
//! poison the next run. An entry that does not parse is ignored with a
//! warning and the step runs.

use std::collections::BTreeMap;
use std::io::Read;
use std::path::{Path, PathBuf};
use std::sync::Mutex;

use anyhow::Context as _;
use serde_json::{Value, json};
use sha2::{Digest, Sha256};

const VERSION: u64 = 1;
const FILE: &str = "cache.json";

/// Builds a step's cache key.
#[derive(Debug)]
pub(crate) struct KeyBuilder(Sha256);

impl KeyBuilder {
    pub(crate) fn new(task: &str) -> Self {
        let mut h = Sha256::new();
        h.update(b"kpipe-step-cache-v1\0");
        field(&mut h, "task", task.as_bytes());
        Self(h)
    }

    pub(crate) fn text(&mut self, name: &str, value: &str) {
        field(&mut self.0, name, value.as_bytes());
    }

    /// The contents of a file or directory tree.
    pub(crate) fn tree(&mut self, name: &str, path: &Path) -> anyhow::Result<()> {
        let digest = hash_tree(path)?;
        field(&mut self.0, name, digest.as_bytes());
        Ok(())
    }

    pub(crate) fn finish(self) -> String {
        hex(&self.0.finalize())
    }
}

fn field(h: &mut Sha256, name: &str, value: &[u8]) {
    h.update((name.len() as u64).to_le_bytes());
    h.update(name.as_bytes());
    h.update((value.len() as u64).to_le_bytes());
    h.update(value);
}

fn hex(bytes: &[u8]) -> String {
    bytes.iter().map(|b| format!("{b:02x}")).collect()
}

/// The content hash of a file, or of a directory tree (relative paths, file
/// kinds, contents and symlink targets, in a stable order).
pub(crate) fn hash_tree(path: &Path) -> anyhow::Result<String> {
    let mut h = Sha256::new();
    hash_into(&mut h, path, Path::new(""))
        .with_context(|| format!("cannot read {}", path.display()))?;
    Ok(hex(&h.finalize()))
}

fn hash_into(h: &mut Sha256, path: &Path, rel: &Path) -> std::io::Result<()> {
    let meta = std::fs::symlink_metadata(path)?;
    let name = rel.to_string_lossy();
    if meta.file_type().is_symlink() {
        field(h, "link", name.as_bytes());
        field(
            h,
            "target",
            std::fs::read_link(path)?.to_string_lossy().as_bytes(),
        );
    } else if meta.is_dir() {
        field(h, "dir", name.as_bytes());
        let mut entries: Vec<_> = std::fs::read_dir(path)?
            .collect::<std::io::Result<Vec<_>>>()?
            .into_iter()
            .map(|e| e.file_name())
            .collect();
        entries.sort();
        for e in entries {
            hash_into(h, &path.join(&e), &rel.join(&e))?;
        }
    } else {
        field(h, "file", name.as_bytes());
        h.update(meta.len().to_le_bytes());
        let mut f = std::fs::File::open(path)?;
        let mut buf = vec![0u8; 1 << 16];
        loop {
            let n = f.read(&mut buf)?;
            if n == 0 {
                break;
            }
            h.update(&buf[..n]);
        }
    }
    Ok(())
}

/// Hashes of programs, computed once per run.
#[derive(Debug, Default)]
pub(crate) struct Programs(Mutex<BTreeMap<PathBuf, String>>);

impl Programs {
    /// The content hash of the executable at `path`.
    pub(crate) fn identity(&self, path: &Path) -> anyhow::Result<String> {
        if let Some(h) = self.0.lock().ok().and_then(|m| m.get(path).cloned()) {
            return Ok(h);
        }
        let h = hash_tree(path)?;
        if let Ok(mut m) = self.0.lock() {
            m.insert(path.to_path_buf(), h.clone());
        }
        Ok(h)
    }
}

/// What a successful run left: its outputs.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub(crate) struct Entry {
    /// Output artifact name → (local path, content hash).
    pub(crate) artifacts: BTreeMap<String, (PathBuf, String)>,
    /// Output parameter name → value.
    pub(crate) params: BTreeMap<String, String>,
}

/// What looking a step up found.
#[derive(Debug, PartialEq, Eq)]
pub(crate) enum Lookup {
    /// Reusable outputs.
    Hit(Entry),
    /// Nothing to reuse (no entry, another key, outputs changed).
    Miss,
    /// The entry is unreadable: the reason, for a warning.
    Corrupt(String),
}

/// Looks up `key` in `dir`.
pub(crate) fn lookup(dir: &Path, key: &str) -> Lookup {
    let path = dir.join(FILE);
    let text = match std::fs::read_to_string(&path) {
        Ok(t) => t,
        Err(e) if e.kind() == std::io::ErrorKind::NotFound => return Lookup::Miss,
        Err(e) => return Lookup::Corrupt(format!("cannot read {}: {e}", path.display())),
    };
    let v: Value = match serde_json::from_str(&text) {
        Ok(v) => v,
        Err(e) => return Lookup::Corrupt(format!("{} is not valid JSON ({e})", path.display())),
    };
    if v["version"].as_u64() != Some(VERSION) {
        return Lookup::Miss;
    }
    let Some(stored) = v["key"].as_str() else {
        return Lookup::Corrupt(format!("{} has no key", path.display()));
    };
    if stored != key {
        return Lookup::Miss;
    }
    let mut entry = Entry::default();
    let artifacts = v["artifacts"].as_object().cloned().unwrap_or_default();
    for (name, a) in artifacts {
        let (Some(p), Some(hash)) = (a["path"].as_str(), a["hash"].as_str()) else {
            return Lookup::Corrupt(format!(
                "{}: artifact `{name}` is incomplete",
                path.display()
            ));
        };
        let p = PathBuf::from(p);
        // Outputs someone changed or removed since: run again.
        if hash_tree(&p).ok().as_deref() != Some(hash) {
            return Lookup::Miss;
        }
        entry.artifacts.insert(name, (p, hash.to_owned()));
    }
    for (name, value) in v["params"].as_object().cloned().unwrap_or_default() {
        let Some(value) = value.as_str() else {
            return Lookup::Corrupt(format!(
                "{}: parameter `{name}` is not text",
                path.display()
            ));
        };
        entry.params.insert(name, value.to_owned());
    }
    Lookup::Hit(entry)
}

/// Writes the entry for `key` into `dir` atomically.
pub(crate) fn store(dir: &Path, key: &str, entry: &Entry) -> anyhow::Result<()> {
    let artifacts: serde_json::Map<String, Value> = entry
        .artifacts
        .iter()
        .map(|(n, (p, h))| (n.clone(), json!({"path": p, "hash": h})))
        .collect();
    let doc = json!({
        "version": VERSION,
        "key": key,
        "artifacts": artifacts,
        "params": entry.params,
    });
    let path = dir.join(FILE);
    crate::fsutil::write_bytes_atomic(&path, doc.to_string().as_bytes())
        .with_context(|| format!("cannot write the cache entry {}", path.display()))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn entries_round_trip_and_changed_outputs_miss() {
        let tmp = tempfile::tempdir().unwrap_or_else(|e| panic!("{e}"));
        let out = tmp.path().join("out.txt");
        std::fs::write(&out, "v1").unwrap_or_else(|e| panic!("{e}"));
        let hash = hash_tree(&out).unwrap_or_else(|e| panic!("{e:#}"));
        let entry = Entry {
            artifacts: BTreeMap::from([("text".to_owned(), (out.clone(), hash))]),
            params: BTreeMap::from([("n".to_owned(), "3".to_owned())]),
        };
        store(tmp.path(), "k1", &entry).unwrap_or_else(|e| panic!("{e:#}"));
        assert_eq!(lookup(tmp.path(), "k1"), Lookup::Hit(entry));
        assert_eq!(lookup(tmp.path(), "k2"), Lookup::Miss);
        std::fs::write(&out, "v2").unwrap_or_else(|e| panic!("{e}"));
        assert_eq!(lookup(tmp.path(), "k1"), Lookup::Miss, "output changed");
        std::fs::write(tmp.path().join(FILE), "{\"version\":1,\"ke")
            .unwrap_or_else(|e| panic!("{e}"));
        assert!(
            matches!(lookup(tmp.path(), "k1"), Lookup::Corrupt(m) if m.contains("not valid JSON"))
        );
    }

    #[test]
    fn tree_hashes_see_names_contents_and_links() {
        let tmp = tempfile::tempdir().unwrap_or_else(|e| panic!("{e}"));
        let d = tmp.path().join("d");
        std::fs::create_dir_all(d.join("sub")).unwrap_or_else(|e| panic!("{e}"));
        std::fs::write(d.join("sub/a"), "1").unwrap_or_else(|e| panic!("{e}"));
        let h1 = hash_tree(&d).unwrap_or_default();
        std::fs::write(d.join("sub/a"), "2").unwrap_or_else(|e| panic!("{e}"));
        let h2 = hash_tree(&d).unwrap_or_default();
        std::fs::rename(d.join("sub/a"), d.join("sub/b")).unwrap_or_else(|e| panic!("{e}"));
        let h3 = hash_tree(&d).unwrap_or_default();
        std::os::unix::fs::symlink("b", d.join("sub/c")).unwrap_or_else(|e| panic!("{e}"));
        let h4 = hash_tree(&d).unwrap_or_default();
        let all = [&h1, &h2, &h3, &h4];
        for (i, a) in all.iter().enumerate() {
            for b in &all[i + 1..] {
                assert_ne!(a, b);
            }
        }
    }
}
