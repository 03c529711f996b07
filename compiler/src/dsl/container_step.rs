//! A step that runs any program, for pipelines that mix kpipe steps with
//! other containers.

use std::any::TypeId;
use std::collections::BTreeMap;
use std::path::PathBuf;

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
    Output(String),
}

/// Declares output `name` on `io` as an `Artifact<T>` (the type is chosen
/// when the step is built, the output declared when it is wired).
type Declare = fn(&mut Io<'_>, &str) -> (PathBuf, OutputRef);

fn declare<T: ArtifactType>(io: &mut Io<'_>, name: &str) -> (PathBuf, OutputRef) {
    let (path, artifact) = io.output::<T>(name);
    (path, artifact.source)
}

/// An output artifact of a [`ContainerStep`]: its name, type and how to
/// declare it.
#[derive(Clone, Debug)]
struct OutputDecl {
    name: String,
    ty: TypeId,
    declare: Declare,
}

/// A container step built at run time from a program and its arguments.
///
/// Its arguments can be literals, run-time [`Value`]s, the path of a consumed
/// artifact, the path of an output artifact, or the path of an output
/// parameter file.
#[derive(Clone, Debug)]
pub struct ContainerStep {
    name: String,
    image: Option<String>,
    command: Vec<String>,
    parts: Vec<Part>,
    inputs: Vec<(String, OutputRef, &'static str, &'static str)>,
    outputs: Vec<OutputDecl>,
    output_params: Vec<String>,
}

/// The outputs of a [`ContainerStep`]: its output parameters and its typed
/// output artifacts, by name.
#[derive(Clone, Debug, Default)]
pub struct ContainerOutputs {
    /// Output parameters declared with [`ContainerStep::output_param`].
    pub params: BTreeMap<String, OutputParam>,
    /// Output artifacts declared with [`ContainerStep::output`], with their
    /// types.
    artifacts: BTreeMap<String, (TypeId, OutputRef)>,
}

impl ContainerOutputs {
    /// The output parameter `name`, if declared.
    pub fn param(&self, name: &str) -> Option<&OutputParam> {
        self.params.get(name)
    }

    /// The output artifact `name` as an `Artifact<T>`, for later steps to
    /// consume; `None` unless the step declared `name` with
    /// [`ContainerStep::output::<T>`](ContainerStep::output), of this `T`.
    pub fn artifact<T: ArtifactType>(&self, name: &str) -> Option<Artifact<T>> {
        self.artifacts
            .get(name)
            .filter(|(ty, _)| *ty == TypeId::of::<T>())
            .map(|(_, source)| Artifact::new(source.clone()))
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
            outputs: Vec::new(),
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

    /// Declares output artifact `name` of type `T` and appends the path the
    /// program must write it to (a file or a directory): later steps consume
    /// it as [`ContainerOutputs::artifact`]`::<T>(name)`, on every target
    /// (an Argo output artifact, a KFP output artifact of `T`'s KFP type, a
    /// directory of a local run). The program must write it: a step that
    /// does not fails.
    pub fn output<T: ArtifactType>(mut self, name: &str) -> Self {
        self.outputs.push(OutputDecl {
            name: name.to_owned(),
            ty: TypeId::of::<T>(),
            declare: declare::<T>,
        });
        self.parts.push(Part::Output(name.to_owned()));
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
        let mut paths = BTreeMap::new();
        for o in &self.outputs {
            let (path, source) = (o.declare)(io, &o.name);
            paths.insert(o.name.clone(), path);
            outputs.artifacts.insert(o.name.clone(), (o.ty, source));
        }
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
                Part::Output(name) => paths
                    .get(name)
                    .map(|p| p.display().to_string())
                    .unwrap_or_default(),
            })
            .collect();
        (args, outputs)
    }
}

#[cfg(test)]
mod tests {
    use serde_json::{Value as Json, json};

    use crate::{
        ArtifactType, CompileOptions, ContainerStep, KFP_MODEL, KfpOptions, Pipeline, lint,
    };

