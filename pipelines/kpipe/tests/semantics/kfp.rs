//! The third backend: what Kubeflow Pipelines' driver does with the KFP
//! lowering's output — the IR `kpipe compile --target kfp` writes, checked by
//! `kpipe lint` first — for what the tables pin:
//!
//! - each DAG's tasks in `dependentTasks` order; a task whose upstream
//!   failed is not run, unless its `triggerPolicy.strategy` is
//!   `ALL_UPSTREAM_TASKS_COMPLETED` (the exit handler);
//! - inputs bound as the driver binds them: `componentInputParameter` from
//!   the DAG's inputs, `runtimeValue`, `taskOutputParameter` (a `LIST`
//!   output read as JSON), `taskFinalStatus` (KFP's `PipelineTaskFinalStatus`),
//!   then `parameterExpressionSelector` evaluated by CEL on the value's
//!   `string_value`;
//! - `triggerPolicy.condition` evaluated by a real CEL interpreter (the
//!   `cel` crate), with `inputs.parameter_values` holding each input as a
//!   `google.protobuf.Value` becomes in cel-go: every number a double,
//!   strings, booleans, lists and maps;
//! - `parameterIterator` items (`raw` JSON or an input list), one run of the
//!   loop's component per item;
//! - the executor's `{{$.inputs.parameters['X']}}` rendered as the launcher
//!   renders a value (`PbValueToText`: a number as Go's
//!   `FormatFloat(v, 'f', -1, 64)`, a list or struct as JSON).
//!
//! Steps do what the row's [`Behaviour`] says.

use std::collections::{BTreeMap, HashMap};
use std::sync::Arc;

use kpipe::compiler::ir::bind::Bound;
use kpipe::compiler::lint::{lint_kfp, parse_yaml_documents};
use kpipe::{Compiled, KfpOptions, Pipeline};
use serde_json::Value as Json;

use crate::model::{Behaviour, Fate, Observed};

/// `p` compiled to KFP IR (after `kpipe lint` found nothing in it): the
/// spec, the platform document (`Null` without one) and the warnings; or
/// the diagnostics when KFP cannot express the pipeline.
pub(crate) fn compile(p: &Pipeline) -> Result<(Json, Json, Compiled), kpipe::CompileError> {
    let compiled = p.compile_kfp(&KfpOptions::default())?;
    let issues = lint_kfp(&compiled.yaml);
    assert!(issues.is_empty(), "{issues:#?}\n{}", compiled.yaml);
    let mut docs = parse_yaml_documents(&compiled.yaml)
        .unwrap_or_else(|e| panic!("{e:?}"))
        .into_iter();
    let spec = docs.next().unwrap_or(Json::Null);
    let platform = docs.next().unwrap_or(Json::Null);
    Ok((spec, platform, compiled))
}

/// The KFP tasks (any DAG) named `name`.
pub(crate) fn task<'a>(spec: &'a Json, name: &str) -> &'a Json {
    std::iter::once(&spec["root"])
        .chain(
            spec["components"]
                .as_object()
                .into_iter()
                .flat_map(|c| c.values()),
        )
        .find_map(|c| c["dag"]["tasks"].get(name))
        .unwrap_or_else(|| panic!("no task {name}"))
}

/// The DAG task whose component's DAG holds task `inner`.
pub(crate) fn parent<'a>(spec: &'a Json, inner: &str) -> (&'a str, &'a Json) {
    let comps = spec["components"].as_object();
    let holder = comps
        .into_iter()
        .flatten()
        .find(|(_, c)| c["dag"]["tasks"].get(inner).is_some())
        .map(|(name, _)| name.as_str())
        .unwrap_or_else(|| panic!("no DAG holds {inner}"));
    std::iter::once(&spec["root"])
        .chain(comps.into_iter().flat_map(|c| c.values()))
        .flat_map(|c| c["dag"]["tasks"].as_object().into_iter().flatten())
        .find(|(_, t)| t["componentRef"]["name"] == holder)
        .map(|(name, t)| (name.as_str(), t))
        .unwrap_or_else(|| panic!("no task runs {holder}"))
}

