//! What a step left on disk: sizes, logs, images.

use std::io::{Read as _, Seek as _, SeekFrom};
use std::path::{Path, PathBuf};

use base64::Engine as _;

/// The size of a file, or of everything under a directory.
pub(crate) fn size(path: &Path) -> Option<u64> {
    let meta = std::fs::symlink_metadata(path).ok()?;
    if !meta.is_dir() {
        return Some(meta.len());
    }
    let mut total = 0;
    let mut stack = vec![path.to_path_buf()];
    while let Some(dir) = stack.pop() {
        for e in std::fs::read_dir(&dir).into_iter().flatten().flatten() {
            match e.file_type() {
                Ok(t) if t.is_dir() => stack.push(e.path()),
                Ok(_) => total += e.metadata().map_or(0, |m| m.len()),
                Err(_) => {}
            }
        }
    }
    Some(total)
}

/// A step's log: its text and its number of lines. A log over `limit`
/// bytes keeps its first and last `limit / 2` bytes (whole lines) with a
/// note between them, so the tail shown is the log's real end, where a
/// failing step says why; the lines are counted over the whole file.
pub(crate) fn log(path: &Path, limit: usize) -> Option<(String, usize)> {
    let mut file = std::fs::File::open(path).ok()?;
    let len = file.metadata().ok()?.len();
    if len <= limit as u64 {
        let mut bytes = Vec::new();
        file.read_to_end(&mut bytes).ok()?;
        return Some((
            String::from_utf8_lossy(&bytes).into_owned(),
            bytecount_lines(&bytes),
        ));
    }
    let half = limit / 2;
    let mut head = vec![0; half];
    file.read_exact(&mut head).ok()?;
    // count the lines of the rest without holding it
    let mut newlines = head.iter().filter(|b| **b == b'\n').count();
    let mut chunk = vec![0; 1 << 16];
    let mut last = b'\n';
    loop {
        match file.read(&mut chunk) {
            Ok(0) => break,
            Ok(n) => {
                newlines += chunk[..n].iter().filter(|b| **b == b'\n').count();
                last = chunk[n - 1];
            }
            Err(e) if e.kind() == std::io::ErrorKind::Interrupted => {}
            Err(_) => return None,
        }
    }
    let lines = newlines + usize::from(last != b'\n');
    let mut tail = vec![0; half];
    file.seek(SeekFrom::Start(len - half as u64)).ok()?;
    file.read_exact(&mut tail).ok()?;
    // whole lines only: no line (or character) cut in two
    let head = head
        .iter()
        .rposition(|b| *b == b'\n')
        .map_or(&head[..], |i| &head[..=i]);
    let tail = tail
        .iter()
        .position(|b| *b == b'\n')
        .map_or(&tail[..], |i| &tail[i + 1..]);
    let shown = head.len() + tail.len();
    let text = format!(
        "{}… {} of {} bytes not shown here; the whole log is {}\n{}",
        String::from_utf8_lossy(head),
        len - shown as u64,
        len,
        path.display(),
        String::from_utf8_lossy(tail)
    );
    Some((text, lines))
}

fn bytecount_lines(bytes: &[u8]) -> usize {
    let n = bytes.iter().filter(|b| **b == b'\n').count();
    if bytes.last().is_some_and(|b| *b != b'\n') {
        n + 1
    } else {
        n
    }
}

/// The last `n` lines of `text`.
pub(crate) fn tail(text: &str, n: usize) -> String {
    let lines: Vec<&str> = text.lines().collect();
    lines[lines.len().saturating_sub(n)..].join("\n")
}

/// An image embedded in the report.
#[derive(Debug)]
pub(crate) struct Image {
    pub(crate) path: PathBuf,
    pub(crate) data_uri: String,
}

/// The images at `path` (a file, or a directory searched three levels
/// deep), as data URIs; PNG over SVG of the same name, at most `budget`
/// bytes in all (the rest is named in `skipped`).
pub(crate) fn images(path: &Path, budget: &mut u64, skipped: &mut Vec<PathBuf>) -> Vec<Image> {
    let mut found = Vec::new();
    collect(path, 0, &mut found);
    found.sort();
    let mut out = Vec::new();
    for p in &found {
        let ext = extension(p);
        if ext == "svg" && found.contains(&p.with_extension("png")) {
            continue;
        }
        let mime = match ext.as_str() {
            "png" => "image/png",
            "svg" => "image/svg+xml",
            "jpg" | "jpeg" => "image/jpeg",
            "gif" => "image/gif",
            _ => continue,
        };
        let Ok(bytes) = std::fs::read(p) else {
            continue;
        };
        if bytes.len() as u64 > *budget {
            skipped.push(p.clone());
            continue;
        }
        *budget -= bytes.len() as u64;
        let data = base64::engine::general_purpose::STANDARD.encode(&bytes);
        out.push(Image {
            path: p.clone(),
            data_uri: format!("data:{mime};base64,{data}"),
        });
    }
    out
}

fn extension(p: &Path) -> String {
    p.extension()
        .map(|e| e.to_string_lossy().to_ascii_lowercase())
        .unwrap_or_default()
}

fn collect(path: &Path, depth: usize, out: &mut Vec<PathBuf>) {
    let Ok(meta) = std::fs::metadata(path) else {
        return;
    };
    if meta.is_file() {
        if ["png", "svg", "jpg", "jpeg", "gif"].contains(&extension(path).as_str()) {
            out.push(path.to_path_buf());
        }
        return;
    }
    if depth > 3 {
        return;
    }
    for e in std::fs::read_dir(path).into_iter().flatten().flatten() {
        collect(&e.path(), depth + 1, out);
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_short_log_is_whole() {
        let dir = tempfile::tempdir().unwrap_or_else(|e| panic!("{e}"));
        let path = dir.path().join("log.txt");
        std::fs::write(&path, "one\ntwo\nthree").unwrap_or_else(|e| panic!("{e}"));
        assert_eq!(log(&path, 1024), Some(("one\ntwo\nthree".to_owned(), 3)));
        std::fs::write(&path, "").unwrap_or_else(|e| panic!("{e}"));
        assert_eq!(log(&path, 1024), Some((String::new(), 0)));
        assert_eq!(log(&dir.path().join("none"), 1024), None);
    }

    #[test]
    fn a_long_log_keeps_its_real_end() {
        let dir = tempfile::tempdir().unwrap_or_else(|e| panic!("{e}"));
        let path = dir.path().join("log.txt");
        let text: String = (0..100_000).map(|i| format!("line {i}\n")).collect();
        std::fs::write(&path, &text).unwrap_or_else(|e| panic!("{e}"));
        let Some((shown, lines)) = log(&path, 4096) else {
            panic!("no log");
        };
        assert_eq!(lines, 100_000, "counted over the whole file");
        assert!(shown.starts_with("line 0\nline 1\n"), "{shown}");
        assert_eq!(tail(&shown, 2), "line 99998\nline 99999");
        assert!(shown.contains("bytes not shown here; the whole log is"));
        assert!(shown.len() < 4096 + 200, "{}", shown.len());
        // every line shown whole
        for l in shown.lines().filter(|l| !l.starts_with('…')) {
            let n = l.strip_prefix("line ").and_then(|n| n.parse::<u32>().ok());
            assert!(n.is_some(), "a cut line: {l:?}");
        }
    }
}
