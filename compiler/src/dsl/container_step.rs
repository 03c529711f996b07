//! A step that runs any program, for pipelines that mix kpipe steps with
//! other containers.

use std::collections::BTreeMap;

use crate::dsl::artifact::{Artifact, ArtifactType};
use crate::dsl::output_param::OutputParam;
use crate::dsl::step::{Io, Step};
use crate::ir::Value;
use crate::ir::value::OutputRef;

#[derive(Clone, Debug)]
enum Part {
    Value(Value),
    Input(String),
    OutputParam(String),
}

/// A container step built at run time from a program and its arguments.
///
/// Its arguments can be literals, run-time [`Value`]s, the path of a consumed
/// artifact, or the path of an output parameter file.
#[derive(Clone, Debug)]
pub struct ContainerStep {
    name: String,
    image: Option<String>,
    command: Vec<String>,
    parts: Vec<Part>,
    inputs: Vec<(String, OutputRef, &'static str, &'static str)>,
    output_params: Vec<String>,
}

/// The outputs of a [`ContainerStep`]: its output parameters by name.
#[derive(Clone, Debug, Default)]
pub struct ContainerOutputs {
    /// Output parameters declared with [`ContainerStep::output_param`].
    pub params: BTreeMap<String, OutputParam>,
}

impl ContainerOutputs {
    /// The output parameter `name`, if declared.
    pub fn param(&self, name: &str) -> Option<&OutputParam> {
        self.params.get(name)
    }
}

impl ContainerStep {
    /// A step named `name` running `command`.
    pub fn new<S: Into<String>>(
        name: impl Into<String>,
        command: impl IntoIterator<Item = S>,
    ) -> Self {
        Self {
            name: name.into(),
            image: None,
            command: command.into_iter().map(Into::into).collect(),
            parts: Vec::new(),
            inputs: Vec::new(),
            output_params: Vec::new(),
        }
    }

    /// The image to run (default: the pipeline's).
    pub fn image(mut self, image: impl Into<String>) -> Self {
        self.image = Some(image.into());
        self
    }

    /// Appends an argument.
    pub fn arg(mut self, value: impl Into<Value>) -> Self {
        self.parts.push(Part::Value(value.into()));
        self
    }

    /// Consumes `artifact` as input `name` and appends its path as an argument.
    pub fn input<T: ArtifactType>(mut self, name: &str, artifact: &Artifact<T>) -> Self {
        self.inputs.push((
            name.to_owned(),
            artifact.source.clone(),
            T::KIND,
            T::KFP_TYPE,
        ));
        self.parts.push(Part::Input(name.to_owned()));
        self
    }

    /// Declares output parameter `name` and appends the path of the file the
    /// program must write it to.
    pub fn output_param(mut self, name: &str) -> Self {
        self.output_params.push(name.to_owned());
        self.parts.push(Part::OutputParam(name.to_owned()));
        self
    }
}

impl Step for ContainerStep {
    type Args = Vec<String>;
    type Outputs = ContainerOutputs;

    fn name(&self) -> String {
        self.name.clone()
    }

    fn command(&self) -> Vec<String> {
        self.command.clone()
    }

    fn image(&self) -> Option<String> {
        self.image.clone()
    }

    fn wire(self, io: &mut Io<'_>) -> (Vec<String>, ContainerOutputs) {
        let mut inputs = BTreeMap::new();
        for (name, source, kind, kfp_type) in &self.inputs {
            let path = io.input_ref(name, source.clone(), kind, kfp_type);
            inputs.insert(name.clone(), path);
        }
        let mut outputs = ContainerOutputs::default();
        let mut params = BTreeMap::new();
        for name in &self.output_params {
            let (path, handle) = io.output_param(name);
            params.insert(name.clone(), path);
            outputs.params.insert(name.clone(), handle);
        }
        let args = self
            .parts
            .iter()
            .map(|part| match part {
                Part::Value(v) => io.value(v),
                Part::Input(name) => inputs
                    .get(name)
                    .map(|p| p.display().to_string())
                    .unwrap_or_default(),
                Part::OutputParam(name) => params
                    .get(name)
                    .map(|p| p.display().to_string())
                    .unwrap_or_default(),
            })
            .collect();
        (args, outputs)
    }
}
