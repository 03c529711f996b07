//! A writer whose bytes the test reads back (what a run printed).

use std::io::Write;
use std::sync::{Arc, Mutex};

/// A `Write` that keeps every byte; clones share them, so one clone goes
/// to the code under test and the test reads the other.
#[derive(Clone, Debug, Default)]
pub struct SharedBuf(Arc<Mutex<Vec<u8>>>);

impl SharedBuf {
    /// Everything written so far, as text (invalid UTF-8 replaced).
    pub fn text(&self) -> String {
        let bytes = self.0.lock().map(|v| v.clone()).unwrap_or_default();
        String::from_utf8_lossy(&bytes).into_owned()
    }
}

impl Write for SharedBuf {
    fn write(&mut self, buf: &[u8]) -> std::io::Result<usize> {
        self.0
            .lock()
            .map_err(|_| std::io::Error::other("a writer panicked while holding the buffer"))?
            .extend_from_slice(buf);
        Ok(buf.len())
    }
    fn flush(&mut self) -> std::io::Result<()> {
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn clones_share_what_is_written() {
        let buf = SharedBuf::default();
        let mut w = buf.clone();
        w.write_all(b"one\n").unwrap_or_else(|e| panic!("{e}"));
        w.write_all(&[0xff, b'\n'])
            .unwrap_or_else(|e| panic!("{e}"));
        assert_eq!(buf.text(), "one\n\u{fffd}\n");
    }
}
