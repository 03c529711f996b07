//! IR → KFP v2 `PipelineSpec` and `PlatformSpec`, and every problem met on
//! the way, in one pass over a plan computed once: `validate_for(kfp)`
//! keeps the problems, `compile_kfp` the documents when no problem is an
//! error.

use std::collections::BTreeMap;

use super::plan::Plan;
use super::platform::{
    PipelineConfig, PlatformDeploymentConfig, PlatformSpec, Platforms, SinglePlatformSpec,
};
use super::scope::{Channel, LoopSource, ROOT, ScopeKind, Source};
use super::spec::{
    ArtifactSource, ArtifactSpec, ArtifactType, CachingOptions, ComponentRef, ComponentSpec, Dag,
    DagOutputParameter, DagOutputParameterSelector, Definitions, DeploymentSpec, Executor,
    InputParameter, IteratorItems, OutputParameter, ParameterIterator, ParameterSource,
    PipelineInfo, PipelineSpec, PipelineTask, RuntimeValue, SCHEMA_VERSION, TaskInfo, TaskInputs,
    TaskOutputArtifact, TaskOutputParameter, TriggerPolicy,
};
use super::{Problem, check, executor, kubernetes, retry, types};
use crate::ir::{PipelineData, TaskNode};
use crate::options::KfpOptions;

/// The two documents of an IR file (the platform one only when a task or
/// the pipeline has Kubernetes settings), and every problem: errors (the
/// documents are then incomplete) and warned losses.
#[derive(Debug)]
pub(crate) struct Lowered {
    pub(crate) spec: PipelineSpec,
    pub(crate) platform: Option<PlatformSpec>,
    pub(crate) problems: Vec<Problem>,
}

