//! `kpipe run --local` end to end with the real kpipe-step, on the embedded
//! defaults; and a forced failure that must stop the failed step's dependants.

use kpipe_testkit::{CommandExt, RUN, text};
use std::path::{Path, PathBuf};
use std::process::{Command, Output};
use std::sync::OnceLock;

const KPIPE: &str = env!("CARGO_BIN_EXE_kpipe");

/// The kpipe-step of this workspace. `cargo test --workspace` (and nextest)
/// build it next to kpipe; when it is missing or older than the steps'
/// sources (only this package's tests were built), it is built here (about
/// 3 minutes cold on 2 cores, hence this test's longer timeout in
/// .config/nextest.toml).
pub(crate) fn step_binary() -> &'static Path {
    static BIN: OnceLock<PathBuf> = OnceLock::new();
    BIN.get_or_init(|| {
        let dir = Path::new(KPIPE)
            .parent()
            .map(Path::to_path_buf)
            .unwrap_or_default();
        let bin = dir.join("kpipe-step");
        let steps = Path::new(env!("CARGO_MANIFEST_DIR")).join("../../steps");
        let built = modified(&bin);
        if built.is_some() && newest(&steps) <= built {
            return bin;
        }
        let cargo = std::env::var("CARGO").unwrap_or_else(|_| "cargo".into());
        let profile = if dir.ends_with("release") {
            vec!["--release"]
        } else {
            vec![]
        };
        let out = Command::new(cargo)
            .args(["build", "-q", "-p", "kpipe-steps", "--bin", "kpipe-step"])
            .args(profile)
            .output_within(RUN);
        assert!(
            out.status.success() && bin.is_file(),
            "kpipe-step was not built at {}: {}",
            bin.display(),
            text(&out.stderr)
        );
        bin
    })
}

fn modified(p: &Path) -> Option<std::time::SystemTime> {
    std::fs::metadata(p).and_then(|m| m.modified()).ok()
}

/// The newest modification time of the sources under `dir` (`src/`, the
/// contract, manifests), skipping tests, benches and fixtures.
fn newest(dir: &Path) -> Option<std::time::SystemTime> {
    let mut newest = modified(&dir.join("Cargo.toml"));
    let mut stack = vec![dir.join("src"), dir.join("contract/src")];
    while let Some(d) = stack.pop() {
        for e in std::fs::read_dir(&d).into_iter().flatten().flatten() {
            let p = e.path();
            if p.is_dir() {
                stack.push(p);
            } else {
                newest = newest.max(modified(&p));
            }
        }
    }
    newest
}

/// `kpipe run kubernetes-analysis --local` in `workdir` with `step` as the
/// step binary.
pub(crate) fn run(workdir: &Path, step: &Path, extra: &[&str]) -> Output {
    Command::new(KPIPE)
        .args(["run", "kubernetes-analysis", "--local"])
        .arg(format!("--workdir={}", workdir.display()))
        .arg(format!("--step-binary={}", step.display()))
        .args(extra)
        .output_within(RUN)
}

