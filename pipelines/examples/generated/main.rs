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
//! graph). `pipelines/benches/graph-svg.sh` times them.

use std::process::ExitCode;

use kpipe_pipelines::PipelineEntry;

mod pipelines;

fn main() -> ExitCode {
    let entry = |name: &'static str,
                 build: fn(&kpipe_pipelines::Profile) -> kpipe_compiler::Pipeline| {
        PipelineEntry {
            name,
            summary: "generated for benchmarks",
            build,
        }
    };
    kpipe_pipelines::cli::main(vec![
        entry("generated-200", |_| pipelines::random(200)),
        entry("generated-2000", |_| pipelines::random(2_000)),
        entry("generated-10000", |_| pipelines::random(10_000)),
        entry("scale-10000", |_| pipelines::scale(10_000)),
    ])
}
