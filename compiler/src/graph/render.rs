//! `kpipe graph`: the task graph as Graphviz DOT, Mermaid or SVG (`svg/`).
//!
//! All three draw one [`model`](super::model): the same nodes (a condition
//! as people read it, `when pr == ''`; a loop as `withItems ×3` or
//! `withParam list.names`), the same edges (data edges labelled with the
//! artifacts and parameters that flow along them, a `withParam` list and
//! the outputs a `when` reads included; dashed: ordering only) and the exit
//! handlers apart, in an `on exit` group. DOT and Mermaid show every line
//! whole; the SVG cuts long lines to its boxes.

use std::fmt::Write;

use super::model::{self, Fit, GraphModel, LineKind, NodeModel};
use crate::graph::svg::SvgStyle;
use crate::ir::PipelineData;

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

pub(crate) fn render(d: &PipelineData, format: GraphFormat) -> String {
    let style = SvgStyle::new().standalone(true);
    match format {
        GraphFormat::Svg => super::svg::render(d, &style),
        GraphFormat::Dot => dot(&model::model(d, &style, Fit::Whole)),
        GraphFormat::Mermaid => mermaid(&model::model(d, &style, Fit::Whole)),
    }
}

/// The text of a node's lines, one per line.
fn lines(n: &NodeModel) -> Vec<&str> {
    n.lines.iter().map(|(_, text)| text.as_str()).collect()
}

/// `s` as a DOT quoted string (`"`, `\` escaped; line breaks as `\n`).
fn dot_string(s: &str) -> String {
    let mut out = String::from("\"");
    for c in s.chars() {
        match c {
            '"' => out.push_str("\\\""),
            '\\' => out.push_str("\\\\"),
            '\n' => out.push_str("\\n"),
            '\r' => {}
            c => out.push(c),
        }
    }
    out.push('"');
    out
}

fn dot_node(s: &mut String, indent: &str, n: &NodeModel) {
    let label = lines(n).join("\n");
    let mut attrs = vec![format!("label={}", dot_string(&label))];
    if n.conditional {
        attrs.push("style=\"rounded,dashed\"".to_owned());
    }
    if n.looped {
        // (a double border: the SVG's stacked box)
        attrs.push("peripheries=2".to_owned());
    }
    if n.title != label {
        attrs.push(format!("tooltip={}", dot_string(&n.title)));
    }
    let _ = writeln!(s, "{indent}{} [{}];", dot_string(&n.name), attrs.join(", "));
}

fn dot(m: &GraphModel) -> String {
    let mut s = String::new();
    let _ = writeln!(s, "digraph {} {{", dot_string(&m.name));
    s.push_str("  rankdir=LR;\n");
    s.push_str("  node [shape=box, style=rounded, fontname=\"sans-serif\"];\n");
    s.push_str("  edge [fontname=\"sans-serif\", fontsize=10];\n");
    for n in &m.tasks {
        dot_node(&mut s, "  ", n);
    }
    for e in &m.edges {
        let (from, to) = (&m.tasks[e.from].name, &m.tasks[e.to].name);
        let attrs = match e.label.map(|l| &m.labels[l]) {
            Some(l) => format!(
                "label={}, tooltip={}",
                dot_string(&l.lines.join("\n")),
                dot_string(&l.title)
            ),
            None => "style=dashed".to_owned(),
        };
        let _ = writeln!(s, "  {} -> {} [{attrs}];", dot_string(from), dot_string(to));
    }
    if !m.exits.is_empty() {
        s.push_str("  subgraph \"cluster_exit\" {\n    label=\"on exit\";\n    style=dashed;\n");
        for n in &m.exits {
            dot_node(&mut s, "    ", n);
        }
        s.push_str("  }\n");
    }
    s.push_str("}\n");
    s
}

/// `s` as Mermaid label text: quotes, ampersands and angle brackets as
/// entities (a condition's `<` and `&&` are text, not HTML).
fn mermaid_text(s: &str) -> String {
    s.replace('#', "#35;")
        .replace('&', "#amp;")
        .replace('"', "#quot;")
        .replace('<', "#lt;")
        .replace('>', "#gt;")
}

fn mermaid_node(s: &mut String, indent: &str, id: &str, n: &NodeModel) {
    let label: Vec<String> = n
        .lines
        .iter()
        .map(|(kind, text)| match kind {
            LineKind::Name => mermaid_text(text),
            _ => format!("<i>{}</i>", mermaid_text(text)),
        })
        .collect();
    let label = label.join("<br/>");
    // (a loop is a subroutine box, Mermaid's nearest to the SVG's stack)
    let (open, close) = if n.looped { ("[[", "]]") } else { ("[", "]") };
    let class = if n.conditional { ":::conditional" } else { "" };
    let _ = writeln!(s, "{indent}{id}{open}\"{label}\"{close}{class}");
}

