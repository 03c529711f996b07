//! Atomic file replacement: the one way kpipe and its steps write files
//! (compiled pipelines, step outputs, cache entries, the run report).
//!
//! A regular file is replaced by a temporary file renamed over it, so a
//! reader sees the old file or the new one, never half of one. The
//! `*_durably` functions also fsync the file and its directory before and
//! after the rename, so that a crash (power loss) cannot leave an empty
//! file either: the steps write their data and models that way. Outputs
//! that are cheap to make again (a compiled pipeline, the run report, cache
//! entries) skip the fsync, which costs milliseconds: more than compiling.
//!
//! Anything that is not a regular file (`-o /dev/null`, a FIFO,
//! `/dev/stdout`) is written in place: renaming over it would replace the
//! device with a plain file, which as root breaks `/dev/null` for every
//! other program on the machine. A symlink to a regular file keeps its link;
//! its target is replaced.

use std::fs::{self, File};
use std::io::{self, BufWriter, Write};
use std::path::{Path, PathBuf};

/// Where a write to `path` goes.
enum Destination {
    /// A regular file (or none yet): replaced through a temporary file.
    Replace(PathBuf),
    /// A device, FIFO or socket: written in place.
    InPlace,
}

fn destination(path: &Path) -> io::Result<Destination> {
    match fs::metadata(path) {
        Ok(m) if m.is_dir() => Err(io::Error::new(
            io::ErrorKind::IsADirectory,
            "it is a directory; give a file path",
        )),
        Ok(m) if !m.is_file() => Ok(Destination::InPlace),
        Ok(_) if fs::symlink_metadata(path)?.file_type().is_symlink() => {
            Ok(Destination::Replace(fs::canonicalize(path)?))
        }
        Ok(_) => Ok(Destination::Replace(path.to_path_buf())),
        Err(e) if e.kind() == io::ErrorKind::NotFound => {
            Ok(Destination::Replace(path.to_path_buf()))
        }
        Err(e) => Err(e),
    }
}

/// Replaces `path` atomically and durably: `fill` writes a temporary file
/// next to it (same extension, for writers that pick the format from it),
/// which is fsynced and renamed over `path`; the directory is created first
/// and fsynced after. A failure removes the temporary file and leaves `path`
/// as it was. A `path` that is not a regular file (a device such as
/// `/dev/null`, a FIFO) is handed to `fill` as it is.
pub fn replace_durably<E: From<io::Error>>(
    path: &Path,
    fill: impl FnOnce(&Path) -> Result<(), E>,
) -> Result<(), E> {
    replace(path, fill, true)
}

/// Writes a file atomically and durably (see [`replace_durably`]) through
/// a buffered writer.
pub fn write_durably(
    path: &Path,
    write: impl FnOnce(&mut BufWriter<File>) -> io::Result<()>,
) -> io::Result<()> {
    replace(path, |tmp| buffered(tmp, write), true)
}

/// Writes `bytes` to `path` atomically and durably.
pub fn write_bytes_durably(path: &Path, bytes: &[u8]) -> io::Result<()> {
    write_durably(path, |w| w.write_all(bytes))
}

/// Writes `bytes` to `path` atomically (readers never see half a file),
/// without fsync: for outputs that are cheap to make again.
pub fn write_bytes_atomic(path: &Path, bytes: &[u8]) -> io::Result<()> {
    replace(path, |tmp| buffered(tmp, |w| w.write_all(bytes)), false)
}

fn buffered(
    path: &Path,
    write: impl FnOnce(&mut BufWriter<File>) -> io::Result<()>,
) -> io::Result<()> {
    let mut w = BufWriter::new(File::create(path)?);
    write(&mut w)?;
    w.flush()
}

