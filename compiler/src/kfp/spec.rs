//! KFP v2 `PipelineSpec` wire types (`ml_pipelines`, pipeline_spec.proto of
//! KFP 2.17), just the fields kpipe emits, in proto JSON names. Fields are
//! declared in alphabetical order of their JSON names and maps are
//! `BTreeMap`, so the output is byte-stable and key-sorted like the KFP SDK's.

use std::collections::BTreeMap;

use serde::Serialize;

/// The IR schema version KFP 2.x requires.
pub(crate) const SCHEMA_VERSION: &str = "2.1.0";

/// A KFP v2 parameter type (`ParameterType.ParameterTypeEnum`).
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord, Serialize)]
#[allow(clippy::upper_case_acronyms)]
pub(crate) enum ParameterType {
    #[serde(rename = "STRING")]
    String,
    #[serde(rename = "NUMBER_INTEGER")]
    Integer,
    #[serde(rename = "NUMBER_DOUBLE")]
    Double,
    #[serde(rename = "BOOLEAN")]
    Boolean,
    #[serde(rename = "LIST")]
    List,
    #[serde(rename = "STRUCT")]
    Struct,
    #[serde(rename = "TASK_FINAL_STATUS")]
    TaskFinalStatus,
}

/// The first document of an IR file.
#[derive(Debug, Serialize)]
#[serde(rename_all = "camelCase")]
pub(crate) struct PipelineSpec {
    pub(crate) components: BTreeMap<String, ComponentSpec>,
    pub(crate) deployment_spec: DeploymentSpec,
    pub(crate) pipeline_info: PipelineInfo,
    pub(crate) root: ComponentSpec,
    pub(crate) schema_version: &'static str,
    pub(crate) sdk_version: String,
}

#[derive(Debug, Serialize)]
#[serde(rename_all = "camelCase")]
pub(crate) struct PipelineInfo {
    #[serde(skip_serializing_if = "Option::is_none")]
    pub(crate) description: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub(crate) display_name: Option<String>,
    pub(crate) name: String,
}

/// A component: a DAG or an executor, with its inputs and outputs.
#[derive(Debug, Default, Serialize)]
#[serde(rename_all = "camelCase")]
pub(crate) struct ComponentSpec {
    #[serde(skip_serializing_if = "Option::is_none")]
    pub(crate) dag: Option<Dag>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub(crate) executor_label: Option<String>,
    #[serde(skip_serializing_if = "Definitions::is_empty")]
    pub(crate) input_definitions: Definitions<InputParameter>,
    #[serde(skip_serializing_if = "Definitions::is_empty")]
    pub(crate) output_definitions: Definitions<OutputParameter>,
}

#[derive(Debug, Default, Serialize)]
pub(crate) struct Dag {
    /// What the DAG gives its parent (a loop's collected outputs).
    #[serde(skip_serializing_if = "DagOutputs::is_empty")]
    pub(crate) outputs: DagOutputs,
    pub(crate) tasks: BTreeMap<String, PipelineTask>,
}

/// `DagOutputsSpec`: only output parameters taken from one sub-task
/// (`valueFromParameter`), which of a loop DAG is the list of every
/// iteration's value (`dsl.Collected`).
#[derive(Debug, Default, Serialize)]
pub(crate) struct DagOutputs {
    pub(crate) parameters: BTreeMap<String, DagOutputParameter>,
}

impl DagOutputs {
    fn is_empty(&self) -> bool {
        self.parameters.is_empty()
    }
}

/// `DagOutputParameterSpec`.
#[derive(Debug, Serialize)]
#[serde(rename_all = "camelCase")]
pub(crate) struct DagOutputParameter {
    pub(crate) value_from_parameter: DagOutputParameterSelector,
}

/// `DagOutputParameterSpec.ParameterSelectorSpec`.
#[derive(Debug, Serialize)]
#[serde(rename_all = "camelCase")]
pub(crate) struct DagOutputParameterSelector {
    pub(crate) output_parameter_key: String,
    pub(crate) producer_subtask: String,
}

/// `ComponentInputsSpec` / `ComponentOutputsSpec`.
#[derive(Debug, Serialize)]
pub(crate) struct Definitions<P> {
    #[serde(skip_serializing_if = "BTreeMap::is_empty")]
    pub(crate) artifacts: BTreeMap<String, ArtifactSpec>,
    #[serde(skip_serializing_if = "BTreeMap::is_empty")]
    pub(crate) parameters: BTreeMap<String, P>,
}

impl<P> Default for Definitions<P> {
    fn default() -> Self {
        Self {
            artifacts: BTreeMap::new(),
            parameters: BTreeMap::new(),
        }
    }
}

