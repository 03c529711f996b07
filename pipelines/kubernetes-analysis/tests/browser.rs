//! `kpipe graph --format svg` in a real browser: headless Chromium (Debian's)
//! driven by `tests/browser/check.mjs` (playwright-core). It loads each
//! drawing, checks the DOM (every task a node with its name and state),
//! measures the boxes (no overlap, text inside its box), fails on any
//! console error, failed request or script that ran, and saves a
//! screenshot under `$CARGO_TARGET_TMPDIR/browser/` for review.
//!
//! `.ci/run` installs Chromium and playwright-core and sets
//! `KPIPE_BROWSER_CHECK` to the directory holding `node_modules`.
//!
//! Other browser tests in this binary (a run report) reuse [`check`] or
//! [`assert_passes`] with their own page and expectations (the spec format
//! is in check.mjs's header), and [`out_dir`] for their files.

use std::path::{Path, PathBuf};
use std::process::Command;

use kpipe_compiler::{GraphFormat, NodeStyle, Pipeline, SvgStyle, TaskState};
use serde_json::{Value, json};

// The example registers sizes (and the scale shape) this test does not draw.
#[allow(dead_code)]
#[path = "../examples/generated/pipelines.rs"]
mod generated;

/// `$CARGO_TARGET_TMPDIR/browser/`, created: pages, specs and screenshots.
pub(crate) fn out_dir() -> PathBuf {
    let dir = Path::new(env!("CARGO_TARGET_TMPDIR")).join("browser");
    if let Err(e) = std::fs::create_dir_all(&dir) {
        panic!("cannot create {}: {e}", dir.display());
    }
    dir
}

pub(crate) fn write(path: &Path, text: &str) {
    if let Err(e) = std::fs::write(path, text) {
        panic!("cannot write {}: {e}", path.display());
    }
}

/// Runs check.mjs on `spec` (saved as `NAME.json`); returns whether it
/// passed and its JSON report.
pub(crate) fn check(name: &str, spec: &Value) -> (bool, Value) {
    let modules = std::env::var("KPIPE_BROWSER_CHECK").unwrap_or_else(|_| {
        panic!("set KPIPE_BROWSER_CHECK to the directory holding node_modules/playwright-core")
    });
    let spec_path = out_dir().join(format!("{name}.json"));
    write(&spec_path, &spec.to_string());
    let script = Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/browser/check.mjs");
    let out = Command::new("node")
        .arg(&script)
        .arg(&spec_path)
        .env("KPIPE_BROWSER_CHECK", modules)
        .output()
        .unwrap_or_else(|e| panic!("cannot run node: {e}"));
    let stdout = String::from_utf8_lossy(&out.stdout);
    let report: Value = serde_json::from_str(&stdout).unwrap_or_else(|e| {
        panic!(
            "check.mjs printed no JSON ({e}): {stdout}\n{}",
            String::from_utf8_lossy(&out.stderr)
        )
    });
    assert!(
        out.status.code() != Some(2),
        "check.mjs could not run: {report}"
    );
    if let Some(shot) = report.get("screenshot").and_then(Value::as_str) {
        println!("screenshot: {shot}");
    }
    (out.status.success(), report)
}

/// [`check`], failing the test with check.mjs's failures.
pub(crate) fn assert_passes(name: &str, spec: &Value) -> Value {
    let (ok, report) = check(name, spec);
    assert!(ok, "{name}: {:#}", report["failures"]);
    report
}

/// Expectations every drawing meets: each task once, with its name.
fn task_expectations(tasks: &[&str]) -> Vec<Value> {
    let mut expect = vec![json!({"selector": "g.node", "count": tasks.len()})];
    for t in tasks {
        expect.push(json!({
            "selector": format!("g.node[data-task=\"{t}\"]"),
            "count": 1,
            "text": t,
        }));
    }
    expect
}

fn geometry() -> (Value, Value) {
    (
        json!(["g.node, g.edge-label"]),
        json!([{"each": "g.node", "inner": "text", "outer": "rect.box"}]),
    )
}

#[test]
#[ignore = "needs chromium + playwright-core: KPIPE_BROWSER_CHECK (.ci/run sets it)"]
fn kubernetes_analysis_svg_in_chromium() {
    let dir = out_dir();
    let svg = dir.join("kubernetes-analysis.svg");
    let out = Command::new(env!("CARGO_BIN_EXE_kpipe"))
        .args(["graph", "kubernetes-analysis", "--format", "svg", "-o"])
        .arg(&svg)
        .output()
        .unwrap_or_else(|e| panic!("cannot run kpipe: {e}"));
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    let mut expect = task_expectations(&crate::kubernetes_analysis::TASKS);
    expect.extend([
        json!({"selector": "g.node[data-state=\"none\"]", "count": 9}),
        json!({"selector": "g.node.conditional", "count": 2}),
        json!({"selector": "g.node.conditional[data-task=\"rollout\"]", "count": 1, "text": "when pr == ''"}),
        json!({"selector": "path.edge", "count": 14}),
        json!({"selector": "path.edge.order", "count": 3}),
        json!({"selector": "g.edge-label", "minCount": 5}),
        json!({"selector": "g.edge-label", "text": "repo"}),
    ]);
    let (no_overlap, contained) = geometry();
    let report = assert_passes(
        "kubernetes-analysis",
        &json!({
            "path": svg,
            "screenshot": dir.join("kubernetes-analysis.png"),
            "expect": expect,
            "noOverlap": no_overlap,
            "contained": contained,
        }),
    );
    assert_eq!(report["overlaps"][0]["elements"], json!(9 + 5));
}

