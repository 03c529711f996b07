//! Writing results to stdout or a file.

use std::io::Write;
use std::path::Path;

use anyhow::Context;

/// Writes `text` to `path` (atomically, see [`crate::fsutil`]), or to stdout when `path` is `None` or `-`.
pub(crate) fn write_text(path: Option<&Path>, text: &str) -> anyhow::Result<()> {
    match path {
        None => write_stdout(text),
        Some(p) if p.as_os_str() == "-" => write_stdout(text),
        Some(p) => crate::fsutil::write_bytes_atomic(p, text.as_bytes())
            .with_context(|| format!("cannot write {}", p.display())),
    }
}

fn write_stdout(text: &str) -> anyhow::Result<()> {
    let mut out = std::io::stdout().lock();
    out.write_all(text.as_bytes())
        .and_then(|()| out.flush())
        .context("cannot write to standard output")
}