/// A run of the pipeline as KFP would make it.
#[derive(Debug)]
pub(crate) struct Run {
    pub(crate) observed: Observed,
    /// Whether the root DAG succeeded.
    pub(crate) succeeded: bool,
}

/// Runs `spec` with the parameters `bound` (a run's typed values, as
/// `kpipe submit --kfp` sends them); `Err` where the driver would fail the
/// run (a condition it cannot evaluate, an input without a value).
pub(crate) fn run(spec: &Json, bound: &Bound, b: &Behaviour) -> Result<Run, String> {
    let inputs = bound
        .params
        .iter()
        .map(|p| (p.name.clone(), p.json.clone()))
        .collect();
    let mut driver = Driver {
        spec,
        b,
        observed: Observed::new(),
    };
    let (succeeded, _) = driver.dag(&spec["root"], &inputs)?;
    Ok(Run {
        observed: driver.observed,
        succeeded,
    })
}

#[derive(Clone, Debug)]
enum State {
    Succeeded(BTreeMap<String, Json>),
    Failed,
    Skipped,
    NotRun,
}

struct Driver<'a> {
    spec: &'a Json,
    b: &'a Behaviour,
    observed: Observed,
}

impl<'a> Driver<'a> {
    fn component(&self, task: &Json) -> Result<&'a Json, String> {
        let spec: &'a Json = self.spec;
        let name = task["componentRef"]["name"].as_str().unwrap_or_default();
        spec["components"]
            .get(name)
            .ok_or_else(|| format!("no component {name}"))
    }

    /// Runs a DAG component with `inputs`; whether every task succeeded
    /// (or was skipped), and the DAG's outputs (`dag.outputs`).
    fn dag(
        &mut self,
        comp: &Json,
        inputs: &BTreeMap<String, Json>,
    ) -> Result<(bool, BTreeMap<String, Json>), String> {
        let tasks = comp["dag"]["tasks"]
            .as_object()
            .cloned()
            .unwrap_or_default();
        let mut states: BTreeMap<String, State> = BTreeMap::new();
        while states.len() < tasks.len() {
            let before = states.len();
            for (name, task) in &tasks {
                let deps: Vec<&str> = task["dependentTasks"]
                    .as_array()
                    .into_iter()
                    .flatten()
                    .filter_map(Json::as_str)
                    .collect();
                if states.contains_key(name) || deps.iter().any(|d| !states.contains_key(*d)) {
                    continue;
                }
                let all_completed =
                    task["triggerPolicy"]["strategy"] == "ALL_UPSTREAM_TASKS_COMPLETED";
                let blocked = deps
                    .iter()
                    .any(|d| matches!(states[*d], State::Failed | State::NotRun));
                let state = if blocked && !all_completed {
                    self.mark(task, &Fate::NotRun)?;
                    State::NotRun
                } else {
                    self.task(name, task, inputs, &states)?
                };
                states.insert(name.clone(), state);
            }
            if states.len() == before {
                return Err("a DAG has a cycle or a dependency on a missing task".to_owned());
            }
        }
        let ok = !states
            .values()
            .any(|s| matches!(s, State::Failed | State::NotRun));
        // `valueFromParameter`: a sub-task's output, as the DAG's.
        let mut outputs = BTreeMap::new();
        let selectors = comp["dag"]["outputs"]["parameters"].as_object();
        for (name, spec) in selectors.into_iter().flatten() {
            let from = &spec["valueFromParameter"];
            let task = from["producerSubtask"].as_str().unwrap_or_default();
            let key = from["outputParameterKey"].as_str().unwrap_or_default();
            if let Some(State::Succeeded(out)) = states.get(task)
                && let Some(v) = out.get(key)
            {
                outputs.insert(name.clone(), v.clone());
            }
        }
        Ok((ok, outputs))
    }

    fn task(
        &mut self,
        name: &str,
        task: &Json,
        dag_inputs: &BTreeMap<String, Json>,
        states: &BTreeMap<String, State>,
    ) -> Result<State, String> {
        let mut inputs = BTreeMap::new();
        let params = task["inputs"]["parameters"].as_object();
        for (input, source) in params.into_iter().flatten() {
            let mut value = if let Some(from) = source["componentInputParameter"].as_str() {
                dag_inputs
                    .get(from)
                    .cloned()
                    .ok_or_else(|| format!("{name}: the DAG has no input {from}"))?
            } else if let Some(c) = source.get("runtimeValue") {
                c["constant"].clone()
            } else if let Some(o) = source.get("taskOutputParameter") {
                let producer = o["producerTask"].as_str().unwrap_or_default();
                let key = o["outputParameterKey"].as_str().unwrap_or_default();
                match states.get(producer) {
                    Some(State::Succeeded(outputs)) => outputs.get(key).cloned(),
                    _ => None,
                }
                .ok_or_else(|| format!("{name}: {producer} wrote no {key}"))?
            } else if let Some(f) = source.get("taskFinalStatus") {
                let producer = f["producerTask"].as_str().unwrap_or_default();
                let state = match states.get(producer) {
                    Some(State::Succeeded(_) | State::Skipped) => "SUCCEEDED",
                    _ => "FAILED",
                };
                serde_json::json!({
                    "error": {},
                    "pipelineJobResourceName": "semantics-abcde",
                    "pipelineTaskName": producer,
                    "state": state,
                })
            } else {
                return Err(format!("{name}: input {input} has no source"));
            };
            if let Some(selector) = source["parameterExpressionSelector"].as_str() {
                value = select(&value, selector)?;
            }
            inputs.insert(input.clone(), value);
        }
        if let Some(condition) = task["triggerPolicy"]["condition"].as_str()
            && !condition_holds(condition, &inputs)?
        {
            self.mark(task, &Fate::Skipped)?;
            return Ok(State::Skipped);
        }
        let comp = self.component(task)?;
        let Some(iterator) = task.get("parameterIterator") else {
            return self.run_component(name, comp, &inputs);
        };
        let items: Vec<Json> = if let Some(raw) = iterator["items"]["raw"].as_str() {
            serde_json::from_str(raw).map_err(|e| format!("{name}: items {raw}: {e}"))?
        } else {
            let list = iterator["items"]["inputParameter"]
                .as_str()
                .unwrap_or_default();
            match inputs.get(list) {
                Some(Json::Array(items)) => items.clone(),
                other => {
                    return Err(format!(
                        "{name}: iterates over {list} = {other:?}, not a list"
                    ));
                }
            }
        };
        let item_input = iterator["itemInput"]
            .as_str()
            .unwrap_or_default()
            .to_owned();
        let mut failed = false;
        // A loop DAG's output: the LIST of its iterations' values
        // (`dsl.Collected`).
        let mut collected: BTreeMap<String, Vec<Json>> = BTreeMap::new();
        for item in items {
            let mut each = inputs.clone();
            each.insert(item_input.clone(), item);
            match self.run_component(name, comp, &each)? {
                State::Failed => failed = true,
                State::Succeeded(outputs) => {
                    for (k, v) in outputs {
                        collected.entry(k).or_default().push(v);
                    }
                }
                State::Skipped | State::NotRun => {}
            }
        }
        Ok(if failed {
            State::Failed
        } else {
            State::Succeeded(
                collected
                    .into_iter()
                    .map(|(k, v)| (k, Json::Array(v)))
                    .collect(),
            )
        })
    }

    /// Runs a task's component once: a DAG, or an executor.
    fn run_component(
        &mut self,
        name: &str,
        comp: &Json,
        inputs: &BTreeMap<String, Json>,
    ) -> Result<State, String> {
        if comp.get("dag").is_some() {
            let (ok, outputs) = self.dag(comp, inputs)?;
            return Ok(if ok {
                State::Succeeded(outputs)
            } else {
                State::Failed
            });
        }
        let label = comp["executorLabel"].as_str().unwrap_or_default();
        let container = &self.spec["deploymentSpec"]["executors"][label]["container"];
        let mut argv = Vec::new();
        for arg in container["args"].as_array().into_iter().flatten() {
            let arg = arg.as_str().unwrap_or_default();
            if arg.starts_with("{{$.outputs.parameters[") {
                continue;
            }
            argv.push(placeholders(arg, inputs)?);
        }
        let failed = self.b.fails_on(name, &argv);
        let entry = self
            .observed
            .entry(name.to_owned())
            .or_insert(Fate::Ran(Vec::new()));
        let (mut runs, failed_before) = match std::mem::replace(entry, Fate::NotRun) {
            Fate::Ran(runs) => (runs, false),
            Fate::Failed(runs) => (runs, true),
            Fate::Skipped | Fate::NotRun => (Vec::new(), false),
        };
        runs.push(argv.clone());
        *entry = if failed || failed_before {
            Fate::Failed(runs)
        } else {
            Fate::Ran(runs)
        };
        if failed {
            return Ok(State::Failed);
        }
        let mut outputs = BTreeMap::new();
        let defs = comp["outputDefinitions"]["parameters"].as_object();
        for (output, def) in defs.into_iter().flatten() {
            let Some(text) = self.b.output_of(name, output, &argv) else {
                return Err(format!("{name} wrote no output {output}"));
            };
            // The launcher reads a LIST output as JSON, a STRING one as text.
            let value = if def["parameterType"] == "LIST" {
                serde_json::from_str(&text).map_err(|e| format!("{name}.{output}: {e}"))?
            } else {
                Json::String(text)
            };
            outputs.insert(output.clone(), value);
        }
        Ok(State::Succeeded(outputs))
    }

    /// Records `fate` for every executor task under `task` that has none.
    fn mark(&mut self, task: &Json, fate: &Fate) -> Result<(), String> {
        let comp = self.component(task)?;
        match comp["dag"]["tasks"].as_object() {
            Some(tasks) => {
                for inner in tasks.values() {
                    self.mark(inner, fate)?;
                }
            }
            None => {
                let name = task["taskInfo"]["name"].as_str().unwrap_or_default();
                self.observed
                    .entry(name.to_owned())
                    .or_insert_with(|| fate.clone());
            }
        }
        Ok(())
    }
}

