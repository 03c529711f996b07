//! `train`: fit the release-note classifier, or score a labelled file.

use std::fmt;
use std::path::PathBuf;

use kpipe::{Arg, Artifact, Io, Step, Value};

use crate::artifacts::{Dataset, Model};

/// Where training runs.
#[derive(clap::ValueEnum, Clone, Copy, Debug, Default, PartialEq, Eq)]
pub enum Device {
    /// The CPU backend (always available).
    #[default]
    Cpu,
    /// An NVIDIA GPU through burn-cuda (binary built with `--features cuda`).
    Cuda,
    /// CUDA when the binary has it and a GPU answers, else CPU.
    Auto,
}

impl std::str::FromStr for Device {
    type Err = String;

    fn from_str(s: &str) -> Result<Self, Self::Err> {
        match s.trim() {
            "cpu" => Ok(Device::Cpu),
            "cuda" => Ok(Device::Cuda),
            "auto" => Ok(Device::Auto),
            other => Err(format!("`{other}` is not a device: cpu, cuda or auto")),
        }
    }
}

/// The device as a step field's value (`device: Device::Cpu.into()`).
impl From<Device> for Value {
    fn from(d: Device) -> Self {
        Value::Literal(d.to_string())
    }
}

impl fmt::Display for Device {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(match self {
            Device::Cpu => "cpu",
            Device::Cuda => "cuda",
            Device::Auto => "auto",
        })
    }
}

/// Train the kind/bug classifier (or evaluate a model with --eval).
#[derive(clap::Args, kpipe::ToArgs, Clone, Debug, PartialEq)]
#[kpipe(step = "train")]
pub struct TrainArgs {
    /// Training data: the labelled release-note JSONL, or update-data's data set.
    #[arg(long, required_unless_present = "eval")]
    pub data: Option<PathBuf>,
    /// Model directory to write.
    #[arg(long, required_unless_present = "eval")]
    #[kpipe(output)]
    pub out: Option<PathBuf>,
    /// Seed of every random choice (split, initialisation, shuffling, dropout).
    #[arg(long, default_value_t = 42)]
    pub seed: u64,
    /// Where to train: cpu, cuda, or auto (CUDA when the binary has it and a GPU answers).
    #[arg(long, value_name = "DEVICE", default_value = "cpu")]
    pub device: Arg<Device>,
    /// Run the grid layers {1,2,3} × units {8,16,32,64,128} and write a results table.
    #[arg(long, conflicts_with = "eval")]
    pub tune: bool,
    /// Score this labelled file with --model and print the metrics JSON; writes nothing.
    #[arg(long, requires = "model", conflicts_with_all = ["data", "out"])]
    pub eval: Option<PathBuf>,
    /// Model directory to evaluate (with --eval).
    #[arg(long)]
    pub model: Option<PathBuf>,
    /// Also write Kubeflow's mlpipeline-metrics.json and mlpipeline-ui-metadata.json here.
    #[arg(long)]
    pub kfp_out: Option<PathBuf>,
    /// Write Kubeflow's metrics file here (default: mlpipeline-metrics.json in --kfp-out).
    #[arg(long)]
    pub kfp_metrics: Option<PathBuf>,
    /// Write Kubeflow's UI metadata file here (default: mlpipeline-ui-metadata.json in --kfp-out).
    #[arg(long)]
    pub kfp_ui_metadata: Option<PathBuf>,
    /// Kubeflow Pipelines v2's executor input (the JSON its launcher puts for `{{$}}`): also
    /// report the validation metrics as artifact metadata, which the KFP v2 UI draws (scalar
    /// metrics on the system.Metrics output, confusion matrix and ROC curve on the
    /// system.ClassificationMetrics output), in the ExecutorOutput file it names.
    #[arg(long, value_name = "JSON", conflicts_with = "eval")]
    pub kfp_executor_input: Option<String>,
    /// Hidden layers of the MLP.
    #[arg(long)]
    pub layers: Option<usize>,
    /// Units per hidden layer.
    #[arg(long)]
    pub units: Option<usize>,
    /// Dropout rate after each hidden layer.
    #[arg(long)]
    pub dropout: Option<f64>,
    /// Maximum number of epochs (early stopping usually ends sooner).
    #[arg(long)]
    pub max_epochs: Option<usize>,
}

impl TrainArgs {
    /// Training arguments with every option at its default.
    pub fn new(data: PathBuf, out: PathBuf) -> Self {
        Self {
            data: Some(data),
            out: Some(out),
            seed: 42,
            device: Arg::new(Device::Cpu),
            tune: false,
            eval: None,
            model: None,
            kfp_out: None,
            kfp_metrics: None,
            kfp_ui_metadata: None,
            kfp_executor_input: None,
            layers: None,
            units: None,
            dropout: None,
            max_epochs: None,
        }
    }
}

/// The `train` step.
#[derive(Clone, Debug)]
pub struct Train<'a> {
    /// The data set.
    pub dataset: &'a Artifact<Dataset>,
    /// Random seed.
    pub seed: u64,
    /// Where to train (`cpu`, `cuda`, `auto`; usually the `device` parameter).
    pub device: Value,
}

/// Outputs of [`Train`].
#[derive(Debug)]
pub struct TrainOutputs {
    /// The model directory.
    pub model: Artifact<Model>,
}

impl Step for Train<'_> {
    type Args = TrainArgs;
    type Outputs = TrainOutputs;

    fn name(&self) -> String {
        "train".to_owned()
    }

    fn wire(self, io: &mut Io<'_>) -> (TrainArgs, TrainOutputs) {
        let data = io.input("dataset", self.dataset);
        let (out, model) = io.output::<Model>("model");
        // One path per file (not their directory): Kubeflow Pipelines v2 gives
        // every output its own path.
        // (train writes both on every success)
        let metrics = io.kfp_metrics_always();
        let ui_metadata = io.kfp_ui_metadata_always();
        let mut args = TrainArgs::new(data, out);
        args.seed = self.seed;
        args.device = io.arg_value(self.device);
        args.kfp_metrics = Some(metrics);
        args.kfp_ui_metadata = Some(ui_metadata);
        // KFP v2 only (left out on Argo): the v2 UI reads artifact metadata.
        args.kfp_executor_input = Some(io.kfp_executor_input());
        (args, TrainOutputs { model })
    }
}
