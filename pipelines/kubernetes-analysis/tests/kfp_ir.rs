use kpipe_testkit::{CommandExt, text};
use std::collections::{BTreeMap, BTreeSet};
use std::path::{Path, PathBuf};
use std::process::Command;

use kpipe_compiler::lint::{LintIssue, lint_kfp, parse_yaml_documents};
use kpipe_compiler::{CompileOptions, DiagnosticKind, KfpFeature, KfpOptions, Target};
use kpipe_pipelines::kubernetes_analysis;
use serde_json::{Value, json};

use crate::cli::{kpipe, lint_names_each_path};
use crate::kubernetes_analysis::closure;

/// kfp 2.17.3's IR of the kubernetes-analysis shape (`fixtures/reference/kfp2/`).
fn reference_path() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/fixtures/reference/kfp2/kfp2-ir.yaml")
}

/// kfp 2.17.3's IR of a small pipeline with a condition (the compiler's lint fixture).
fn small_reference_path() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR"))
        .join("../../compiler/src/lint/kfp/testdata/kfp2-small.yaml")
}

fn read(path: &Path) -> String {
    std::fs::read_to_string(path).unwrap_or_else(|e| panic!("{}: {e}", path.display()))
}

fn docs(yaml: &str) -> Vec<Value> {
    parse_yaml_documents(yaml).unwrap_or_else(|e| panic!("not YAML: {e:?}\n{yaml}"))
}

fn kfp_compiled() -> kpipe_compiler::Compiled {
    match kubernetes_analysis::pipeline().compile_kfp(&KfpOptions::default()) {
        Ok(c) => c,
        Err(e) => panic!("{e}"),
    }
}

/// `kpipe compile kubernetes-analysis --target kfp OPTIONS… -o DIR/ka.yaml`,
/// which must succeed: the file, and what kpipe said (its warnings).
fn compile_kfp(dir: &Path, options: &[&str]) -> (PathBuf, String) {
    let file = dir.join("ka.yaml");
    let mut args = vec!["compile", "kubernetes-analysis", "--target", "kfp"];
    args.extend(options);
    let path = file.to_string_lossy();
    args.extend(["-o", &path]);
    let out = kpipe(&args);
    assert!(out.status.success(), "{}", text(&out.stderr));
    (file, text(&out.stderr))
}

/// Every executor task of an IR, across its DAGs, with the tasks it waits
/// for: a DAG task's `dependentTasks` apply to every task inside it, in
/// both directions.
fn task_graph(spec: &Value) -> BTreeMap<String, BTreeSet<String>> {
    let components = &spec["components"];
    // The executor tasks inside a DAG node (a task or a sub-DAG).
    fn leaves(components: &Value, name: &str, task: &Value) -> Vec<String> {
        let comp = &components[task["componentRef"]["name"].as_str().unwrap_or_default()];
        match comp["dag"]["tasks"].as_object() {
            Some(tasks) => tasks
                .iter()
                .flat_map(|(n, t)| leaves(components, n, t))
                .collect(),
            None => vec![name.to_owned()],
        }
    }
    fn walk(components: &Value, dag: &Value, out: &mut BTreeMap<String, BTreeSet<String>>) {
        let Some(tasks) = dag["tasks"].as_object() else {
            return;
        };
        for (name, task) in tasks {
            let mine = leaves(components, name, task);
            for t in &mine {
                out.entry(t.clone()).or_default();
            }
            for dep in task["dependentTasks"].as_array().into_iter().flatten() {
                let dep = dep.as_str().unwrap_or_default();
                for d in leaves(components, dep, &tasks[dep]) {
                    for t in &mine {
                        out.entry(t.clone()).or_default().insert(d.clone());
                    }
                }
            }
            let comp = &components[task["componentRef"]["name"].as_str().unwrap_or_default()];
            walk(components, &comp["dag"], out);
        }
    }
    let mut out = BTreeMap::new();
    walk(components, &spec["root"]["dag"], &mut out);
    out
}

