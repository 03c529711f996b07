use kpipe_testkit::{CommandExt, RUN, text};
use std::path::{Path, PathBuf};
use std::process::{Command, Output};

const KPIPE: &str = env!("CARGO_BIN_EXE_kpipe");

fn fixture(name: &str) -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR"))
        .join("tests/fixtures/reference")
        .join(name)
}

/// `kpipe ARGS…`, to its end.
pub(crate) fn kpipe(args: &[&str]) -> Output {
    Command::new(KPIPE).args(args).output_within(RUN)
}

/// `kpipe lint` of each broken copy of `original` — `(what, text, its
/// replacement, path, needle)`: the first `text` replaced — exits 1, and
/// the line of its output that mentions `needle` names `path`.
pub(crate) fn lint_names_each_path(original: &str, cases: &[(&str, &str, &str, &str, &str)]) {
    let dir = tempfile::tempdir().unwrap_or_else(|e| panic!("{e}"));
    for (what, from, to, path, needle) in cases {
        let broken = original.replacen(from, to, 1);
        assert_ne!(broken, original, "{what}: replacement did not apply");
        let file = dir.path().join("broken.yaml");
        std::fs::write(&file, &broken).unwrap_or_else(|e| panic!("{e}"));
        let out = kpipe(&["lint", &file.to_string_lossy()]);
        let err = text(&out.stderr);
        assert_eq!(out.status.code(), Some(1), "{what}: {err}");
        let line = err
            .lines()
            .find(|l| l.contains(needle))
            .unwrap_or_else(|| panic!("{what}: no line mentions {needle}:\n{err}"));
        assert!(line.contains(&format!(": {path}: ")), "{what}: {line}");
    }
}

/// Writes `content` to a file in a fresh temporary directory.
fn temp_file(content: &str) -> (tempfile::TempDir, PathBuf) {
    let dir = match tempfile::tempdir() {
        Ok(d) => d,
        Err(e) => panic!("{e}"),
    };
    let path = dir.path().join("workflow.yaml");
    if let Err(e) = std::fs::write(&path, content) {
        panic!("{e}");
    }
    (dir, path)
}

fn reference() -> String {
    std::fs::read_to_string(fixture("data_pipeline.yaml")).expect("the reference pipeline fixture")
}

#[test]
fn lint_accepts_the_original_pipeline_and_kfp_output() {
    for file in ["data_pipeline.yaml", "compiled-example.yaml"] {
        let path = fixture(file);
        let out = kpipe(&["lint", "--argo", "all", &path.to_string_lossy()]);
        assert!(out.status.success(), "{file}: {}", text(&out.stderr));
        assert!(text(&out.stdout).contains(": ok"));
    }
}

#[test]
fn lint_accepts_what_compile_writes() {
    let dir = tempfile::tempdir().ok();
    let Some(dir) = dir else { panic!("tempdir") };
    let file = dir.path().join("ka.yaml");
    let out = kpipe(&[
        "compile",
        "kubernetes-analysis",
        "-o",
        &file.to_string_lossy(),
    ]);
    assert!(out.status.success(), "{}", text(&out.stderr));
    let out = kpipe(&["lint", "--argo", "all", &file.to_string_lossy()]);
    assert!(out.status.success(), "{}", text(&out.stderr));
}

/// Each broken copy exits 1 with a message naming the path of the problem.
#[test]
fn lint_rejects_broken_copies_naming_the_path() {
    let original = reference();
    let cases = [
        (
            "misspelt key",
            "imagePullPolicy: Always",
            "imagePulPolicy: Always",
            "spec.templates[0](build-image).container",
            "imagePulPolicy",
        ),
        (
            "wrong type",
            "defaultMode: 384",
            "defaultMode: rw-------",
            "spec.templates[0](build-image).volumes[3](ssh-key).secret.defaultMode",
            "is not of type",
        ),
        (
            "dependency on a missing task",
            "dependencies: [checkout, predict, train]",
            "dependencies: [checkout, predict, trian]",
            "spec.templates[3](kubernetes-analysis).dag.tasks[0](build-image).dependencies",
            "`trian`",
        ),
        (
            "cycle",
            "dependencies: [checkout]",
            "dependencies: [checkout, rollout]",
            "spec.templates[3](kubernetes-analysis).dag.tasks",
            "cycle: ",
        ),
        (
            "missing entrypoint",
            "entrypoint: kubernetes-analysis",
            "entrypoint: main",
            "spec.entrypoint",
            "`main`",
        ),
    ];
    lint_names_each_path(&original, &cases);
}