/// Lowers `d`, reporting what KFP cannot express as it goes.
pub(crate) fn lower(d: &PipelineData, opts: &KfpOptions) -> Lowered {
    let plan = Plan::build(d);
    let mut problems = check::pipeline(d);
    let mut components = BTreeMap::new();
    let mut executors = BTreeMap::new();
    let mut platform = BTreeMap::new();
    let mut retry_policies = BTreeMap::new();
    let mut dags: Vec<Dag> = plan.scopes.iter().map(|_| Dag::default()).collect();

    let tasks = d.tasks.iter().enumerate().map(|(i, t)| (t, Some(i)));
    let exits = d.exits.iter().map(|t| (t, None));
    for (t, index) in tasks.chain(exits) {
        let mut found = Vec::new();
        let image = d.image_of(t, opts.image.as_deref()).unwrap_or_default();
        match executor::container(t, image) {
            Ok(container) => {
                executors.insert(exec_name(t), Executor { container });
            }
            Err(f) => found.push(f),
        }
        let (config, losses) = kubernetes::executor_config(d, t);
        found.extend(losses);
        if !config.is_empty() {
            platform.insert(exec_name(t), config);
        }
        if let Some(r) = &t.settings.retry {
            let (policy, lost) = retry::policy(r);
            found.extend(lost);
            retry_policies.insert(t.name.clone(), policy);
        }
        found.extend(check::task(t, index.is_none()));
        problems.extend(found.into_iter().map(|feature| Problem {
            task: Some(t.name.clone()),
            location: t.location,
            feature,
        }));
        components.insert(comp_name(&t.name), component(&plan, t, index));
    }
    for (i, t) in d.tasks.iter().enumerate() {
        let scope = plan.task_scope[i];
        let inputs = &plan.task_inputs[i];
        let mut task = dag_task(
            &t.name,
            comp_name(&t.name),
            &plan.scopes[scope].dependencies,
        );
        task.caching_options = Some(caching(t));
        task.retry_policy = retry_policies.get(&t.name).cloned();
        for (name, (source, selector)) in &inputs.parameters {
            let mut p = parameter_source(source);
            p.parameter_expression_selector = selector.clone();
            task.inputs.parameters.insert(name.clone(), p);
        }
        for (name, source) in &inputs.artifacts {
            task.inputs
                .artifacts
                .insert(name.clone(), artifact_source(source));
        }
        dags[scope].tasks.insert(t.name.clone(), task);
    }
    for (j, t) in d.exits.iter().enumerate() {
        let mut task = dag_task(&t.name, comp_name(&t.name), &BTreeMap::new());
        task.caching_options = Some(caching(t));
        task.retry_policy = retry_policies.get(&t.name).cloned();
        if let Some(g) = plan.exit_group {
            task.dependent_tasks = vec![plan.scopes[g].name.clone()];
        }
        task.trigger_policy = Some(TriggerPolicy {
            condition: None,
            strategy: Some("ALL_UPSTREAM_TASKS_COMPLETED"),
        });
        for (name, (source, _)) in plan
            .exit_inputs
            .get(j)
            .map(|i| &i.parameters)
            .into_iter()
            .flatten()
        {
            task.inputs
                .parameters
                .insert(name.clone(), parameter_source(source));
        }
        dags[ROOT].tasks.insert(t.name.clone(), task);
    }
    // Sub-DAGs, deepest first, each into its parent's DAG.
    let mut order: Vec<usize> = (1..plan.scopes.len()).collect();
    order.sort_by_key(|&s| std::cmp::Reverse(plan.scopes[s].depth));
    for s in order {
        let scope = &plan.scopes[s];
        let parent = scope.parent;
        let mut task = dag_task(
            &scope.name,
            comp_name(&scope.name),
            &plan.scopes[parent].dependencies,
        );
        let mut defs: Definitions<InputParameter> = Definitions::default();
        for channel in &scope.needs {
            let name = plan.channel_name(channel);
            let source = scope.inputs.get(&name);
            match channel {
                Channel::TaskArtifact(u, o) => {
                    defs.artifacts
                        .insert(name.clone(), artifact_spec(&d.tasks[*u], o));
                    if let Some(source) = source {
                        task.inputs.artifacts.insert(name, artifact_source(source));
                    }
                }
                _ => {
                    defs.parameters.insert(
                        name.clone(),
                        InputParameter::of(channel_type(&plan, channel)),
                    );
                    if let Some(source) = source {
                        task.inputs
                            .parameters
                            .insert(name, parameter_source(source));
                    }
                }
            }
        }
        match &scope.kind {
            ScopeKind::Condition { cel } => {
                task.trigger_policy = Some(TriggerPolicy {
                    condition: Some(cel.clone()),
                    strategy: None,
                });
            }
            ScopeKind::Loop(item) => {
                defs.parameters
                    .insert(item.name.clone(), InputParameter::of(item.ty));
                task.parameter_iterator = Some(ParameterIterator {
                    item_input: item.name.clone(),
                    items: match &item.source {
                        LoopSource::Raw(json) => IteratorItems::Raw(json.clone()),
                        LoopSource::Channel(c) => {
                            IteratorItems::InputParameter(plan.channel_name(c))
                        }
                    },
                });
            }
            ScopeKind::Root | ScopeKind::ExitHandler => {}
        }
        let mut dag = std::mem::take(&mut dags[s]);
        // A loop's collected outputs: each a LIST of its iterations' values.
        let mut outputs: Definitions<OutputParameter> = Definitions::default();
        for (name, (task, key)) in &scope.outputs {
            dag.outputs.parameters.insert(
                name.clone(),
                DagOutputParameter {
                    value_from_parameter: DagOutputParameterSelector {
                        output_parameter_key: key.clone(),
                        producer_subtask: task.clone(),
                    },
                },
            );
            outputs.parameters.insert(
                name.clone(),
                OutputParameter {
                    parameter_type: super::spec::ParameterType::List,
                },
            );
        }
        components.insert(
            comp_name(&scope.name),
            ComponentSpec {
                dag: Some(dag),
                input_definitions: defs,
                output_definitions: outputs,
                ..ComponentSpec::default()
            },
        );
        dags[parent].tasks.insert(scope.name.clone(), task);
    }

    let mut root_defs: Definitions<InputParameter> = Definitions::default();
    for p in &d.params {
        root_defs.parameters.insert(
            p.name.clone(),
            InputParameter {
                default_value: Some(types::default_value(p)),
                is_optional: Some(true),
                parameter_type: types::of_param(p),
            },
        );
    }
    let spec = PipelineSpec {
        components,
        deployment_spec: DeploymentSpec { executors },
        pipeline_info: PipelineInfo {
            description: d.description.clone(),
            display_name: d.display_name.clone(),
            name: d.name.clone(),
        },
        root: ComponentSpec {
            dag: Some(std::mem::take(&mut dags[ROOT])),
            input_definitions: root_defs,
            ..ComponentSpec::default()
        },
        schema_version: SCHEMA_VERSION,
        sdk_version: format!("kpipe-{}", env!("CARGO_PKG_VERSION")),
    };
    let pipeline_config = d.ttl.map(|t| PipelineConfig {
        resource_ttl_on_completion: t.after_completion,
        resource_ttl_on_failure: t.after_failure,
        resource_ttl_on_success: t.after_success,
    });
    let platform = (!platform.is_empty() || pipeline_config.is_some()).then_some(PlatformSpec {
        platforms: Platforms {
            kubernetes: SinglePlatformSpec {
                deployment_spec: PlatformDeploymentConfig {
                    executors: platform,
                },
                pipeline_config,
            },
        },
    });
    problems.extend(plan.problems);
    Lowered {
        spec,
        platform,
        problems,
    }
}