impl<P> Definitions<P> {
    fn is_empty(&self) -> bool {
        self.artifacts.is_empty() && self.parameters.is_empty()
    }
}

#[derive(Clone, Debug, Serialize)]
#[serde(rename_all = "camelCase")]
pub(crate) struct ArtifactSpec {
    pub(crate) artifact_type: ArtifactType,
}

#[derive(Clone, Debug, Serialize)]
#[serde(rename_all = "camelCase")]
pub(crate) struct ArtifactType {
    pub(crate) schema_title: &'static str,
    pub(crate) schema_version: &'static str,
}

impl ArtifactType {
    pub(crate) fn new(schema_title: &'static str) -> Self {
        Self {
            schema_title,
            schema_version: "0.0.1",
        }
    }
}

/// `ComponentInputsSpec.ParameterSpec`.
#[derive(Clone, Debug, Serialize)]
#[serde(rename_all = "camelCase")]
pub(crate) struct InputParameter {
    #[serde(skip_serializing_if = "Option::is_none")]
    pub(crate) default_value: Option<serde_json::Value>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub(crate) is_optional: Option<bool>,
    pub(crate) parameter_type: ParameterType,
}

impl InputParameter {
    pub(crate) fn of(parameter_type: ParameterType) -> Self {
        Self {
            default_value: None,
            // KFP declares a final-status input optional (it exists only
            // when the exit handler runs after its group).
            is_optional: (parameter_type == ParameterType::TaskFinalStatus).then_some(true),
            parameter_type,
        }
    }
}

/// `ComponentOutputsSpec.ParameterSpec`.
#[derive(Clone, Debug, Serialize)]
#[serde(rename_all = "camelCase")]
pub(crate) struct OutputParameter {
    pub(crate) parameter_type: ParameterType,
}

/// `PipelineTaskSpec`.
#[derive(Debug, Serialize)]
#[serde(rename_all = "camelCase")]
pub(crate) struct PipelineTask {
    #[serde(skip_serializing_if = "Option::is_none")]
    pub(crate) caching_options: Option<CachingOptions>,
    pub(crate) component_ref: ComponentRef,
    #[serde(skip_serializing_if = "Vec::is_empty")]
    pub(crate) dependent_tasks: Vec<String>,
    #[serde(skip_serializing_if = "TaskInputs::is_empty")]
    pub(crate) inputs: TaskInputs,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub(crate) parameter_iterator: Option<ParameterIterator>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub(crate) retry_policy: Option<RetryPolicy>,
    pub(crate) task_info: TaskInfo,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub(crate) trigger_policy: Option<TriggerPolicy>,
}

#[derive(Debug, Default, Serialize)]
#[serde(rename_all = "camelCase")]
pub(crate) struct CachingOptions {
    #[serde(skip_serializing_if = "Option::is_none")]
    pub(crate) cache_key: Option<String>,
    #[serde(skip_serializing_if = "std::ops::Not::not")]
    pub(crate) enable_cache: bool,
}

#[derive(Debug, Serialize)]
pub(crate) struct ComponentRef {
    pub(crate) name: String,
}

#[derive(Debug, Serialize)]
pub(crate) struct TaskInfo {
    pub(crate) name: String,
}

#[derive(Debug, Default, Serialize)]
pub(crate) struct TaskInputs {
    #[serde(skip_serializing_if = "BTreeMap::is_empty")]
    pub(crate) artifacts: BTreeMap<String, ArtifactSource>,
    #[serde(skip_serializing_if = "BTreeMap::is_empty")]
    pub(crate) parameters: BTreeMap<String, ParameterSource>,
}

impl TaskInputs {
    fn is_empty(&self) -> bool {
        self.artifacts.is_empty() && self.parameters.is_empty()
    }
}

/// `TaskInputsSpec.InputArtifactSpec` (a oneof: exactly one field is set).
#[derive(Clone, Debug, Default, Serialize)]
#[serde(rename_all = "camelCase")]
pub(crate) struct ArtifactSource {
    #[serde(skip_serializing_if = "Option::is_none")]
    pub(crate) component_input_artifact: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub(crate) task_output_artifact: Option<TaskOutputArtifact>,
}

/// `TaskInputsSpec.InputParameterSpec` (`kind` is a oneof).
#[derive(Clone, Debug, Default, Serialize)]
#[serde(rename_all = "camelCase")]
pub(crate) struct ParameterSource {
    #[serde(skip_serializing_if = "Option::is_none")]
    pub(crate) component_input_parameter: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub(crate) parameter_expression_selector: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub(crate) runtime_value: Option<RuntimeValue>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub(crate) task_final_status: Option<ProducerTask>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub(crate) task_output_parameter: Option<TaskOutputParameter>,
}

