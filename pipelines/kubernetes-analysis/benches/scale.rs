//! Compile-time scaling: generated pipelines of 1k, 10k and 100k steps.
//!
//! `cargo bench -p kpipe-pipelines --bench scale` prints, per size, the time
//! to build the DSL graph and to compile it (validate + lower + emit YAML),
//! the time per step, and the ratio to the 1k run; linear growth keeps the
//! per-step time flat. The same for the Kubeflow Pipelines v2 IR target, and
//! in-process times of kubernetes-analysis for both targets.
//!
//! Each generated step consumes the outputs of two earlier steps (its
//! predecessor and the step at half its index), reads a pipeline parameter
//! and requests resources, so the graph, validation and emission all work.

use std::time::{Duration, Instant};

use kpipe_compiler::{
    Artifact, ArtifactType, CompileOptions, Io, KfpOptions, Param, Pipeline, Step, Value,
};

#[derive(Debug)]
enum Blob {}
impl ArtifactType for Blob {
    const KIND: &'static str = "blob";
}

struct Gen<'a> {
    index: usize,
    inputs: Vec<&'a Artifact<Blob>>,
    param: &'a Param<String>,
}

impl Step for Gen<'_> {
    type Args = Vec<String>;
    type Outputs = Artifact<Blob>;

    fn name(&self) -> String {
        format!("step-{}", self.index)
    }

    fn wire(self, io: &mut Io<'_>) -> (Vec<String>, Artifact<Blob>) {
        let mut args = vec!["process".to_owned()];
        for (i, input) in self.inputs.iter().enumerate() {
            args.push(format!(
                "--in={}",
                io.input(&format!("in{i}"), input).display()
            ));
        }
        let (out, artifact) = io.output::<Blob>("out");
        args.push(format!("--out={}", out.display()));
        args.push(format!("--run={}", io.value(&Value::from(self.param))));
        (args, artifact)
    }
}

fn build(n: usize) -> Pipeline {
    let p = Pipeline::new("scale");
    p.image("registry.example.com/worker:1");
    let run = p.string_param("run", "");
    let mut outputs: Vec<Artifact<Blob>> = Vec::with_capacity(n);
    for index in 0..n {
        let inputs: Vec<&Artifact<Blob>> = match index {
            0 => vec![],
            1 => vec![&outputs[0]],
            _ => vec![&outputs[index - 1], &outputs[index / 2]],
        };
        let task = p.add(Gen {
            index,
            inputs,
            param: &run,
        });
        let task = task.cpu("100m").memory("128Mi");
        outputs.push(task.out);
    }
    p
}

fn best_of<T>(runs: usize, mut f: impl FnMut() -> T) -> (Duration, T) {
    let mut best = Duration::MAX;
    let mut last = None;
    for _ in 0..runs {
        let start = Instant::now();
        let v = f();
        best = best.min(start.elapsed());
        last = Some(v);
    }
    match last {
        Some(v) => (best, v),
        None => (best, f()),
    }
}

/// Compiles `p` for the Argo target (`kfp` false) or the KFP IR target.
fn compile(p: &Pipeline, kfp: bool) -> String {
    let compiled = if kfp {
        p.compile_kfp(&KfpOptions::default()).map(|c| c.yaml)
    } else {
        p.compile(&CompileOptions::default())
    };
    match compiled {
        Ok(y) => y,
        Err(e) => {
            eprintln!("{e}");
            std::process::exit(1)
        }
    }
}

fn main() {
    for (kfp, label) in [(false, "Argo"), (true, "KFP v2 IR")] {
        scale(kfp, label);
    }
    for (kfp, label) in [(false, "Argo"), (true, "KFP v2 IR")] {
        let (t, yaml) = best_of(200, || {
            compile(&kpipe_pipelines::kubernetes_analysis::pipeline(), kfp)
        });
        println!(
            "kubernetes-analysis, build + compile in process, {label}: {:.0} µs ({} bytes)",
            t.as_secs_f64() * 1e6,
            yaml.len()
        );
    }
}

fn scale(kfp: bool, label: &str) {
    let sizes = [1_000usize, 10_000, 100_000];
    let mut base = None;
    println!("{label}");
    println!(
        "{:>8} {:>10} {:>11} {:>10} {:>12} {:>9}",
        "steps", "build ms", "compile ms", "YAML MiB", "µs/step", "vs 1k"
    );
    for n in sizes {
        let runs = if n >= 100_000 { 2 } else { 5 };
        let (build_t, p) = best_of(runs, || build(n));
        let (compile_t, yaml) = best_of(runs, || compile(&p, kfp));
        let total = build_t + compile_t;
        let per_step = total.as_secs_f64() * 1e6 / n as f64;
        let ratio = match base {
            None => {
                base = Some(per_step);
                1.0
            }
            Some(b) => per_step / b,
        };
        println!(
            "{n:>8} {:>10.1} {:>11.1} {:>10.1} {per_step:>12.2} {ratio:>8.2}×",
            build_t.as_secs_f64() * 1e3,
            compile_t.as_secs_f64() * 1e3,
            yaml.len() as f64 / (1024.0 * 1024.0),
        );
    }
    println!(
        "(µs/step flat across sizes = linear growth; \"vs 1k\" is the per-step cost relative to 1k steps)"
    );
}