fn replace<E: From<io::Error>>(
    path: &Path,
    fill: impl FnOnce(&Path) -> Result<(), E>,
    durable: bool,
) -> Result<(), E> {
    let target = match destination(path)? {
        Destination::InPlace => return fill(path),
        Destination::Replace(target) => target,
    };
    let dir = parent(&target);
    fs::create_dir_all(&dir)?;
    let name = target
        .file_name()
        .ok_or_else(|| io::Error::new(io::ErrorKind::InvalidInput, "not a file path"))?;
    let mut tmp_name = format!(".{}.tmp-{}", name.to_string_lossy(), std::process::id());
    if let Some(ext) = target.extension() {
        tmp_name.push('.');
        tmp_name.push_str(&ext.to_string_lossy());
    }
    let tmp = dir.join(tmp_name);
    let result = fill(&tmp).and_then(|()| {
        if durable {
            File::open(&tmp)?.sync_all()?;
        }
        fs::rename(&tmp, &target)?;
        if durable && let Ok(d) = File::open(&dir) {
            let _ = d.sync_all();
        }
        Ok(())
    });
    if result.is_err() {
        let _ = fs::remove_file(&tmp);
    }
    result
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

    fn entries(dir: &Path) -> Vec<std::ffi::OsString> {
        let mut names: Vec<_> = fs::read_dir(dir)
            .into_iter()
            .flatten()
            .flatten()
            .map(|e| e.file_name())
            .collect();
        names.sort();
        names
    }

    #[test]
    fn replaces_whole_or_not_at_all() {
        let dir = tempfile::tempdir().unwrap_or_else(|e| panic!("{e}"));
        let path = dir.path().join("chart.png");
        write_bytes_durably(&path, b"old").unwrap_or_else(|e| panic!("{e}"));
        let failed: io::Result<()> = replace_durably(&path, |tmp| {
            assert_eq!(tmp.extension().and_then(|e| e.to_str()), Some("png"));
            fs::write(tmp, b"half")?;
            Err(io::Error::other("the writer failed"))
        });
        assert!(failed.is_err());
        assert_eq!(fs::read(&path).unwrap_or_default(), b"old");
        assert_eq!(entries(dir.path()), ["chart.png"], "no temporary file left");
        write_bytes_atomic(&path, b"new").unwrap_or_else(|e| panic!("{e}"));
        assert_eq!(fs::read(&path).unwrap_or_default(), b"new");
    }

    #[test]
    fn creates_the_directory() {
        let dir = tempfile::tempdir().unwrap_or_else(|e| panic!("{e}"));
        let path = dir.path().join("a/b/out.yaml");
        write_bytes_atomic(&path, b"x").unwrap_or_else(|e| panic!("{e}"));
        assert_eq!(fs::read(&path).unwrap_or_default(), b"x");
    }

    /// `kpipe compile -o /dev/null` as root once renamed a file over
    /// `/dev/null`, and every later reader of `/dev/null` (rustc's probes
    /// among them) got the junk written to it. A FIFO stands in for the
    /// device: it must still be a FIFO after the write, and the reader at
    /// its other end gets the bytes.
    #[test]
    fn a_fifo_or_device_is_written_in_place_not_replaced() {
        let dir = tempfile::tempdir().unwrap_or_else(|e| panic!("{e}"));
        let fifo = dir.path().join("pipe");
        let made = std::process::Command::new("mkfifo")
            .arg(&fifo)
            .status()
            .unwrap_or_else(|e| panic!("mkfifo: {e}"));
        assert!(made.success(), "mkfifo failed");
        let reader = {
            let fifo = fifo.clone();
            std::thread::spawn(move || fs::read(&fifo))
        };
        write_bytes_atomic(&fifo, b"through the pipe").unwrap_or_else(|e| panic!("{e}"));
        let got = reader
            .join()
            .unwrap_or_else(|_| panic!("reader panicked"))
            .unwrap_or_else(|e| panic!("{e}"));
        assert_eq!(got, b"through the pipe");
        use std::os::unix::fs::FileTypeExt;
        let kind = fs::symlink_metadata(&fifo)
            .unwrap_or_else(|e| panic!("{e}"))
            .file_type();
        assert!(kind.is_fifo(), "the FIFO was replaced by a {kind:?}");
        assert_eq!(entries(dir.path()), ["pipe"], "no temporary file left");
        // The real device: written through, still a character device.
        write_bytes_atomic(Path::new("/dev/null"), b"gone").unwrap_or_else(|e| panic!("{e}"));
        let null = fs::symlink_metadata("/dev/null").unwrap_or_else(|e| panic!("{e}"));
        assert!(
            null.file_type().is_char_device(),
            "/dev/null is no longer a device"
        );
    }

    #[test]
    fn a_symlink_keeps_its_link_and_its_target_is_replaced() {
        let dir = tempfile::tempdir().unwrap_or_else(|e| panic!("{e}"));
        let target = dir.path().join("real.yaml");
        let link = dir.path().join("link.yaml");
        fs::write(&target, b"old").unwrap_or_else(|e| panic!("{e}"));
        std::os::unix::fs::symlink(&target, &link).unwrap_or_else(|e| panic!("{e}"));
        write_bytes_atomic(&link, b"new").unwrap_or_else(|e| panic!("{e}"));
        let meta = fs::symlink_metadata(&link).unwrap_or_else(|e| panic!("{e}"));
        assert!(meta.file_type().is_symlink(), "the link was replaced");
        assert_eq!(fs::read(&target).unwrap_or_default(), b"new");
    }

    #[test]
    fn a_directory_is_refused() {
        let dir = tempfile::tempdir().unwrap_or_else(|e| panic!("{e}"));
        let err = write_bytes_atomic(dir.path(), b"x").err();
        assert!(
            err.as_ref()
                .is_some_and(|e| e.to_string().contains("directory")),
            "{err:?}"
        );
    }
}
