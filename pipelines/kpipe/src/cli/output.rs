//! Writing results to stdout or a file.

use std::io::Write;
use std::path::Path;

use anyhow::Context;

/// Writes `text` to `path` (atomically, see [`crate::fsutil`]), or to stdout when `path` is `None` or `-`.
pub(crate) fn write_text(path: Option<&Path>, text: &str) -> anyhow::Result<()> {
    match path {
        None => write_stdout(text),
        Some(p) if p.as_os_str() == "-" => write_stdout(text),
        Some(p) if unchanged(p, text) => Ok(()),
        Some(p) => crate::fsutil::write_bytes_atomic(p, text.as_bytes())
            .with_context(|| format!("cannot write {}", p.display())),
    }
}

/// Whether `path` is a regular file that already holds `text`. Compiling
/// again to the same file then leaves it alone, its modification time
/// included (make and CI caches see no change), and skips a rename over an
/// existing file, which ext4 answers by starting to write the new file back
/// at once (half a millisecond: a sixth of a whole compile).
fn unchanged(path: &Path, text: &str) -> bool {
    std::fs::metadata(path).is_ok_and(|m| m.is_file() && m.len() == text.len() as u64)
        && std::fs::read(path).is_ok_and(|old| old == text.as_bytes())
}

fn write_stdout(text: &str) -> anyhow::Result<()> {
    let mut out = std::io::stdout().lock();
    out.write_all(text.as_bytes())
        .and_then(|()| out.flush())
        .context("cannot write to standard output")
}

/// Prints `text` and a newline to stderr in one write. Diagnostics print in
/// many small pieces and stderr is unbuffered: the kfp target's eight
/// warnings took 150 write calls, a good part of a whole compile.
pub(crate) fn eprint_block(text: impl std::fmt::Display) {
    let text = format!("{text}\n");
    let _ = std::io::stderr().lock().write_all(text.as_bytes());
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn an_unchanged_output_is_left_alone_and_a_changed_one_replaced() {
        let dir = tempfile::tempdir().unwrap_or_else(|e| panic!("{e}"));
        let path = dir.path().join("out.yaml");
        write_text(Some(&path), "a: 1\n").unwrap_or_else(|e| panic!("{e:#}"));
        let inode = |p: &Path| {
            use std::os::unix::fs::MetadataExt;
            std::fs::metadata(p)
                .map(|m| m.ino())
                .unwrap_or_else(|e| panic!("{e}"))
        };
        let first = inode(&path);
        write_text(Some(&path), "a: 1\n").unwrap_or_else(|e| panic!("{e:#}"));
        assert_eq!(inode(&path), first, "the same text rewrote the file");
        write_text(Some(&path), "a: 2\n").unwrap_or_else(|e| panic!("{e:#}"));
        assert_ne!(
            inode(&path),
            first,
            "a change is a new file renamed into place"
        );
        assert_eq!(std::fs::read_to_string(&path).unwrap_or_default(), "a: 2\n");
        // Same length, other bytes: replaced.
        write_text(Some(&path), "a: 3\n").unwrap_or_else(|e| panic!("{e:#}"));
        assert_eq!(std::fs::read_to_string(&path).unwrap_or_default(), "a: 3\n");
    }

    #[test]
    fn dev_null_stays_a_device() {
        use std::os::unix::fs::FileTypeExt;
        write_text(Some(Path::new("/dev/null")), "a: 1\n").unwrap_or_else(|e| panic!("{e:#}"));
        let kind = std::fs::symlink_metadata("/dev/null")
            .unwrap_or_else(|e| panic!("{e}"))
            .file_type();
        assert!(kind.is_char_device(), "/dev/null became a {kind:?}");
    }
}
