//! `kpipe graph --format svg`: the exact SVG of kubernetes-analysis and of
//! small examples, and the geometry of every pipeline and example (no
//! overlapping boxes, edges attached to their boxes and through none).

use insta::{assert_snapshot, with_settings};
use kpipe_compiler::{GraphFormat, Pipeline, SvgStyle};
fn build(name: &str) -> Pipeline {
    kpipe_pipelines::app()
        .build_pipeline(Some(name))
        .unwrap_or_else(|e| panic!("{e:#}"))
}

fn example(name: &str) -> Pipeline {
    build(name)
}

#[test]
fn kubernetes_analysis_svg() {
    let name = kpipe_pipelines::kubernetes_analysis::NAME;
    let svg = build(name).graph(GraphFormat::Svg);
    with_settings!({ description => kpipe_pipelines::kubernetes_analysis::SUMMARY, omit_expression => true }, {
        assert_snapshot!(format!("{name}-svg"), svg);
    });
}

#[test]
fn small_examples_svg() {
    // a condition, both kinds of loop, an exit handler
    for name in ["condition", "loops", "exit_handler"] {
        let svg = example(name).graph(GraphFormat::Svg);
        with_settings!({ omit_expression => true }, {
            assert_snapshot!(format!("example-{name}-svg"), svg);
        });
    }
}

fn assert_clean(name: &str, p: &Pipeline) {
    let layout = p.graph_layout(&SvgStyle::new());
    let none: Vec<(String, String)> = Vec::new();
    assert!(!layout.nodes.is_empty(), "{name}: no nodes");
    assert_eq!(layout.overlaps(), none, "{name}: overlapping boxes");
    assert_eq!(
        layout.detached_edges(),
        none,
        "{name}: edges off their boxes"
    );
    assert_eq!(
        layout.edges_through_boxes(),
        none,
        "{name}: edges through boxes"
    );
    for n in &layout.nodes {
        assert!(
            n.x >= 0.0
                && n.y >= 0.0
                && n.x + n.width <= layout.width
                && n.y + n.height <= layout.height,
            "{name}: {} outside the drawing",
            n.task
        );
    }
}

#[test]
fn every_pipeline_and_example_lays_out_cleanly() {
    for (name, _) in kpipe_pipelines::app().pipelines() {
        assert_clean(name, &build(name));
    }
}
