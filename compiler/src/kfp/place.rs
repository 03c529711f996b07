//! Placing tasks into DAGs: the exit handler's group, one loop DAG per
//! looped task, condition DAGs (shared by connected tasks with one `when`),
//! loop items typed from their JSON, conditions translated to CEL.

use std::collections::{BTreeMap, BTreeSet};

use super::cel;
use super::plan::Plan;
use super::scope::{Channel, LoopItem, LoopSource, ROOT, Scope, ScopeKind};
use super::spec::ParameterType;
use super::types;
use crate::diagnostic::KfpFeature;
use crate::ir::deps as graph;
use crate::ir::{Cond, Value};
use crate::ir::{Loop, PipelineData, TaskNode};

impl Plan<'_> {
    /// Creates the DAGs and puts every task in one.
    pub(super) fn place(&mut self, deps: &[BTreeSet<usize>]) {
        let d = self.d;
        let names: Vec<&str> = d.tasks.iter().map(|t| t.name.as_str()).collect();
        let taken: BTreeSet<&str> = names
            .iter()
            .copied()
            .chain(d.exits.iter().map(|t| t.name.as_str()))
            .collect();
        let mut counter = 1usize;
        let mut fresh = |prefix: &str| loop {
            let name = format!("{prefix}-{counter}");
            counter += 1;
            if !taken.contains(name.as_str()) {
                return name;
            }
        };
        let base = if d.exits.is_empty() {
            ROOT
        } else {
            let name = fresh("exit-handler");
            let group = self.push_scope(name, ScopeKind::ExitHandler, ROOT);
            self.exit_group = Some(group);
            group
        };
        let groups = condition_groups(d, deps);
        let mut group_scope: BTreeMap<usize, usize> = BTreeMap::new();
        for i in graph::layered_order(&names, deps) {
            let t = &d.tasks[i];
            let mut scope = base;
            if let Some((looped, _)) = &t.settings.looped {
                let name = fresh("for-loop");
                let item = self.loop_item(t, looped, &name);
                scope = self.push_scope(name, ScopeKind::Loop(item), scope);
                self.task_loop[i] = Some(scope);
            }
            if let Some((cond, _)) = &t.settings.when {
                let existing = groups[i].and_then(|g| group_scope.get(&g).copied());
                scope = match existing {
                    Some(s) => s,
                    None => {
                        let name = fresh("condition");
                        let s = self.push_scope(
                            name,
                            ScopeKind::Condition { cel: String::new() },
                            scope,
                        );
                        if let Some(g) = groups[i] {
                            group_scope.insert(g, s);
                        }
                        let cel = self.condition(t, cond, s);
                        self.scopes[s].kind = ScopeKind::Condition { cel };
                        s
                    }
                };
            }
            self.task_scope[i] = scope;
        }
    }

    fn push_scope(&mut self, name: String, kind: ScopeKind, parent: usize) -> usize {
        let depth = self.scopes[parent].depth + 1;
        self.scopes.push(Scope::new(name, kind, parent, depth));
        self.scopes.len() - 1
    }

    fn loop_item(&mut self, t: &TaskNode, looped: &Loop, scope_name: &str) -> LoopItem {
        let number = scope_name.rsplit('-').next().unwrap_or("1");
        let raw_name = format!("pipelinechannel--loop-item-param-{number}");
        let reads_fields = reads_item_fields(t);
        let mut item = LoopItem {
            name: raw_name.clone(),
            ty: ParameterType::String,
            fields: BTreeMap::new(),
            source: LoopSource::Raw("[]".to_owned()),
        };
        let at = t.settings.looped.as_ref().map_or(t.location, |(_, l)| *l);
        let fail = |plan: &mut Self, detail: String| {
            plan.problem_at(t, at, KfpFeature::Loop { detail });
        };
        match looped {
            Loop::Items(items) => {
                item.source = LoopSource::Raw(serde_json::Value::Array(items.clone()).to_string());
                match types::common(items) {
                    Ok(ty) => item.ty = ty,
                    Err(e) => fail(self, e),
                }
                for field in &reads_fields {
                    let values: Result<Vec<&serde_json::Value>, String> = items
                        .iter()
                        .map(|v| {
                            v.get(field.as_str())
                                .ok_or_else(|| format!("reads field `{field}` that an item lacks"))
                        })
                        .collect();
                    match values.and_then(types::common) {
                        Ok(ty) => {
                            item.fields.insert(field.clone(), ty);
                        }
                        Err(e) => fail(self, format!("field `{field}` {e}")),
                    }
                }
            }
            Loop::Param(source) => {
                let channel = match source {
                    Value::Output(o) if self.own(o.0.pipeline, o.0.task) => {
                        item.name = format!(
                            "pipelinechannel--{}-{}-loop-item",
                            o.0.task_name, o.0.output
                        );
                        Some(Channel::TaskParam(o.0.task, o.0.output.clone()))
                    }
                    Value::Param(p) => {
                        // KFP's driver iterates over a LIST value only, and a
                        // kpipe parameter is a scalar: its JSON text is a
                        // STRING, over which the loop would not run.
                        let ty = types::name(self.param_type(&p.0.name));
                        fail(
                            self,
                            format!(
                                "iterates over parameter `{}`, a {ty}: KFP iterates over a LIST only; have a step write the list to an output parameter and loop over that",
                                p.0.name
                            ),
                        );
                        None
                    }
                    Value::Literal(json) => {
                        match serde_json::from_str::<Vec<serde_json::Value>>(json) {
                            Ok(items) => {
                                item.source = LoopSource::Raw(json.clone());
                                if let Ok(ty) = types::common(&items) {
                                    item.ty = ty;
                                }
                            }
                            Err(_) => fail(
                                self,
                                "iterates over text that is not a JSON list".to_owned(),
                            ),
                        }
                        None
                    }
                    _ => {
                        fail(
                            self,
                            "iterates over a value KFP cannot pass as a list".to_owned(),
                        );
                        None
                    }
                };
                if let Some(channel) = channel {
                    item.source = LoopSource::Channel(channel);
                    // Items known only at run time: their fields are strings.
                    if !reads_fields.is_empty() {
                        item.ty = ParameterType::Struct;
                    }
                    for f in reads_fields {
                        item.fields.insert(f, ParameterType::String);
                    }
                }
            }
        }
        item
    }

    /// The condition in CEL; records the channels it reads as the
    /// condition DAG's inputs.
    fn condition(&mut self, t: &TaskNode, cond: &Cond, scope: usize) -> String {
        let mut reads: Vec<Channel> = Vec::new();
        let mut operand = |v: &Value| -> Result<cel::Operand, String> {
            let (channel, ty, field) = match v {
                Value::Literal(s) => return Ok(cel::Operand::Literal(s.clone())),
                Value::Param(p) => {
                    let ty = self.param_type(&p.0.name);
                    (Channel::Param(p.0.name.clone()), ty, None)
                }
                Value::Output(o) if self.own(o.0.pipeline, o.0.task) => {
                    let ty = self.output_type(o.0.task, &o.0.output);
                    (Channel::TaskParam(o.0.task, o.0.output.clone()), ty, None)
                }
                Value::Item | Value::ItemField(_) => {
                    let Some(l) = self.enclosing_loop(scope) else {
                        return Err("reads a loop item but the step has no loop".to_owned());
                    };
                    match v {
                        Value::ItemField(f) => {
                            let ty = self.item_field_type(l, f);
                            (Channel::Item(l), ty, Some(f.clone()))
                        }
                        _ => (Channel::Item(l), self.item_type(l), None),
                    }
                }
                Value::WorkflowName | Value::WorkflowStatus => {
                    return Err("reads the workflow's name or status".to_owned());
                }
                _ => return Err("reads a value of another pipeline".to_owned()),
            };
            let mut expr = format!("inputs.parameter_values['{}']", self.channel_name(&channel));
            if let Some(f) = field {
                expr.push_str(&format!("[{}]", cel::quote(&f)));
            }
            reads.push(channel);
            Ok(cel::Operand::Expr(expr, ty))
        };
        match cel::render(cond, &mut operand) {
            Ok(cel) => {
                self.scopes[scope].needs.extend(reads);
                cel
            }
            Err(detail) => {
                let feature = KfpFeature::Condition { detail };
                let at = t.settings.when.as_ref().map_or(t.location, |(_, l)| *l);
                self.problem_at(t, at, feature);
                String::new()
            }
        }
    }

    pub(super) fn enclosing_loop(&self, mut scope: usize) -> Option<usize> {
        loop {
            if let ScopeKind::Loop(_) = self.scopes[scope].kind {
                return Some(scope);
            }
            if scope == ROOT {
                return None;
            }
            scope = self.scopes[scope].parent;
        }
    }
}

