//! Labelled release notes for training and evaluation.
//!
//! Two inputs are accepted:
//! - the labelled JSON Lines of the bundled data (`{"text": …, "bug": …}` per
//!   line, other fields ignored);
//! - the data set `update-data` writes (pull requests with release notes;
//!   `kind/bug` among the labels makes a positive).

use std::fs::File;
use std::io::{BufRead, BufReader};
use std::path::Path;

use anyhow::{Context, bail};
use serde::Deserialize;

pub use crate::data::example::Example;

#[derive(Deserialize)]
struct Labelled {
    text: String,
    bug: bool,
    #[serde(default)]
    release: Option<String>,
    #[serde(default)]
    pr: Option<u64>,
}

/// `1.27` + PR 12345 → `0001.0027.0000012345`, which sorts by time.
fn order_key(release: Option<&str>, pr: Option<u64>) -> Option<String> {
    let (major, minor) = release?.split_once('.')?;
    let (major, minor): (u64, u64) = (major.parse().ok()?, minor.parse().ok()?);
    Some(format!("{major:04}.{minor:04}.{:010}", pr.unwrap_or(0)))
}

/// Reads labelled examples from `path` (see the module docs for formats).
pub fn load(path: &Path) -> anyhow::Result<Vec<Example>> {
    if crate::data::dataset::is_dataset(path)? {
        let ds = crate::data::dataset::Dataset::read(path)?;
        return Ok(ds.labelled_release_notes());
    }
    let file = File::open(path).with_context(|| format!("cannot open {}", path.display()))?;
    let mut out = Vec::new();
    for (i, line) in BufReader::new(file).lines().enumerate() {
        let line =
            line.with_context(|| format!("cannot read {} line {}", path.display(), i + 1))?;
        if line.trim().is_empty() {
            continue;
        }
        let row: Labelled = serde_json::from_str(&line).with_context(|| {
            format!(
                "{}:{}: not a labelled release note (expected a JSON object with \"text\" and \"bug\")",
                path.display(),
                i + 1
            )
        })?;
        out.push(Example {
            order: order_key(row.release.as_deref(), row.pr),
            text: row.text,
            bug: row.bug,
            release: row.release,
        });
    }
    Ok(out)
}

/// Checks that `examples` can train a classifier.
pub fn check_trainable(examples: &[Example], path: &Path) -> anyhow::Result<()> {
    let bugs = examples.iter().filter(|e| e.bug).count();
    if examples.is_empty() {
        bail!(
            "{} holds no labelled release notes: nothing to train on",
            path.display()
        );
    }
    if bugs == 0 || bugs == examples.len() {
        bail!(
            "{} holds only {} examples ({} notes): a classifier needs both bug and non-bug notes",
            path.display(),
            if bugs == 0 { "non-bug" } else { "bug" },
            examples.len()
        );
    }
    if examples.len() < 20 {
        bail!(
            "{} holds {} labelled notes; at least 20 are needed (a validation split is carved from them)",
            path.display(),
            examples.len()
        );
    }
    Ok(())
}