pub(crate) fn comp_name(name: &str) -> String {
    format!("comp-{name}")
}

fn exec_name(t: &TaskNode) -> String {
    format!("exec-{}", t.name)
}

fn dag_task(
    name: &str,
    component: String,
    dependencies: &BTreeMap<String, std::collections::BTreeSet<String>>,
) -> PipelineTask {
    PipelineTask {
        caching_options: None,
        component_ref: ComponentRef { name: component },
        dependent_tasks: dependencies
            .get(name)
            .map(|s| s.iter().cloned().collect())
            .unwrap_or_default(),
        inputs: TaskInputs::default(),
        parameter_iterator: None,
        retry_policy: None,
        task_info: TaskInfo {
            name: name.to_owned(),
        },
        trigger_policy: None,
    }
}

/// kpipe caches only memoized tasks; KFP's `cacheKey` is the memo key when
/// it is a literal (a run-time key is a warned loss).
fn caching(t: &TaskNode) -> CachingOptions {
    match &t.settings.memoize {
        Some((m, _)) => CachingOptions {
            cache_key: m.key.as_literal().map(str::to_owned),
            enable_cache: true,
        },
        None => CachingOptions::default(),
    }
}

/// The executor component of task `t` (`index`: its place in `d.tasks`).
fn component(plan: &Plan<'_>, t: &TaskNode, index: Option<usize>) -> ComponentSpec {
    let mut inputs: Definitions<InputParameter> = Definitions::default();
    for p in &t.params {
        inputs.parameters.insert(
            p.name.clone(),
            InputParameter::of(plan.value_type(index, &p.value)),
        );
    }
    for a in &t.inputs {
        inputs.artifacts.insert(
            a.name.clone(),
            ArtifactSpec {
                artifact_type: ArtifactType::new(a.kfp_type),
            },
        );
    }
    let mut outputs: Definitions<OutputParameter> = Definitions::default();
    for o in &t.outputs {
        outputs
            .artifacts
            .insert(o.name.clone(), artifact_spec(t, &o.name));
    }
    for p in &t.output_params {
        let parameter_type = index.map_or(super::spec::ParameterType::String, |i| {
            plan.output_type(i, &p.name)
        });
        outputs
            .parameters
            .insert(p.name.clone(), OutputParameter { parameter_type });
    }
    ComponentSpec {
        dag: None,
        executor_label: Some(exec_name(t)),
        input_definitions: inputs,
        output_definitions: outputs,
    }
}

fn artifact_spec(t: &TaskNode, output: &str) -> ArtifactSpec {
    let title = t
        .outputs
        .iter()
        .find(|o| o.name == output)
        .map_or(crate::ir::KFP_ARTIFACT, |o| o.kfp_type);
    ArtifactSpec {
        artifact_type: ArtifactType::new(title),
    }
}

fn channel_type(plan: &Plan<'_>, channel: &Channel) -> super::spec::ParameterType {
    match channel {
        Channel::Param(p) => plan.param_type(p),
        Channel::TaskParam(u, o) => plan.output_type(*u, o),
        Channel::Collected(..) => super::spec::ParameterType::List,
        Channel::Item(l) => plan.item_type(*l),
        Channel::TaskArtifact(..) => super::spec::ParameterType::String,
    }
}

fn parameter_source(source: &Source) -> ParameterSource {
    let mut p = ParameterSource::default();
    match source {
        Source::Input(name) => p.component_input_parameter = Some(name.clone()),
        Source::TaskOutput { task, key } => {
            p.task_output_parameter = Some(TaskOutputParameter {
                output_parameter_key: key.clone(),
                producer_task: task.clone(),
            })
        }
        Source::FinalStatus(task) => {
            p.task_final_status = Some(super::spec::ProducerTask {
                producer_task: task.clone(),
            })
        }
        Source::Constant(text) => p.runtime_value = Some(RuntimeValue::text(text)),
    }
    p
}

fn artifact_source(source: &Source) -> ArtifactSource {
    let mut a = ArtifactSource::default();
    match source {
        Source::Input(name) => a.component_input_artifact = Some(name.clone()),
        Source::TaskOutput { task, key } => {
            a.task_output_artifact = Some(TaskOutputArtifact {
                output_artifact_key: key.clone(),
                producer_task: task.clone(),
            })
        }
        Source::FinalStatus(_) | Source::Constant(_) => {}
    }
    a
}