#[test]
fn lint_reports_bad_yaml_and_unknown_kinds_with_exit_1() {
    for (content, needle) in [
        (
            "apiVersion: argoproj.io/v1alpha1\nkind: Workflow\nspec: [1, 2\n",
            "not valid YAML",
        ),
        ("apiVersion: v1\nkind: Pod\n", "expected Workflow"),
    ] {
        let (_dir, file) = temp_file(content);
        let out = kpipe(&["lint", &file.to_string_lossy()]);
        assert_eq!(out.status.code(), Some(1));
        assert!(text(&out.stderr).contains(needle), "{}", text(&out.stderr));
    }
    let out = kpipe(&["lint", "/nonexistent/workflow.yaml"]);
    assert_eq!(out.status.code(), Some(1));
    assert!(text(&out.stderr).contains("cannot read /nonexistent/workflow.yaml"));
}

#[test]
fn compile_lists_pipelines_and_rejects_unknown_ones() {
    let out = kpipe(&["compile", "--list"]);
    assert!(out.status.success());
    let list = text(&out.stdout);
    let names: Vec<&str> = list
        .lines()
        .filter_map(|l| l.split_whitespace().next())
        .collect();
    assert_eq!(
        names,
        [
            "kubernetes-analysis",
            "hello",
            "diamond",
            "condition",
            "loops",
            "sweep",
            "retries",
            "gpu",
            "exit_handler",
            "cron",
            "functions"
        ],
        "{list}"
    );
    let out = kpipe(&["compile", "nope"]);
    assert_eq!(out.status.code(), Some(1));
    assert!(
        text(&out.stderr).contains(
            "unknown pipeline `nope`; known pipelines: kubernetes-analysis, hello, diamond, condition, loops, sweep, retries, gpu, exit_handler, cron, functions"
        ),
        "{}",
        text(&out.stderr)
    );
}

#[test]
fn new_refuses_bad_names_and_non_empty_directories_and_changes_nothing() {
    let tmp = tempfile::tempdir().unwrap_or_else(|e| panic!("{e}"));
    for (name, message) in [
        ("My_Demo", "cannot name the crate and its pipeline"),
        ("kpipe", "is reserved"),
    ] {
        let out = kpipe(&[
            "new",
            name,
            "--dir",
            &tmp.path().join("x").to_string_lossy(),
        ]);
        assert_eq!(out.status.code(), Some(1), "{name}");
        assert!(text(&out.stderr).contains(message), "{}", text(&out.stderr));
        assert!(!tmp.path().join("x").exists(), "nothing written for {name}");
    }
    let busy = tmp.path().join("busy");
    std::fs::create_dir_all(&busy).unwrap_or_else(|e| panic!("{e}"));
    std::fs::write(busy.join("notes.txt"), "mine").unwrap_or_else(|e| panic!("{e}"));
    let out = kpipe(&["new", "demo", "--dir", &busy.to_string_lossy()]);
    assert_eq!(out.status.code(), Some(1));
    assert!(
        text(&out.stderr).contains("is not empty"),
        "{}",
        text(&out.stderr)
    );
    let left: Vec<_> = std::fs::read_dir(&busy)
        .map(|d| d.flatten().map(|e| e.file_name()).collect())
        .unwrap_or_default();
    assert_eq!(left, ["notes.txt"]);
    let out = kpipe(&[
        "new",
        "demo",
        "--dir",
        &tmp.path().join("ok").to_string_lossy(),
        "--kpipe-path",
        "/nonexistent",
    ]);
    assert_eq!(out.status.code(), Some(1));
    assert!(
        text(&out.stderr).contains("--kpipe-path /nonexistent does not exist"),
        "{}",
        text(&out.stderr)
    );
}

