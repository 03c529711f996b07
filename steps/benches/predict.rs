//! In-process prediction latency after load, and the model's load time.
//!
//! `cargo bench -p kpipe-steps --bench predict [-- MODEL_DIR]`: without a
//! model directory it first trains one on the bundled training notes. It then
//! loads the model (reporting the load time) and predicts every note of the
//! bundled dev file repeatedly, reporting mean and p99 per prediction.

use std::path::PathBuf;
use std::time::Instant;

use kpipe_steps::ml::data;
use kpipe_steps::ml::model::Model;

fn main() -> anyhow::Result<()> {
    let root = PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("..");
    // A model trained now, not one cached from an earlier build (its format
    // or features may be older): training takes about a second.
    let trained = tempfile::tempdir()?;
    let dir = match std::env::args().skip(1).find(|a| !a.starts_with('-')) {
        Some(d) => PathBuf::from(d),
        None => {
            let dir = trained.path().join("model");
            let status = std::process::Command::new(env!("CARGO_BIN_EXE_kpipe-step"))
                .arg("train")
                .arg(format!(
                    "--data={}",
                    root.join(
                        "pipelines/kubernetes-analysis/data/release-notes-train-1.14-1.27.jsonl"
                    )
                    .display()
                ))
                .arg(format!("--out={}", dir.display()))
                .stderr(std::process::Stdio::null())
                .status()?;
            anyhow::ensure!(status.success(), "training the benchmark model failed");
            dir
        }
    };
    let started = Instant::now();
    let model = Model::load(&dir)?;
    let load = started.elapsed();
    let notes = data::load(
        &root.join("pipelines/kubernetes-analysis/data/release-notes-dev-1.28-1.33.jsonl"),
    )?;
    let mut times = Vec::with_capacity(notes.len() * 10);
    let mut sink = 0.0;
    for _ in 0..10 {
        for n in &notes {
            let t = Instant::now();
            sink += model.predict(&n.text);
            times.push(t.elapsed().as_secs_f64() * 1e6);
        }
    }
    times.sort_by(f64::total_cmp);
    let mean = times.iter().sum::<f64>() / times.len() as f64;
    let pct = |p: f64| times[((times.len() as f64 * p) as usize).min(times.len() - 1)];
    println!("model: {} ({} inputs)", dir.display(), model.features.dim());
    println!("load: {:.1} ms", load.as_secs_f64() * 1e3);
    println!(
        "predict ({} notes × 10): mean {mean:.1} µs, p50 {:.1} µs, p99 {:.1} µs (checksum {sink:.3})",
        notes.len(),
        pct(0.5),
        pct(0.99)
    );
    Ok(())
}