#[test]
fn the_whole_pipeline_runs_on_the_embedded_defaults() {
    let tmp = tempfile::tempdir().unwrap_or_else(|e| panic!("{e}"));
    let out = run(tmp.path(), step_binary(), &[]);
    let (stdout, stderr) = (text(&out.stdout), text(&out.stderr));
    assert!(out.status.success(), "{stdout}\n{stderr}");
    for task in crate::kubernetes_analysis::TASKS {
        let row = stdout
            .lines()
            .find(|l| l.starts_with(&format!("{task} ")))
            .unwrap_or_default();
        assert!(row.contains(" ok "), "{task}: {row}\n{stdout}");
    }
    assert!(stdout.contains("train metrics"), "{stdout}");
    assert!(stdout.contains("roc-auc"));
    // The run report draws train's confusion matrix and its ROC curve (the
    // v1 UI metadata's inline `roc` entry, 101 thresholds).
    let report = std::fs::read_to_string(tmp.path().join("report.html")).unwrap_or_default();
    assert!(
        report.contains("<table class=\"confusion-matrix\">"),
        "no confusion matrix in report.html"
    );
    assert!(
        report.contains("<figure class=\"roc\">")
            && report.contains("<figcaption>101 points</figcaption>"),
        "no ROC curve of 101 points in report.html"
    );
    assert!(
        stderr.contains("[update-data] Parsed 0 issues and 6290 pull requests (6290 items)"),
        "{stderr}"
    );
    assert!(
        stderr.contains("[predict-test] Both test texts matched"),
        "{stderr}"
    );
    assert!(stderr.contains("[rollout] Dry run: nothing is applied"));
    assert!(stderr.contains("[build-image] Not pushing"));
    the_run_executed_the_compiled_workflow(tmp.path());
    let steps = tmp.path().join("steps");
    assert!(
        steps
            .join("build-image/root/kpipe/outputs/image/index.json")
            .is_file()
    );
    assert!(
        steps
            .join("update-assets/root/kpipe/outputs/assets/release-notes-stats.svg")
            .is_file()
    );
    // A PR run skips commit and rollout (`when`), like a presubmit. The PR
    // ref exists in the data repository as on GitHub.
    let repo = tmp.path().join("data-repo");
    let ok = Command::new("git")
        .args(["update-ref", "refs/pull/123/head", "HEAD"])
        .current_dir(&repo)
        .status()
        .is_ok_and(|s| s.success());
    assert!(ok);
    let out = run(
        tmp.path(),
        step_binary(),
        &["-p", "pr=123", "-p", "commit=abc123"],
    );
    let stdout = text(&out.stdout);
    assert!(out.status.success(), "{stdout}\n{}", text(&out.stderr));
    for task in ["commit-changes", "rollout"] {
        let row = stdout
            .lines()
            .find(|l| l.starts_with(&format!("{task} ")))
            .unwrap_or_default();
        assert!(row.contains("skipped"), "{row}");
    }
    // Unknown parameters are refused.
    let out = run(tmp.path(), step_binary(), &["-p", "nope=1"]);
    assert_eq!(out.status.code(), Some(1));
    let stderr = text(&out.stderr);
    assert!(
        stderr.contains(
            "kubernetes-analysis: unknown parameter `nope`; the pipeline declares: pr, commit, repo, offline, push, dry-run, device"
        ),
        "{stderr}"
    );
    // So are values of the wrong type, before any step runs.
    let out = run(tmp.path(), step_binary(), &["-p", "offline=yes"]);
    assert_eq!(out.status.code(), Some(1));
    let stderr = text(&out.stderr);
    assert!(
        stderr.contains(
            "kubernetes-analysis: -p offline=yes: `offline` is a bool parameter and `yes` is not true or false (e.g. -p offline=true)"
        ),
        "{stderr}"
    );
    assert!(!stderr.contains("[checkout]"), "{stderr}");
}

/// The workflow a local run records (`workflow.yaml`) is the one `kpipe
/// compile` writes, with the run's parameter values bound: the local run
/// executes what a cluster would, not a variant of it.
fn the_run_executed_the_compiled_workflow(workdir: &Path) {
    let compiled = Command::new(KPIPE)
        .args(["compile", "kubernetes-analysis"])
        .output_within(RUN);
    assert!(compiled.status.success(), "{}", text(&compiled.stderr));
    let ran = std::fs::read_to_string(workdir.join("workflow.yaml")).unwrap_or_default();
    let parse = |yaml: &str| -> serde_json::Value {
        serde_saphyr::from_str(yaml).unwrap_or_else(|e| panic!("{e}\n{yaml}"))
    };
    let (mut compiled, mut ran) = (parse(&text(&compiled.stdout)), parse(&ran));
    // Parameter name → value, taken out of both documents.
    let values = |doc: &mut serde_json::Value| -> Vec<(String, serde_json::Value)> {
        let params = doc
            .pointer_mut("/spec/arguments/parameters")
            .and_then(serde_json::Value::as_array_mut)
            .map(std::mem::take)
            .unwrap_or_default();
        params
            .into_iter()
            .map(|p| {
                (
                    p["name"].as_str().unwrap_or_default().to_owned(),
                    p["value"].clone(),
                )
            })
            .collect()
    };
    let (declared, bound) = (values(&mut compiled), values(&mut ran));
    assert_eq!(
        ran, compiled,
        "the run's workflow.yaml differs from `kpipe compile` beyond parameter values"
    );
    let names =
        |v: &[(String, serde_json::Value)]| v.iter().map(|(n, _)| n.clone()).collect::<Vec<_>>();
    assert_eq!(names(&bound), names(&declared));
    // The local profile's values are what differs.
    let value = |name: &str| {
        bound
            .iter()
            .find(|(n, _)| n == name)
            .map(|(_, v)| v.clone())
    };
    assert_eq!(value("offline"), Some(serde_json::json!("true")));
    assert_eq!(value("device"), Some(serde_json::json!("cpu")));
    let repo = workdir.join("data-repo");
    assert_eq!(
        value("repo"),
        Some(serde_json::json!(repo.to_string_lossy()))
    );
}

