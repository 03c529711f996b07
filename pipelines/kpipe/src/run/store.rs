//! Earlier results of a step, kept past the next run: going back to an
//! earlier parameter value (or input) finds its outputs here and is
//! `cached`, not run again.
//!
//! Each task directory has a store (`<workdir>/cache/<dir>/`, see
//! [`Layout::store`]) with one entry per key: the outputs, hard-linked from
//! the run that made them (a copy where the file system cannot link), and
//! their hashes. A store keeps the [`KEEP`] most recently used entries.
//! Nothing in a store is ever changed in place: a run writes into a fresh
//! task directory, and restoring links the files back.

use std::path::{Path, PathBuf};

use anyhow::Context as _;
use kpipe_compiler::ir::TaskNode;

use super::Finished;
use super::cache::{self, Entry, Lookup};
use super::layout::Layout;
use super::workspace::Workspace;

/// Entries a store keeps.
pub(crate) const KEEP: usize = 4;

/// The store of one task directory.
#[derive(Debug)]
pub(crate) struct Store {
    dir: PathBuf,
}

impl Store {
    /// The store of task directory `task_dir` in `layout`.
    pub(crate) fn of(layout: &Layout, task_dir: &Path) -> Self {
        let name = task_dir
            .file_name()
            .map(|n| n.to_string_lossy().into_owned())
            .unwrap_or_default();
        Self {
            dir: layout.store(&name),
        }
    }

    /// The entry for `key`, its outputs in the store.
    pub(crate) fn lookup(&self, key: &str) -> Lookup {
        let dir = self.dir.join(key);
        if !dir.is_dir() {
            return Lookup::Miss;
        }
        let found = cache::lookup(&dir, key);
        if matches!(found, Lookup::Hit(_)) {
            // (most recently used: evicted last)
            let _ = touch(&Layout::cache_entry(&dir));
        }
        found
    }

    /// Keeps the outputs of `entry` (in the task directory) under `key`,
    /// then drops the least recently used entries past [`KEEP`].
    pub(crate) fn keep(&self, key: &str, entry: &Entry) -> anyhow::Result<()> {
        let dir = self.dir.join(key);
        if dir.exists() {
            std::fs::remove_dir_all(&dir)
                .with_context(|| format!("cannot clear {}", dir.display()))?;
        }
        let mut kept = Entry {
            params: entry.params.clone(),
            ..Entry::default()
        };
        for (name, (path, hash)) in &entry.artifacts {
            let to = dir.join("outputs").join(name);
            link_tree(path, &to).with_context(|| {
                format!("cannot keep output `{name}` in the cache {}", dir.display())
            })?;
            kept.artifacts.insert(name.clone(), (to, hash.clone()));
        }
        std::fs::create_dir_all(&dir)
            .with_context(|| format!("cannot create {}", dir.display()))?;
        cache::store(&dir, key, &kept)?;
        self.evict()
    }

    fn evict(&self) -> anyhow::Result<()> {
        let mut entries: Vec<(std::time::SystemTime, PathBuf)> = std::fs::read_dir(&self.dir)
            .with_context(|| format!("cannot list {}", self.dir.display()))?
            .flatten()
            .map(|e| e.path())
            .filter(|p| p.is_dir())
            .map(|p| {
                let used = std::fs::metadata(Layout::cache_entry(&p))
                    .and_then(|m| m.modified())
                    .unwrap_or(std::time::UNIX_EPOCH);
                (used, p)
            })
            .collect();
        entries.sort();
        let excess = entries.len().saturating_sub(KEEP);
        for (_, p) in entries.into_iter().take(excess) {
            std::fs::remove_dir_all(&p)
                .with_context(|| format!("cannot drop the cache entry {}", p.display()))?;
        }
        Ok(())
    }
}

