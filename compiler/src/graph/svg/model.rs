//! What the drawing shows, read from the pipeline: one node per task (name,
//! condition, loop, the caller's note), one edge per pair of tasks with the
//! artifacts and parameters that flow along it.

use std::collections::BTreeMap;

use super::style::SvgStyle;
use super::text;
use crate::ir::Value;
use crate::ir::deps as graph;
use crate::ir::{Loop, PipelineData, TaskNode};

/// Columns shown of a condition, loop or note line (the tooltip has all).
const MAX_LINE: usize = 48;
/// Columns shown of an edge label line.
const MAX_LABEL: usize = 32;
/// Lines shown of one edge label.
const MAX_LABEL_LINES: usize = 4;

/// The kind of a line in a task's box.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) enum LineKind {
    Name,
    When,
    Loop,
    Note,
}

impl LineKind {
    pub(crate) fn class(self) -> &'static str {
        match self {
            LineKind::Name => "name",
            LineKind::When => "when",
            LineKind::Loop => "loop",
            LineKind::Note => "note",
        }
    }

    pub(crate) fn font_px(self) -> f64 {
        match self {
            LineKind::Name => 12.0,
            _ => 11.0,
        }
    }

    pub(crate) fn line_px(self) -> f64 {
        match self {
            LineKind::Name => 16.0,
            _ => 14.0,
        }
    }
}

/// A task (or exit handler) node.
#[derive(Clone, Debug)]
pub(crate) struct NodeModel {
    pub(crate) name: String,
    pub(crate) lines: Vec<(LineKind, String)>,
    /// Everything about the node, untruncated (its tooltip).
    pub(crate) title: String,
    pub(crate) conditional: bool,
    pub(crate) looped: bool,
    pub(crate) exit: bool,
}

/// The text on an edge.
#[derive(Clone, Debug, PartialEq, Eq, PartialOrd, Ord)]
pub(crate) struct LabelModel {
    pub(crate) lines: Vec<String>,
    pub(crate) title: String,
}

/// An edge between two tasks (indices into [`GraphModel::tasks`]).
#[derive(Clone, Debug)]
pub(crate) struct EdgeModel {
    pub(crate) from: usize,
    pub(crate) to: usize,
    pub(crate) label: Option<usize>,
    /// Data flows along it (otherwise it only orders the tasks).
    pub(crate) data: bool,
}

#[derive(Clone, Debug)]
pub(crate) struct GraphModel {
    pub(crate) name: String,
    /// Tasks by topological layer, then name.
    pub(crate) tasks: Vec<NodeModel>,
    pub(crate) exits: Vec<NodeModel>,
    pub(crate) edges: Vec<EdgeModel>,
    pub(crate) labels: Vec<LabelModel>,
}

fn node(t: &TaskNode, style: &SvgStyle, exit: bool) -> NodeModel {
    let mut lines = vec![(LineKind::Name, t.name.clone())];
    let mut title = vec![if exit {
        format!("{} (on exit)", t.name)
    } else {
        t.name.clone()
    }];
    let when = t.settings.when.as_ref().map(|(c, _)| c.describe());
    if let Some(w) = &when {
        let line = format!("when {w}");
        lines.push((LineKind::When, text::truncate(&line, MAX_LINE)));
        title.push(line);
    }
    let looped = t.settings.looped.as_ref().map(|(l, _)| match l {
        Loop::Items(items) => format!("withItems ×{}", items.len()),
        Loop::Param(v) => format!("withParam {}", v.describe()),
    });
    if let Some(l) = &looped {
        lines.push((LineKind::Loop, text::truncate(l, MAX_LINE)));
        title.push(l.clone());
    }
    let own = style.tasks.get(&t.name);
    if let Some(state) = own.and_then(|s| s.state) {
        title.push(format!("state: {}", state.as_str()));
    }
    if let Some(note) = own.and_then(|s| s.note.as_ref()) {
        lines.push((LineKind::Note, text::truncate(note, MAX_LINE)));
        title.push(note.clone());
    }
    NodeModel {
        name: t.name.clone(),
        lines,
        title: title.join("\n"),
        conditional: when.is_some(),
        looped: looped.is_some(),
        exit,
    }
}

