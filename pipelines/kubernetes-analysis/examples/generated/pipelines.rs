//! Generated pipelines of any size, for `kpipe graph` benchmarks and the
//! browser tests: typed artifacts, seeded random edges, some conditions,
//! loops and `.after()` ordering.

use kpipe_compiler::{Artifact, ArtifactType, Io, Param, Pipeline, Step, Task, Value};

#[derive(Debug)]
enum Blob {}
impl ArtifactType for Blob {
    const KIND: &'static str = "blob";
}

/// Output names, so edge labels vary in width.
const OUTPUTS: [&str; 7] = [
    "data",
    "features",
    "model",
    "report",
    "shard",
    "metrics",
    "embeddings-index",
];
/// Task name suffixes, so box widths vary.
const JOBS: [&str; 6] = [
    "",
    "-fetch",
    "-prepare",
    "-train-model",
    "-eval",
    "-publish-results",
];

/// A seeded xorshift: the same graph on every run.
struct Rng(u64);

impl Rng {
    fn below(&mut self, n: usize) -> usize {
        self.0 ^= self.0 << 13;
        self.0 ^= self.0 >> 7;
        self.0 ^= self.0 << 17;
        (self.0 % n.max(1) as u64) as usize
    }
}

struct Gen<'a> {
    name: String,
    inputs: Vec<&'a Artifact<Blob>>,
    output: &'static str,
    param: &'a Param<String>,
}

impl Step for Gen<'_> {
    type Args = Vec<String>;
    type Outputs = Artifact<Blob>;

    fn name(&self) -> String {
        self.name.clone()
    }

    fn wire(self, io: &mut Io<'_>) -> (Vec<String>, Artifact<Blob>) {
        let mut args = vec!["process".to_owned()];
        for (i, input) in self.inputs.iter().enumerate() {
            let path = io.input(&format!("in{i}"), input);
            args.push(format!("--in={}", path.display()));
        }
        let (out, artifact) = io.output::<Blob>(self.output);
        args.push(format!("--out={}", out.display()));
        args.push(format!("--mode={}", io.value(&Value::from(self.param))));
        (args, artifact)
    }
}

/// `n` tasks; each consumes the outputs of one to three of the 30 tasks
/// before it (one in ten consumes none), one in five also waits for
/// another, one in ten runs only when `mode` is `full`, one in twelve
/// loops over three items.
pub(crate) fn random(n: usize) -> Pipeline {
    let mut rng = Rng(0x9e37_79b9_7f4a_7c15 ^ n as u64);
    let p = Pipeline::new(format!("generated-{n}"));
    p.image("registry.example.com/worker:1");
    let mode = p.string_param("mode", "full");
    let mut tasks: Vec<Task<Artifact<Blob>>> = Vec::with_capacity(n);
    for i in 0..n {
        let mut inputs: Vec<usize> = Vec::new();
        if i > 0 && rng.below(10) != 0 {
            for _ in 0..1 + rng.below(3) {
                inputs.push(i - 1 - rng.below(i.min(30)));
            }
        }
        inputs.sort_unstable();
        inputs.dedup();
        let step = Gen {
            name: format!("step-{i}{}", JOBS[rng.below(JOBS.len())]),
            inputs: inputs.iter().map(|&j| &tasks[j].out).collect(),
            output: OUTPUTS[rng.below(OUTPUTS.len())],
            param: &mode,
        };
        let mut task = p.add(step);
        if i > 0 && rng.below(5) == 0 {
            task = task.after(&tasks[i - 1 - rng.below(i.min(30))]);
        }
        if rng.below(10) == 0 {
            task = task.when(mode.eq("full"));
        }
        if rng.below(12) == 0 {
            task = task.with_items(["a", "b", "c"]);
        }
        tasks.push(task);
    }
    p
}

/// The shape of `benches/scale.rs`: task `i` consumes the outputs of
/// `i - 1` and `i / 2`, so edges span up to half the graph.
pub(crate) fn scale(n: usize) -> Pipeline {
    let p = Pipeline::new(format!("scale-{n}"));
    p.image("registry.example.com/worker:1");
    let mode = p.string_param("mode", "full");
    let mut outputs: Vec<Artifact<Blob>> = Vec::with_capacity(n);
    for i in 0..n {
        let inputs = match i {
            0 => vec![],
            1 => vec![&outputs[0]],
            _ => vec![&outputs[i - 1], &outputs[i / 2]],
        };
        let task = p.add(Gen {
            name: format!("step-{i}"),
            inputs,
            output: "out",
            param: &mode,
        });
        outputs.push(task.out);
    }
    p
}