/// `{{$.inputs.parameters['X']}}` in `arg` replaced as KFP's launcher does.
fn placeholders(arg: &str, inputs: &BTreeMap<String, Json>) -> Result<String, String> {
    let mut out = String::new();
    let mut rest = arg;
    while let Some(start) = rest.find("{{$.inputs.parameters['") {
        out.push_str(&rest[..start]);
        let after = &rest[start + "{{$.inputs.parameters['".len()..];
        let end = after
            .find("']}}")
            .ok_or_else(|| format!("unclosed placeholder in {arg}"))?;
        let name = &after[..end];
        let value = inputs
            .get(name)
            .ok_or_else(|| format!("no input {name} for {arg}"))?;
        out.push_str(&pb_value_to_text(value));
        rest = &after[end + 4..];
    }
    out.push_str(rest);
    Ok(out)
}

/// KFP's `PbValueToText`: how an input parameter's value reaches a command
/// line.
pub(crate) fn pb_value_to_text(v: &Json) -> String {
    match v {
        Json::Null => String::new(),
        Json::String(s) => s.clone(),
        Json::Bool(b) => b.to_string(),
        // Go's FormatFloat(v, 'f', -1, 64): the shortest text that reads
        // back, never an exponent (Rust's `Display` of an f64 does the same).
        Json::Number(n) => n.as_f64().map(|f| f.to_string()).unwrap_or_default(),
        other => other.to_string(),
    }
}