/// Puts a stored entry's outputs back into `ws` (which was just emptied)
/// where `t` writes them; returns what later tasks read.
pub(crate) fn restore(
    t: &TaskNode,
    entry: &Entry,
    ws: &Workspace,
) -> anyhow::Result<(Finished, Entry)> {
    let mut f = Finished::default();
    let mut here = Entry {
        params: entry.params.clone(),
        ..Entry::default()
    };
    for (name, (from, hash)) in &entry.artifacts {
        let Some(out) = t.outputs.iter().find(|o| &o.name == name) else {
            continue;
        };
        let to = ws.local(&out.path);
        link_tree(from, &to)
            .with_context(|| format!("cannot restore output `{name}` from {}", from.display()))?;
        here.artifacts
            .insert(name.clone(), (to.clone(), hash.clone()));
        f.artifacts.insert(name.clone(), to);
    }
    for p in &t.output_params {
        if let Some(value) = entry.params.get(&p.name) {
            let to = ws.local(&p.path);
            if let Some(dir) = to.parent() {
                std::fs::create_dir_all(dir)
                    .with_context(|| format!("cannot create {}", dir.display()))?;
            }
            std::fs::write(&to, value).with_context(|| format!("cannot write {}", to.display()))?;
        }
    }
    f.params = entry.params.clone();
    Ok((f, here))
}

/// Links (or copies) a file or directory tree.
fn link_tree(from: &Path, to: &Path) -> std::io::Result<()> {
    let meta = std::fs::symlink_metadata(from)?;
    if meta.is_dir() {
        std::fs::create_dir_all(to)?;
        for e in std::fs::read_dir(from)? {
            let e = e?;
            link_tree(&e.path(), &to.join(e.file_name()))?;
        }
        return Ok(());
    }
    if let Some(dir) = to.parent() {
        std::fs::create_dir_all(dir)?;
    }
    if meta.file_type().is_symlink() {
        #[cfg(unix)]
        return std::os::unix::fs::symlink(std::fs::read_link(from)?, to);
    }
    std::fs::hard_link(from, to).or_else(|_| std::fs::copy(from, to).map(|_| ()))
}

fn touch(path: &Path) -> std::io::Result<()> {
    std::fs::File::options()
        .append(true)
        .open(path)?
        .set_modified(std::time::SystemTime::now())
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::collections::BTreeMap;

    #[test]
    fn a_store_keeps_the_most_recently_used_entries() {
        let tmp = tempfile::tempdir().unwrap_or_else(|e| panic!("{e}"));
        let layout = Layout::new(tmp.path());
        let task = layout.task_dir("t", None);
        let store = Store::of(&layout, &task);
        for k in 0..(KEEP + 2) {
            let out = task.join(format!("out-{k}"));
            std::fs::create_dir_all(&task).unwrap_or_else(|e| panic!("{e}"));
            std::fs::write(&out, format!("v{k}")).unwrap_or_else(|e| panic!("{e}"));
            let hash = cache::hash_tree(&out).unwrap_or_else(|e| panic!("{e:#}"));
            let entry = Entry {
                artifacts: BTreeMap::from([("o".to_owned(), (out, hash))]),
                params: BTreeMap::from([("n".to_owned(), k.to_string())]),
            };
            store
                .keep(&format!("key{k}"), &entry)
                .unwrap_or_else(|e| panic!("{e:#}"));
            // (mtimes a second apart would be slow; the oldest must be
            // older than the rest)
            std::thread::sleep(std::time::Duration::from_millis(20));
        }
        assert_eq!(store.lookup("key0"), Lookup::Miss, "evicted");
        assert_eq!(store.lookup("key1"), Lookup::Miss, "evicted");
        let Lookup::Hit(hit) = store.lookup(&format!("key{}", KEEP + 1)) else {
            panic!("the newest entry is kept");
        };
        let (path, _) = &hit.artifacts["o"];
        assert_eq!(
            std::fs::read_to_string(path).unwrap_or_default(),
            format!("v{}", KEEP + 1)
        );
        assert_eq!(hit.params["n"], (KEEP + 1).to_string());
    }
}