#[test]
fn a_failed_step_stops_its_dependants() {
    let tmp = tempfile::tempdir().unwrap_or_else(|e| panic!("{e}"));
    let wrapper = tmp.path().join("kpipe-step-failing-train");
    std::fs::write(
        &wrapper,
        format!(
            "#!/bin/sh\nif [ \"$1\" = train ]; then echo 'forced failure' >&2; exit 3; fi\nexec '{}' \"$@\"\n",
            step_binary().display()
        ),
    )
    .ok();
    Command::new("chmod").arg("+x").arg(&wrapper).status().ok();
    let out = run(&tmp.path().join("w"), &wrapper, &[]);
    let (stdout, stderr) = (text(&out.stdout), text(&out.stderr));
    assert_eq!(out.status.code(), Some(1), "{stdout}\n{stderr}");
    assert!(
        stderr.contains("error: kubernetes-analysis failed: step train failed"),
        "{stderr}"
    );
    assert!(stderr.contains("[train] forced failure"));
    let status = |task: &str| {
        stdout
            .lines()
            .find(|l| l.starts_with(&format!("{task} ")))
            .unwrap_or_default()
            .to_owned()
    };
    assert!(status("train").contains("FAILED"));
    assert!(
        status("update-assets").contains(" ok "),
        "independent steps still run"
    );
    for task in ["predict-test", "build-image", "commit-changes", "rollout"] {
        assert!(status(task).contains("not run"), "{task}: {}", status(task));
    }
}

/// `kpipe run NAME --local` in `workdir`: (exit code, stdout, stderr).
fn run_example(workdir: &Path, name: &str, extra: &[&str]) -> (Option<i32>, String, String) {
    let out = Command::new(KPIPE)
        .args(["run", name, "--local"])
        .arg(format!("--workdir={}", workdir.display()))
        .args(extra)
        .output_within(RUN);
    (out.status.code(), text(&out.stdout), text(&out.stderr))
}

/// The summary row of `task`.
fn row<'a>(stdout: &'a str, task: &str) -> &'a str {
    stdout
        .lines()
        .find(|l| l.starts_with(&format!("{task} ")))
        .unwrap_or_else(|| panic!("no row for {task}:\n{stdout}"))
}

fn output(workdir: &Path, task: &str, path: &str) -> String {
    std::fs::read_to_string(workdir.join("steps").join(task).join("root").join(path))
        .unwrap_or_else(|e| panic!("{task}: {path}: {e}"))
}

