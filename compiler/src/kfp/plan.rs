//! Where each task sits in KFP's tree of DAGs and how every value reaches it.
//!
//! kpipe's `when`, loops and exit handler are per task; KFP v2 expresses them
//! as sub-DAG components (`condition-N`, `for-loop-N`, `exit-handler-1`)
//! whose inputs are "pipeline channels": the values tasks inside read from
//! outside, passed down one DAG at a time (`pipelinechannel--pr`). The plan
//! decides the nesting (exit handler ⊃ loop ⊃ condition ⊃ task; tasks with
//! the same condition that depend on each other share one condition DAG),
//! the channels each DAG declares, and where each dependency edge lands.

use std::collections::{BTreeMap, BTreeSet};

use super::Problem;
use super::scope::{Channel, LoopItem, LoopSource, ROOT, Scope, ScopeKind, Source, TaskInputs};
use super::spec::ParameterType;
use super::types;
use crate::diagnostic::KfpFeature;
use crate::ir::Value;
use crate::ir::deps as graph;
use crate::ir::{Loop, PipelineData, TaskNode};
use crate::location::Location;

/// A pipeline's DAG tree for KFP, with every input's source and every
/// problem found on the way.
#[derive(Debug)]
pub(crate) struct Plan<'a> {
    pub(crate) d: &'a PipelineData,
    pub(crate) scopes: Vec<Scope>,
    /// For each of `d.tasks`: the DAG it is placed in.
    pub(crate) task_scope: Vec<usize>,
    /// For each of `d.tasks`: its loop DAG, if it loops.
    pub(crate) task_loop: Vec<Option<usize>>,
    pub(crate) task_inputs: Vec<TaskInputs>,
    /// For each of `d.exits`: its inputs (exit tasks sit in the root DAG).
    pub(crate) exit_inputs: Vec<TaskInputs>,
    /// The exit handler's group, when the pipeline has an exit handler.
    pub(crate) exit_group: Option<usize>,
    /// Output parameters a loop iterates over: typed LIST.
    pub(crate) list_outputs: BTreeSet<(usize, String)>,
    pub(crate) problems: Vec<Problem>,
}

impl<'a> Plan<'a> {
    pub(crate) fn build(d: &'a PipelineData) -> Self {
        let mut plan = Plan {
            d,
            scopes: vec![Scope::new(String::new(), ScopeKind::Root, ROOT, 0)],
            task_scope: vec![ROOT; d.tasks.len()],
            task_loop: vec![None; d.tasks.len()],
            task_inputs: Vec::new(),
            exit_inputs: Vec::new(),
            exit_group: None,
            list_outputs: BTreeSet::new(),
            problems: Vec::new(),
        };
        let deps = graph::dependencies(d);
        for t in &d.tasks {
            if let Some((Loop::Param(Value::Output(o)), _)) = &t.settings.looped
                && plan.own(o.0.pipeline, o.0.task)
            {
                plan.list_outputs.insert((o.0.task, o.0.output.clone()));
            }
        }
        plan.place(&deps);
        plan.task_inputs = (0..d.tasks.len()).map(|i| plan.inputs_of(i)).collect();
        plan.exit_inputs = d.exits.iter().map(|t| plan.exit_inputs_of(t)).collect();
        plan.propagate();
        plan.dependencies(&deps);
        plan.clashes();
        plan
    }

    pub(super) fn own(&self, pipeline: crate::ir::pipeline_id::PipelineId, task: usize) -> bool {
        pipeline == self.d.id && task < self.d.tasks.len()
    }

    pub(super) fn problem(&mut self, task: &TaskNode, feature: KfpFeature) {
        self.problem_at(task, task.location, feature);
    }

    /// A problem of `task` caused by the DSL call at `location` (its
    /// `.when(…)` or loop).
    pub(super) fn problem_at(&mut self, task: &TaskNode, location: Location, feature: KfpFeature) {
        self.problems.push(Problem {
            task: Some(task.name.clone()),
            location,
            feature,
        });
    }