#[test]
fn kubernetes_analysis_has_the_reference_tasks_and_dependencies() {
    let mut reference = task_graph(&docs(&read(&reference_path()))[0]);
    // The reference calls its predict-test task `predict`.
    if let Some(deps) = reference.remove("predict") {
        reference.insert("predict-test".into(), deps);
    }
    for deps in reference.values_mut() {
        if deps.remove("predict") {
            deps.insert("predict-test".into());
        }
    }
    let compiled = kfp_compiled();
    let ours = task_graph(&docs(&compiled.yaml)[0]);
    let names = |g: &BTreeMap<String, BTreeSet<String>>| g.keys().cloned().collect::<Vec<_>>();
    assert_eq!(names(&ours), names(&reference));
    assert_eq!(ours.len(), 9);
    // The same ordering constraints.
    assert_eq!(closure(&ours), closure(&reference));
    // Tasks of the root DAG wait only for tasks the reference's wait for
    // directly (the reference also lists `checkout` everywhere, as each of
    // its steps copies the repository).
    let spec = &docs(&compiled.yaml)[0];
    for (task, t) in spec["root"]["dag"]["tasks"]
        .as_object()
        .into_iter()
        .flatten()
    {
        if !task.starts_with("condition-") {
            for d in t["dependentTasks"].as_array().into_iter().flatten() {
                let d = d.as_str().unwrap_or_default();
                assert!(
                    reference[task].contains(d),
                    "{task} waits for {d}; the reference does not"
                );
            }
        }
    }
}

/// The Argo workflow's template `name`.
fn template<'a>(argo: &'a Value, name: &str) -> &'a Value {
    argo["spec"]["templates"]
        .as_array()
        .and_then(|ts| ts.iter().find(|t| t["name"] == name))
        .unwrap_or_else(|| panic!("no template {name}"))
}

#[test]
fn kubernetes_analysis_keeps_what_the_argo_workflow_has() {
    let argo_yaml = match kubernetes_analysis::pipeline().compile(&CompileOptions::default()) {
        Ok(y) => y,
        Err(e) => panic!("{e}"),
    };
    let argo = &docs(&argo_yaml)[0];
    let compiled = kfp_compiled();
    let all = docs(&compiled.yaml);
    let (spec, platform) = (&all[0], &all[1]);
    let executors = &platform["platforms"]["kubernetes"]["deploymentSpec"]["executors"];
    let volumes: BTreeMap<&str, &Value> = argo["spec"]["volumes"]
        .as_array()
        .into_iter()
        .flatten()
        .filter_map(|v| Some((v["name"].as_str()?, v)))
        .collect();

    // Every secret mount, at the same path, of the same secret; its mode
    // is a warned loss.
    let mut secret_mounts = 0;
    for t in argo["spec"]["templates"].as_array().into_iter().flatten() {
        let name = t["name"].as_str().unwrap_or_default();
        for m in t["container"]["volumeMounts"]
            .as_array()
            .into_iter()
            .flatten()
        {
            let Some(v) = volumes.get(m["name"].as_str().unwrap_or_default()) else {
                continue;
            };
            let secret = v["secret"]["secretName"].as_str().unwrap_or_default();
            let kfp = executors[format!("exec-{name}")]["secretAsVolume"]
                .as_array()
                .cloned()
                .unwrap_or_default();
            assert!(
                kfp.iter().any(|s| s["mountPath"] == m["mountPath"]
                    && s["secretName"] == secret
                    && s["secretNameParameter"]["runtimeValue"]["constant"] == secret),
                "{name}: secret {secret} at {} is not mounted: {kfp:?}",
                m["mountPath"]
            );
            secret_mounts += 1;
            if let Some(mode) = v["secret"]["defaultMode"].as_u64() {
                let warned = compiled.warnings.iter().any(|w| {
                    w.kind
                        == DiagnosticKind::Kfp {
                            task: Some(name.to_owned()),
                            feature: KfpFeature::SecretDefaultMode {
                                volume: m["name"].as_str().unwrap_or_default().to_owned(),
                                mode: mode as u32,
                            },
                        }
                });
                assert!(
                    warned,
                    "{name}: the lost mode {mode:o} is not warned: {:#?}",
                    compiled.warnings
                );
            }
        }
    }
    assert_eq!(secret_mounts, 4);

    // The GPU and its toleration on train.
    let train = template(argo, "train");
    let gpus = train["container"]["resources"]["limits"]["nvidia.com/gpu"]
        .as_str()
        .unwrap_or_default();
    let acc =
        &spec["deploymentSpec"]["executors"]["exec-train"]["container"]["resources"]["accelerator"];
    assert_eq!(
        (acc["resourceType"].as_str(), acc["resourceCount"].as_str()),
        (Some("nvidia.com/gpu"), Some(gpus))
    );
    assert_eq!(executors["exec-train"]["tolerations"], train["tolerations"]);
    assert_eq!(
        executors["exec-train"]["activeDeadlineSeconds"],
        json!(train["activeDeadlineSeconds"].to_string())
    );

    // The retry on update-api.
    let retry = &template(argo, "update-api")["retryStrategy"];
    assert_eq!(retry["limit"], "3");
    assert_eq!(
        spec["root"]["dag"]["tasks"]["update-api"]["retryPolicy"],
        json!({"backoffDuration": "60s", "backoffFactor": 2.0, "backoffMaxDuration": "1800s", "maxRetryCount": 3})
    );

    // commit-changes and rollout run only when pr is empty, and only they.
    let root = spec["root"]["dag"]["tasks"]
        .as_object()
        .cloned()
        .unwrap_or_default();
    let conditional: Vec<(&String, &Value)> = root
        .iter()
        .filter(|(_, t)| t.get("triggerPolicy").is_some())
        .collect();
    assert_eq!(conditional.len(), 1, "{conditional:?}");
    let (name, cond) = conditional[0];
    assert_eq!(
        cond["triggerPolicy"]["condition"],
        "inputs.parameter_values['pipelinechannel--pr'] == ''"
    );
    assert_eq!(
        cond["inputs"]["parameters"]["pipelinechannel--pr"]["componentInputParameter"],
        "pr"
    );
    let inner: Vec<&String> = spec["components"][format!("comp-{name}")]["dag"]["tasks"]
        .as_object()
        .map(|t| t.keys().collect())
        .unwrap_or_default();
    assert_eq!(inner, ["commit-changes", "rollout"]);
    for t in ["commit-changes", "rollout"] {
        assert_eq!(
            template(argo, "kubernetes-analysis")["dag"]["tasks"]
                .as_array()
                .and_then(|ts| ts.iter().find(|x| x["name"] == t))
                .map(|x| x["when"].clone()),
            Some(json!("'{{workflow.parameters.pr}}' == ''"))
        );
    }
}

