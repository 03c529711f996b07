//! The SVG drawing of pipelines: content, escaping, style, geometry,
//! determinism.

use crate::graph::layout::tests::Rng;
use crate::{
    Cond, ContainerOutputs, ContainerStep, GraphFormat, NodeStyle, Pipeline, SvgStyle, Task,
    TaskState, Value,
};

/// Checks that `svg` is well-formed XML as far as a drawing needs: tags
/// balance, attribute values are quoted and hold no `<`, every `&` starts
/// a known entity.
fn well_formed(svg: &str) -> Result<(), String> {
    let mut open: Vec<&str> = Vec::new();
    let mut rest = svg
        .strip_prefix("<?xml version=\"1.0\" encoding=\"UTF-8\"?>\n")
        .unwrap_or(svg);
    let entity = |s: &str| {
        [
            "&amp;", "&lt;", "&gt;", "&quot;", "&#39;", "&#9;", "&#10;", "&#13;",
        ]
        .iter()
        .any(|e| s.starts_with(e))
    };
    while !rest.is_empty() {
        let text_end = rest.find('<').unwrap_or(rest.len());
        let text = &rest[..text_end];
        if let Some(i) = text.find('&')
            && !entity(&text[i..])
        {
            return Err(format!("bare & in text: {text}"));
        }
        if text.contains('>') {
            return Err(format!("bare > in text: {text}"));
        }
        rest = &rest[text_end..];
        if rest.is_empty() {
            break;
        }
        // a tag: quoted attribute values may not contain < or a bare &
        let mut in_quote = false;
        let mut end = None;
        for (i, c) in rest.char_indices().skip(1) {
            match c {
                '"' => in_quote = !in_quote,
                '<' => return Err(format!("< inside a tag: {}", &rest[..i + 1])),
                '&' if in_quote && !entity(&rest[i..]) => {
                    return Err(format!("bare & in an attribute: {}", &rest[..i + 1]));
                }
                '>' if !in_quote => {
                    end = Some(i);
                    break;
                }
                _ => {}
            }
        }
        let Some(end) = end else {
            return Err("unterminated tag".to_owned());
        };
        let tag = &rest[1..end];
        let name = tag
            .trim_start_matches('/')
            .split([' ', '/'])
            .next()
            .unwrap_or("");
        if let Some(closing) = tag.strip_prefix('/') {
            if open.pop() != Some(closing) {
                return Err(format!("</{closing}> closes nothing open"));
            }
        } else if !tag.ends_with('/') {
            open.push(name);
        }
        rest = &rest[end + 1..];
    }
    match open.last() {
        Some(t) => Err(format!("<{t}> never closed")),
        None => Ok(()),
    }
}

/// A small pipeline with every kind of node and edge.
fn sample() -> Pipeline {
    let p = Pipeline::new("sample");
    p.image("alpine:3.20");
    let pr = p.string_param("pr", "");
    let list = p.add(ContainerStep::new("list", ["ls"]).output_param("names"));
    let Some(names) = list.out.param("names").cloned() else {
        panic!("declared above")
    };
    let each = p
        .add(ContainerStep::new("each", ["echo"]).arg(Value::item()))
        .with_param(&names);
    p.add(ContainerStep::new("shard", ["echo"]).arg(Value::item()))
        .with_items([1, 2, 3])
        .after(&each);
    p.add(ContainerStep::new("push", ["push"]))
        .when(pr.is_empty())
        .after(&each);
    p.on_exit(ContainerStep::new("notify", ["echo"]).arg(Value::WorkflowStatus));
    p
}

fn attr_count(svg: &str, needle: &str) -> usize {
    svg.matches(needle).count()
}

#[test]
fn draws_every_task_edge_condition_loop_and_exit_handler() {
    let svg = sample().graph(GraphFormat::Svg);
    assert_eq!(well_formed(&svg), Ok(()));
    assert!(svg.starts_with("<?xml version=\"1.0\" encoding=\"UTF-8\"?>\n<svg xmlns="));
    for task in ["list", "each", "shard", "push", "notify"] {
        assert_eq!(
            attr_count(&svg, &format!("data-task=\"{task}\" data-state=\"none\"")),
            1,
            "{task}"
        );
    }
    assert!(svg.contains("class=\"node conditional\" id=\"node-push\""));
    assert!(svg.contains(">when pr == &#39;&#39;</text>"));
    assert!(svg.contains("class=\"node loop\" id=\"node-shard\""));
    assert!(svg.contains(">withItems ×3</text>"));
    assert!(svg.contains(">withParam list.names</text>"));
    assert!(svg.contains("class=\"node exit\" id=\"node-notify\""));
    assert!(svg.contains(">on exit</text>"));
    // the output parameter labels its edge; `.after` edges are dashed
    assert!(svg.contains("<path class=\"edge data\" id=\"edge-list-each\""));
    assert!(svg.contains("<path class=\"edge order\" id=\"edge-each-push\""));
    assert!(svg.contains(">names</text>"));
    assert_eq!(attr_count(&svg, "class=\"edge "), 3);
}