    /// Whether `ancestor` encloses `scope` (strictly).
    pub(super) fn encloses(&self, ancestor: usize, mut scope: usize) -> bool {
        while scope != ROOT {
            scope = self.scopes[scope].parent;
            if scope == ancestor {
                return true;
            }
        }
        false
    }

    /// How `channel` reaches a node placed in `scope`; records pass-through
    /// inputs on the way.
    fn resolve(&mut self, scope: usize, channel: &Channel) -> Result<Source, KfpFeature> {
        let pass = |plan: &mut Self| {
            plan.scopes[scope].needs.insert(channel.clone());
            Ok(Source::Input(plan.channel_name(channel)))
        };
        match channel {
            Channel::Param(p) if scope == ROOT => Ok(Source::Input(p.clone())),
            Channel::Param(_) => pass(self),
            Channel::TaskParam(u, o) | Channel::TaskArtifact(u, o) => {
                let home = self.task_scope[*u];
                if home == scope {
                    Ok(Source::TaskOutput {
                        task: self.d.tasks[*u].name.clone(),
                        key: o.clone(),
                    })
                } else if self.encloses(home, scope) {
                    pass(self)
                } else {
                    Err(KfpFeature::OutputLeavesGroup {
                        producer: self.d.tasks[*u].name.clone(),
                        output: o.clone(),
                    })
                }
            }
            Channel::Collected(u, o) => {
                let name = self.channel_name(channel);
                let Some(l) = self.task_loop[*u] else {
                    return Err(KfpFeature::Loop {
                        detail: format!(
                            "collects `{}.{o}`, but `{}` is not a loop",
                            self.d.tasks[*u].name, self.d.tasks[*u].name
                        ),
                    });
                };
                if self.task_scope[*u] != l {
                    // (a `when` inside the loop: KFP's loop DAG would have
                    // to collect from a condition DAG, which may not run)
                    return Err(KfpFeature::Loop {
                        detail: format!(
                            "collects `{}.{o}` from a loop whose step has a `when`",
                            self.d.tasks[*u].name
                        ),
                    });
                }
                self.scopes[l]
                    .outputs
                    .insert(name.clone(), (self.d.tasks[*u].name.clone(), o.clone()));
                let home = self.scopes[l].parent;
                if home == scope {
                    Ok(Source::TaskOutput {
                        task: self.scopes[l].name.clone(),
                        key: name,
                    })
                } else if self.encloses(home, scope) {
                    pass(self)
                } else {
                    Err(KfpFeature::OutputLeavesGroup {
                        producer: self.d.tasks[*u].name.clone(),
                        output: o.clone(),
                    })
                }
            }
            Channel::Item(l) if *l == scope => Ok(Source::Input(self.channel_name(channel))),
            Channel::Item(l) if self.encloses(*l, scope) => pass(self),
            Channel::Item(_) => Err(KfpFeature::Loop {
                detail: "reads a loop item outside its loop".to_owned(),
            }),
        }
    }

    fn inputs_of(&mut self, i: usize) -> TaskInputs {
        let d = self.d;
        let t = &d.tasks[i];
        let scope = self.task_scope[i];
        let mut out = TaskInputs::default();
        for p in &t.params {
            let (channel, selector) = match &p.value {
                Value::Param(r) => (Channel::Param(r.0.name.clone()), None),
                Value::Output(o) if self.own(o.0.pipeline, o.0.task) => {
                    (Channel::TaskParam(o.0.task, o.0.output.clone()), None)
                }
                Value::Collected(o) if self.own(o.0.pipeline, o.0.task) => {
                    (Channel::Collected(o.0.task, o.0.output.clone()), None)
                }
                Value::Item | Value::ItemField(_) => {
                    let Some(l) = self.task_loop[i] else { continue };
                    let selector = match &p.value {
                        Value::ItemField(f) => Some(format!("parseJson(string_value)[\"{f}\"]")),
                        _ => None,
                    };
                    (Channel::Item(l), selector)
                }
                Value::WorkflowName => {
                    let source = Source::Constant(super::JOB_NAME.to_owned());
                    out.parameters.insert(p.name.clone(), (source, None));
                    continue;
                }
                Value::WorkflowStatus => {
                    self.problem(t, KfpFeature::StatusOutsideExitHandler);
                    continue;
                }
                _ => continue,
            };
            match self.resolve(scope, &channel) {
                Ok(source) => {
                    out.parameters.insert(p.name.clone(), (source, selector));
                }
                Err(f) => self.problem(t, f),
            }
        }
        for a in &t.inputs {
            if !self.own(a.from.pipeline, a.from.task) {
                continue;
            }
            let channel = Channel::TaskArtifact(a.from.task, a.from.output.clone());
            match self.resolve(scope, &channel) {
                Ok(source) => {
                    out.artifacts.insert(a.name.clone(), source);
                }
                Err(f) => self.problem(t, f),
            }
        }
        out
    }