fn problems(yaml: &str) -> Vec<String> {
    lint_kfp(yaml).iter().map(LintIssue::to_string).collect()
}

#[test]
fn lint_accepts_both_references_and_every_compiled_ir() {
    for path in [reference_path(), small_reference_path()] {
        let out = kpipe(&["lint", &path.to_string_lossy()]);
        assert!(
            out.status.success(),
            "{}: {}",
            path.display(),
            text(&out.stderr)
        );
        assert!(
            text(&out.stdout).contains(": ok (Kubeflow Pipelines v2 IR, KFP 2.17)"),
            "{}",
            text(&out.stdout)
        );
    }
    let dir = tempfile::tempdir().unwrap_or_else(|e| panic!("{e}"));
    let (file, warnings) = compile_kfp(dir.path(), &[]);
    assert!(warnings.contains(
        "warning[kpipe::kfp-loss]: step `checkout` (target kfp): secret volume `ssh-key`"
    ));
    let out = kpipe(&["lint", &file.to_string_lossy()]);
    assert!(out.status.success(), "{}", text(&out.stderr));
    for (name, p) in every_pipeline() {
        let c = p
            .compile_kfp(&KfpOptions::default())
            .unwrap_or_else(|e| panic!("{name}: {e}"));
        assert_eq!(problems(&c.yaml), Vec::<String>::new(), "{name}");
        // Validation for the KFP target runs the same checks.
        let validated = p.validate_for(&Target::Kfp(KfpOptions::default()));
        assert_eq!(validated.as_ref().ok(), Some(&c.warnings), "{name}");
    }
}

/// Each broken copy of the reference exits 1 naming the path of the problem.
#[test]
fn lint_rejects_broken_copies_of_the_reference() {
    let original = read(&reference_path());
    let cases = [
        (
            "misspelt key in the pipeline part",
            "      build-image:\n        cachingOptions:",
            "      build-image:\n        cachingOption:",
            "root.dag.tasks[build-image].cachingOption",
            "unknown key `cachingOption`",
        ),
        (
            "misspelt key in deploymentSpec",
            "            resourceType: nvidia.com/gpu",
            "            resourceTyp: nvidia.com/gpu",
            "deploymentSpec.executors[exec-train].container.resources.accelerator.resourceTyp",
            "unknown key `resourceTyp`",
        ),
        (
            "misspelt key in the platform part",
            "          imagePullPolicy: Always",
            "          imagePullPolicey: Always",
            "platforms[kubernetes].deploymentSpec.executors[exec-build-image].imagePullPolicey",
            "unknown key `imagePullPolicey`",
        ),
        (
            "missing dependency",
            "        - predict\n        - train",
            "        - predikt\n        - train",
            "root.dag.tasks[build-image].dependentTasks[1]",
            "`predikt` is not a task of this DAG",
        ),
        (
            "cycle",
            "        componentRef:\n          name: comp-checkout\n",
            "        componentRef:\n          name: comp-checkout\n        dependentTasks:\n        - rollout\n",
            "root.dag.tasks",
            "dependencies form a cycle: ",
        ),
    ];
    lint_names_each_path(&original, &cases);
}

