//! Renders every chart from a realistic synthetic data set (the generator of
//! the parse benchmark, 20,000 items) into a directory, for the docs:
//!
//! `cargo bench -p kpipe-steps --bench charts -- OUT_DIR`

#[path = "synth.rs"]
mod synth;

use std::process::Command;

fn main() -> anyhow::Result<()> {
    let out = std::env::args()
        .skip(1)
        .find(|a| !a.starts_with("--"))
        .unwrap_or_else(|| "target/charts".to_owned());
    let (templates, notes) = synth::inputs();
    let items = synth::items(&templates, &notes, 20_000, 7);
    let tmp = std::env::temp_dir().join("kpipe-charts-dump.json");
    std::fs::write(&tmp, serde_json::to_vec(&items)?)?;
    let step = env!("CARGO_BIN_EXE_kpipe-step");
    let dataset = std::env::temp_dir().join("kpipe-charts-dataset");
    let run = |args: &[String]| -> anyhow::Result<()> {
        let status = Command::new(step).args(args).status()?;
        anyhow::ensure!(status.success(), "kpipe-step {args:?} failed");
        Ok(())
    };
    run(&[
        "update-data".into(),
        format!("--store={}", tmp.display()),
        format!("--out={}", dataset.display()),
    ])?;
    run(&[
        "analyze".into(),
        format!("--data={}", dataset.display()),
        "--all".into(),
        format!("--out={out}"),
    ])?;
    println!("charts in {out}");
    Ok(())
}
