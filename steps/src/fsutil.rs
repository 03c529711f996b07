//! Atomic file replacement, the one way the steps write their outputs.

use std::fs::{self, File};
use std::io::{self, BufWriter, Write};
use std::path::{Path, PathBuf};

/// Replaces `path` atomically: `fill` writes a temporary file next to it
/// (same extension, for writers that pick the format from it), which is
/// fsynced and renamed over `path`; the directory is fsynced too. A crash
/// leaves either the old file or the new one, never a partial file; a
/// failure removes the temporary file.
pub fn replace_atomically<E: From<io::Error>>(
    path: &Path,
    fill: impl FnOnce(&Path) -> Result<(), E>,
) -> Result<(), E> {
    let dir = parent(path);
    fs::create_dir_all(&dir)?;
    let name = path
        .file_name()
        .ok_or_else(|| io::Error::new(io::ErrorKind::InvalidInput, "not a file path"))?;
    let mut tmp_name = format!(".{}.tmp-{}", name.to_string_lossy(), std::process::id());
    if let Some(ext) = path.extension() {
        tmp_name.push('.');
        tmp_name.push_str(&ext.to_string_lossy());
    }
    let tmp = dir.join(tmp_name);
    let result = fill(&tmp).and_then(|()| {
        File::open(&tmp)?.sync_all()?;
        fs::rename(&tmp, path)?;
        if let Ok(d) = File::open(&dir) {
            let _ = d.sync_all();
        }
        Ok(())
    });
    if result.is_err() {
        let _ = fs::remove_file(&tmp);
    }
    result
}

/// Writes a file atomically (see [`replace_atomically`]) through a buffered
/// writer.
pub fn write_atomic(
    path: &Path,
    write: impl FnOnce(&mut BufWriter<File>) -> io::Result<()>,
) -> io::Result<()> {
    replace_atomically(path, |tmp| {
        let mut w = BufWriter::new(File::create(tmp)?);
        write(&mut w)?;
        w.flush()
    })
}

/// Writes `bytes` to `path` atomically.
pub fn write_bytes_atomic(path: &Path, bytes: &[u8]) -> io::Result<()> {
    write_atomic(path, |w| w.write_all(bytes))
}

fn parent(path: &Path) -> PathBuf {
    match path.parent() {
        Some(p) if !p.as_os_str().is_empty() => p.to_path_buf(),
        _ => PathBuf::from("."),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn replaces_whole_or_not_at_all() {
        let dir = tempfile::tempdir().unwrap_or_else(|e| panic!("{e}"));
        let path = dir.path().join("chart.png");
        write_bytes_atomic(&path, b"old").unwrap_or_else(|e| panic!("{e}"));
        let failed: io::Result<()> = replace_atomically(&path, |tmp| {
            assert_eq!(tmp.extension().and_then(|e| e.to_str()), Some("png"));
            fs::write(tmp, b"half")?;
            Err(io::Error::other("the writer failed"))
        });
        assert!(failed.is_err());
        assert_eq!(fs::read(&path).unwrap_or_default(), b"old");
        let left: Vec<_> = fs::read_dir(dir.path())
            .into_iter()
            .flatten()
            .flatten()
            .map(|e| e.file_name())
            .collect();
        assert_eq!(left, ["chart.png"], "no temporary file left");
        write_bytes_atomic(&path, b"new").unwrap_or_else(|e| panic!("{e}"));
        assert_eq!(fs::read(&path).unwrap_or_default(), b"new");
    }
}
