//! Step caching for local runs: the counterpart of KFP's execution caching
//! and Argo's memoize.
//!
//! A step's key ([`key`]) hashes everything that decides what it does: its
//! resolved command line and environment, its loop item, the contents of
//! its input artifacts and the program itself (the executable's bytes).
//! After a successful run the key and the outputs (with their content
//! hashes) are written to the task directory's entry ([`Layout::cache_entry`]),
//! atomically. The next run in the same workdir reuses the outputs when the
//! key is the same and every output is still there unchanged.
//!
//! The entry lives in the task's directory, which a run empties before it
//! starts the step: a run killed halfway leaves no entry, so it cannot
//! poison the next run. An entry that does not parse is ignored with a
//! warning and the step runs.

use std::collections::BTreeMap;
use std::io::Read;
use std::path::{Path, PathBuf};

use anyhow::Context as _;
use serde::{Deserialize, Serialize};
use sha2::{Digest, Sha256};

use super::layout::Layout;

const VERSION: u64 = 1;

/// What decides a step's result.
#[derive(Debug)]
pub(crate) struct KeyInputs<'a> {
    pub(crate) task: &'a str,
    /// The content hash of what runs (the program, or the image's digest).
    pub(crate) identity: &'a str,
    /// The arguments after the program, as the step sees them.
    pub(crate) args: &'a [String],
    pub(crate) env: &'a [(String, String)],
    pub(crate) item: Option<&'a serde_json::Value>,
    /// Input artifacts: name and local path.
    pub(crate) inputs: &'a [(String, PathBuf)],
}

/// The key of one step run.
pub(crate) fn key(k: &KeyInputs<'_>) -> anyhow::Result<String> {
    let mut b = KeyBuilder::new(k.task);
    b.text("program", k.identity);
    for (i, a) in k.args.iter().enumerate() {
        b.text(&format!("arg{}", i + 1), a);
    }
    for (n, v) in k.env {
        b.text(&format!("env {n}"), v);
    }
    if let Some(item) = k.item {
        b.text("item", &item.to_string());
    }
    for (name, path) in k.inputs {
        b.tree(&format!("input {name}"), path)?;
    }
    Ok(b.finish())
}

/// Builds a step's cache key.
#[derive(Debug)]
struct KeyBuilder(Sha256);

impl KeyBuilder {
    fn new(task: &str) -> Self {
        let mut h = Sha256::new();
        h.update(b"kpipe-step-cache-v1\0");
        field(&mut h, "task", task.as_bytes());
        Self(h)
    }

    fn text(&mut self, name: &str, value: &str) {
        field(&mut self.0, name, value.as_bytes());
    }

    /// The contents of a file or directory tree.
    fn tree(&mut self, name: &str, path: &Path) -> anyhow::Result<()> {
        let digest = hash_tree(path)?;
        field(&mut self.0, name, digest.as_bytes());
        Ok(())
    }

    fn finish(self) -> String {
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

/// What a successful run left: its outputs.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub(crate) struct Entry {
    /// Output artifact name → (local path, content hash).
    pub(crate) artifacts: BTreeMap<String, (PathBuf, String)>,
    /// Output parameter name → value.
    pub(crate) params: BTreeMap<String, String>,
}

/// The entry as it is stored.
#[derive(Debug, Serialize, Deserialize)]
struct Stored {
    version: u64,
    key: String,
    artifacts: BTreeMap<String, StoredArtifact>,
    params: BTreeMap<String, String>,
}

#[derive(Debug, Serialize, Deserialize)]
struct StoredArtifact {
    path: PathBuf,
    hash: String,
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

/// Looks up `key` in task directory `dir`.
pub(crate) fn lookup(dir: &Path, key: &str) -> Lookup {
    let path = Layout::cache_entry(dir);
    let text = match std::fs::read_to_string(&path) {
        Ok(t) => t,
        Err(e) if e.kind() == std::io::ErrorKind::NotFound => return Lookup::Miss,
        Err(e) => return Lookup::Corrupt(format!("cannot read {}: {e}", path.display())),
    };
    // (an entry of another version is not an error: it is not reused)
    let version = serde_json::from_str::<serde_json::Value>(&text)
        .ok()
        .and_then(|v| v.get("version").and_then(serde_json::Value::as_u64));
    if version.is_some_and(|v| v != VERSION) {
        return Lookup::Miss;
    }
    let stored: Stored = match serde_json::from_str(&text) {
        Ok(s) => s,
        Err(e) => return Lookup::Corrupt(format!("{} is not a cache entry ({e})", path.display())),
    };
    if stored.key != key {
        return Lookup::Miss;
    }
    let mut entry = Entry {
        params: stored.params,
        ..Entry::default()
    };
    for (name, a) in stored.artifacts {
        // Outputs someone changed or removed since: run again.
        if hash_tree(&a.path).ok().as_deref() != Some(a.hash.as_str()) {
            return Lookup::Miss;
        }
        entry.artifacts.insert(name, (a.path, a.hash));
    }
    Lookup::Hit(entry)
}

/// The outputs task directory `dir` holds from its last successful run,
/// whatever their key, when they are still there unchanged (a partial
/// run reuses them).
pub(crate) fn outputs(dir: &Path) -> Option<Entry> {
    let text = std::fs::read_to_string(Layout::cache_entry(dir)).ok()?;
    let stored: Stored = serde_json::from_str(&text).ok()?;
    if stored.version != VERSION {
        return None;
    }
    let mut entry = Entry {
        params: stored.params,
        ..Entry::default()
    };
    for (name, a) in stored.artifacts {
        if hash_tree(&a.path).ok().as_deref() != Some(a.hash.as_str()) {
            return None;
        }
        entry.artifacts.insert(name, (a.path, a.hash));
    }
    Some(entry)
}

/// Writes the entry for `key` into task directory `dir`, atomically.
pub(crate) fn store(dir: &Path, key: &str, entry: &Entry) -> anyhow::Result<()> {
    let stored = Stored {
        version: VERSION,
        key: key.to_owned(),
        artifacts: entry
            .artifacts
            .iter()
            .map(|(n, (path, hash))| {
                let (path, hash) = (path.clone(), hash.clone());
                (n.clone(), StoredArtifact { path, hash })
            })
            .collect(),
        params: entry.params.clone(),
    };
    let path = Layout::cache_entry(dir);
    let text = serde_json::to_string(&stored).context("cannot serialise the cache entry")?;
    crate::fsutil::write_bytes_atomic(&path, text.as_bytes())
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
        std::fs::write(Layout::cache_entry(tmp.path()), "{\"version\":1,\"ke")
            .unwrap_or_else(|e| panic!("{e}"));
        assert!(
            matches!(lookup(tmp.path(), "k1"), Lookup::Corrupt(m) if m.contains("not a cache entry"))
        );
        std::fs::write(Layout::cache_entry(tmp.path()), "{\"version\":0}")
            .unwrap_or_else(|e| panic!("{e}"));
        assert_eq!(lookup(tmp.path(), "k1"), Lookup::Miss, "another version");
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