#[test]
fn compile_target_kfp_takes_the_image_and_ignores_argo_options() {
    let dir = tempfile::tempdir().unwrap_or_else(|e| panic!("{e}"));
    let options = [
        "--kind",
        "cron",
        "--image",
        "registry.example/kpipe-step:dev",
    ];
    let (file, err) = compile_kfp(dir.path(), &options);
    let yaml = read(&file);
    assert_eq!(
        yaml,
        kpipe_compiler::Pipeline::compile_kfp(
            &kubernetes_analysis::pipeline(),
            &KfpOptions {
                image: Some("registry.example/kpipe-step:dev".into()),
                ..KfpOptions::default()
            },
        )
        .map(|c| c.yaml)
        .unwrap_or_default()
    );
    assert!(
        yaml.starts_with("components:") && !yaml.contains("CronWorkflow"),
        "{yaml}"
    );
    // Its steps run the pipeline's image, which --image replaces.
    assert!(
        yaml.contains("image: registry.example/kpipe-step:dev"),
        "{yaml}"
    );
    assert!(
        err.contains("the schedule is not part of the KFP IR"),
        "{err}"
    );
}

/// Every compiled IR (with KFP's cache and without) and both references (the
/// kubernetes-analysis one also with its cache turned off by kpipe), checked
/// by kfp 2.17.3 itself:
/// protobuf's strict JSON parser on each document and executor config, and
/// `kfp.components.load_component_from_file`.
#[test]
#[ignore = "needs kfp 2.17.3: KPIPE_KFP2_PYTHON (.ci/run sets it)"]
fn every_ir_parses_with_kfp_2_17() {
    let python = std::env::var("KPIPE_KFP2_PYTHON")
        .unwrap_or_else(|_| panic!("set KPIPE_KFP2_PYTHON to a python with kfp==2.17.3, kfp-pipeline-spec==2.17.3 and kfp-kubernetes==2.17.3"));
    let dir = tempfile::tempdir().unwrap_or_else(|e| panic!("{e}"));
    let mut files = vec![reference_path(), small_reference_path()];
    let mut write = |name: String, yaml: String| {
        let file = dir.path().join(format!("{name}.yaml"));
        std::fs::write(&file, yaml).unwrap_or_else(|e| panic!("{e}"));
        files.push(file);
    };
    // Every pipeline, cached as kfp compiles it and without the cache.
    for (name, p) in every_pipeline() {
        for no_cache in [false, true] {
            let options = KfpOptions {
                no_cache,
                ..KfpOptions::default()
            };
            let yaml = p
                .compile_kfp(&options)
                .map(|c| c.yaml)
                .unwrap_or_else(|e| panic!("{name}: {e}"));
            write(format!("{name}-no-cache-{no_cache}"), yaml);
        }
    }
    // kfp's own IR with its cache turned off, as `submit --kfp --no-cache`
    // sends a file.
    let off = kpipe_compiler::disable_kfp_caching(&read(&reference_path()))
        .unwrap_or_else(|e| panic!("{e}"));
    write("reference-no-cache".to_owned(), off);
    let script = Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/kfp_ir_check.py");
    let out = Command::new(&python)
        .arg(script)
        .args(&files)
        .output_within(kpipe_testkit::RUN);
    let report = format!("{}{}", text(&out.stdout), text(&out.stderr));
    assert!(out.status.success(), "{report}");
    assert!(
        report.contains(&format!("{n} of {n} IR files parse", n = files.len())),
        "{report}"
    );
}