    fn exit_inputs_of(&mut self, t: &TaskNode) -> TaskInputs {
        let mut out = TaskInputs::default();
        if t.settings.when.is_some() || t.settings.looped.is_some() {
            self.problem(t, KfpFeature::ExitHandlerControl);
        }
        for p in &t.params {
            let source = match &p.value {
                Value::Param(r) => Source::Input(r.0.name.clone()),
                Value::WorkflowName => Source::Constant(super::JOB_NAME.to_owned()),
                Value::WorkflowStatus => match self.exit_group {
                    Some(g) => Source::FinalStatus(self.scopes[g].name.clone()),
                    None => continue,
                },
                Value::Output(_) => {
                    let detail = "another step's output".to_owned();
                    self.problem(t, KfpFeature::ExitHandlerValue { detail });
                    continue;
                }
                _ => continue,
            };
            out.parameters.insert(p.name.clone(), (source, None));
        }
        out
    }

    /// Resolves every DAG's inputs in its parent, deepest DAGs first, so a
    /// pass-through a parent gains is resolved when the parent's turn comes.
    fn propagate(&mut self) {
        let mut order: Vec<usize> = (1..self.scopes.len()).collect();
        order.sort_by_key(|&s| std::cmp::Reverse(self.scopes[s].depth));
        for s in order {
            let parent = self.scopes[s].parent;
            if let ScopeKind::Loop(LoopItem {
                source: LoopSource::Channel(c),
                ..
            }) = &self.scopes[s].kind
            {
                let c = c.clone();
                self.scopes[s].needs.insert(c);
            }
            let needs: Vec<Channel> = self.scopes[s].needs.iter().cloned().collect();
            for channel in needs {
                let name = self.channel_name(&channel);
                match self.resolve(parent, &channel) {
                    Ok(source) => {
                        self.scopes[s].inputs.insert(name, source);
                    }
                    Err(f) => self.scope_problem(s, f),
                }
            }
        }
    }

    /// A problem of DAG `scope`, blamed on the first task inside it.
    fn scope_problem(&mut self, scope: usize, feature: KfpFeature) {
        let d = self.d;
        let owner = (0..d.tasks.len())
            .find(|&i| {
                let s = self.task_scope[i];
                s == scope || self.encloses(scope, s)
            })
            .map(|i| &d.tasks[i]);
        self.problems.push(Problem {
            task: owner.map(|t| t.name.clone()),
            location: owner.map_or(d.location, |t| t.location),
            feature,
        });
    }

    /// Places each dependency edge in the DAG where the two tasks' paths
    /// part: there, the node holding the consumer waits for the node holding
    /// the producer.
    fn dependencies(&mut self, deps: &[BTreeSet<usize>]) {
        for (t, ds) in deps.iter().enumerate() {
            for &u in ds {
                if u == t {
                    continue;
                }
                let (at, node_t, node_u) = self.parting(self.task_scope[t], self.task_scope[u]);
                let node_t = node_t.unwrap_or_else(|| self.d.tasks[t].name.clone());
                let node_u = node_u.unwrap_or_else(|| self.d.tasks[u].name.clone());
                if node_t != node_u {
                    self.scopes[at]
                        .dependencies
                        .entry(node_t)
                        .or_default()
                        .insert(node_u);
                }
            }
        }
    }

