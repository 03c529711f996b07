//! GitHub data: the typed data set `update-data` writes and later steps read.

use std::path::Path;

use anyhow::bail;

pub mod bulk;
pub mod dataset;
pub mod example;
pub mod github_item;
pub mod release_note;
pub mod store;

/// Checks a file's `format` and `version` header fields against what this
/// build reads; `what` names the file kind, `redo` says how to get a
/// readable one.
pub(crate) fn check_format(
    path: &Path,
    (format, version): (&str, u32),
    (want_format, want_version): (&str, u32),
    what: &str,
    redo: &str,
) -> anyhow::Result<()> {
    if format != want_format {
        bail!(
            "{}: format `{format}` is not `{want_format}`",
            path.display()
        );
    }
    if version != want_version {
        bail!(
            "{}: {what} version {version} is not supported by this kpipe-step (reads version {want_version}); {redo}",
            path.display()
        );
    }
    Ok(())
}
