//! `kpipe` with generated pipelines instead of the real ones, to measure
//! `kpipe graph` on big graphs as a user runs it:
//!
//! ```text
//! cargo build --release -p kpipe-pipelines --example generated
//! target/release/examples/generated graph generated-10000 --format svg -o /tmp/g.svg
//! ```
//!
//! `generated-N` (N = 200, 2000, 10000): seeded random edges;
//! `scale-10000`: the shape of `benches/scale.rs` (edges spanning half the
//! graph). `pipelines/kubernetes-analysis/benches/graph-svg.sh` times them.

use std::process::ExitCode;

mod pipelines;

fn main() -> ExitCode {
    let summary = "generated for benchmarks";
    kpipe::App::new("generated")
        .pipeline("generated-200", summary, || pipelines::random(200))
        .pipeline("generated-2000", summary, || pipelines::random(2_000))
        .pipeline("generated-10000", summary, || pipelines::random(10_000))
        .pipeline("scale-10000", summary, || pipelines::scale(10_000))
        .main()
}