#[test]
fn escapes_names_conditions_and_labels() {
    let p = Pipeline::new("x<y>&\"z\"");
    let evil = "<script>alert(1)</script>";
    let a = p.add(ContainerStep::new(evil, ["sh"]).output_param("o<&>\"'"));
    let Some(o) = a.out.param("o<&>\"'").cloned() else {
        panic!("declared above")
    };
    p.add(ContainerStep::new("b&'\"", ["sh"]).arg(&o))
        .when(Cond::text_eq("<img src=x onerror=alert(1)>", "\"&amp;"));
    p.on_exit(ContainerStep::new("</svg>", ["sh"]));
    let style = SvgStyle::new().id_prefix("\"><script>").task(
        evil,
        NodeStyle::new()
            .href("javascript:\"<x>")
            .note("<b>&")
            .class("a\"b"),
    );
    let svg = p.render_svg(&style);
    assert_eq!(well_formed(&svg), Ok(()));
    for raw in ["<script", "<img", "</svg>\n<", "<b>"] {
        assert!(!svg.contains(raw), "{raw} unescaped in\n{svg}");
    }
    assert!(svg.contains("data-task=\"&lt;script&gt;alert(1)&lt;/script&gt;\""));
    assert!(svg.contains("data-task=\"b&amp;&#39;&quot;\""));
    assert!(
        svg.contains("&#39;&lt;img src=x onerror=alert(1)&gt;&#39; == &#39;&quot;&amp;amp;&#39;")
    );
    assert!(svg.contains(">o&lt;&amp;&gt;&quot;&#39;</text>"));
    assert!(svg.contains("data-pipeline=\"x&lt;y&gt;&amp;&quot;z&quot;\""));
}

#[test]
fn colours_links_and_notes_from_the_style() {
    let style = SvgStyle::new()
        .id_prefix("run-")
        .embed_css(false)
        .task(
            "each",
            NodeStyle::new()
                .state(TaskState::Failed)
                .href("#task-each")
                .note("exit 1")
                .class("slow"),
        )
        .task("list", NodeStyle::new().state(TaskState::Cached))
        .task("notify", NodeStyle::new().state(TaskState::Succeeded));
    let svg = sample().render_svg(&style);
    assert_eq!(well_formed(&svg), Ok(()));
    assert!(!svg.starts_with("<?xml"));
    assert!(!svg.contains("<style>"));
    assert!(svg.contains(
        "<a class=\"node-link\" href=\"#task-each\"><g class=\"node loop state-failed slow\" id=\"run-node-each\" data-task=\"each\" data-state=\"failed\">"
    ));
    assert!(svg.contains(">exit 1</text>"));
    assert!(svg.contains("data-task=\"list\" data-state=\"cached\""));
    assert!(svg.contains("class=\"node exit state-succeeded\""));
    assert!(svg.contains("marker-end=\"url(#run-arrow)\""));
    assert!(svg.contains("<marker id=\"run-arrow\""));
    for state in TaskState::ALL {
        assert!(
            crate::SVG_CSS.contains(&format!(".state-{} ", state.as_str())),
            "{state:?} has no colour"
        );
    }
}

/// `n` tasks; each reads the output parameters of up to two of the 30
/// tasks before it, sometimes waits for another, sometimes has a
/// condition or a loop.
fn generated(n: usize, seed: u64) -> Pipeline {
    let mut rng = Rng::new(seed);
    let p = Pipeline::new("generated");
    p.image("alpine:3.20");
    let mode = p.string_param("mode", "full");
    let mut tasks: Vec<Task<ContainerOutputs>> = Vec::with_capacity(n);
    let mut looped = Vec::with_capacity(n);
    for i in 0..n {
        let name = format!("task-{i}{}", "-x".repeat(rng.below(8)));
        let output = format!("out-{}", rng.below(5));
        let mut step = ContainerStep::new(name, ["run"]).output_param(&output);
        for _ in 0..rng.below(3) {
            let j = i.saturating_sub(1 + rng.below(i.min(30)));
            if i > 0
                && let Some(o) = tasks[j].out.params.values().next()
            {
                // A loop's output is read as the list of every item's value.
                step = if looped[j] {
                    step.arg(Value::collected(o))
                } else {
                    step.arg(o)
                };
            }
        }
        let mut task = p.add(step);
        if i > 0 && rng.below(4) == 0 {
            task = task.after(&tasks[i - 1 - rng.below(i.min(30))]);
        }
        if rng.below(10) == 0 {
            task = task.when(mode.eq("full"));
        }
        let is_loop = rng.below(12) == 0;
        if is_loop {
            task = task.with_items([1, 2, 3]);
        }
        looped.push(is_loop);
        tasks.push(task);
    }
    p
}

