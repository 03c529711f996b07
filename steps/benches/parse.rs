//! Parse + index a kubernetes-scale issues dump (one JSON array).
//!
//! `cargo bench -p kpipe-steps --bench parse -- generate FILE [ITEMS]` writes
//! the synthetic dump (default 90,000 items, ~650 MiB); `… -- parse FILE`
//! parses it into typed items and prints what it found. The comparison with
//! Python is `steps/benches/parse-vs-python.sh`.

#[path = "synth.rs"]
mod synth;

use std::io::Write;
use std::time::Instant;

fn main() -> anyhow::Result<()> {
    let args: Vec<String> = std::env::args()
        .skip(1)
        .filter(|a| !a.starts_with("--"))
        .collect();
    match args.first().map(String::as_str) {
        Some("generate") => {
            let path = args
                .get(1)
                .ok_or_else(|| anyhow::anyhow!("generate FILE [ITEMS]"))?;
            let count: usize = args.get(2).and_then(|c| c.parse().ok()).unwrap_or(90_000);
            let (templates, notes) = synth::inputs();
            let items = synth::items(&templates, &notes, count, 1);
            let mut w = std::io::BufWriter::new(std::fs::File::create(path)?);
            w.write_all(b"[")?;
            for (i, item) in items.iter().enumerate() {
                if i > 0 {
                    w.write_all(b",\n")?;
                }
                serde_json::to_writer(&mut w, item)?;
            }
            w.write_all(b"]\n")?;
            w.flush()?;
            let size = std::fs::metadata(path)?.len();
            println!(
                "wrote {count} items, {:.0} MiB, to {path}",
                size as f64 / 1048576.0
            );
        }
        Some("parse") => {
            let path = args.get(1).ok_or_else(|| anyhow::anyhow!("parse FILE"))?;
            let t = Instant::now();
            let items = kpipe_steps::data::bulk::parse_dump(std::path::Path::new(path))?;
            let index: std::collections::HashMap<u64, usize> = items
                .iter()
                .enumerate()
                .map(|(i, it)| (it.number, i))
                .collect();
            let prs = items
                .iter()
                .filter(|i| i.kind == kpipe_steps::data::dataset::Kind::PullRequest)
                .count();
            let notes = items.iter().filter(|i| i.release_note.is_some()).count();
            println!(
                "Parsed {} issues and {prs} pull requests ({} items, {} indexed, {notes} release notes) in {:.2}s",
                items.len() - prs,
                items.len(),
                index.len(),
                t.elapsed().as_secs_f64()
            );
        }
        _ => anyhow::bail!("usage: parse (generate FILE [ITEMS] | parse FILE)"),
    }
    Ok(())
}
