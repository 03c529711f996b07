//! Local runs of small shell pipelines: caching (hits, parameter changes,
//! corrupt entries, changed outputs, failures), programs that are missing,
//! retries with backoff.

use std::path::Path;
use std::sync::Arc;

use kpipe_compiler::ir::PipelineData;
use kpipe_compiler::ir::bind::bind;

use kpipe_testkit::SharedBuf;

use super::{LocalRun, Status, TaskReport};
use crate::{
    Artifact, ArtifactType, CompileOptions, ContainerOutputs, ContainerStep, Pipeline, Retry, Task,
    Value,
};

enum Text {}
impl ArtifactType for Text {
    const KIND: &'static str = "text";
}

/// `sh -c SCRIPT NAME OUT IN… VALUES…`, the script seeing `$OUT` (its text
/// output), `$IN_<NAME>` (its inputs) and the values as `$1`, `$2`, …: a
/// `ContainerStep` with a typed output (see [`text`]).
fn shell(
    name: &str,
    script: &str,
    inputs: &[(&str, &Artifact<Text>)],
    values: &[Value],
) -> ContainerStep {
    let mut prelude = String::from(r#"OUT="$1"; "#);
    for (k, (input, _)) in inputs.iter().enumerate() {
        prelude.push_str(&format!(r#"IN_{}="${}"; "#, input.to_uppercase(), k + 2));
    }
    prelude.push_str(&format!("shift {}; ", inputs.len() + 1));
    let mut step = ContainerStep::new(name, ["sh", "-c"])
        .arg(format!("{prelude}{script}"))
        .arg(name)
        .output::<Text>("text");
    for (input, artifact) in inputs {
        step = step.input(input, artifact);
    }
    values.iter().fold(step, |step, v| step.arg(v.clone()))
}

/// The text output of a [`shell`] step.
fn text(step: &Task<ContainerOutputs>) -> Artifact<Text> {
    step.out
        .artifact::<Text>("text")
        .unwrap_or_else(|| panic!("{} has no text output", step.name()))
}

/// left(a) and right(b) feed join.
fn diamond() -> Pipeline {
    let p = Pipeline::new("cache-test");
    p.image("alpine:3.20");
    let a = p.string_param("a", "1");
    let b = p.string_param("b", "1");
    let left = p.add(shell(
        "left",
        r#"echo "left $1" > "$OUT""#,
        &[],
        &[Value::from(&a)],
    ));
    let right = p.add(shell(
        "right",
        r#"echo "right $1" > "$OUT""#,
        &[],
        &[Value::from(&b)],
    ));
    p.add(shell(
        "join",
        r#"cat "$IN_LEFT" "$IN_RIGHT" > "$OUT""#,
        &[("left", &text(&left)), ("right", &text(&right))],
        &[],
    ));
    p
}

/// `p`'s IR and the settings to run it in `workdir` (two at a time), its
/// parameters bound as the CLI binds them.
fn setup(
    p: &Pipeline,
    workdir: &Path,
    params: &[(&str, &str)],
    cache: bool,
) -> (Arc<PipelineData>, LocalRun) {
    let plan = p
        .ir(&CompileOptions::default())
        .unwrap_or_else(|d| panic!("{d}"));
    let given: Vec<(String, String)> = params
        .iter()
        .map(|(k, v)| ((*k).to_owned(), (*v).to_owned()))
        .collect();
    let bound = bind(&plan.param_specs(), &given).unwrap_or_else(|e| panic!("{e}"));
    let cfg = LocalRun {
        jobs: 2,
        cache,
        ..LocalRun::new(workdir, bound.pairs().into_iter().collect())
    };
    (plan, cfg)
}

/// Runs `p` in `workdir`; the reports and everything the run printed.
fn run(
    p: &Pipeline,
    workdir: &Path,
    params: &[(&str, &str)],
    cache: bool,
) -> (Vec<TaskReport>, String) {
    let (plan, cfg) = setup(p, workdir, params, cache);
    let sink = SharedBuf::default();
    let reports =
        super::run(&plan, &cfg, Box::new(sink.clone())).unwrap_or_else(|e| panic!("{e:#}"));
    (reports, sink.text())
}

fn statuses(reports: &[TaskReport]) -> Vec<(String, Status)> {
    reports
        .iter()
        .map(|r| (r.name.clone(), r.status.clone()))
        .collect()
}

fn status(reports: &[TaskReport], task: &str) -> Status {
    reports
        .iter()
        .find(|r| r.name == task)
        .map(|r| r.status.clone())
        .unwrap_or_else(|| panic!("no task {task}"))
}

fn joined(workdir: &Path) -> String {
    std::fs::read_to_string(workdir.join("steps/join/root/kpipe/outputs/text"))
        .expect("the join step's output")
}

#[test]
fn unchanged_steps_are_cached_and_a_parameter_reruns_only_its_dependants() {
    let tmp = tempfile::tempdir().unwrap_or_else(|e| panic!("{e}"));
    let p = diamond();
    let (first, _) = run(&p, tmp.path(), &[], true);
    assert!(
        first.iter().all(|r| r.status == Status::Succeeded),
        "{:?}",
        statuses(&first)
    );
    assert_eq!(joined(tmp.path()), "left 1\nright 1\n");

    let (second, log) = run(&p, tmp.path(), &[], true);
    assert!(
        second.iter().all(|r| r.status == Status::Cached),
        "{:?}",
        statuses(&second)
    );
    assert!(
        log.contains("[join] cached: inputs unchanged, outputs reused"),
        "{log}"
    );
    assert_eq!(joined(tmp.path()), "left 1\nright 1\n");

    let (third, _) = run(&p, tmp.path(), &[("b", "2")], true);
    assert_eq!(status(&third, "left"), Status::Cached);
    assert_eq!(status(&third, "right"), Status::Succeeded);
    assert_eq!(status(&third, "join"), Status::Succeeded);
    assert_eq!(joined(tmp.path()), "left 1\nright 2\n");

    let (all, _) = run(&p, tmp.path(), &[("b", "2")], false);
    assert!(
        all.iter().all(|r| r.status == Status::Succeeded),
        "--no-cache runs all"
    );
}

#[test]
fn a_corrupt_entry_is_ignored_with_a_warning_and_the_step_reruns() {
    let tmp = tempfile::tempdir().unwrap_or_else(|e| panic!("{e}"));
    let p = diamond();
    run(&p, tmp.path(), &[], true);
    // What a writer killed halfway would have left, if entries were not
    // written atomically.
    std::fs::write(
        tmp.path().join("steps/left/cache.json"),
        "{\"version\":1,\"ke",
    )
    .unwrap_or_else(|e| panic!("{e}"));
    let (reports, log) = run(&p, tmp.path(), &[], true);
    assert!(
        log.contains("[left] warning: ignoring its cache entry"),
        "{log}"
    );
    assert!(log.contains("is not a cache entry"), "{log}");
    // (the copy in the step's store is intact: restored, not run)
    assert_eq!(status(&reports, "left"), Status::Cached);
    // Its output is the same as before, so its dependant stays cached.
    assert_eq!(status(&reports, "join"), Status::Cached);
    assert_eq!(status(&reports, "right"), Status::Cached);
}

#[test]
fn changed_outputs_and_failed_runs_are_not_reused() {
    let tmp = tempfile::tempdir().unwrap_or_else(|e| panic!("{e}"));
    let p = diamond();
    run(&p, tmp.path(), &[], true);
    std::fs::write(
        tmp.path().join("steps/right/root/kpipe/outputs/text"),
        "edited\n",
    )
    .unwrap_or_else(|e| panic!("{e}"));
    let (reports, _) = run(&p, tmp.path(), &[], true);
    assert_eq!(
        status(&reports, "right"),
        Status::Succeeded,
        "output changed: rerun"
    );
    assert_eq!(joined(tmp.path()), "left 1\nright 1\n");

    // A step that fails leaves no entry: the next run runs it again.
    let failing = Pipeline::new("fails");
    failing.image("alpine:3.20");
    failing.add(ContainerStep::new(
        "flaky",
        ["sh", "-c", "test -e marker || { touch marker; exit 3; }"],
    ));
    let (first, _) = run(&failing, tmp.path(), &[], true);
    assert!(matches!(status(&first, "flaky"), Status::Failed(_)));
    assert!(!tmp.path().join("steps/flaky/cache.json").exists());
}

#[test]
fn a_missing_program_names_the_step_and_the_program() {
    let tmp = tempfile::tempdir().unwrap_or_else(|e| panic!("{e}"));
    let p = Pipeline::new("missing");
    p.image("python:3.12");
    p.add(ContainerStep::new(
        "train",
        ["kpipe-no-such-program", "train.py"],
    ));
    let (reports, _) = run(&p, tmp.path(), &[], true);
    let Status::Failed(why) = status(&reports, "train") else {
        panic!("{:?}", statuses(&reports));
    };
    assert!(
        why.contains("step `train`: the program `kpipe-no-such-program` is not on this machine"),
        "{why}"
    );
    assert!(
        why.contains("does not pull its image (python:3.12)"),
        "{why}"
    );
}

#[test]
fn retries_wait_out_their_backoff_and_see_the_attempt_number() {
    let tmp = tempfile::tempdir().unwrap_or_else(|e| panic!("{e}"));
    let p = Pipeline::new("retries");
    p.image("alpine:3.20");
    p.add(
        ContainerStep::new(
            "flaky",
            ["sh", "-c", r#"echo "attempt $0"; [ "$0" -ge 2 ]"#],
        )
        .arg(Value::retries()),
    )
    .retry(Retry::limit(3).backoff(std::time::Duration::from_millis(100), 2, None));
    let started = std::time::Instant::now();
    let (reports, log) = run(&p, tmp.path(), &[], false);
    assert_eq!(status(&reports, "flaky"), Status::Succeeded, "{log}");
    assert_eq!((reports[0].attempts, reports[0].retries), (3, 2));
    assert!(log.contains("retry 1/3 in 0.1s"), "{log}");
    assert!(log.contains("retry 2/3 in 0.2s"), "{log}");
    assert!(log.contains("attempt 2"), "{log}");
    assert!(
        started.elapsed() >= std::time::Duration::from_millis(300),
        "backoff waited"
    );
}

#[test]
fn the_log_keeps_the_order_of_stdout_and_stderr_and_any_bytes() {
    let tmp = tempfile::tempdir().unwrap_or_else(|e| panic!("{e}"));
    let p = Pipeline::new("log-test");
    p.image("alpine:3.20");
    p.add(// (a byte that is not UTF-8, a CRLF line, a last line without \n)
        shell("talk", r#"echo one; echo two >&2; echo three; echo four >&2; printf 'caf\351\r\n'; echo after; printf 'no newline' >&2; : > "$OUT""#, &[], &[]));
    let (reports, printed) = run(&p, tmp.path(), &[], false);
    assert_eq!(status(&reports, "talk"), Status::Succeeded, "{printed}");
    let log = std::fs::read_to_string(tmp.path().join("steps/talk/log.txt"))
        .unwrap_or_else(|e| panic!("{e}"));
    assert_eq!(
        log,
        "one\ntwo\nthree\nfour\ncaf\u{FFFD}\nafter\nno newline\n"
    );
    assert!(printed.contains("caf\u{FFFD}\n"), "{printed}");
}

/// Runs `p` on a thread; raises `interrupt` (as SIGINT) once `marker`
/// exists; returns the reports and how long the run took after the raise.
fn interrupted_run(
    p: &Pipeline,
    workdir: &Path,
    marker: &Path,
    raises: u32,
) -> (Vec<TaskReport>, std::time::Duration) {
    let (plan, cfg) = setup(p, workdir, &[], false);
    let interrupt = cfg.interrupt.clone();
    let runner = std::thread::spawn(move || super::run(&plan, &cfg, Box::new(std::io::sink())));
    kpipe_testkit::wait_until("the step to start", kpipe_testkit::WAIT, || {
        marker.exists().then_some(())
    });
    for _ in 0..raises {
        interrupt.raise(super::Interrupt::Int);
        std::thread::sleep(std::time::Duration::from_millis(300));
    }
    let raised = std::time::Instant::now();
    let reports = runner
        .join()
        .unwrap_or_else(|_| panic!("the run panicked"))
        .unwrap_or_else(|e| panic!("{e:#}"));
    (reports, raised.elapsed())
}

/// Whether process `pid` is gone (or a zombie waiting for init).
fn gone(pid: &str) -> bool {
    match std::fs::read_to_string(format!("/proc/{}/stat", pid.trim())) {
        Err(_) => true,
        Ok(stat) => stat
            .rsplit(')')
            .next()
            .is_some_and(|rest| rest.trim_start().starts_with('Z')),
    }
}

#[cfg(target_os = "linux")]
#[test]
fn an_interrupt_stops_the_step_and_what_it_started_and_starts_nothing_else() {
    let tmp = tempfile::tempdir().unwrap_or_else(|e| panic!("{e}"));
    let marker = tmp.path().join("started");
    let pid_file = tmp.path().join("sleep.pid");
    let p = Pipeline::new("interrupt-test");
    p.image("alpine:3.20");
    let slow = p.add(shell(
        "slow",
        &format!(
            "sleep 60 & echo $! > {pid}; touch {marker}; wait",
            pid = pid_file.display(),
            marker = marker.display()
        ),
        &[],
        &[],
    ));
    p.add(shell(
        "after",
        r#"cat "$IN_SLOW" > "$OUT""#,
        &[("slow", &text(&slow))],
        &[],
    ));
    let (reports, took) = interrupted_run(&p, tmp.path(), &marker, 1);
    // (not the 60 s the step's sleep would take)
    assert!(took < std::time::Duration::from_secs(20), "{took:?}");
    assert_eq!(
        statuses(&reports),
        [
            (
                "slow".to_owned(),
                Status::Failed("stopped: the run was interrupted (SIGINT)".to_owned())
            ),
            (
                "after".to_owned(),
                Status::NotRun("the run was interrupted (SIGINT)".to_owned())
            ),
        ]
    );
    let pid = std::fs::read_to_string(&pid_file).unwrap_or_else(|e| panic!("{e}"));
    kpipe_testkit::wait_until(
        "the step's background sleep to end",
        kpipe_testkit::WAIT,
        || gone(&pid).then_some(()),
    );
}

#[cfg(target_os = "linux")]
#[test]
fn a_step_that_ignores_sigterm_is_killed_at_the_second_interrupt() {
    let tmp = tempfile::tempdir().unwrap_or_else(|e| panic!("{e}"));
    let marker = tmp.path().join("started");
    let p = Pipeline::new("stubborn");
    p.image("alpine:3.20");
    p.add(shell(
        "stubborn",
        &format!(
            "trap '' TERM; touch {}; sleep 60; echo survived",
            marker.display()
        ),
        &[],
        &[],
    ));
    // one interrupt: SIGTERM, ignored; the second: SIGKILL
    let (reports, took) = interrupted_run(&p, tmp.path(), &marker, 2);
    // (not GRACE: the second interrupt kills at once)
    assert!(
        took < super::GRACE - std::time::Duration::from_secs(2),
        "{took:?}"
    );
    assert!(
        matches!(&status(&reports, "stubborn"), Status::Failed(w) if w.contains("interrupted")),
        "{:?}",
        statuses(&reports)
    );
    let log = std::fs::read_to_string(tmp.path().join("steps/stubborn/log.txt"))
        .unwrap_or_else(|e| panic!("{e}"));
    assert!(!log.contains("survived"), "{log}");
}

/// Runs `p` in `workdir` with `selection`; the reports (or the error).
fn run_selected(
    p: &Pipeline,
    workdir: &Path,
    selection: super::Selection,
) -> anyhow::Result<Vec<TaskReport>> {
    let (plan, mut cfg) = setup(p, workdir, &[], true);
    cfg.selection = selection;
    let reports = super::run(&plan, &cfg, Box::new(std::io::sink()))?;
    // (the CLI saves the record a later partial run reads)
    let record = super::Record::new("p", "process", Vec::new(), Vec::new(), 0.0, None, &reports);
    record.save(&cfg.layout).unwrap_or_else(|e| panic!("{e:#}"));
    Ok(reports)
}

#[test]
fn partial_runs_run_what_they_select_and_reuse_the_rest() {
    let tmp = tempfile::tempdir().unwrap_or_else(|e| panic!("{e}"));
    let p = diamond();
    let all = super::Selection::default();
    // --only before anything ran: refused, nothing made.
    let err = run_selected(
        &p,
        tmp.path(),
        super::Selection {
            only: vec!["join".into()],
            ..all.clone()
        },
    )
    .err()
    .map(|e| format!("{e:#}"))
    .unwrap_or_default();
    assert!(
        err.starts_with(
            "--only join: step `join` reads `left` from `left`, which left no outputs in"
        ),
        "{err}"
    );
    assert!(!tmp.path().join("steps").exists());

    run_selected(&p, tmp.path(), all.clone()).unwrap_or_else(|e| panic!("{e:#}"));
    let only = run_selected(
        &p,
        tmp.path(),
        super::Selection {
            only: vec!["join".into()],
            ..all.clone()
        },
    )
    .unwrap_or_else(|e| panic!("{e:#}"));
    assert_eq!(
        status(&only, "join"),
        Status::Succeeded,
        "forced, though cached"
    );
    assert_eq!(status(&only, "left"), Status::Reused);
    assert_eq!(status(&only, "right"), Status::Reused);
    assert_eq!(joined(tmp.path()), "left 1\nright 1\n");

    let from = run_selected(
        &p,
        tmp.path(),
        super::Selection {
            from: vec!["right".into()],
            ..all.clone()
        },
    )
    .unwrap_or_else(|e| panic!("{e:#}"));
    assert_eq!(status(&from, "left"), Status::Reused);
    assert_eq!(status(&from, "right"), Status::Succeeded);
    assert_eq!(status(&from, "join"), Status::Succeeded);

    let until = run_selected(
        &p,
        tmp.path(),
        super::Selection {
            until: Some("left".into()),
            ..all
        },
    )
    .unwrap_or_else(|e| panic!("{e:#}"));
    assert_eq!(status(&until, "left"), Status::Cached);
    assert!(
        matches!(status(&until, "join"), Status::NotRun(w) if w == "not selected (--until left)")
    );
}

#[test]
fn going_back_to_an_earlier_value_is_cached() {
    let tmp = tempfile::tempdir().unwrap_or_else(|e| panic!("{e}"));
    let p = diamond();
    run(&p, tmp.path(), &[("a", "1")], true);
    let (second, _) = run(&p, tmp.path(), &[("a", "2")], true);
    assert_eq!(status(&second, "left"), Status::Succeeded);
    assert_eq!(joined(tmp.path()), "left 2\nright 1\n");
    // a=1 again: its earlier result is restored, not run.
    let (third, _) = run(&p, tmp.path(), &[("a", "1")], true);
    assert_eq!(
        status(&third, "left"),
        Status::Cached,
        "{:?}",
        statuses(&third)
    );
    assert_eq!(
        status(&third, "join"),
        Status::Cached,
        "{:?}",
        statuses(&third)
    );
    assert_eq!(joined(tmp.path()), "left 1\nright 1\n");
}

#[test]
fn a_versioned_step_stays_cached_when_the_program_changes() {
    let tmp = tempfile::tempdir().unwrap_or_else(|e| panic!("{e}"));
    // Two steps run by the same "program" (a copy of sh); one declares its
    // code version.
    let program = tmp.path().join("my-sh");
    std::fs::copy("/bin/sh", &program).unwrap_or_else(|e| panic!("{e}"));
    let p = Pipeline::new("versions");
    p.image("alpine:3.20");
    p.add(ContainerStep::new(
        "versioned",
        [program.display().to_string(), "-c".into(), "echo v".into()],
    ))
    .code_version("1");
    p.add(ContainerStep::new(
        "unversioned",
        [program.display().to_string(), "-c".into(), "echo u".into()],
    ));
    let (first, _) = run(&p, tmp.path(), &[], true);
    assert!(first.iter().all(|r| r.status == Status::Succeeded));
    // "Rebuild" the program: same behaviour, other bytes.
    let mut bytes = std::fs::read(&program).unwrap_or_else(|e| panic!("{e}"));
    bytes.extend_from_slice(b"\0rebuilt");
    std::fs::write(&program, bytes).unwrap_or_else(|e| panic!("{e}"));
    let (second, _) = run(&p, tmp.path(), &[], true);
    assert_eq!(status(&second, "versioned"), Status::Cached);
    assert_eq!(status(&second, "unversioned"), Status::Succeeded);
}

#[test]
fn every_loop_item_runs_its_when_is_per_item_and_stale_items_go() {
    let tmp = tempfile::tempdir().unwrap_or_else(|e| panic!("{e}"));
    let p = Pipeline::new("items");
    p.image("alpine:3.20");
    let list = p.string_param("list", "[1,2,3,4]");
    p.add(
        ContainerStep::new("each", ["sh", "-c", r#"echo "item $0"; [ "$0" != 2 ]"#])
            .arg(Value::item()),
    )
    .with_param(&list)
    .when(crate::Cond::compare(
        crate::CmpOp::Ne,
        crate::Kind::Integer,
        Value::item(),
        "4",
    ));
    let (reports, log) = run(&p, tmp.path(), &[], true);
    let each = status(&reports, "each");
    assert!(
        matches!(&each, Status::Failed(w) if w.starts_with("item 2: ")),
        "{each:?}\n{log}"
    );
    // (each item's lines are labelled with its value)
    assert!(log.contains("[each 3] item 3"), "item 3 still ran:\n{log}");
    assert!(log.contains("[each] item 2 FAILED: "), "{log}");
    assert!(
        log.contains("[each] item 4: skipped: when `4 != 4` evaluated false"),
        "{log}"
    );
    assert!(tmp.path().join("steps/each.2").is_dir());
    // Fewer items: the directories of the items that are gone go too.
    let (_, log) = run(&p, tmp.path(), &[("list", "[1]")], true);
    assert!(tmp.path().join("steps/each.0").is_dir(), "{log}");
    assert!(!tmp.path().join("steps/each.2").exists(), "{log}");
}

#[test]
fn a_step_without_the_cache_always_runs_and_still_serves_partial_runs() {
    let tmp = tempfile::tempdir().unwrap_or_else(|e| panic!("{e}"));
    let p = Pipeline::new("fresh");
    p.image("alpine:3.20");
    // (what it fetches is the same every time, so what reads it is cached)
    let fetch = p
        .add(shell("fetch", r#"echo news > "$OUT""#, &[], &[]))
        .cache(false);
    p.add(shell(
        "read",
        r#"cat "$IN_NEWS" > "$OUT""#,
        &[("news", &text(&fetch))],
        &[],
    ));
    let select = |s: super::Selection| {
        let reports = run_selected(&p, tmp.path(), s).unwrap_or_else(|e| panic!("{e:#}"));
        (status(&reports, "fetch"), status(&reports, "read"))
    };
    let all = super::Selection::default;
    assert_eq!(select(all()), (Status::Succeeded, Status::Succeeded));
    assert_eq!(select(all()), (Status::Succeeded, Status::Cached));
    // `--only read`: fetch's outputs are the last run's, as for any step.
    let only = super::Selection {
        only: vec!["read".into()],
        ..all()
    };
    assert_eq!(select(only), (Status::Reused, Status::Succeeded));
}