/// A JSON value as cel-go sees a `google.protobuf.Value`: every number a
/// double.
fn to_cel(v: &Json) -> cel::Value {
    match v {
        Json::Null => cel::Value::Null,
        Json::Bool(b) => cel::Value::Bool(*b),
        Json::Number(n) => cel::Value::Float(n.as_f64().unwrap_or(f64::NAN)),
        Json::String(s) => cel::Value::String(Arc::new(s.clone())),
        Json::Array(items) => cel::Value::List(Arc::new(items.iter().map(to_cel).collect())),
        Json::Object(map) => {
            let map: HashMap<String, cel::Value> =
                map.iter().map(|(k, v)| (k.clone(), to_cel(v))).collect();
            cel::Value::from(map)
        }
    }
}

/// A CEL result back as a `google.protobuf.Value` (JSON).
fn from_cel(v: &cel::Value) -> Result<Json, String> {
    Ok(match v {
        cel::Value::Null => Json::Null,
        cel::Value::Bool(b) => Json::Bool(*b),
        cel::Value::Int(n) => Json::from(*n),
        cel::Value::UInt(n) => Json::from(*n),
        cel::Value::Float(f) => serde_json::Number::from_f64(*f).map_or(Json::Null, Json::Number),
        cel::Value::String(s) => Json::String(s.to_string()),
        cel::Value::List(items) => {
            Json::Array(items.iter().map(from_cel).collect::<Result<_, _>>()?)
        }
        cel::Value::Map(m) => {
            let mut out = serde_json::Map::new();
            for (k, v) in m.map.iter() {
                let key = match k {
                    cel::objects::Key::String(s) => s.to_string(),
                    other => format!("{other:?}"),
                };
                out.insert(key, from_cel(v)?);
            }
            Json::Object(out)
        }
        other => return Err(format!("CEL returned {other:?}")),
    })
}