/// The outputs of other tasks of this pipeline that `values` read.
fn outputs<'a>(d: &PipelineData, values: impl Iterator<Item = &'a Value>) -> Vec<(usize, &'a str)> {
    values
        .flat_map(Value::leaves)
        .filter_map(|v| match v {
            Value::Output(o) | Value::Collected(o)
                if o.0.pipeline == d.id && o.0.task < d.tasks.len() =>
            {
                Some((o.0.task, o.0.output.as_str()))
            }
            _ => None,
        })
        .collect()
}

/// For each (producer, consumer) pair: the (shown, tooltip) lines.
fn flows(d: &PipelineData) -> BTreeMap<(usize, usize), Vec<(String, String)>> {
    let mut pairs: BTreeMap<(usize, usize), Vec<(String, String)>> = BTreeMap::new();
    for (to, t) in d.tasks.iter().enumerate() {
        for i in &t.inputs {
            if i.from.pipeline == d.id && i.from.task < d.tasks.len() {
                pairs.entry((i.from.task, to)).or_default().push((
                    i.from.output.clone(),
                    format!("artifact {} ({})", i.from.output, i.kind),
                ));
            }
        }
        let mut read: Vec<(usize, &str, &str)> = Vec::new();
        let params = outputs(d, t.params.iter().map(|p| &p.value));
        read.extend(params.into_iter().map(|(f, o)| (f, o, "parameter")));
        if let Some((Loop::Param(v), _)) = &t.settings.looped {
            let looped = outputs(d, std::iter::once(v));
            read.extend(looped.into_iter().map(|(f, o)| (f, o, "withParam")));
        }
        if let Some((cond, _)) = &t.settings.when {
            let when = outputs(d, cond.values().into_iter());
            read.extend(when.into_iter().map(|(f, o)| (f, o, "when")));
        }
        for (from, output, how) in read {
            pairs
                .entry((from, to))
                .or_default()
                .push((output.to_owned(), format!("{how} {output}")));
        }
        for dep in graph::task_dependencies(d, t) {
            pairs.entry((dep, to)).or_default();
        }
    }
    for lines in pairs.values_mut() {
        lines.sort();
        lines.dedup();
    }
    pairs
}

fn label(lines: &[(String, String)]) -> LabelModel {
    let mut shown: Vec<String> = lines
        .iter()
        .map(|(l, _)| text::truncate(l, MAX_LABEL))
        .collect();
    shown.dedup();
    if shown.len() > MAX_LABEL_LINES {
        let more = shown.len() - (MAX_LABEL_LINES - 1);
        shown.truncate(MAX_LABEL_LINES - 1);
        shown.push(format!("+{more} more"));
    }
    let title: Vec<&str> = lines.iter().map(|(_, t)| t.as_str()).collect();
    LabelModel {
        lines: shown,
        title: title.join("\n"),
    }
}

/// The model of `d`'s graph.
pub(crate) fn model(d: &PipelineData, style: &SvgStyle) -> GraphModel {
    let deps = graph::dependencies(d);
    let names: Vec<&str> = d.tasks.iter().map(|t| t.name.as_str()).collect();
    let order = graph::layered_order(&names, &deps);
    let mut position = vec![0usize; d.tasks.len()];
    for (p, &i) in order.iter().enumerate() {
        position[i] = p;
    }
    let tasks = order
        .iter()
        .map(|&i| node(&d.tasks[i], style, false))
        .collect();
    let mut labels: Vec<LabelModel> = Vec::new();
    let mut label_index: BTreeMap<LabelModel, usize> = BTreeMap::new();
    let mut edges: Vec<EdgeModel> = flows(d)
        .into_iter()
        .map(|((from, to), lines)| {
            let label = (!lines.is_empty()).then(|| {
                let l = label(&lines);
                *label_index.entry(l.clone()).or_insert_with(|| {
                    labels.push(l);
                    labels.len() - 1
                })
            });
            EdgeModel {
                from: position[from],
                to: position[to],
                label,
                data: !lines.is_empty(),
            }
        })
        .collect();
    edges.sort_by_key(|e| (e.from, e.to));
    GraphModel {
        name: d.name.clone(),
        tasks,
        exits: d.exits.iter().map(|t| node(t, style, true)).collect(),
        edges,
        labels,
    }
}
