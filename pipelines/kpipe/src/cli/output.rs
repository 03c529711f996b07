//! Writing results to stdout or a file.

use std::fs;
use std::io::Write;
use std::path::Path;

use anyhow::Context;

/// Writes `text` to `path` (atomically: a temporary file renamed over it),
/// or to stdout when `path` is `None` or `-`.
pub(crate) fn write_text(path: Option<&Path>, text: &str) -> anyhow::Result<()> {
    match path {
        None => write_stdout(text),
        Some(p) if p.as_os_str() == "-" => write_stdout(text),
        Some(p) => {
            let dir = match p.parent() {
                Some(d) if !d.as_os_str().is_empty() => d,
                _ => Path::new("."),
            };
            let name = p
                .file_name()
                .with_context(|| format!("{} is not a file path", p.display()))?;
            let tmp = dir.join(format!(".{}.kpipe-tmp", name.to_string_lossy()));
            let result = (|| {
                let mut f = fs::File::create(&tmp)?;
                f.write_all(text.as_bytes())?;
                f.sync_all()?;
                fs::rename(&tmp, p)
            })();
            if result.is_err() {
                let _ = fs::remove_file(&tmp);
            }
            result.with_context(|| format!("cannot write {}", p.display()))
        }
    }
}

fn write_stdout(text: &str) -> anyhow::Result<()> {
    let mut out = std::io::stdout().lock();
    out.write_all(text.as_bytes())
        .and_then(|()| out.flush())
        .context("cannot write to standard output")
}