    /// The deepest DAG enclosing both scopes and, for each side, the child
    /// DAG of it on the way (`None`: the task sits in that DAG itself).
    fn parting(&self, a: usize, b: usize) -> (usize, Option<String>, Option<String>) {
        let path = |mut s: usize| {
            let mut p = vec![s];
            while s != ROOT {
                s = self.scopes[s].parent;
                p.push(s);
            }
            p.reverse();
            p
        };
        let (pa, pb) = (path(a), path(b));
        let common = pa.iter().zip(&pb).take_while(|(x, y)| x == y).count();
        let at = pa[common - 1];
        let child = |p: &[usize]| p.get(common).map(|&s| self.scopes[s].name.clone());
        (at, child(&pa), child(&pb))
    }

    /// Two different channels with one input name in the same DAG.
    fn clashes(&mut self) {
        for s in 1..self.scopes.len() {
            let mut seen: BTreeMap<String, &Channel> = BTreeMap::new();
            let mut clash = None;
            for c in &self.scopes[s].needs {
                let name = self.channel_name(c);
                if let Some(other) = seen.insert(name.clone(), c)
                    && other != c
                {
                    clash = Some(name);
                }
            }
            if let Some(name) = clash {
                self.scope_problem(s, KfpFeature::ChannelClash { name });
            }
        }
    }

    /// The input name of `channel` inside a sub-DAG.
    pub(crate) fn channel_name(&self, channel: &Channel) -> String {
        match channel {
            Channel::Param(p) => format!("pipelinechannel--{p}"),
            Channel::TaskParam(u, o) | Channel::TaskArtifact(u, o) | Channel::Collected(u, o) => {
                format!("pipelinechannel--{}-{o}", self.d.tasks[*u].name)
            }
            Channel::Item(l) => match &self.scopes[*l].kind {
                ScopeKind::Loop(item) => item.name.clone(),
                _ => String::new(),
            },
        }
    }

    pub(crate) fn param_type(&self, name: &str) -> ParameterType {
        self.d
            .params
            .iter()
            .find(|p| p.name == name)
            .map_or(ParameterType::String, types::of_param)
    }

    /// Output parameters are text, or a LIST when a loop iterates over them.
    pub(crate) fn output_type(&self, task: usize, output: &str) -> ParameterType {
        if self.list_outputs.contains(&(task, output.to_owned())) {
            ParameterType::List
        } else {
            ParameterType::String
        }
    }

    pub(crate) fn item_type(&self, l: usize) -> ParameterType {
        match &self.scopes[l].kind {
            ScopeKind::Loop(item) => item.ty,
            _ => ParameterType::String,
        }
    }

    pub(crate) fn item_field_type(&self, l: usize, field: &str) -> ParameterType {
        match &self.scopes[l].kind {
            ScopeKind::Loop(item) => item
                .fields
                .get(field)
                .copied()
                .unwrap_or(ParameterType::String),
            _ => ParameterType::String,
        }
    }

    /// The KFP type of a task's template parameter.
    pub(crate) fn value_type(&self, task: Option<usize>, v: &Value) -> ParameterType {
        let item_loop = task.and_then(|i| self.task_loop[i]);
        match v {
            Value::Param(p) => self.param_type(&p.0.name),
            Value::Output(o) => self.output_type(o.0.task, &o.0.output),
            Value::Collected(_) => ParameterType::List,
            Value::Item => item_loop.map_or(ParameterType::String, |l| self.item_type(l)),
            Value::ItemField(f) => {
                item_loop.map_or(ParameterType::String, |l| self.item_field_type(l, f))
            }
            Value::WorkflowStatus => ParameterType::TaskFinalStatus,
            _ => ParameterType::String,
        }
    }
}