/// The fields of the loop item a task reads, in its arguments or `when`.
fn reads_item_fields(t: &TaskNode) -> BTreeSet<String> {
    let from_when = t
        .settings
        .when
        .iter()
        .flat_map(|(c, _)| c.values())
        .flat_map(Value::leaves);
    t.params
        .iter()
        .map(|p| &p.value)
        .chain(from_when)
        .filter_map(|v| match v {
            Value::ItemField(f) => Some(f.clone()),
            _ => None,
        })
        .collect()
}

/// Tasks with the same `when` (and no loop) that depend on each other share a
/// condition DAG, as a KFP user writes one `dsl.If` around them; unless that
/// would create a cycle between DAGs, then every task gets its own.
fn condition_groups(d: &PipelineData, deps: &[BTreeSet<usize>]) -> Vec<Option<usize>> {
    let key: Vec<Option<&Cond>> = d
        .tasks
        .iter()
        .map(|t| match (&t.settings.when, &t.settings.looped) {
            (Some((c, _)), None) => Some(c),
            _ => None,
        })
        .collect();
    let mut group: Vec<usize> = (0..d.tasks.len()).collect();
    fn find(group: &mut [usize], i: usize) -> usize {
        let mut r = i;
        while group[r] != r {
            r = group[r];
        }
        group[i] = r;
        r
    }
    for (t, ds) in deps.iter().enumerate() {
        for &u in ds {
            if key[t].is_some() && key[t] == key[u] {
                let (a, b) = (find(&mut group, t), find(&mut group, u));
                group[a.max(b)] = a.min(b);
            }
        }
    }
    let roots: Vec<usize> = (0..d.tasks.len()).map(|i| find(&mut group, i)).collect();
    // The graph between groups must stay acyclic.
    let mut quotient = vec![BTreeSet::new(); d.tasks.len()];
    for (t, ds) in deps.iter().enumerate() {
        for &u in ds {
            if roots[t] != roots[u] {
                quotient[roots[t]].insert(roots[u]);
            }
        }
    }
    let grouped = graph::cycles(&quotient).is_empty();
    (0..d.tasks.len())
        .map(|i| key[i].as_ref().map(|_| if grouped { roots[i] } else { i }))
        .collect()
}