    enum Model {}
    impl ArtifactType for Model {
        const KIND: &'static str = "model";
        const KFP_TYPE: &'static str = KFP_MODEL;
    }

    enum Text {}
    impl ArtifactType for Text {
        const KIND: &'static str = "text";
    }

    /// `train` writes a model that `serve` reads, both plain programs.
    fn pipeline() -> Pipeline {
        let p = Pipeline::new("models");
        p.image("alpine:3.20");
        let train = p.add(
            ContainerStep::new("train", ["sh", "-c"])
                .arg("echo weights > \"$0\"")
                .output::<Model>("model"),
        );
        let Some(model) = train.out.artifact::<Model>("model") else {
            panic!("train declares its model");
        };
        p.add(ContainerStep::new("serve", ["cat"]).input("model", &model));
        p
    }

    fn docs(yaml: &str) -> Vec<Json> {
        crate::emit::parse_yaml_documents(yaml).unwrap_or_else(|e| panic!("{e:?}\n{yaml}"))
    }

    #[test]
    fn an_output_is_typed_and_only_its_own_type_finds_it() {
        let p = Pipeline::new("t");
        let t = p.add(ContainerStep::new("a", ["true"]).output::<Model>("model"));
        assert_eq!(
            t.out
                .artifact::<Model>("model")
                .map(|a| a.name().to_owned()),
            Some("model".to_owned())
        );
        assert!(t.out.artifact::<Text>("model").is_none());
        assert!(t.out.artifact::<Model>("weights").is_none());
    }

    #[test]
    fn argo_passes_the_output_artifact_to_its_consumer() {
        let yaml = pipeline()
            .compile(&CompileOptions::default())
            .unwrap_or_else(|e| panic!("{e}"));
        let problems = lint::lint(&yaml, lint::SchemaVersion::V3_5_14);
        assert!(problems.is_empty(), "{problems:?}\n{yaml}");
        let wf = &docs(&yaml)[0];
        let template = |name: &str| {
            wf["spec"]["templates"]
                .as_array()
                .and_then(|ts| ts.iter().find(|t| t["name"] == name))
                .cloned()
                .unwrap_or_else(|| panic!("no template {name}:\n{yaml}"))
        };
        let train = template("train");
        assert_eq!(
            train["container"]["args"],
            json!(["echo weights > \"$0\"", "/kpipe/outputs/model"])
        );
        assert_eq!(
            train["outputs"]["artifacts"],
            json!([{"name": "model", "path": "/kpipe/outputs/model"}])
        );
        assert_eq!(
            template("serve")["inputs"]["artifacts"][0]["path"],
            "/kpipe/inputs/model"
        );
        assert!(
            yaml.contains("from: \"{{tasks.train.outputs.artifacts.model}}\""),
            "{yaml}"
        );
    }

    #[test]
    fn kfp_declares_the_output_artifact_with_its_type() {
        let compiled = pipeline()
            .compile_kfp(&KfpOptions::default())
            .unwrap_or_else(|e| panic!("{e}"));
        assert!(compiled.warnings.is_empty(), "{:?}", compiled.warnings);
        assert!(
            lint::lint_kfp(&compiled.yaml).is_empty(),
            "{}",
            compiled.yaml
        );
        let spec = &docs(&compiled.yaml)[0];
        assert_eq!(
            spec["components"]["comp-train"]["outputDefinitions"]["artifacts"]["model"],
            json!({"artifactType": {"schemaTitle": "system.Model", "schemaVersion": "0.0.1"}})
        );
        assert_eq!(
            spec["deploymentSpec"]["executors"]["exec-train"]["container"]["args"][1],
            "{{$.outputs.artifacts['model'].path}}"
        );
        assert_eq!(
            spec["root"]["dag"]["tasks"]["serve"]["inputs"]["artifacts"]["model"],
            json!({"taskOutputArtifact": {"outputArtifactKey": "model", "producerTask": "train"}})
        );
    }
}