#[test]
fn generated_pipelines_of_200_and_2000_tasks_do_not_overlap() {
    for (n, seed) in [(200, 11), (2000, 12)] {
        let p = generated(n, seed);
        if let Err(e) = p.validate() {
            panic!("{e}");
        }
        let layout = p.graph_layout(&SvgStyle::new());
        assert_eq!(layout.nodes.len(), n);
        assert!(layout.edges.len() > n, "{} edges", layout.edges.len());
        assert_eq!(layout.overlaps(), Vec::<(String, String)>::new());
        assert_eq!(layout.detached_edges(), Vec::<(String, String)>::new());
        assert_eq!(layout.edges_through_boxes(), Vec::<(String, String)>::new());
    }
}

#[test]
fn sample_has_no_overlap_and_attached_edges() {
    let layout = sample().graph_layout(&SvgStyle::new());
    assert_eq!(layout.nodes.len(), 5);
    assert!(layout.nodes.iter().any(|n| n.on_exit && n.task == "notify"));
    assert!(layout.overlaps().is_empty());
    assert!(layout.detached_edges().is_empty());
    assert!(layout.edges_through_boxes().is_empty());
}

#[test]
fn the_checks_find_overlaps_and_detached_edges() {
    let mut layout = sample().graph_layout(&SvgStyle::new());
    let first = layout.nodes[0].clone();
    layout.nodes[1].x = first.x + 1.0;
    layout.nodes[1].y = first.y + 1.0;
    assert!(!layout.overlaps().is_empty());
    layout.edges[0].points[0].0 += 3.0;
    assert!(!layout.detached_edges().is_empty());
    // an edge straight through a third task's box
    let other = layout.nodes[2].clone();
    layout.edges[0].points = vec![
        (other.x - 5.0, other.y + other.height / 2.0),
        (other.x + other.width + 5.0, other.y + other.height / 2.0),
    ];
    assert!(!layout.edges_through_boxes().is_empty());
}

#[test]
fn same_pipeline_same_bytes_whatever_the_order_of_independent_adds() {
    let build = |flip: bool| {
        let p = Pipeline::new("order");
        let root = p.add(ContainerStep::new("root", ["a"]));
        let names = if flip { ["b", "a"] } else { ["a", "b"] };
        for name in names {
            p.add(ContainerStep::new(name, ["x"])).after(&root);
        }
        p.graph(GraphFormat::Svg)
    };
    assert_eq!(build(false), build(true));
    assert_eq!(
        generated(300, 5).graph(GraphFormat::Svg),
        generated(300, 5).graph(GraphFormat::Svg)
    );
}

#[test]
fn an_empty_pipeline_is_an_empty_drawing() {
    let p = Pipeline::new("empty");
    let svg = p.graph(GraphFormat::Svg);
    assert_eq!(well_formed(&svg), Ok(()));
    assert_eq!(attr_count(&svg, "data-task="), 0);
    // only an exit handler
    p.on_exit(ContainerStep::new("notify", ["echo"]));
    let layout = p.graph_layout(&SvgStyle::new());
    assert_eq!(layout.nodes.len(), 1);
    assert!(layout.overlaps().is_empty());
}

#[test]
fn a_cycle_is_still_drawn() {
    let p = Pipeline::new("cycle");
    let a = p.add(ContainerStep::new("a", ["x"]));
    let b = p.add(ContainerStep::new("b", ["x"])).after(&a);
    let _a = a.after(&b);
    assert!(p.validate().is_err());
    let svg = p.graph(GraphFormat::Svg);
    assert_eq!(well_formed(&svg), Ok(()));
    assert_eq!(attr_count(&svg, "class=\"edge order\""), 2);
    assert!(p.graph_layout(&SvgStyle::new()).detached_edges().is_empty());
}