/// `ValueOrRuntimeParameter` with its `constant`.
#[derive(Clone, Debug, Serialize)]
pub(crate) struct RuntimeValue {
    pub(crate) constant: serde_json::Value,
}

impl RuntimeValue {
    pub(crate) fn text(s: &str) -> Self {
        Self {
            constant: serde_json::Value::String(s.to_owned()),
        }
    }
}

#[derive(Clone, Debug, Serialize)]
#[serde(rename_all = "camelCase")]
pub(crate) struct ProducerTask {
    pub(crate) producer_task: String,
}

/// `TaskOutputArtifactSpec`.
#[derive(Clone, Debug, Serialize)]
#[serde(rename_all = "camelCase")]
pub(crate) struct TaskOutputArtifact {
    pub(crate) output_artifact_key: String,
    pub(crate) producer_task: String,
}

/// `TaskOutputParameterSpec`.
#[derive(Clone, Debug, Serialize)]
#[serde(rename_all = "camelCase")]
pub(crate) struct TaskOutputParameter {
    pub(crate) output_parameter_key: String,
    pub(crate) producer_task: String,
}

#[derive(Debug, Serialize)]
#[serde(rename_all = "camelCase")]
pub(crate) struct ParameterIterator {
    pub(crate) item_input: String,
    pub(crate) items: IteratorItems,
}

/// `ParameterIteratorSpec.ItemsSpec` (a oneof).
#[derive(Debug, Serialize)]
#[serde(rename_all = "camelCase")]
pub(crate) enum IteratorItems {
    /// The name of the input parameter holding the JSON list.
    InputParameter(String),
    /// The JSON list itself.
    Raw(String),
}

#[derive(Clone, Debug, Serialize)]
#[serde(rename_all = "camelCase")]
pub(crate) struct RetryPolicy {
    #[serde(skip_serializing_if = "Option::is_none")]
    pub(crate) backoff_duration: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub(crate) backoff_factor: Option<f64>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub(crate) backoff_max_duration: Option<String>,
    pub(crate) max_retry_count: u32,
}

#[derive(Debug, Serialize)]
pub(crate) struct TriggerPolicy {
    #[serde(skip_serializing_if = "Option::is_none")]
    pub(crate) condition: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub(crate) strategy: Option<&'static str>,
}

/// `PipelineDeploymentConfig`.
#[derive(Debug, Default, Serialize)]
pub(crate) struct DeploymentSpec {
    pub(crate) executors: BTreeMap<String, Executor>,
}

#[derive(Debug, Serialize)]
pub(crate) struct Executor {
    pub(crate) container: Container,
}

/// `PipelineContainerSpec`.
#[derive(Debug, Serialize)]
pub(crate) struct Container {
    #[serde(skip_serializing_if = "Vec::is_empty")]
    pub(crate) args: Vec<String>,
    #[serde(skip_serializing_if = "Vec::is_empty")]
    pub(crate) command: Vec<String>,
    #[serde(skip_serializing_if = "Vec::is_empty")]
    pub(crate) env: Vec<EnvVar>,
    pub(crate) image: String,
    #[serde(skip_serializing_if = "ResourceSpec::is_empty")]
    pub(crate) resources: ResourceSpec,
}

#[derive(Debug, Serialize)]
pub(crate) struct EnvVar {
    pub(crate) name: String,
    pub(crate) value: String,
}

#[derive(Debug, Default, Serialize)]
#[serde(rename_all = "camelCase")]
pub(crate) struct ResourceSpec {
    #[serde(skip_serializing_if = "Option::is_none")]
    pub(crate) accelerator: Option<Accelerator>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub(crate) resource_cpu_limit: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub(crate) resource_cpu_request: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub(crate) resource_memory_limit: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub(crate) resource_memory_request: Option<String>,
}

impl ResourceSpec {
    fn is_empty(&self) -> bool {
        self.accelerator.is_none()
            && self.resource_cpu_limit.is_none()
            && self.resource_cpu_request.is_none()
            && self.resource_memory_limit.is_none()
            && self.resource_memory_request.is_none()
    }
}

/// `ResourceSpec.AcceleratorConfig`. Like the KFP 2.17 SDK, kpipe writes the
/// deprecated `count`/`type` next to `resourceCount`/`resourceType` so older
/// backends read it too. `count` is an int64, a string in proto JSON.
#[derive(Debug, Serialize)]
#[serde(rename_all = "camelCase")]
pub(crate) struct Accelerator {
    pub(crate) count: String,
    pub(crate) resource_count: String,
    pub(crate) resource_type: String,
    #[serde(rename = "type")]
    pub(crate) kind: String,
}