fn mermaid(m: &GraphModel) -> String {
    let mut s = String::from("flowchart LR\n");
    if m.tasks.iter().chain(&m.exits).any(|n| n.conditional) {
        s.push_str("  classDef conditional stroke-dasharray: 5 3\n");
    }
    for (i, n) in m.tasks.iter().enumerate() {
        mermaid_node(&mut s, "  ", &format!("t{i}"), n);
    }
    for e in &m.edges {
        match e.label.map(|l| &m.labels[l]) {
            Some(l) => {
                let text: Vec<String> = l.lines.iter().map(|t| mermaid_text(t)).collect();
                let _ = writeln!(s, "  t{} -->|\"{}\"| t{}", e.from, text.join("<br/>"), e.to);
            }
            None => {
                let _ = writeln!(s, "  t{} -.-> t{}", e.from, e.to);
            }
        }
    }
    if !m.exits.is_empty() {
        s.push_str("  subgraph exit [\"on exit\"]\n");
        for (j, n) in m.exits.iter().enumerate() {
            mermaid_node(&mut s, "    ", &format!("x{j}"), n);
        }
        s.push_str("  end\n");
    }
    s
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::{ContainerStep, Pipeline, Value};

    /// A condition with `<`, `"` and `\`, a withParam loop on another
    /// step's output, a fan-in of the loop's output, an ordering edge and
    /// an exit handler.
    fn pipeline() -> Pipeline {
        let p = Pipeline::new("shapes");
        p.image("alpine:3.20");
        let rows = p.int_param("rows", 3);
        let quote = p.string_param("q", "a\"b\\c");
        let list = p.add(
            ContainerStep::new("list", ["sh", "-c"])
                .arg("echo '[1]' > \"$0\"")
                .output_param("names"),
        );
        let Some(names) = list.out.param("names").cloned() else {
            panic!("list has names");
        };
        let each = p
            .add(
                ContainerStep::new("each", ["echo"])
                    .arg(Value::item())
                    .output_param("size"),
            )
            .with_param(&names);
        let Some(size) = each.out.param("size").cloned() else {
            panic!("each has a size");
        };
        // (a fan-in: every item's size as one list)
        p.add(ContainerStep::new("gather", ["echo"]).arg(Value::collected(&size)));
        p.add(ContainerStep::new("small", ["echo"]))
            .after(&each)
            .when(rows.lt(10).and(quote.ne("x\"y")));
        p.on_exit(ContainerStep::new("bye", ["echo"]));
        p
    }

    fn graph(format: GraphFormat) -> String {
        pipeline().graph(format)
    }

    #[test]
    fn dot_shows_conditions_loops_data_and_exits() {
        let dot = graph(GraphFormat::Dot);
        assert!(
            dot.contains(r#""each" [label="each\nwithParam list.names", peripheries=2];"#),
            "{dot}"
        );
        assert!(
            dot.contains(r#""list" -> "each" [label="names", tooltip="withParam names"];"#),
            "{dot}"
        );
        assert!(
            dot.contains(r#""each" -> "small" [style=dashed];"#),
            "{dot}"
        );
        assert!(
            dot.contains(r#""each" -> "gather" [label="size", tooltip="collected size"];"#),
            "{dot}"
        );
        assert!(
            dot.contains(r#"label="small\nwhen rows < 10 && q != 'x\"y'", style="rounded,dashed""#),
            "{dot}"
        );
        assert!(!dot.contains("{{"), "Argo's text leaked:\n{dot}");
        assert!(
            dot.contains("subgraph \"cluster_exit\" {\n    label=\"on exit\";"),
            "{dot}"
        );
        assert!(
            dot.contains(r#"    "bye" [label="bye", tooltip="bye (on exit)"];"#),
            "{dot}"
        );
        assert!(dot.contains(r#""list" [label="list"];"#), "{dot}");
    }

    #[test]
    fn mermaid_shows_conditions_loops_data_and_exits_as_text() {
        let mermaid = graph(GraphFormat::Mermaid);
        assert!(
            mermaid.contains("[[\"each<br/><i>withParam list.names</i>\"]]"),
            "{mermaid}"
        );
        assert!(mermaid.contains(" -->|\"names\"| "), "{mermaid}");
        assert!(mermaid.contains(" -->|\"size\"| "), "{mermaid}");
        assert!(mermaid.contains(" -.-> "), "{mermaid}");
        assert!(
            mermaid
                .contains("<i>when rows #lt; 10 #amp;#amp; q != 'x#quot;y'</i>\"]:::conditional"),
            "{mermaid}"
        );
        assert!(mermaid.contains("classDef conditional"), "{mermaid}");
        assert!(
            mermaid.contains("subgraph exit [\"on exit\"]\n    x0[\"bye\"]\n  end\n"),
            "{mermaid}"
        );
        assert!(!mermaid.contains("{{"), "Argo's text leaked:\n{mermaid}");
    }

    #[test]
    fn dot_strings_escape_quotes_backslashes_and_line_breaks() {
        assert_eq!(dot_string("a\"b\\c\nd"), r#""a\"b\\c\nd""#);
        assert_eq!(mermaid_text("a<b>\"#&"), "a#lt;b#gt;#quot;#35;#amp;");
    }
}
