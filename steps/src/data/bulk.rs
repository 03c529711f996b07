//! Parsing a whole issue-list dump (one JSON array of items, like the
//! original project's `api.json`) into typed items, fast and in bounded
//! memory: a byte scanner finds each item's extent in 8 MiB blocks (never
//! holding the file), batches of items go to one parser thread per core, and
//! each item is parsed with borrowed strings into [`Item`] without building a
//! generic JSON tree.

use std::fs::File;
use std::io::Read;
use std::path::Path;
use std::sync::mpsc;

use anyhow::{Context, bail};

use super::dataset::Item;
use super::github_item;

const BLOCK: usize = 8 << 20;
const BATCH: usize = 4 << 20;

struct Batch {
    seq: usize,
    first_item: usize,
    bytes: Vec<u8>,
    spans: Vec<(usize, usize)>,
}

/// Where the splitter is in the array's own syntax (outside its elements).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
enum Top {
    /// Before the opening `[`.
    Before,
    /// After `[`: an element or `]`.
    FirstOrEnd,
    /// After an element: `,` or `]`.
    CommaOrEnd,
    /// After `,`: an element.
    Next,
    /// After the closing `]`: only white space.
    After,
}

/// Splits a JSON array into its elements' byte spans, block by block. It
/// checks the array's syntax itself (brackets, commas, nothing after the
/// end), exactly as strictly as serde would; each element is checked by the
/// item parser.
struct Splitter {
    top: Top,
    /// Nesting inside the current element (0: between elements).
    depth: u32,
    in_string: bool,
    escaped: bool,
    current: Vec<u8>,
}

impl Splitter {
    fn new() -> Self {
        Self {
            top: Top::Before,
            depth: 0,
            in_string: false,
            escaped: false,
            current: Vec::with_capacity(1 << 16),
        }
    }

    /// Feeds `block`; calls `done` with every complete element.
    fn feed(&mut self, block: &[u8], mut done: impl FnMut(&[u8])) -> anyhow::Result<()> {
        let mut start = if self.depth > 0 { Some(0) } else { None };
        for (i, &b) in block.iter().enumerate() {
            if self.depth > 0 {
                if self.in_string {
                    if self.escaped {
                        self.escaped = false;
                    } else if b == b'\\' {
                        self.escaped = true;
                    } else if b == b'"' {
                        self.in_string = false;
                    }
                    continue;
                }
                match b {
                    b'"' => self.in_string = true,
                    b'[' | b'{' => self.depth += 1,
                    b']' | b'}' => {
                        self.depth -= 1;
                        if self.depth == 0 {
                            let s = start.take().unwrap_or(0);
                            if self.current.is_empty() {
                                done(&block[s..=i]);
                            } else {
                                self.current.extend_from_slice(&block[s..=i]);
                                done(&self.current);
                                self.current.clear();
                            }
                            self.top = Top::CommaOrEnd;
                        }
                    }
                    _ => {}
                }
                continue;
            }
            if matches!(b, b' ' | b'\n' | b'\r' | b'\t') {
                continue;
            }
            self.top = match (self.top, b) {
                (Top::Before, b'[') => Top::FirstOrEnd,
                (Top::Before, _) => {
                    bail!("the dump must be a JSON array of issue objects (start with `[`)")
                }
                (Top::FirstOrEnd | Top::Next, b'{') => {
                    start = Some(i);
                    self.depth = 1;
                    continue;
                }
                (Top::CommaOrEnd, b',') => Top::Next,
                (Top::FirstOrEnd | Top::CommaOrEnd, b']') => Top::After,
                (Top::Next, b']') => bail!("a comma ends the array (`,]`)"),
                (Top::CommaOrEnd, b'{') => bail!("two items without a comma between them"),
                (Top::FirstOrEnd | Top::Next, b',') => bail!("a comma where an item belongs"),
                (Top::After, _) => bail!("text follows the array's closing `]`"),
                _ => bail!("the array holds a non-object element"),
            };
        }
        if let Some(s) = start
            && self.depth > 0
        {
            self.current.extend_from_slice(&block[s..]);
        }
        Ok(())
    }

    fn finish(&self) -> anyhow::Result<()> {
        match self.top {
            Top::After => Ok(()),
            Top::Before => bail!("empty input: not a JSON array"),
            _ => bail!("the JSON array is truncated"),
        }
    }
}

