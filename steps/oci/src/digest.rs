//! Content digests: `sha256:<64 hex digits>`, and writers that hash what
//! passes through them.

use std::io::{self, Write};

use anyhow::bail;
use sha2::{Digest, Sha256};

/// `sha256:<hex>` of `bytes`.
pub fn sha256(bytes: &[u8]) -> String {
    format!("sha256:{}", hex::encode(Sha256::digest(bytes)))
}

/// The hex part of a `sha256:` digest, checked (64 lower-case hex digits),
/// so that it is safe as a file name.
pub fn hex_of(digest: &str) -> anyhow::Result<&str> {
    match digest.strip_prefix("sha256:") {
        Some(h)
            if h.len() == 64
                && h.bytes()
                    .all(|b| b.is_ascii_digit() || (b'a'..=b'f').contains(&b)) =>
        {
            Ok(h)
        }
        _ => bail!("`{digest}` is not a sha256 digest (sha256: and 64 lower-case hex digits)"),
    }
}

/// A writer that hashes and counts what it passes on.
#[derive(Debug)]
pub struct HashingWriter<W> {
    inner: W,
    hasher: Sha256,
    len: u64,
}

impl<W: Write> HashingWriter<W> {
    /// Wraps `inner`.
    pub fn new(inner: W) -> Self {
        Self {
            inner,
            hasher: Sha256::new(),
            len: 0,
        }
    }

    /// The inner writer, the `sha256:` digest and the length of what was written.
    pub fn finish(self) -> (W, String, u64) {
        let digest = format!("sha256:{}", hex::encode(self.hasher.finalize()));
        (self.inner, digest, self.len)
    }
}

impl<W: Write> Write for HashingWriter<W> {
    fn write(&mut self, buf: &[u8]) -> io::Result<usize> {
        let n = self.inner.write(buf)?;
        self.hasher.update(&buf[..n]);
        self.len += n as u64;
        Ok(n)
    }

    fn flush(&mut self) -> io::Result<()> {
        self.inner.flush()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn digests_are_checked_before_they_name_files() {
        let d = sha256(b"x");
        assert_eq!(hex_of(&d).ok(), d.strip_prefix("sha256:"));
        for bad in [
            "sha256:../../etc/passwd",
            "sha512:abc",
            "sha256:ABC",
            &format!("{d}0"),
        ] {
            assert!(hex_of(bad).is_err(), "{bad}");
        }
    }

    #[test]
    fn the_hashing_writer_hashes_what_it_writes() -> io::Result<()> {
        let mut w = HashingWriter::new(Vec::new());
        w.write_all(b"hello ")?;
        w.write_all(b"world")?;
        let (bytes, digest, len) = w.finish();
        assert_eq!((digest, len), (sha256(b"hello world"), 11));
        assert_eq!(bytes, b"hello world");
        Ok(())
    }
}
