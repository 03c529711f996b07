use std::collections::{BTreeMap, BTreeSet};

use kpipe_compiler::lint::{SchemaVersion, lint};
use kpipe_compiler::{ArgoVersion, CompileOptions, OutputKind};
use kpipe_pipelines::kubernetes_analysis;
use serde_json::Value;

/// The kubernetes-analysis tasks (the reference's, `predict` named
/// `predict-test`).
pub(crate) const TASKS: [&str; 9] = [
    "checkout",
    "update-api",
    "update-data",
    "update-assets",
    "train",
    "predict-test",
    "build-image",
    "commit-changes",
    "rollout",
];

const REFERENCE: &str = include_str!("fixtures/reference/data_pipeline.yaml");

fn compile(options: &CompileOptions) -> String {
    match kubernetes_analysis::pipeline().compile(options) {
        Ok(yaml) => yaml,
        Err(e) => panic!("{e}"),
    }
}

fn parse(yaml: &str) -> Value {
    match serde_saphyr_free_parse(yaml) {
        Some(v) => v,
        None => panic!("not YAML:\n{yaml}"),
    }
}

/// Parses YAML through the linter's own parser (via `lint_value`'s input).
fn serde_saphyr_free_parse(yaml: &str) -> Option<Value> {
    // The compiler keeps its YAML library private; JSON is a YAML subset, so
    // round-trip through the manifest instead: compile output is parsed by
    // the linter, which reports parse errors as issues.
    let issues = lint(yaml, SchemaVersion::V3_5_14);
    if issues
        .iter()
        .any(|i| i.message.starts_with("not valid YAML"))
    {
        return None;
    }
    Some(yaml_to_json(yaml))
}

fn yaml_to_json(yaml: &str) -> Value {
    kpipe_compiler::lint::parse_yaml(yaml).unwrap_or(Value::Null)
}

#[test]
fn workflow_validates_against_every_argo_schema_closed() {
    for kind in [OutputKind::Workflow, OutputKind::WorkflowTemplate] {
        let yaml = compile(&CompileOptions {
            kind,
            ..CompileOptions::default()
        });
        for version in SchemaVersion::ALL {
            let issues = lint(&yaml, version);
            assert!(
                issues.is_empty(),
                "{kind:?} against {}: {issues:#?}",
                version.as_str()
            );
        }
    }
}

#[test]
fn cron_validates_against_its_target_line() {
    for (target, versions) in [
        (
            ArgoVersion::V3,
            vec![SchemaVersion::V3_1_6, SchemaVersion::V3_5_14],
        ),
        (ArgoVersion::V4, vec![SchemaVersion::V4_1_2]),
    ] {
        let yaml = compile(&CompileOptions {
            kind: OutputKind::CronWorkflow,
            argo: target,
            ..CompileOptions::default()
        });
        for v in versions {
            let issues = lint(&yaml, v);
            assert!(
                issues.is_empty(),
                "{target:?} vs {}: {issues:#?}",
                v.as_str()
            );
        }
    }
}

#[test]
fn every_example_validates() {
    for example in kpipe_examples::all() {
        let kind = if (example.build)().is_scheduled() {
            kpipe_compiler::OutputKind::CronWorkflow
        } else {
            kpipe_compiler::OutputKind::Workflow
        };
        for (target, versions) in [
            (ArgoVersion::V3, &SchemaVersion::ALL[..2]),
            (ArgoVersion::V4, &SchemaVersion::ALL[2..]),
        ] {
            let options = CompileOptions {
                kind,
                argo: target,
                ..CompileOptions::default()
            };
            let yaml = match (example.build)().compile(&options) {
                Ok(y) => y,
                Err(e) => panic!("{}: {e}", example.name),
            };
            for &v in versions {
                let issues = lint(&yaml, v);
                assert!(
                    issues.is_empty(),
                    "{} vs {}: {issues:#?}",
                    example.name,
                    v.as_str()
                );
            }
        }
    }
}

/// Task name → direct dependencies of the DAG template `entrypoint`.
fn dag(doc: &Value) -> BTreeMap<String, BTreeSet<String>> {
    let entry = doc["spec"]["entrypoint"].as_str().unwrap_or_default();
    let templates = doc["spec"]["templates"]
        .as_array()
        .cloned()
        .unwrap_or_default();
    let Some(t) = templates.iter().find(|t| t["name"] == entry) else {
        panic!("no entrypoint template {entry}");
    };
    t["dag"]["tasks"]
        .as_array()
        .into_iter()
        .flatten()
        .map(|task| {
            let deps = task["dependencies"]
                .as_array()
                .into_iter()
                .flatten()
                .filter_map(|d| d.as_str().map(str::to_owned))
                .collect();
            (task["name"].as_str().unwrap_or_default().to_owned(), deps)
        })
        .collect()
}

/// Every (ancestor, task) pair of the graph `g` (each task's dependencies).
pub(crate) fn closure(g: &BTreeMap<String, BTreeSet<String>>) -> BTreeSet<(String, String)> {
    let mut out = BTreeSet::new();
    for task in g.keys() {
        let mut stack: Vec<&String> = g[task].iter().collect();
        let mut seen = BTreeSet::new();
        while let Some(d) = stack.pop() {
            if seen.insert(d.clone()) {
                out.insert((d.clone(), task.clone()));
                stack.extend(g.get(d).into_iter().flatten());
            }
        }
    }
    out
}