/// Parses the JSON array dump at `path` into typed items, in file order.
pub fn parse_dump(path: &Path) -> anyhow::Result<Vec<Item>> {
    let mut file = File::open(path).with_context(|| format!("cannot open {}", path.display()))?;
    let workers = std::thread::available_parallelism()
        .map_or(2, usize::from)
        .clamp(1, 8);
    let (tx, rx) = mpsc::sync_channel::<Batch>(workers * 2);
    let rx = std::sync::Arc::new(std::sync::Mutex::new(rx));
    std::thread::scope(|scope| -> anyhow::Result<Vec<Item>> {
        let handles: Vec<_> = (0..workers)
            .map(|_| {
                let rx = rx.clone();
                scope.spawn(move || -> anyhow::Result<Vec<(usize, Vec<Item>)>> {
                    let mut out = Vec::new();
                    loop {
                        let batch = match rx.lock() {
                            Ok(r) => r.recv(),
                            Err(_) => bail!("a parser thread failed"),
                        };
                        let Ok(batch) = batch else { break };
                        let mut items = Vec::with_capacity(batch.spans.len());
                        for (k, &(a, b)) in batch.spans.iter().enumerate() {
                            let item =
                                github_item::parse(&batch.bytes[a..b]).with_context(|| {
                                    format!(
                                        "{}: item {} of the array is not a GitHub issue",
                                        path.display(),
                                        batch.first_item + k + 1
                                    )
                                })?;
                            items.push(item);
                        }
                        out.push((batch.seq, items));
                    }
                    Ok(out)
                })
            })
            .collect();
        let mut splitter = Splitter::new();
        let mut block = vec![0u8; BLOCK];
        let mut batch = Batch {
            seq: 0,
            first_item: 0,
            bytes: Vec::with_capacity(BATCH + (1 << 20)),
            spans: Vec::new(),
        };
        let mut count = 0usize;
        let mut send_err = None;
        loop {
            let n = file
                .read(&mut block)
                .with_context(|| format!("cannot read {}", path.display()))?;
            if n == 0 {
                break;
            }
            splitter
                .feed(&block[..n], |element| {
                    let at = batch.bytes.len();
                    batch.bytes.extend_from_slice(element);
                    batch.spans.push((at, batch.bytes.len()));
                    count += 1;
                    if batch.bytes.len() >= BATCH {
                        let next = Batch {
                            seq: batch.seq + 1,
                            first_item: count,
                            bytes: Vec::with_capacity(BATCH + (1 << 20)),
                            spans: Vec::new(),
                        };
                        if tx.send(std::mem::replace(&mut batch, next)).is_err() {
                            send_err = Some(());
                        }
                    }
                })
                .with_context(|| format!("{} is not a JSON array of issues", path.display()))?;
            if send_err.is_some() {
                break;
            }
        }
        if send_err.is_none() {
            splitter
                .finish()
                .with_context(|| format!("{} is not a complete JSON array", path.display()))?;
            if !batch.spans.is_empty() {
                let _ = tx.send(batch);
            }
        }
        drop(tx);
        let mut parts = Vec::new();
        for h in handles {
            match h.join() {
                Ok(r) => parts.extend(r?),
                Err(_) => bail!("a parser thread panicked"),
            }
        }
        parts.sort_by_key(|p| p.0);
        Ok(parts.into_iter().flat_map(|p| p.1).collect())
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn splits_across_block_boundaries_and_strings() {
        let json = br#" [ {"a":"x}]{\"y","b":[1,{"c":2}]} , {"d":"]"} ]"#;
        for cut in 1..json.len() {
            let mut s = Splitter::new();
            let mut got: Vec<Vec<u8>> = Vec::new();
            s.feed(&json[..cut], |e| got.push(e.to_vec()))
                .unwrap_or_else(|e| panic!("{e}"));
            s.feed(&json[cut..], |e| got.push(e.to_vec()))
                .unwrap_or_else(|e| panic!("{e}"));
            assert!(s.finish().is_ok());
            assert_eq!(
                got,
                vec![
                    br#"{"a":"x}]{\"y","b":[1,{"c":2}]}"#.to_vec(),
                    br#"{"d":"]"}"#.to_vec()
                ],
                "cut {cut}"
            );
        }
    }

    #[test]
    fn rejects_what_is_not_an_array_of_objects() {
        for bad in [
            &br#"{"a":1}"#[..],
            b"[1,2]",
            b"",
            b"[{\"a\":1}",
            b"[{}][]",
            b"[{}{}]",
            b"[{},]",
            b"[,{}]",
            b"[{}:{}]",
            b"[{}] x",
        ] {
            let mut s = Splitter::new();
            let r = s.feed(bad, |_| {}).and_then(|()| s.finish());
            assert!(r.is_err(), "{:?}", String::from_utf8_lossy(bad));
        }
    }
}