/// A context with KFP's `parseJson` function.
fn context() -> cel::Context<'static, 'static> {
    let mut ctx = cel::Context::default();
    let parse = |text: Arc<String>| -> Result<cel::Value, cel::ExecutionError> {
        serde_json::from_str::<Json>(&text)
            .map(|v| to_cel(&v))
            .map_err(|e| cel::ExecutionError::function_error("parseJson", e.to_string()))
    };
    ctx.add_function("parseJson", parse)
        .unwrap_or_else(|e| panic!("{e:?}"));
    ctx
}

/// `triggerPolicy.condition` over the task's inputs, as the driver
/// evaluates it (`Expr.Condition`: the inputs of an `ExecutorInput`).
pub(crate) fn condition_holds(
    condition: &str,
    inputs: &BTreeMap<String, Json>,
) -> Result<bool, String> {
    let program = cel::Program::compile(condition).map_err(|e| format!("`{condition}`: {e}"))?;
    let mut ctx = context();
    let values: HashMap<String, cel::Value> =
        inputs.iter().map(|(k, v)| (k.clone(), to_cel(v))).collect();
    let outer: HashMap<String, cel::Value> =
        HashMap::from([("parameter_values".to_owned(), cel::Value::from(values))]);
    ctx.add_variable_from_value("inputs", outer);
    match program.execute(&ctx) {
        Ok(cel::Value::Bool(b)) => Ok(b),
        Ok(other) => Err(format!("`{condition}` is {other:?}, not a bool")),
        Err(e) => Err(format!("`{condition}`: {e}")),
    }
}

/// A `parameterExpressionSelector` on `value`, as the driver evaluates it
/// (`Expr.Select`: `string_value` is the value's text).
fn select(value: &Json, selector: &str) -> Result<Json, String> {
    let program = cel::Program::compile(selector).map_err(|e| format!("`{selector}`: {e}"))?;
    let mut ctx = context();
    ctx.add_variable_from_value("string_value", pb_value_to_text(value));
    let out = program
        .execute(&ctx)
        .map_err(|e| format!("`{selector}`: {e}"))?;
    from_cel(&out)
}
