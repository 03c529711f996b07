//! The page for real local runs: states, escaping, failures first.

use std::collections::BTreeMap;
use std::path::Path;

use kpipe_compiler::ir::bind::bind;

use super::{Run, render};
use crate::run::{self, Engine, Layout, LocalRun};
use crate::{CompileOptions, ContainerStep, LocalEnv, Pipeline};

/// An empty pipeline `name` on alpine, and a directory to run it in.
fn pipeline(name: &str) -> (tempfile::TempDir, Pipeline) {
    let p = Pipeline::new(name);
    p.image("alpine:3.20");
    (tempfile::tempdir().unwrap_or_else(|e| panic!("{e}")), p)
}

fn page(p: &Pipeline, workdir: &Path, params: &[(&str, &str)]) -> String {
    let plan = p
        .ir(&CompileOptions::default())
        .unwrap_or_else(|d| panic!("{d}"));
    let params: BTreeMap<String, String> = params
        .iter()
        .map(|(k, v)| ((*k).to_owned(), (*v).to_owned()))
        .collect();
    let given: Vec<(String, String)> = params.clone().into_iter().collect();
    let bound = bind(&plan.param_specs(), &given).unwrap_or_else(|e| panic!("{e}"));
    let layout = Layout::new(workdir);
    let cfg = LocalRun {
        layout: layout.clone(),
        params: bound.pairs().into_iter().collect(),
        env: LocalEnv {
            workdir: workdir.to_path_buf(),
            programs: BTreeMap::new(),
        },
        secrets: BTreeMap::new(),
        engine: Engine::Process,
        jobs: 1,
        cache: false,
        interrupt: run::Stop::new(),
        selection: run::Selection::default(),
    };
    let reports =
        run::run(&plan, &cfg, Box::new(std::io::sink())).unwrap_or_else(|e| panic!("{e:#}"));
    render(&Run {
        pipeline: &p.name(),
        layout: &layout,
        plan: &plan,
        graph: p,
        params: &params,
        reports: &reports,
        seconds: 1.0,
        interrupted: None,
        engine: "process",
    })
}

#[test]
fn what_steps_print_is_text_and_runs_nothing() {
    let (tmp, p) = pipeline("hostile");
    let who = p.string_param("who", "world");
    p.add(
        ContainerStep::new(
            "shout",
            [
                "sh",
                "-c",
                "echo '<script>alert(1)</script>'; echo \"$0\" > \"$1\"",
            ],
        )
        .arg(&who)
        .output_param("said"),
    );
    let html = page(&p, tmp.path(), &[("who", "<img src=x onerror=alert(2)>")]);
    assert!(
        !html.contains("<script>alert(1)"),
        "a log line became markup"
    );
    assert!(
        !html.contains("<img src=x"),
        "a parameter value became markup"
    );
    assert!(html.contains("&lt;script&gt;alert(1)&lt;/script&gt;"));
    assert!(html.contains("&lt;img src=x onerror=alert(2)&gt;"));
    assert!(!html.contains("<script"), "the page has no scripts at all");
    assert!(html.contains("data-task=\"shout\" data-state=\"succeeded\""));
    assert!(html.contains("<tr class=\"param\"><td>parameter</td><td>said</td>"));
}

#[test]
fn a_failed_run_shows_the_failure_first_and_every_state() {
    let (tmp, p) = pipeline("broken");
    let mode = p.string_param("mode", "fast");
    let first = p.add(ContainerStep::new("first", ["sh", "-c", "echo fine"]));
    let bad = p
        .add(ContainerStep::new(
            "bad",
            ["sh", "-c", "echo oops >&2; exit 7"],
        ))
        .after(&first);
    p.add(ContainerStep::new("after", ["echo", "never"]))
        .after(&bad);
    p.add(ContainerStep::new("slow-only", ["echo", "skipped"]))
        .when(mode.eq("slow"));
    let html = page(&p, tmp.path(), &[]);
    let failure = html.find("id=\"failure\"").unwrap_or(usize::MAX);
    let graph = html.find("id=\"graph\"").unwrap_or(0);
    assert!(failure < graph, "the failure comes first");
    assert!(html.contains("id=\"run-state\" data-state=\"failed\""));
    for (task, state) in [
        ("first", "succeeded"),
        ("bad", "failed"),
        ("after", "not-run"),
        ("slow-only", "skipped"),
    ] {
        assert!(
            html.contains(&format!("<article class=\"task\" id=\"task-{task}\" data-task=\"{task}\" data-state=\"{state}\">")),
            "{task} {state}"
        );
        assert!(html.contains(&format!("data-task=\"{task}\" data-state=\"{state}\"")));
    }
    assert!(
        html.contains("<dt>exit code</dt><dd>7</dd>"),
        "the exit code"
    );
    assert!(html.contains("oops"), "the log");
    // a short log is shown once, whole; no "whole log" to open
    assert!(
        html.contains("<p class=\"meta\">log (1 line)</p><pre class=\"log-tail log\">oops\n</pre>"),
        "{html}"
    );
    assert!(!html.contains("<details>"), "{html}");
    // steps that never ran have no time and no attempts
    for task in ["after", "slow-only"] {
        let row = html
            .split("<tr data-task=")
            .find(|r| r.starts_with(&format!("\"{task}\"")))
            .unwrap_or_else(|| panic!("no summary row for {task}"));
        assert!(
            row.contains("<td class=\"num\">–</td><td class=\"num\">–</td>"),
            "{row}"
        );
    }
    // a skip names the values that made its condition false
    assert!(
        html.contains("when `&#39;fast&#39; == &#39;slow&#39;` evaluated false"),
        "{html}"
    );
}

