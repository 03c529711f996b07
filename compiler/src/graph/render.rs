//! `kpipe graph`: the task graph as Graphviz DOT, Mermaid or SVG (`svg/`).

use std::collections::BTreeMap;
use std::fmt::Write;

use crate::ir::PipelineData;
use crate::ir::Value;
use crate::ir::deps as graph;

/// A graph output format.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum GraphFormat {
    /// Graphviz DOT (`dot -Tsvg`).
    Dot,
    /// Mermaid flowchart (renders in GitHub Markdown).
    Mermaid,
    /// A standalone SVG file, laid out by kpipe itself (see
    /// [`Pipeline::render_svg`](crate::Pipeline::render_svg) for colours and
    /// links).
    Svg,
}

#[derive(PartialEq, Eq, PartialOrd, Ord)]
struct Edge {
    from: usize,
    to: usize,
    label: String,
    data: bool,
}

fn edges(d: &PipelineData) -> Vec<Edge> {
    let mut by_pair: BTreeMap<(usize, usize), (Vec<String>, bool)> = BTreeMap::new();
    for (to, t) in d.tasks.iter().enumerate() {
        for i in &t.inputs {
            if i.from.pipeline == d.id && i.from.task < d.tasks.len() {
                let e = by_pair.entry((i.from.task, to)).or_default();
                e.0.push(format!("{} ({})", i.from.output, i.kind));
                e.1 = true;
            }
        }
        for p in &t.params {
            if let Value::Output(o) | Value::Collected(o) = &p.value
                && o.0.pipeline == d.id
            {
                let e = by_pair.entry((o.0.task, to)).or_default();
                e.0.push(o.0.output.clone());
                e.1 = true;
            }
        }
        for dep in graph::task_dependencies(d, t) {
            by_pair.entry((dep, to)).or_default();
        }
    }
    by_pair
        .into_iter()
        .map(|((from, to), (labels, data))| Edge {
            from,
            to,
            label: labels.join(", "),
            data,
        })
        .collect()
}

pub(crate) fn render(d: &PipelineData, format: GraphFormat) -> String {
    if format == GraphFormat::Svg {
        return super::svg::render(d, &crate::SvgStyle::new().standalone(true));
    }
    let deps = graph::dependencies(d);
    let names: Vec<&str> = d.tasks.iter().map(|t| t.name.as_str()).collect();
    let order = graph::layered_order(&names, &deps);
    let when = |i: usize| {
        d.tasks[i]
            .settings
            .when
            .as_ref()
            .map(|(c, _)| crate::argo::text::cond(c))
    };
    let mut s = String::new();
    match format {
        GraphFormat::Dot => {
            let _ = writeln!(s, "digraph {:?} {{", d.name);
            let _ = writeln!(s, "  rankdir=LR;");
            let _ = writeln!(
                s,
                "  node [shape=box, style=rounded, fontname=\"sans-serif\"];"
            );
            let _ = writeln!(s, "  edge [fontname=\"sans-serif\", fontsize=10];");
            for &i in &order {
                let label = match when(i) {
                    Some(w) => format!("{}\\nwhen {}", names[i], w.replace('"', "\\\"")),
                    None => names[i].to_owned(),
                };
                let _ = writeln!(s, "  {:?} [label=\"{label}\"];", names[i]);
            }
            for e in edges(d) {
                let style = if e.data { "" } else { ", style=dashed" };
                let _ = writeln!(
                    s,
                    "  {:?} -> {:?} [label={:?}{style}];",
                    names[e.from], names[e.to], e.label
                );
            }
            s.push_str("}\n");
        }
        // (Svg returned above)
        GraphFormat::Mermaid | GraphFormat::Svg => {
            s.push_str("flowchart LR\n");
            for &i in &order {
                let label = match when(i) {
                    Some(w) => format!("{}<br/>when {}", names[i], w),
                    None => names[i].to_owned(),
                };
                let _ = writeln!(s, "  t{i}[\"{}\"]", label.replace('"', "#quot;"));
            }
            for e in edges(d) {
                let arrow = if e.data { "-->" } else { "-.->" };
                if e.label.is_empty() {
                    let _ = writeln!(s, "  t{} {arrow} t{}", e.from, e.to);
                } else {
                    let _ = writeln!(
                        s,
                        "  t{} {arrow}|\"{}\"| t{}",
                        e.from,
                        e.label.replace('"', "#quot;"),
                        e.to
                    );
                }
            }
        }
    }
    s
}
