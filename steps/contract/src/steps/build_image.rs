//! `build-image`: the serving image (step binary + model) as an OCI image,
//! built without a container engine.

use std::path::PathBuf;

use kpipe::{Arg, Artifact, Io, Step, Value};

use crate::artifacts::{ImageLayout, Model};

/// Build (and push) the serving image without a container engine.
#[derive(clap::Args, kpipe::ToArgs, Clone, Debug, PartialEq, Eq)]
#[kpipe(step = "build-image")]
pub struct BuildImageArgs {
    /// Model directory to serve.
    #[arg(long)]
    pub model: PathBuf,
    /// The kpipe-step binary to put in the image (it runs `serve`); by
    /// default the binary running this step.
    #[arg(long)]
    pub base_binary: Option<PathBuf>,
    /// Image repository, e.g. quay.io/org/kubernetes-analysis-serving.
    #[arg(long)]
    pub image: String,
    /// Tag to apply (repeatable).
    #[arg(long = "tag")]
    pub tags: Vec<String>,
    /// The pull request being built; when empty (master) the image is also tagged `latest`.
    #[arg(long, default_value = "")]
    pub pr: String,
    /// Write the OCI image layout to this directory.
    #[arg(long)]
    #[kpipe(output)]
    pub layout: PathBuf,
    /// Push the image to its registry.
    #[arg(long, value_name = "BOOL", default_value = "false", num_args = 0..=1, require_equals = true, default_missing_value = "true")]
    pub push: Arg<bool>,
    /// Registry credentials (Docker config.json format, a mounted secret).
    #[arg(long, env = "KPIPE_REGISTRY_AUTH_FILE")]
    pub registry_auth: Option<PathBuf>,
    /// Talk plain HTTP to the registry (local test registries only).
    #[arg(long)]
    pub plain_http: bool,
}

/// Where the step image keeps the kpipe-step binary.
pub const STEP_BINARY: &str = "/usr/local/bin/kpipe-step";

/// The `build-image` step.
#[derive(Clone, Debug)]
pub struct BuildImage<'a> {
    /// The model to serve.
    pub model: &'a Artifact<Model>,
    /// Image repository.
    pub image: String,
    /// Tags (usually the `commit` parameter).
    pub tags: Vec<Value>,
    /// Pull request (`pr` parameter): empty tags `latest` too.
    pub pr: Value,
    /// Push to the registry (`true`/`false`, usually the `push` parameter).
    pub push: Value,
    /// Registry credentials file.
    pub registry_auth: Option<PathBuf>,
    /// The kpipe-step binary to put in the image (`None`: the binary that
    /// runs the step, [`STEP_BINARY`] in the step image).
    pub base_binary: Option<PathBuf>,
}

/// Outputs of [`BuildImage`].
#[derive(Debug)]
pub struct BuildImageOutputs {
    /// The OCI image layout.
    pub layout: Artifact<ImageLayout>,
}

impl Step for BuildImage<'_> {
    type Args = BuildImageArgs;
    type Outputs = BuildImageOutputs;

    fn name(&self) -> String {
        "build-image".to_owned()
    }

    fn wire(self, io: &mut Io<'_>) -> (BuildImageArgs, BuildImageOutputs) {
        let model = io.input("model", self.model);
        let (path, layout) = io.output::<ImageLayout>("image");
        let args = BuildImageArgs {
            model,
            base_binary: self.base_binary,
            image: self.image,
            tags: self.tags.iter().map(|t| io.value(t)).collect(),
            pr: io.value(&self.pr),
            layout: path,
            push: io.arg_value(self.push),
            registry_auth: self.registry_auth,
            plain_http: false,
        };
        (args, BuildImageOutputs { layout })
    }
}