#[test]
fn same_tasks_and_dependency_edges_as_the_original() {
    let mut original = dag(&yaml_to_json(REFERENCE));
    // The original called its predict-test task `predict`.
    if let Some(deps) = original.remove("predict") {
        original.insert("predict-test".into(), deps);
    }
    for deps in original.values_mut() {
        if deps.remove("predict") {
            deps.insert("predict-test".into());
        }
    }
    let ours = dag(&parse(&compile(&CompileOptions::default())));

    let names = |g: &BTreeMap<String, BTreeSet<String>>| g.keys().cloned().collect::<Vec<_>>();
    assert_eq!(names(&ours), names(&original));
    assert_eq!(ours.len(), 9);
    // The same ordering constraints: identical transitive closures.
    assert_eq!(closure(&ours), closure(&original));
    // And no edge the original lacks: every direct dependency of ours is a
    // direct one of the original. The original also listed `checkout` on
    // every task because each copied the repository; kpipe passes the
    // checkout only to the steps that read it, so those edges are implied.
    for (task, deps) in &ours {
        for d in deps {
            assert!(
                original[task].contains(d),
                "{d} → {task} is not in the original"
            );
        }
        let dropped: Vec<_> = original[task].difference(deps).collect();
        assert!(
            dropped.iter().all(|d| *d == "checkout"),
            "{task}: original edges {dropped:?} missing"
        );
    }
}

#[test]
fn compiling_twice_gives_identical_bytes() {
    for kind in [
        OutputKind::Workflow,
        OutputKind::WorkflowTemplate,
        OutputKind::CronWorkflow,
    ] {
        let options = CompileOptions {
            kind,
            ..CompileOptions::default()
        };
        assert_eq!(compile(&options), compile(&options));
    }
}

#[test]
fn commit_and_rollout_run_only_on_master_and_train_asks_for_a_gpu() {
    let doc = parse(&compile(&CompileOptions::default()));
    let tasks = doc["spec"]["templates"][0]["dag"]["tasks"]
        .as_array()
        .cloned()
        .unwrap_or_default();
    for t in &tasks {
        let when = t["when"].as_str();
        match t["name"].as_str() {
            Some("commit-changes" | "rollout") => {
                assert_eq!(when, Some("'{{workflow.parameters.pr}}' == ''"))
            }
            _ => assert_eq!(when, None, "{}", t["name"]),
        }
    }
    let templates = doc["spec"]["templates"]
        .as_array()
        .cloned()
        .unwrap_or_default();
    let train = templates
        .iter()
        .find(|t| t["name"] == "train")
        .cloned()
        .unwrap_or_default();
    assert_eq!(
        train["container"]["resources"]["limits"]["nvidia.com/gpu"],
        "1"
    );
    let spec: Value = serde_json::from_str(
        doc["metadata"]["annotations"][kpipe_compiler::KFP_PIPELINE_SPEC]
            .as_str()
            .unwrap_or_default(),
    )
    .unwrap_or_default();
    let inputs: Vec<&str> = spec["inputs"]
        .as_array()
        .into_iter()
        .flatten()
        .filter_map(|i| i["name"].as_str())
        .collect();
    assert_eq!(
        inputs,
        [
            "pr", "commit", "repo", "offline", "push", "dry-run", "device"
        ]
    );
    let outputs: Vec<&str> = train["outputs"]["artifacts"]
        .as_array()
        .into_iter()
        .flatten()
        .filter_map(|a| a["name"].as_str())
        .collect();
    assert!(outputs.contains(&"mlpipeline-metrics") && outputs.contains(&"mlpipeline-ui-metadata"));
    // Secrets are references only: no value appears in the manifest.
    let text = compile(&CompileOptions::default());
    assert!(text.contains("secretName: github-token"));
}

/// Every container's args, with Argo's `{{…}}` filled in as Argo would
/// (each parameter a value of its type), parse with `kpipe-step`'s parser.
#[test]
fn compiled_args_parse_with_the_step_binary() {
    let doc = parse(&compile(&CompileOptions::default()));
    let templates = doc["spec"]["templates"]
        .as_array()
        .cloned()
        .unwrap_or_default();
    let mut checked = 0;
    for t in templates.iter().filter(|t| t.get("container").is_some()) {
        assert_eq!(t["container"]["command"][0], "kpipe-step");
        for values in [
            [
                ("pr", ""),
                ("commit", ""),
                ("repo", "/data"),
                ("offline", "true"),
                ("push", "false"),
                ("dry-run", "true"),
                ("device", "cpu"),
            ],
            [
                ("pr", "123"),
                ("commit", "0123abc"),
                ("repo", "git@h:o/r.git"),
                ("offline", "false"),
                ("push", "true"),
                ("dry-run", "false"),
                ("device", "auto"),
            ],
        ] {
            let args: Vec<String> = t["container"]["args"]
                .as_array()
                .into_iter()
                .flatten()
                .filter_map(|a| a.as_str())
                .map(|a| {
                    values.iter().fold(a.to_owned(), |a, (name, value)| {
                        a.replace(&format!("{{{{inputs.parameters.{name}}}}}"), value)
                    })
                })
                .collect();
            assert!(!args.iter().any(|a| a.contains("{{")), "{args:?}");
            let argv = std::iter::once("kpipe-step".to_owned()).chain(args.iter().cloned());
            if let Err(e) = kpipe_steps::steps()
                .command("kpipe-step")
                .try_get_matches_from(argv)
            {
                panic!("{}: {args:?}\n{e}", t["name"]);
            }
        }
        checked += 1;
    }
    assert_eq!(checked, 9);
}
