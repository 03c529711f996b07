//! The data set file: typed issues and pull requests with their release
//! notes, written by `update-data`, read by `analyze` and `train`.
//!
//! Format: zstd-compressed JSON Lines. The first line is a [`Header`]
//! (`"format": "kpipe-dataset"`, a version, counts); every further line is an
//! [`Item`]. Line-oriented so readers stream it; compressed because the
//! kubernetes/kubernetes data set is large and lives in git.

use std::fs::File;
use std::io::{BufRead, BufReader, BufWriter, Read, Write};
use std::path::Path;

use anyhow::{Context, bail};
use serde::{Deserialize, Serialize};

use super::example::Example;

/// The format name in the header line.
pub const FORMAT: &str = "kpipe-dataset";
/// The format version this build reads and writes.
pub const VERSION: u32 = 1;
const ZSTD_MAGIC: [u8; 4] = [0x28, 0xb5, 0x2f, 0xfd];

/// First line of a data set file.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct Header {
    /// Always [`FORMAT`].
    pub format: String,
    /// Format version.
    pub version: u32,
    /// The GitHub repository the items come from (OWNER/NAME).
    pub repo: String,
    /// Number of issues.
    pub issues: usize,
    /// Number of pull requests.
    pub pull_requests: usize,
}

/// Issue or pull request.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Kind {
    /// An issue.
    Issue,
    /// A pull request.
    PullRequest,
}

/// A label split at its first `/` (`kind/bug` → group `kind`, name `bug`).
#[derive(Clone, Debug, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize)]
pub struct Label {
    /// The part before the first `/`; empty for labels without one.
    pub group: String,
    /// The part after the first `/`, or the whole label.
    pub name: String,
}

impl Label {
    /// Splits a GitHub label name.
    pub fn parse(label: &str) -> Self {
        match label.split_once('/') {
            Some((g, n)) => Self {
                group: g.to_owned(),
                name: n.to_owned(),
            },
            None => Self {
                group: String::new(),
                name: label.to_owned(),
            },
        }
    }

    /// The GitHub label name again.
    pub fn full(&self) -> String {
        if self.group.is_empty() {
            self.name.clone()
        } else {
            format!("{}/{}", self.group, self.name)
        }
    }
}

/// One issue or pull request.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct Item {
    /// Issue/PR number.
    pub number: u64,
    /// Issue or pull request.
    pub kind: Kind,
    /// Title.
    pub title: String,
    /// Login of the author.
    pub user: String,
    /// Creation time (RFC 3339, UTC).
    pub created_at: String,
    /// When it was closed, if it is.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub closed_at: Option<String>,
    /// Who closed it, when the API says.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub closed_by: Option<String>,
    /// When a pull request was merged.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub merged_at: Option<String>,
    /// Labels.
    #[serde(default)]
    pub labels: Vec<Label>,
    /// The release note of a pull request (absent when none or NONE).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub release_note: Option<String>,
}

impl Item {
    /// True when the item carries `group/name`.
    pub fn has_label(&self, group: &str, name: &str) -> bool {
        self.labels
            .iter()
            .any(|l| l.group == group && l.name == name)
    }
}

/// A whole data set in memory.
#[derive(Clone, Debug, PartialEq)]
pub struct Dataset {
    /// Header.
    pub header: Header,
    /// Items.
    pub items: Vec<Item>,
}

/// True when `path` is a data set file (zstd-compressed or plain with the
/// kpipe header).
pub fn is_dataset(path: &Path) -> anyhow::Result<bool> {
    let mut f = File::open(path).with_context(|| format!("cannot open {}", path.display()))?;
    let mut head = [0u8; 32];
    let n = f
        .read(&mut head)
        .with_context(|| format!("cannot read {}", path.display()))?;
    let head = &head[..n];
    Ok(head.starts_with(&ZSTD_MAGIC) || String::from_utf8_lossy(head).contains(FORMAT))
}

impl Dataset {
    /// A data set of `items` from `repo`.
    pub fn new(repo: &str, items: Vec<Item>) -> Self {
        let pull_requests = items.iter().filter(|i| i.kind == Kind::PullRequest).count();
        Self {
            header: Header {
                format: FORMAT.to_owned(),
                version: VERSION,
                repo: repo.to_owned(),
                issues: items.len() - pull_requests,
                pull_requests,
            },
            items,
        }
    }

    /// Reads a data set file.
    pub fn read(path: &Path) -> anyhow::Result<Self> {
        let file = File::open(path).with_context(|| format!("cannot open {}", path.display()))?;
        let mut reader = BufReader::new(file);
        let compressed = reader
            .fill_buf()
            .with_context(|| format!("cannot read {}", path.display()))?
            .starts_with(&ZSTD_MAGIC);
        let lines: Box<dyn BufRead> = if compressed {
            let dec = zstd::stream::read::Decoder::with_buffer(reader)
                .with_context(|| format!("{}: not a zstd stream", path.display()))?;
            Box::new(BufReader::new(dec))
        } else {
            Box::new(reader)
        };
        let mut lines = lines.lines().enumerate();
        let header: Header = match lines.next() {
            Some((_, line)) => {
                let line = line.with_context(|| format!("cannot read {}", path.display()))?;
                serde_json::from_str(&line)
                    .with_context(|| format!("{}:1: not a kpipe data set header", path.display()))?
            }
            None => bail!("{} is empty: not a kpipe data set", path.display()),
        };
        super::check_format(
            path,
            (&header.format, header.version),
            (FORMAT, VERSION),
            "data set",
            "rerun update-data with this version",
        )?;
        let mut items = Vec::new();
        for (i, line) in lines {
            let line = line.with_context(|| {
                format!("cannot read {} (truncated or corrupt?)", path.display())
            })?;
            if line.is_empty() {
                continue;
            }
            let item: Item = serde_json::from_str(&line)
                .with_context(|| format!("{}:{}: not a data set item", path.display(), i + 1))?;
            items.push(item);
        }
        Ok(Self { header, items })
    }

    /// Writes the data set, zstd-compressed, atomically (temporary file,
    /// fsync, rename).
    pub fn write(&self, path: &Path) -> anyhow::Result<()> {
        kpipe_runtime::fsutil::write_durably(path, |w| {
            let mut enc = zstd::stream::write::Encoder::new(w, 9)?;
            {
                let mut out = BufWriter::new(&mut enc);
                serde_json::to_writer(&mut out, &self.header)?;
                out.write_all(b"\n")?;
                for item in &self.items {
                    serde_json::to_writer(&mut out, item)?;
                    out.write_all(b"\n")?;
                }
                out.flush()?;
            }
            enc.finish()?;
            Ok(())
        })
        .with_context(|| format!("cannot write data set {}", path.display()))
    }

    /// Pull requests with a release note, labelled by `kind/bug`.
    pub fn labelled_release_notes(&self) -> Vec<Example> {
        self.items
            .iter()
            .filter(|i| i.kind == Kind::PullRequest)
            .filter_map(|i| {
                i.release_note.as_ref().map(|text| Example {
                    text: text.clone(),
                    bug: i.has_label("kind", "bug"),
                    release: None,
                    order: Some(format!(
                        "{}.{:010}",
                        i.merged_at.as_deref().unwrap_or(&i.created_at),
                        i.number
                    )),
                })
            })
            .collect()
    }
}
