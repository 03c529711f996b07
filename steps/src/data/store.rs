//! The GitHub API store: every issue and pull request of one repository, as
//! GitHub returned it, plus what an update needs to resume.
//!
//! ```text
//! STORE/
//!   store.json         format, version, repository, item count, updated-until,
//!                      the ETag of the last run's first page
//!   .update            the updated-until timestamp (the original's `.update`)
//!   items.jsonl.zst    one raw item per line, by number, zstd-compressed
//!   progress.json      only during an update: the next page URL, pages done
//!   pages/000001.json.zst …   only during an update: the fetched pages
//! ```
//!
//! Crash safety: every file is replaced atomically (temporary file, fsync,
//! rename). A page file is written before `progress.json` records it, so a
//! run killed at any point resumes at the first unrecorded page and never
//! refetches a recorded one. The merge writes `items.jsonl.zst`, then
//! `store.json`, then removes the progress; each step is idempotent, so a
//! kill during the merge redoes it to the same result. Nothing in the store
//! depends on the wall clock, so an interrupted-and-resumed update ends with
//! the same bytes as an uninterrupted one.

use std::collections::BTreeMap;
use std::fs;
use std::io::{BufRead, BufReader, Write};
use std::path::{Path, PathBuf};

use anyhow::Context;
use serde::{Deserialize, Serialize};
use serde_json::Value;

use kpipe_runtime::fsutil::{write_bytes_durably, write_durably};

/// `store.json`'s `format`.
pub const FORMAT: &str = "kpipe-api-store";
/// The store format version.
pub const VERSION: u32 = 1;

/// `store.json`.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct StoreState {
    /// Always [`FORMAT`].
    pub format: String,
    /// Format version.
    pub version: u32,
    /// OWNER/NAME.
    pub repo: String,
    /// Items held.
    pub items: usize,
    /// The newest `updated_at` of any item: the next update asks `since` it.
    pub updated_until: Option<String>,
    /// The first page of the last update and its ETag, for a conditional
    /// re-read when nothing changed.
    #[serde(default)]
    pub last_first_page: Option<(String, String)>,
}

/// `progress.json`: an update in flight.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct Progress {
    /// OWNER/NAME.
    pub repo: String,
    /// The first page's URL.
    pub first_url: String,
    /// The next page to fetch; `None` once the last page is stored.
    pub next_url: Option<String>,
    /// Pages stored so far.
    pub pages_done: u64,
    /// Total pages, when GitHub said (`rel="last"`).
    pub pages_total: Option<u64>,
    /// Items on the stored pages.
    pub items_fetched: u64,
    /// The first page's ETag.
    pub first_etag: Option<String>,
    /// The first page answered 304 Not Modified.
    #[serde(default)]
    pub unchanged: bool,
}

/// A store directory.
#[derive(Clone, Debug)]
pub struct Store {
    dir: PathBuf,
}

impl Store {
    /// Opens (creating) the store directory.
    pub fn open(dir: &Path) -> anyhow::Result<Self> {
        fs::create_dir_all(dir)
            .with_context(|| format!("cannot create the store {}", dir.display()))?;
        Ok(Self {
            dir: dir.to_path_buf(),
        })
    }

    /// The directory.
    pub fn dir(&self) -> &Path {
        &self.dir
    }

    fn path(&self, name: &str) -> PathBuf {
        self.dir.join(name)
    }

    /// `store.json`, if the store holds an export.
    pub fn state(&self) -> anyhow::Result<Option<StoreState>> {
        read_state(&self.dir)
    }

    /// Copies the store in `from` here when this store holds none. Returns
    /// whether it did.
    pub fn seed_from(&self, from: &Path) -> anyhow::Result<bool> {
        if self.state()?.is_some() || read_state(from)?.is_none() {
            return Ok(false);
        }
        for name in ["items.jsonl.zst", ".update", "store.json"] {
            let src = from.join(name);
            if src.exists() {
                let bytes =
                    fs::read(&src).with_context(|| format!("cannot read {}", src.display()))?;
                write_bytes_durably(&self.path(name), &bytes)
                    .with_context(|| format!("cannot write {}", self.path(name).display()))?;
            }
        }
        Ok(true)
    }

    /// The update in flight, if any.
    pub fn progress(&self) -> anyhow::Result<Option<Progress>> {
        let path = self.path("progress.json");
        if !path.exists() {
            return Ok(None);
        }
        let bytes = fs::read(&path).with_context(|| format!("cannot read {}", path.display()))?;
        serde_json::from_slice(&bytes).map(Some).with_context(|| {
            format!(
                "{} is damaged; delete it to restart the update",
                path.display()
            )
        })
    }

    /// Records the update in flight.
    pub fn save_progress(&self, p: &Progress) -> anyhow::Result<()> {
        let bytes = serde_json::to_vec_pretty(p)?;
        write_bytes_durably(&self.path("progress.json"), &bytes)
            .with_context(|| format!("cannot write {}", self.path("progress.json").display()))
    }

    /// Stores page `n` of the update in flight.
    pub fn write_page(&self, n: u64, body: &[u8]) -> anyhow::Result<()> {
        let path = self.path(&format!("pages/{n:06}.json.zst"));
        let compressed = zstd::bulk::compress(body, 3)?;
        write_bytes_durably(&path, &compressed)
            .with_context(|| format!("cannot write {}", path.display()))
    }