#[test]
fn every_example_runs_locally_and_does_what_it_shows() {
    let tmp = tempfile::tempdir().unwrap_or_else(|e| panic!("{e}"));
    let dir = |name: &str| tmp.path().join(name);
    let ok = |name: &str, extra: &[&str]| {
        let (code, stdout, stderr) = run_example(&dir(name), name, extra);
        assert_eq!(code, Some(0), "{name}\n{stdout}\n{stderr}");
        assert!(
            stderr.starts_with(&format!("Running {name} locally in"))
                && stderr.contains("container images are not pulled"),
            "{stderr}"
        );
        (stdout, stderr)
    };

    let (_, err) = ok("hello", &[]);
    assert!(
        err.contains("[greet] hello world") && err.contains("[cheer] hooray for world"),
        "{err}"
    );

    ok("diamond", &[]);
    assert_eq!(
        output(&dir("diamond"), "join", "kpipe/outputs/text"),
        "HELLO\thello\nTYPED\ttyped\nPIPELINES\tpipelines\n"
    );

    let (out, err) = ok("condition", &[]);
    assert!(
        row(&out, "deploy").contains("skipped") && row(&out, "report").contains("skipped"),
        "{out}"
    );
    // the skip says which values made the condition false
    assert!(
        err.contains(
            "[deploy] skipped: when `('staging' == 'prod') && (false == false)` evaluated false"
        ),
        "{err}"
    );
    let (out, err) = ok(
        "condition",
        &["-p", "environment=prod", "-p", "notify=#ops"],
    );
    assert!(
        row(&out, "deploy").contains(" ok ") && row(&out, "report").contains(" ok "),
        "{out}"
    );
    assert!(
        err.contains("[deploy] deploying to prod") && err.contains("[report] notifying #ops"),
        "{err}"
    );

    let (out, err) = ok("loops", &[]);
    // Items are named by their values: in the summary and in the log lines.
    assert!(
        row(&out, "shard").contains("2 items (region:eu,size:3, region:us,size:5)"),
        "{out}"
    );
    assert!(row(&out, "process").contains("3 items (a, b, c)"), "{out}");
    for line in [
        "[shard region:eu,size:3] region eu size 3",
        "[shard region:us,size:5] region us size 5",
        "[process a] a",
        "[process b] b",
        "[process c] c",
    ] {
        assert!(err.contains(line), "{line}\n{err}");
    }

    // Fan-in and a gate: every item's score reaches `pick` as one list,
    // and `deploy` runs only when the best beats `min-score`.
    let (out, err) = ok("sweep", &[]);
    assert!(
        row(&out, "train").contains("3 items (0.1, 0.2, 0.4)"),
        "{out}"
    );
    assert!(
        err.contains(r#"[pick] scores ["0.9","0.8","0.6"]"#),
        "{err}"
    );
    assert!(row(&out, "deploy").contains(" ok "), "{out}");
    assert!(
        err.contains("[deploy] deploying the model that scored 0.9"),
        "{err}"
    );
    let (out, err) = ok("sweep", &["-p", "min-score=0.95"]);
    assert!(row(&out, "deploy").contains("skipped"), "{out}");
    assert!(
        err.contains("[deploy] skipped: when `0.9 > 0.95` evaluated false"),
        "{err}"
    );

    // Steps as functions, run by the app's own binary: a typed list swept,
    // each item's score collected as a `Vec<f64>`, a gate on the best.
    let (out, err) = ok("functions", &[]);
    assert!(row(&out, "score").contains("3 items"), "{out}");
    assert!(err.contains("[best] best of 3 scores: "), "{err}");
    assert!(row(&out, "deploy").contains(" ok "), "{out}");
    assert!(
        err.contains("[deploy] deploying the model that scored "),
        "{err}"
    );
    let (out, _) = ok("functions", &["-p", "min-score=1.5"]);
    assert!(row(&out, "deploy").contains("skipped"), "{out}");

    let (out, err) = ok("retries", &[]);
    assert!(row(&out, "fetch").contains("2 retries"), "{out}");
    assert!(err.contains("[fetch] retry 1/3 in 1.0s after:"), "{err}");
    assert!(err.contains("[fetch] retry 2/3 in 2.0s after:"), "{err}");
    assert!(
        err.contains("[fetch] attempt 2: fetching https://example.com/data.csv"),
        "{err}"
    );

    let (_, err) = ok("gpu", &[]);
    let note = err
        .lines()
        .find(|l| l.starts_with("[train] note: resources are ignored by the process engine ("))
        .unwrap_or_else(|| panic!("no resource note:\n{err}"));
    assert!(
        note.contains("nvidia.com/gpu=2 limit") && note.contains("cpu=8 requested"),
        "{note}"
    );
    assert!(
        err.contains("[train] note: node selector and tolerations are ignored locally"),
        "{err}"
    );
    assert!(err.contains("[train] training for 10 epochs"), "{err}");

    let (_, err) = ok("exit_handler", &[]);
    assert!(
        err.contains("[notify] exit-handler-local finished with status Succeeded to #ml-builds"),
        "{err}"
    );

    let (_, err) = ok("cron", &[]);
    assert!(
        err.contains("note: cron is scheduled on a cluster (CronWorkflow); this runs it once, now"),
        "{err}"
    );

    // Run again: every step is cached.
    for name in ["hello", "diamond", "loops", "retries", "gpu"] {
        let (out, _) = ok(name, &[]);
        let steps: Vec<&str> = out
            .lines()
            .skip_while(|l| !l.starts_with("step "))
            .skip(1)
            .take_while(|l| !l.starts_with("total"))
            .collect();
        assert!(
            !steps.is_empty() && steps.iter().all(|l| l.contains(" cached ")),
            "{name}:\n{out}"
        );
    }
}

#[test]
fn a_run_killed_halfway_does_not_poison_the_next() {
    use kpipe_testkit::{LogLines, WAIT, exit_within};
    let tmp = tempfile::tempdir().unwrap_or_else(|e| panic!("{e}"));
    let mut child = Command::new(KPIPE)
        .args(["run", "retries", "--local"])
        .arg(format!("--workdir={}", tmp.path().display()))
        .stdout(std::process::Stdio::null())
        .stderr(std::process::Stdio::piped())
        .spawn()
        .unwrap_or_else(|e| panic!("{e}"));
    let log = LogLines::follow(
        child.stderr.take().unwrap_or_else(|| panic!("no stderr")),
        "run: ",
    );
    // fetch is waiting out its first backoff: kill everything mid-step.
    log.wait_for("fetch's first retry", WAIT, |l| {
        l.contains("[fetch] retry 1/3")
    });
    child.kill().unwrap_or_else(|e| panic!("{e}"));
    exit_within(&mut child, "the killed run", WAIT);
    let (code, out, err) = run_example(tmp.path(), "retries", &[]);
    assert_eq!(code, Some(0), "{out}\n{err}");
    assert!(
        row(&out, "fetch").contains(" ok "),
        "fetch ran again:\n{out}"
    );
    let (code, out, _) = run_example(tmp.path(), "retries", &[]);
    assert_eq!(code, Some(0));
    assert!(
        row(&out, "fetch").contains(" cached ") && row(&out, "summarise").contains(" cached "),
        "{out}"
    );
}

/// `DIR/slow-echo`, an `echo` that never finishes: it writes its pid to
/// `DIR/started.pid`, runs `then` (shell lines), touches `DIR/started` and
/// sleeps `secs` seconds. The program and the file that says it started.
fn slow_echo(dir: &Path, then: &str, secs: u32) -> (PathBuf, PathBuf) {
    let started = dir.join("started");
    let wrapper = dir.join("slow-echo");
    let script = format!(
        "#!/bin/sh\necho \"$$\" > '{0}.pid'\n{then}touch '{0}'\nexec sleep {secs}\n",
        started.display()
    );
    std::fs::write(&wrapper, script).unwrap_or_else(|e| panic!("{e}"));
    let chmod = Command::new("chmod")
        .arg("+x")
        .arg(&wrapper)
        .output_within(RUN);
    assert!(chmod.status.success(), "chmod +x {}", wrapper.display());
    (wrapper, started)
}

/// Ctrl-C (SIGINT to kpipe alone, as `kill -INT` sends it) stops the
/// running step and what it started, starts nothing else, and still ends
/// with the summary and a report; kpipe exits 130.
#[test]
fn an_interrupted_run_stops_its_steps_and_still_reports() {
    let tmp = tempfile::tempdir().unwrap_or_else(|e| panic!("{e}"));
    let workdir = tmp.path().join("w");
    let (wrapper, started) = slow_echo(tmp.path(), "echo \"starting: $*\"\n", 60);
    let child = Command::new(KPIPE)
        .args(["run", "hello", "--local"])
        .arg(format!("--workdir={}", workdir.display()))
        .arg(format!("--program=echo={}", wrapper.display()))
        .stdout(std::process::Stdio::piped())
        .stderr(std::process::Stdio::piped())
        .spawn()
        .unwrap_or_else(|e| panic!("cannot start kpipe: {e}"));
    kpipe_testkit::wait_until("greet to start", kpipe_testkit::WAIT, || {
        started.exists().then_some(())
    });
    let kill = Command::new("kill")
        .args(["-INT", &child.id().to_string()])
        .output_within(RUN);
    assert!(kill.status.success(), "{}", text(&kill.stderr));
    let out = kpipe_testkit::finish_within(child, "the interrupted run", RUN);
    let (stdout, stderr) = (text(&out.stdout), text(&out.stderr));
    assert_eq!(out.status.code(), Some(130), "{stdout}\n{stderr}");
    assert!(
        row(&stdout, "greet").contains("stopped: the run was interrupted (SIGINT)"),
        "{stdout}"
    );
    assert!(
        row(&stdout, "cheer").contains("not run") && row(&stdout, "cheer").contains("interrupted"),
        "{stdout}"
    );
    assert!(
        stderr.contains("[greet] the run was interrupted (SIGINT): stopping the step (SIGTERM)")
            && stderr.contains("error: hello was interrupted (SIGINT)"),
        "{stderr}"
    );
    let report = std::fs::read_to_string(workdir.join("report.html"))
        .unwrap_or_else(|e| panic!("no report: {e}\n{stdout}"));
    assert!(
        report.contains("id=\"run-state\" data-state=\"interrupted\"")
            && report.contains("<h2>Interrupted</h2>"),
        "{report}"
    );
    // the step's program (sleep, after exec) did not outlive the run
    let pid = std::fs::read_to_string(format!("{}.pid", started.display()))
        .unwrap_or_else(|e| panic!("{e}"));
    let alive = Command::new("kill")
        .args(["-0", pid.trim()])
        .output_within(RUN);
    assert!(!alive.status.success(), "sleep {} still runs", pid.trim());
}

/// The modification time of `path` under `workdir`'s steps.
fn mtime(workdir: &Path, path: &str) -> std::time::SystemTime {
    modified(&workdir.join("steps").join(path)).unwrap_or_else(|| panic!("{path} is missing"))
}

/// A run where `predict-test` fails, resumed with `--from predict-test`:
/// only it and its downstream run, the rest is reused; `--only train` runs
/// only train; `--only` in a workdir without the inputs names their
/// producer and changes nothing.
#[test]
fn a_failed_run_resumes_from_the_failed_step() {
    let tmp = tempfile::tempdir().unwrap_or_else(|e| panic!("{e}"));
    let wrapper = tmp.path().join("kpipe-step-failing-predict");
    std::fs::write(
        &wrapper,
        format!(
            "#!/bin/sh\nif [ \"$1\" = predict ]; then echo 'bad input: no model' >&2; exit 1; fi\nexec {} \"$@\"\n",
            step_binary().display()
        ),
    )
    .unwrap_or_else(|e| panic!("{e}"));
    Command::new("chmod").arg("+x").arg(&wrapper).status().ok();
    let w = tmp.path().join("w");
    let out = run(&w, &wrapper, &[]);
    let (stdout, stderr) = (text(&out.stdout), text(&out.stderr));
    assert_eq!(out.status.code(), Some(1), "{stdout}\n{stderr}");
    assert!(row(&stdout, "predict-test").contains("FAILED"), "{stdout}");
    assert!(
        stderr.contains(&format!(
            "kpipe run kubernetes-analysis --local --workdir {} --from predict-test",
            w.display()
        )),
        "the summary says how to resume: {stderr}"
    );
    let model = mtime(&w, "train/root/kpipe/outputs/model");

    let out = run(&w, step_binary(), &["--from", "predict-test"]);
    let (stdout, stderr) = (text(&out.stdout), text(&out.stderr));
    assert_eq!(out.status.code(), Some(0), "{stdout}\n{stderr}");
    for task in [
        "checkout",
        "update-api",
        "update-data",
        "update-assets",
        "train",
    ] {
        assert!(row(&stdout, task).contains("reused"), "{task}: {stdout}");
    }
    for task in ["predict-test", "build-image", "commit-changes", "rollout"] {
        assert!(row(&stdout, task).contains(" ok "), "{task}: {stdout}");
    }
    assert_eq!(
        mtime(&w, "train/root/kpipe/outputs/model"),
        model,
        "train did not run"
    );

    let dataset = mtime(&w, "update-data/root/kpipe/outputs/dataset");
    let out = run(&w, step_binary(), &["--only", "train"]);
    let (stdout, stderr) = (text(&out.stdout), text(&out.stderr));
    assert_eq!(out.status.code(), Some(0), "{stdout}\n{stderr}");
    assert!(row(&stdout, "train").contains(" ok "), "{stdout}");
    assert!(row(&stdout, "update-data").contains("reused"), "{stdout}");
    assert!(
        row(&stdout, "predict-test").contains("not selected"),
        "{stdout}"
    );
    assert_ne!(
        mtime(&w, "train/root/kpipe/outputs/model"),
        model,
        "train ran"
    );
    assert_eq!(mtime(&w, "update-data/root/kpipe/outputs/dataset"), dataset);

    // A fresh workdir has nothing for train to read.
    let fresh = tmp.path().join("fresh");
    let out = run(&fresh, step_binary(), &["--only", "train"]);
    let stderr = text(&out.stderr);
    assert_eq!(out.status.code(), Some(1), "{stderr}");
    assert!(
        stderr.contains("--only train: step `train` reads `dataset` from `update-data`, which left no outputs in"),
        "{stderr}"
    );
    assert!(!fresh.join("steps").exists(), "nothing ran");
}

/// `kill -9` of kpipe leaves its running step behind (nothing can stop it
/// from the killed process); the next run in the workdir stops it before it
/// starts anything, and says so.
#[test]
fn a_run_after_kill_9_stops_what_the_killed_run_left() {
    let tmp = tempfile::tempdir().unwrap_or_else(|e| panic!("{e}"));
    let workdir = tmp.path().join("w");
    let (wrapper, started) = slow_echo(tmp.path(), "", 120);
    let mut child = Command::new(KPIPE)
        .args(["run", "hello", "--local"])
        .arg(format!("--workdir={}", workdir.display()))
        .arg(format!("--program=echo={}", wrapper.display()))
        .stdout(std::process::Stdio::null())
        .stderr(std::process::Stdio::null())
        .spawn()
        .unwrap_or_else(|e| panic!("cannot start kpipe: {e}"));
    kpipe_testkit::wait_until("greet to start", kpipe_testkit::WAIT, || {
        started.exists().then_some(())
    });
    let killed = child.id();
    child.kill().unwrap_or_else(|e| panic!("{e}"));
    kpipe_testkit::exit_within(&mut child, "the killed run", kpipe_testkit::WAIT);
    let pid = std::fs::read_to_string(format!("{}.pid", started.display()))
        .unwrap_or_else(|e| panic!("{e}"));
    let alive = |pid: &str| {
        Command::new("kill")
            .args(["-0", pid])
            .output_within(RUN)
            .status
            .success()
    };
    assert!(alive(pid.trim()), "the killed run's step runs on");

    let (code, _, err) = run_example(&workdir, "hello", &[]);
    assert_eq!(code, Some(0), "{err}");
    assert!(
        err.contains(&format!(
            "[kpipe] note: stopped the steps a killed run (pid {killed}) left running in this workdir"
        )),
        "{err}"
    );
    assert!(!alive(pid.trim()), "sleep {} still runs", pid.trim());
}