#[test]
fn new_writes_a_crate_depending_on_this_checkout() {
    let tmp = tempfile::tempdir().unwrap_or_else(|e| panic!("{e}"));
    let dir = tmp.path().join("fraud-scoring");
    let out = kpipe(&["new", "fraud-scoring", "--dir", &dir.to_string_lossy()]);
    assert!(out.status.success(), "{}", text(&out.stderr));
    for file in [
        "Cargo.toml",
        "src/main.rs",
        "src/pipeline.rs",
        "src/steps.rs",
        "src/snapshots/fraud-scoring.snap",
        "Containerfile",
        "README.md",
        ".gitignore",
    ] {
        assert!(dir.join(file).is_file(), "{file}");
    }
    // The checkout this kpipe was built from, by path, and `new` says so.
    let kpipe_crate = std::path::Path::new(env!("CARGO_MANIFEST_DIR"))
        .join("../kpipe")
        .canonicalize()
        .expect("this checkout's pipelines/kpipe");
    let cargo =
        std::fs::read_to_string(dir.join("Cargo.toml")).expect("the new project's Cargo.toml");
    assert!(
        cargo.contains(&format!(
            "kpipe = {{ path = \"{}\" }}",
            kpipe_crate.display()
        )),
        "{cargo}"
    );
    assert!(
        text(&out.stdout).contains(&format!(
            "depending on kpipe at {} (the checkout this kpipe was built from",
            kpipe_crate.display()
        )),
        "{}",
        text(&out.stdout)
    );
}

#[test]
fn compile_options_change_the_output() {
    let out = kpipe(&[
        "compile",
        "--kind",
        "cron",
        "--schedule",
        "0 6 * * 1",
        "--image",
        "registry.local/kpipe-step:dev",
    ]);
    assert!(out.status.success(), "{}", text(&out.stderr));
    let yaml = text(&out.stdout);
    assert!(yaml.contains("kind: CronWorkflow"));
    assert!(yaml.contains("schedule: 0 6 * * 1"));
    assert!(yaml.contains("image: registry.local/kpipe-step:dev"));
    assert!(!yaml.contains("ghcr.io/kpipe/kpipe-step"));
    let out = kpipe(&["compile", "--kind", "cron", "--argo", "4"]);
    assert!(text(&out.stdout).contains("schedules:\n  - 0 3 * * *"));
    let out = kpipe(&["compile", "--kind", "template"]);
    assert!(
        text(&out.stdout)
            .contains("kind: WorkflowTemplate\nmetadata:\n  name: kubernetes-analysis")
    );
    // KFP's cache: on for every step but those with `.cache(false)`, or off.
    let out = kpipe(&["compile", "hello", "--target", "kfp"]);
    assert_eq!(text(&out.stdout).matches("enableCache: true").count(), 2);
    let out = kpipe(&["compile", "hello", "--target", "kfp", "--no-cache"]);
    assert!(out.status.success(), "{}", text(&out.stderr));
    let ir = text(&out.stdout);
    assert!(
        !ir.contains("enableCache") && ir.contains("cachingOptions: {}"),
        "{ir}"
    );
    let out = kpipe(&["compile", "hello", "--no-cache"]);
    assert_eq!(out.status.code(), Some(1));
    assert!(
        text(&out.stderr).contains(
            "error: --no-cache turns Kubeflow Pipelines' execution cache off: add --target kfp"
        ),
        "{}",
        text(&out.stderr)
    );
}

#[test]
fn graph_formats() {
    let out = kpipe(&["graph", "kubernetes-analysis", "--format", "mermaid"]);
    assert!(out.status.success());
    assert!(text(&out.stdout).starts_with("flowchart LR"));
    let out = kpipe(&["graph", "--format", "dot"]);
    assert!(text(&out.stdout).contains("\"train\" -> \"predict-test\""));
    let out = kpipe(&["graph", "--format", "svg"]);
    assert!(out.status.success());
    let svg = text(&out.stdout);
    assert!(svg.starts_with("<?xml version=\"1.0\" encoding=\"UTF-8\"?>\n<svg "));
    assert!(svg.contains("data-task=\"train\" data-state=\"none\""));
    assert!(svg.trim_end().ends_with("</svg>"));
}