    /// The stored pages of the update in flight, in order.
    pub fn pages(&self, count: u64) -> anyhow::Result<Vec<Vec<u8>>> {
        (1..=count)
            .map(|n| {
                let path = self.path(&format!("pages/{n:06}.json.zst"));
                let bytes =
                    fs::read(&path).with_context(|| format!("cannot read {}", path.display()))?;
                zstd::stream::decode_all(&bytes[..])
                    .with_context(|| format!("{} is damaged", path.display()))
            })
            .collect()
    }

    /// Every raw item, by number.
    pub fn items(&self) -> anyhow::Result<BTreeMap<u64, Value>> {
        let mut out = BTreeMap::new();
        self.for_each_line(|line, n| {
            let v: Value = serde_json::from_slice(line).with_context(|| {
                format!(
                    "{}:{n}: not a JSON item",
                    self.path("items.jsonl.zst").display()
                )
            })?;
            let number = v
                .get("number")
                .and_then(Value::as_u64)
                .with_context(|| format!("items.jsonl.zst:{n}: item without a number"))?;
            out.insert(number, v);
            Ok(())
        })?;
        Ok(out)
    }

    /// Calls `f` with each raw item line (and its 1-based line number).
    pub fn for_each_line(
        &self,
        mut f: impl FnMut(&[u8], usize) -> anyhow::Result<()>,
    ) -> anyhow::Result<()> {
        let path = self.path("items.jsonl.zst");
        if !path.exists() {
            return Ok(());
        }
        let file =
            fs::File::open(&path).with_context(|| format!("cannot open {}", path.display()))?;
        let mut reader = BufReader::with_capacity(
            1 << 20,
            zstd::stream::read::Decoder::new(file)
                .with_context(|| format!("{} is not zstd", path.display()))?,
        );
        let mut line = Vec::new();
        let mut n = 0;
        loop {
            line.clear();
            let read = reader
                .read_until(b'\n', &mut line)
                .with_context(|| format!("{} is damaged or truncated", path.display()))?;
            if read == 0 {
                break;
            }
            n += 1;
            let l = line.strip_suffix(b"\n").unwrap_or(&line);
            if !l.is_empty() {
                f(l, n)?;
            }
        }
        Ok(())
    }

    /// Writes the merged items and state, then ends the update in flight.
    pub fn commit(&self, items: &BTreeMap<u64, Value>, state: &StoreState) -> anyhow::Result<()> {
        write_durably(&self.path("items.jsonl.zst"), |w| {
            let mut enc = zstd::stream::write::Encoder::new(w, 6)?;
            for v in items.values() {
                serde_json::to_writer(&mut enc, v)?;
                enc.write_all(b"\n")?;
            }
            enc.finish()?;
            Ok(())
        })
        .with_context(|| format!("cannot write {}", self.path("items.jsonl.zst").display()))?;
        write_bytes_durably(
            &self.path(".update"),
            format!("{}\n", state.updated_until.as_deref().unwrap_or("")).as_bytes(),
        )?;
        write_bytes_durably(&self.path("store.json"), &serde_json::to_vec_pretty(state)?)
            .with_context(|| format!("cannot write {}", self.path("store.json").display()))?;
        let progress = self.path("progress.json");
        if progress.exists() {
            fs::remove_file(&progress)
                .with_context(|| format!("cannot remove {}", progress.display()))?;
        }
        let pages = self.path("pages");
        if pages.exists() {
            fs::remove_dir_all(&pages)
                .with_context(|| format!("cannot remove {}", pages.display()))?;
        }
        Ok(())
    }
}

fn read_state(dir: &Path) -> anyhow::Result<Option<StoreState>> {
    let path = dir.join("store.json");
    if !path.exists() {
        return Ok(None);
    }
    let bytes = fs::read(&path).with_context(|| format!("cannot read {}", path.display()))?;
    let state: StoreState = serde_json::from_slice(&bytes)
        .with_context(|| format!("{} is not a kpipe store manifest", path.display()))?;
    super::check_format(
        &path,
        (&state.format, state.version),
        (FORMAT, VERSION),
        "store",
        "export again with --full",
    )?;
    Ok(Some(state))
}

/// Merges `item` into `items`, keeping whichever copy has the newest
/// `updated_at`. Returns whether `item` was new or newer.
pub fn merge(items: &mut BTreeMap<u64, Value>, item: Value) -> anyhow::Result<bool> {
    let number = item
        .get("number")
        .and_then(Value::as_u64)
        .context("an item has no issue number")?;
    let updated = |v: &Value| {
        v.get("updated_at")
            .and_then(Value::as_str)
            .map(str::to_owned)
    };
    let newer = match items.get(&number) {
        None => true,
        Some(old) => updated(&item) > updated(old),
    };
    if newer {
        items.insert(number, item);
    }
    Ok(newer)
}

/// The newest `updated_at` among `items`.
pub fn updated_until(items: &BTreeMap<u64, Value>) -> Option<String> {
    items
        .values()
        .filter_map(|v| v.get("updated_at").and_then(Value::as_str))
        .max()
        .map(str::to_owned)
}
