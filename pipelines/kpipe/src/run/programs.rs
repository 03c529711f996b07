//! What steps run, by content: the cache key holds the digest of the
//! program (or the image id) a step runs. A program is hashed at most once
//! per run, and not at all while its file is unchanged since a run hashed
//! it: the digests are kept by file metadata (size, modification time,
//! inode) in the workdir ([`Layout::program_digests`]).

use std::collections::BTreeMap;
use std::path::{Path, PathBuf};
use std::sync::Mutex;

use serde::{Deserialize, Serialize};

use super::cache;
use super::engine::Identity;
use super::layout::Layout;

/// A digest and the file metadata it was computed for.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
struct Known {
    len: u64,
    modified_ns: u128,
    inode: u64,
    digest: String,
}

/// The digests of a run's programs.
#[derive(Debug)]
pub(crate) struct Programs {
    file: PathBuf,
    known: Mutex<BTreeMap<PathBuf, Known>>,
}

impl Programs {
    /// The digests kept in `layout`'s workdir.
    pub(crate) fn new(layout: &Layout) -> Self {
        let file = layout.program_digests();
        let known = std::fs::read_to_string(&file)
            .ok()
            .and_then(|t| serde_json::from_str(&t).ok())
            .unwrap_or_default();
        Self {
            file,
            known: Mutex::new(known),
        }
    }

    /// The content digest of `identity`.
    pub(crate) fn identity(&self, identity: &Identity) -> anyhow::Result<String> {
        match identity {
            Identity::Image(id) => Ok(id.clone()),
            Identity::File(path) => self.file_digest(path),
        }
    }

    fn file_digest(&self, path: &Path) -> anyhow::Result<String> {
        let meta = metadata(path);
        if let (Some(meta), Ok(known)) = (&meta, self.known.lock())
            && let Some(k) = known.get(path)
            && (k.len, k.modified_ns, k.inode) == *meta
        {
            return Ok(k.digest.clone());
        }
        let digest = cache::hash_tree(path)?;
        if let (Some((len, modified_ns, inode)), Ok(mut known)) = (meta, self.known.lock()) {
            known.insert(
                path.to_path_buf(),
                Known {
                    len,
                    modified_ns,
                    inode,
                    digest: digest.clone(),
                },
            );
            if let Ok(text) = serde_json::to_string(&*known) {
                // (a lost file only costs a hash next time)
                let _ = crate::fsutil::write_bytes_atomic(&self.file, text.as_bytes());
            }
        }
        Ok(digest)
    }
}

/// Size, modification time (ns) and inode of `path`.
fn metadata(path: &Path) -> Option<(u64, u128, u64)> {
    let m = std::fs::metadata(path).ok()?;
    let modified = m
        .modified()
        .ok()?
        .duration_since(std::time::UNIX_EPOCH)
        .ok()?
        .as_nanos();
    #[cfg(unix)]
    let inode = std::os::unix::fs::MetadataExt::ino(&m);
    #[cfg(not(unix))]
    let inode = 0;
    Some((m.len(), modified, inode))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_program_is_hashed_again_only_when_its_file_changes() {
        let tmp = tempfile::tempdir().unwrap_or_else(|e| panic!("{e}"));
        let layout = Layout::new(tmp.path());
        let prog = tmp.path().join("prog");
        std::fs::write(&prog, "v1").unwrap_or_else(|e| panic!("{e}"));
        let id = Identity::File(prog.clone());
        let first = Programs::new(&layout)
            .identity(&id)
            .unwrap_or_else(|e| panic!("{e:#}"));
        // A later run finds the digest by metadata: replace the recorded
        // digest to see that it is used, not recomputed.
        let text = std::fs::read_to_string(layout.program_digests()).unwrap_or_default();
        std::fs::write(layout.program_digests(), text.replace(&first, "recorded"))
            .unwrap_or_else(|e| panic!("{e}"));
        let again = Programs::new(&layout)
            .identity(&id)
            .unwrap_or_else(|e| panic!("{e:#}"));
        assert_eq!(again, "recorded");
        // A changed file is hashed again.
        std::thread::sleep(std::time::Duration::from_millis(10));
        std::fs::write(&prog, "v2-longer").unwrap_or_else(|e| panic!("{e}"));
        let changed = Programs::new(&layout)
            .identity(&id)
            .unwrap_or_else(|e| panic!("{e:#}"));
        assert_ne!(changed, "recorded");
        assert_ne!(changed, first);
    }
}