#[test]
#[ignore = "needs chromium + playwright-core: KPIPE_BROWSER_CHECK (.ci/run sets it)"]
fn generated_200_task_svg_in_chromium() {
    let dir = out_dir();
    let svg = dir.join("generated-200.svg");
    // what `kpipe graph --format svg` writes for this pipeline
    write(&svg, &generated::random(200).graph(GraphFormat::Svg));
    let names: Vec<String> = (0..200).map(|i| format!("step-{i}")).collect();
    let mut expect = vec![json!({"selector": "g.node", "count": 200})];
    for n in &names {
        // names are `step-N` or `step-N-suffix`
        expect.push(json!({
            "selector": format!("g.node[data-task=\"{n}\"], g.node[data-task^=\"{n}-\"]"),
            "count": 1,
            "text": n,
        }));
    }
    let (no_overlap, contained) = geometry();
    assert_passes(
        "generated-200",
        &json!({
            "path": svg,
            "screenshot": dir.join("generated-200.png"),
            "expect": expect,
            "noOverlap": no_overlap,
            "contained": contained,
        }),
    );
}

/// How a run report uses the drawing: inline in HTML, twice on one page
/// (id prefixes), nodes coloured by state and linked to sections; names
/// that look like markup show as text and run nothing.
#[test]
#[ignore = "needs chromium + playwright-core: KPIPE_BROWSER_CHECK (.ci/run sets it)"]
fn inline_states_links_and_escaping_in_chromium() {
    let evil = "<script>alert(1)</script>";
    let p = Pipeline::new("report");
    p.image("alpine:3.20");
    let a = p.add(kpipe_compiler::ContainerStep::new("fetch", ["sh"]));
    let b = p
        .add(kpipe_compiler::ContainerStep::new(evil, ["sh"]))
        .after(&a);
    p.add(kpipe_compiler::ContainerStep::new("publish", ["sh"]))
        .after(&b);
    let style = |prefix: &str| {
        SvgStyle::new()
            .id_prefix(prefix)
            .embed_css(false)
            .task(
                "fetch",
                NodeStyle::new()
                    .state(TaskState::Succeeded)
                    .href("#task-fetch")
                    .note("1.2 s"),
            )
            .task(
                evil,
                NodeStyle::new()
                    .state(TaskState::Failed)
                    .note("<img src=x onerror=alert(2)>"),
            )
            .task("publish", NodeStyle::new().state(TaskState::NotRun))
    };
    let html = format!(
        "<!doctype html><html><head><meta charset=\"utf-8\"><title>report</title><style>{}</style></head>\
         <body><h1>run</h1>{}<section id=\"task-fetch\">fetch</section><h2>again</h2>{}</body></html>",
        kpipe_compiler::SVG_CSS,
        p.render_svg(&style("a-")),
        p.render_svg(&style("b-")),
    );
    let dir = out_dir();
    let page = dir.join("inline-states.html");
    write(&page, &html);
    let failed_fill = "getComputedStyle(document.querySelector('#a-node-fetch .box')).fill !== \
         getComputedStyle(document.querySelector('[data-state=\"failed\"] .box')).fill";
    assert_passes(
        "inline-states",
        &json!({
            "path": page,
            "screenshot": dir.join("inline-states.png"),
            "expect": [
                {"selector": "svg.kpipe-graph", "count": 2},
                {"selector": "#a-node-fetch", "count": 1, "attr": {"data-state": "succeeded"}, "text": "1.2 s"},
                {"selector": "#b-node-fetch", "count": 1},
                {"selector": "a.node-link[href=\"#task-fetch\"] > g.node", "count": 2},
                {"selector": "g.node[data-state=\"failed\"]", "count": 2, "text": evil},
                {"selector": "g.node.state-not-run[data-task=\"publish\"]", "count": 2},
                {"selector": "script", "count": 0},
                {"selector": "img", "count": 0},
            ],
            "noOverlap": ["#graph-a g.node, #graph-a g.edge-label"],
            "contained": [{"each": "g.node", "inner": "text", "outer": "rect.box"}],
            "truthy": [
                {"name": "failed and succeeded differ in colour", "js": failed_fill},
                {"name": "the failed node shows the name as text", "js": "[...document.querySelectorAll('text.name')].some(t => t.textContent === '<script>alert(1)</script>')"},
            ],
        }),
    );
}

/// The harness itself fails on what it must catch.
#[test]
#[ignore = "needs chromium + playwright-core: KPIPE_BROWSER_CHECK (.ci/run sets it)"]
fn the_check_fails_on_overlap_broken_images_errors_and_scripts() {
    let dir = out_dir();
    let page = dir.join("broken.html");
    write(
        &page,
        "<!doctype html><html><body>\
         <div class=\"box\" style=\"position:absolute;left:10px;top:10px;width:100px;height:40px\">a</div>\
         <div class=\"box\" style=\"position:absolute;left:60px;top:30px;width:100px;height:40px\">b</div>\
         <img src=\"missing.png\" alt=\"\">\
         <script>console.error('boom'); alert('ran');</script>\
         </body></html>",
    );
    let (ok, report) = check(
        "broken",
        &json!({
            "path": page,
            "expect": [{"selector": "div.box", "count": 3}],
            "noOverlap": ["div.box"],
            "truthy": [{"name": "false", "js": "1 === 2"}],
        }),
    );
    assert!(!ok, "{report:#}");
    let failures = report["failures"].to_string();
    for what in [
        "count 2, expected 3",
        "div.box: a overlaps b",
        "image did not load",
        "console: boom",
        "dialog (a script ran)",
        "missing.png",
        "false: false",
    ] {
        assert!(failures.contains(what), "no `{what}` in {failures}");
    }
}