/// Only train gets KFP's executor input (`{{$}}`), and only on KFP: the
/// Argo workflow (and so `kpipe run --local`) leaves the argument out.
#[test]
fn train_gets_the_executor_input_only_on_kfp() {
    let spec = &docs(&kfp_compiled().yaml)[0];
    let mut given = Vec::new();
    for (label, exec) in spec["deploymentSpec"]["executors"]
        .as_object()
        .into_iter()
        .flatten()
    {
        for arg in exec["container"]["args"].as_array().into_iter().flatten() {
            if arg.as_str().is_some_and(|a| a.contains("{{$}}")) {
                given.push((label.as_str(), arg.clone()));
            }
        }
    }
    assert_eq!(given, [("exec-train", json!("--kfp-executor-input={{$}}"))]);
    // It reports on these two outputs, found by their type.
    let outputs = &spec["components"]["comp-train"]["outputDefinitions"]["artifacts"];
    for (name, title) in [
        ("mlpipeline-metrics", "system.Metrics"),
        ("mlpipeline-ui-metadata", "system.ClassificationMetrics"),
    ] {
        assert_eq!(outputs[name]["artifactType"]["schemaTitle"], title);
    }
    let argo_yaml = kubernetes_analysis::pipeline()
        .compile(&CompileOptions::default())
        .unwrap_or_else(|e| panic!("{e}"));
    assert!(!argo_yaml.contains("kfp-executor-input"), "{argo_yaml}");
    let argo = docs(&argo_yaml);
    let train = template(&argo[0], "train");
    assert_eq!(
        train["container"]["args"].as_array().map(Vec::len),
        spec["deploymentSpec"]["executors"]["exec-train"]["container"]["args"]
            .as_array()
            .map(|a| a.len() - 1)
    );
}

/// train under KFP 2.17's launcher, emulated from its sources with kfp
/// 2.17.3's protos (`kfp_executor_check.py`): given the executor input
/// through `{{$}}`, it writes an `ExecutorOutput` that parses strictly and
/// holds the scalar metrics, confusion matrix and ROC curve as kfp's own
/// `Metrics` and `ClassificationMetrics` write them.
#[test]
#[ignore = "needs kfp 2.17.3: KPIPE_KFP2_PYTHON (.ci/run sets it)"]
fn train_reports_its_metrics_through_kfp_2_17s_executor_output() {
    let python = std::env::var("KPIPE_KFP2_PYTHON").unwrap_or_else(|_| {
        panic!("set KPIPE_KFP2_PYTHON to a python with kfp==2.17.3 and kfp-pipeline-spec==2.17.3")
    });
    let dir = tempfile::tempdir().unwrap_or_else(|e| panic!("{e}"));
    let ir = dir.path().join("ka.yaml");
    std::fs::write(&ir, kfp_compiled().yaml).unwrap_or_else(|e| panic!("{e}"));
    // The first 600 training notes: enough for both classes on both sides
    // of the split, quick to train.
    let notes = read(
        &Path::new(env!("CARGO_MANIFEST_DIR")).join("data/release-notes-train-1.14-1.27.jsonl"),
    );
    let data = dir.path().join("notes.jsonl");
    let sample: String = notes.lines().take(600).map(|l| format!("{l}\n")).collect();
    std::fs::write(&data, sample).unwrap_or_else(|e| panic!("{e}"));
    let script = Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/kfp_executor_check.py");
    let out = Command::new(&python)
        .arg(script)
        .arg(&ir)
        .arg(crate::local_run::step_binary())
        .arg(&data)
        .arg(dir.path().join("work"))
        .output_within(kpipe_testkit::RUN);
    let report = format!("{}{}", text(&out.stdout), text(&out.stderr));
    assert!(out.status.success(), "{report}");
    assert!(report.contains("executor output: ok"), "{report}");
}

/// The examples that use Argo-only features: `retries` passes Argo's
/// attempt number (`{{retries}}`), which KFP v2 does not have.
const ARGO_ONLY: [&str; 1] = ["retries"];

/// Every pipeline of the `kpipe` binary (kubernetes-analysis and the
/// examples) that compiles for KFP, built as `kpipe compile` builds them.
fn every_pipeline() -> Vec<(String, kpipe::Pipeline)> {
    let app = kpipe_pipelines::app();
    app.pipelines()
        .into_iter()
        .filter(|(name, _)| !ARGO_ONLY.contains(name))
        .map(|(name, _)| {
            let p = app
                .build_pipeline(Some(name))
                .unwrap_or_else(|e| panic!("{e:#}"));
            (name.to_owned(), p)
        })
        .collect()
}

#[test]
fn argo_only_examples_say_why_they_do_not_compile_for_kfp() {
    let out = kpipe(&["compile", "retries", "--target", "kfp"]);
    assert_eq!(out.status.code(), Some(1));
    let err = text(&out.stderr);
    assert!(err.contains("step `fetch` (target kfp)"), "{err}");
    assert!(err.contains("{{retries}}"), "{err}");
}
