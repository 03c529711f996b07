//! What a step left on disk: sizes, logs, images.

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

/// A step's log: the whole text (up to `limit` bytes; the rest is cut with
/// a note) and its number of lines.
pub(crate) fn log(path: &Path, limit: usize) -> Option<(String, usize)> {
    let bytes = std::fs::read(path).ok()?;
    let lines = bytecount_lines(&bytes);
    let mut text = String::from_utf8_lossy(&bytes[..bytes.len().min(limit)]).into_owned();
    if bytes.len() > limit {
        text.push_str(&format!(
            "\n… cut at {} of {} bytes; the whole log is {}\n",
            limit,
            bytes.len(),
            path.display()
        ));
    }
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