#[test]
fn a_long_log_shows_its_tail_and_the_whole_one_click_away() {
    let (tmp, p) = pipeline("chatty");
    p.add(ContainerStep::new(
        "count",
        [
            "sh",
            "-c",
            "i=1; while [ $i -le 50 ]; do echo \"line $i\"; i=$((i+1)); done",
        ],
    ));
    let html = page(&p, tmp.path(), &[]);
    assert!(
        html.contains(
            "<p class=\"meta\">log, last 20 of 50 lines</p><pre class=\"log-tail\">line 31\n"
        ),
        "{html}"
    );
    assert!(html.contains("line 50</pre><details><summary>the whole log (50 lines)</summary><pre class=\"log\">line 1\n"), "{html}");
}

#[test]
fn loops_say_whose_command_they_show_and_silent_steps_have_an_empty_log() {
    let (tmp, p) = pipeline("fan-out");
    p.add(ContainerStep::new("quiet", ["true"]));
    p.add(ContainerStep::new("each", ["echo"]).arg(crate::Value::item()))
        .with_items([serde_json::json!("a"), serde_json::json!("b")]);
    let html = page(&p, tmp.path(), &[]);
    assert!(
        html.contains(
            "<dt>command (last item, b)</dt><dd><pre class=\"command\">/usr/bin/echo b</pre>"
        ) || html.contains(
            "<dt>command (last item, b)</dt><dd><pre class=\"command\">/bin/echo b</pre>"
        ),
        "{html}"
    );
    // each item's log is named by its value
    assert!(
        html.contains("<p class=\"meta\">item a: log (1 line)</p>")
            && html.contains("<p class=\"meta\">item b: log (1 line)</p>"),
        "{html}"
    );
    assert!(
        html.contains("<p class=\"meta log-empty\">log: empty</p>"),
        "{html}"
    );
}

#[test]
fn a_loop_names_its_items_and_the_item_that_failed() {
    let (tmp, p) = pipeline("sweep");
    // Item 0.5 fails after printing why; 0.9 runs after it.
    p.add(
        ContainerStep::new(
            "train",
            [
                "sh",
                "-c",
                r#"echo "lr $0"; [ "$0" != 0.5 ] || { echo "diverged at lr $0"; exit 3; }"#,
            ],
        )
        .arg(crate::Value::item()),
    )
    .with_items([
        serde_json::json!("0.1"),
        serde_json::json!("0.5"),
        serde_json::json!("0.9"),
    ]);
    let html = page(&p, tmp.path(), &[]);
    // The failure names the item, and shows that item's log first.
    let failures = html
        .split("<section")
        .find(|s| s.contains("item 0.5: "))
        .and_then(|s| s.split("</section>").next())
        .unwrap_or_else(|| panic!("no failure naming item 0.5:\n{html}"));
    assert!(
        failures.contains(
            "<p class=\"meta\">item 0.5:</p><pre class=\"log-tail\">lr 0.5\ndiverged at lr 0.5"
        ),
        "{failures}"
    );
    assert!(!failures.contains("lr 0.9"), "{failures}");
    // The exit code shown is the failed item's, not the last item's.
    assert!(html.contains("<dt>exit code</dt><dd>3</dd>"), "{html}");
    for item in ["0.1", "0.5", "0.9"] {
        assert!(
            html.contains(&format!("<p class=\"meta\">item {item}: log (")),
            "{item}: {html}"
        );
    }
}
