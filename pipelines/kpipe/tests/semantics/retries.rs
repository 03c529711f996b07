//! Retries: which failures each policy retries, how many attempts the limit
//! allows, how long the backoff waits and when `maxDuration` stops it.
//!
//! The semantics are [`Retry::next_delay`]'s. Each row's step fails in a
//! known way; the row is checked against
//! - the definition: the attempts `next_delay` allows (each attempt taken
//!   to last [`TICK`]);
//! - the local runner, for real: its attempts, its status, its log's
//!   `retry k/n in Xs` lines, and a run at least as long as the waits;
//! - Argo and KFP: the same attempts scheduled by their controllers from the
//!   `retryStrategy` / `retryPolicy` each lowering wrote ([`timing`]).
//!
//! A second table compares the three schedules directly over many retry
//! strategies, attempts and elapsed times.

use std::path::Path;
use std::time::Duration;

use kpipe::compiler::ir::Attempt;
use kpipe::run::Status;
use kpipe::{ContainerStep, Pipeline, Retry, RetryPolicy, Value};

use crate::timing::Strategy;
use crate::{Col, Line, argo, bound, kfp, local, pipeline, report};

/// How long each simulated attempt takes.
const TICK: Duration = Duration::from_millis(10);

/// How the row's step goes wrong.
#[derive(Clone, Copy, Debug)]
enum Step {
    /// Exits 1 on its first `n` attempts, then succeeds (counting its
    /// attempts in a file: KFP has no attempt number to give it).
    FailsFirst(u32),
    /// Exits 1 every time.
    AlwaysFails,
    /// Cannot start: its program is not executable (an error, not a failure).
    CannotStart,
    /// Prints `Value::retries()` and exits 1 until it is 2.
    ReadsRetries,
}

impl Step {
    /// How attempt `n` ends: `None` when it succeeds.
    fn outcome(self, n: u32) -> Option<Attempt> {
        match self {
            Step::FailsFirst(k) => (n < k).then_some(Attempt::Failed),
            Step::AlwaysFails => Some(Attempt::Failed),
            Step::CannotStart => Some(Attempt::Errored),
            Step::ReadsRetries => (n < 2).then_some(Attempt::Failed),
        }
    }

    /// The step, its files in `dir`.
    fn build(self, dir: &Path) -> ContainerStep {
        match self {
            Step::FailsFirst(k) => {
                let counter = dir.join("attempts").display().to_string();
                let script = format!(
                    r#"n=$(cat "$0" 2>/dev/null || echo 0); echo $((n + 1)) > "$0"; [ "$n" -ge {k} ]"#
                );
                ContainerStep::new("flaky", ["sh".to_owned(), "-c".to_owned(), script, counter])
            }
            Step::AlwaysFails => ContainerStep::new("flaky", ["sh", "-c", "exit 1"]),
            Step::CannotStart => {
                let program = dir.join("not-executable");
                std::fs::write(&program, "#!/bin/sh\n").unwrap_or_else(|e| panic!("{e}"));
                ContainerStep::new("flaky", [program.display().to_string()])
            }
            Step::ReadsRetries => ContainerStep::new(
                "flaky",
                ["sh", "-c", r#"printf '%s\n' "$0"; [ "$0" -ge 2 ]"#],
            )
            .arg(Value::retries()),
        }
    }
}

/// How a retried step ends: its attempts, whether the last succeeded, and
/// the waits between them.
#[derive(Clone, Debug, PartialEq, Eq)]
struct Attempts {
    attempts: u32,
    succeeded: bool,
    waits: Vec<Duration>,
}

/// The attempts a controller deciding with `next` makes of `step`.
fn simulate(
    step: Step,
    next: &dyn Fn(u32, Attempt, Duration) -> Result<Duration, String>,
) -> Attempts {
    let mut waits = Vec::new();
    let mut elapsed = Duration::ZERO;
    for n in 0..100 {
        elapsed += TICK;
        let Some(kind) = step.outcome(n) else {
            return Attempts {
                attempts: n + 1,
                succeeded: true,
                waits,
            };
        };
        match next(n, kind, elapsed) {
            Ok(wait) => {
                waits.push(wait);
                elapsed += wait;
            }
            Err(_) => {
                return Attempts {
                    attempts: n + 1,
                    succeeded: false,
                    waits,
                };
            }
        }
    }
    panic!("{step:?} is retried forever");
}

struct RetryRow {
    name: &'static str,
    retry: fn() -> Retry,
    step: Step,
    /// Attempts made and whether the last one succeeded.
    expect: (u32, bool),
    argo: Col,
    kfp: Col,
    /// What KFP does instead, where its column is a [`Col::Loss`].
    kfp_expect: Option<(u32, bool)>,
}

const fn row(
    name: &'static str,
    retry: fn() -> Retry,
    step: Step,
    expect: (u32, bool),
) -> RetryRow {
    RetryRow {
        name,
        retry,
        step,
        expect,
        argo: Col::Same,
        kfp: Col::Same,
        kfp_expect: None,
    }
}

const WHOLE_SECONDS: &str = "KFP's backend waits whole seconds";

const DROPPED: &str = "KFP retries when the container fails (Argo's OnFailure)";

/// Each policy, the limit and the attempt number.
fn policies() -> Vec<RetryRow> {
    use RetryPolicy::*;
    vec![
        row(
            "no policy (OnFailure): fails twice, then succeeds",
            || Retry::limit(3),
            Step::FailsFirst(2),
            (3, true),
        ),
        row(
            "OnFailure: always fails: 1 + limit attempts",
            || Retry::limit(2).policy(OnFailure),
            Step::AlwaysFails,
            (3, false),
        ),
        row(
            "OnFailure: cannot start: not retried",
            || Retry::limit(2).policy(OnFailure),
            Step::CannotStart,
            (1, false),
        ),
        RetryRow {
            kfp: Col::Loss(DROPPED),
            kfp_expect: Some((3, false)),
            ..row(
                "OnError: a failure is not retried",
                || Retry::limit(2).policy(OnError),
                Step::AlwaysFails,
                (1, false),
            )
        },
        RetryRow {
            kfp: Col::Loss(DROPPED),
            kfp_expect: Some((1, false)),
            ..row(
                "OnError: cannot start: retried",
                || Retry::limit(2).policy(OnError),
                Step::CannotStart,
                (3, false),
            )
        },
        RetryRow {
            kfp: Col::Loss(DROPPED),
            kfp_expect: Some((2, false)),
            ..row(
                "Always: a failure is retried",
                || Retry::limit(1).policy(Always),
                Step::AlwaysFails,
                (2, false),
            )
        },
        RetryRow {
            kfp: Col::Loss(DROPPED),
            kfp_expect: Some((1, false)),
            ..row(
                "Always: cannot start: retried",
                || Retry::limit(1).policy(Always),
                Step::CannotStart,
                (2, false),
            )
        },
        RetryRow {
            kfp: Col::Loss(DROPPED),
            kfp_expect: Some((3, false)),
            ..row(
                "OnTransientError: a failure is not retried",
                || Retry::limit(2).policy(OnTransientError),
                Step::AlwaysFails,
                (1, false),
            )
        },
        RetryRow {
            argo: Col::Limit(
                "Argo retries only errors it classes transient (API throttling, a deleted pod …); kpipe, which cannot tell locally, takes every start error as one",
            ),
            kfp: Col::Loss(DROPPED),
            kfp_expect: Some((1, false)),
            ..row(
                "OnTransientError: cannot start: retried",
                || Retry::limit(2).policy(OnTransientError),
                Step::CannotStart,
                (3, false),
            )
        },
        RetryRow {
            kfp: Col::Cannot("which KFP v2 does not give a step"),
            ..row(
                "Value::retries(): attempts see 0, 1, 2",
                || Retry::limit(3),
                Step::ReadsRetries,
                (3, true),
            )
        },
    ]
}

/// Backoffs, run for real: each wait really waited.
fn backoffs() -> Vec<RetryRow> {
    vec![
        RetryRow {
            kfp: Col::Loss(WHOLE_SECONDS),
            kfp_expect: Some((6, false)),
            ..row(
                "backoff 100ms × 2, maxDuration 1s: waits 0.1, 0.2, 0.4 s; 0.8 s more would pass 1 s",
                || {
                    Retry::limit(5).backoff(
                        Duration::from_millis(100),
                        2,
                        Some(Duration::from_secs(1)),
                    )
                },
                Step::AlwaysFails,
                (4, false),
            )
        },
        row(
            "backoff 1s × 3, maxDuration 1m: fails once, waits 1 s",
            || Retry::limit(2).backoff(Duration::from_secs(1), 3, Some(Duration::from_secs(60))),
            Step::FailsFirst(1),
            (2, true),
        ),
    ]
}

#[test]
fn each_policy_retries_what_it_names_on_every_backend() {
    check(&policies(), "retry policies");
}

#[test]
fn backoffs_wait_and_stop_alike_on_every_backend() {
    check(&backoffs(), "retry backoffs");
}

/// Runs every row on every backend.
fn check(rows: &[RetryRow], family: &str) {
    let mut lines = Vec::new();
    let mut problems = Vec::new();
    for row in rows {
        let dir = tempfile::tempdir().unwrap_or_else(|e| panic!("{e}"));
        let retry = (row.retry)();
        let p = pipeline();
        p.add(row.step.build(dir.path())).retry(retry.clone());
        let mut fail = |what: String| problems.push(format!("{}: {what}", row.name));

        // The definition.
        let defined = simulate(row.step, &|n, k, e| {
            retry.next_delay(n, k, e).map_err(|w| format!("{w:?}"))
        });
        if (defined.attempts, defined.succeeded) != row.expect {
            fail(format!("next_delay makes {defined:?}"));
        }

        // The local runner.
        let ran = local::run(&p, &bound(&p, &[]));
        let report = ran.report("flaky");
        let succeeded = report.status == Status::Succeeded;
        if (report.attempts, succeeded) != row.expect || report.retries != row.expect.0 - 1 {
            fail(format!("local: {report:?}\n{}", ran.log));
        }
        let waited: Duration = defined.waits.iter().sum();
        if ran.took < waited {
            fail(format!(
                "local: took {:?}, less than the backoff {waited:?}",
                ran.took
            ));
        }
        for (k, wait) in defined.waits.iter().enumerate() {
            let line = format!(
                "retry {}/{} in {:.1}s",
                k + 1,
                retry.limit,
                wait.as_secs_f64()
            );
            if !ran.log.contains(&line) {
                fail(format!("local: no `{line}` in\n{}", ran.log));
            }
        }
        if let Step::ReadsRetries = row.step {
            let seen = &ran.local_seen("flaky");
            if seen != &["0", "1", "2"] {
                fail(format!("local: the attempts saw {seen:?}"));
            }
        }

        // Argo: the template's retryStrategy, scheduled as the controller does.
        let wf = argo::compile(&p);
        let template = argo::template(&wf, "flaky");
        match Strategy::argo(&template["retryStrategy"]) {
            Ok(s) => {
                let got = simulate(row.step, &|n, k, e| s.next(n, k, e).map_err(str::to_owned));
                let same = got == defined;
                if same != (row.argo == Col::Same) {
                    fail(format!(
                        "Argo ({}): {got:?}, defined {defined:?}",
                        row.argo.cell()
                    ));
                }
            }
            Err(e) => fail(format!("Argo: {e}: {}", template["retryStrategy"])),
        }
        if let Step::ReadsRetries = row.step {
            // `{{retries}}`, substituted per attempt.
            let args = &template["container"]["args"];
            if args != &serde_json::json!(["{{retries}}"]) {
                fail(format!("Argo's args: {args}"));
            }
        }

        // KFP: the task's retryPolicy, as KFP's backend runs it on Argo.
        let kfp_expect = row.kfp_expect.unwrap_or(row.expect);
        match (kfp::compile(&p), row.kfp) {
            (Err(e), Col::Cannot(why)) if e.to_string().contains(why) => {}
            (Err(e), _) => fail(format!("KFP does not compile: {e}")),
            (Ok(_), Col::Cannot(why)) => fail(format!("KFP compiles, though it cannot: {why}")),
            (Ok((spec, _, compiled)), col) => {
                let policy = &kfp::task(&spec, "flaky")["retryPolicy"];
                match Strategy::kfp(policy) {
                    Ok(s) => {
                        let got =
                            simulate(row.step, &|n, k, e| s.next(n, k, e).map_err(str::to_owned));
                        if (got.attempts, got.succeeded) != kfp_expect {
                            fail(format!(
                                "KFP ({}): {got:?}, expected {kfp_expect:?}",
                                col.cell()
                            ));
                        }
                    }
                    Err(e) => fail(format!("KFP: {e}: {policy}")),
                }
                let warnings: Vec<String> =
                    compiled.warnings.iter().map(|w| w.to_string()).collect();
                match col {
                    Col::Loss(what) if !warnings.iter().any(|w| w.contains(what)) => {
                        fail(format!("KFP: no warning saying `{what}`: {warnings:#?}"));
                    }
                    Col::Same if !warnings.is_empty() => fail(format!("KFP warns: {warnings:#?}")),
                    _ => {}
                }
            }
        }
        lines.push(Line {
            row: row.name.to_owned(),
            expect: format!(
                "{} attempt(s), {}{}",
                row.expect.0,
                if row.expect.1 { "succeeds" } else { "fails" },
                row.kfp_expect
                    .map(|(n, _)| format!(" (KFP: {n})"))
                    .unwrap_or_default()
            ),
            local: Col::Same,
            argo: row.argo,
            kfp: row.kfp,
        });
    }
    report(family, &lines, &problems);
}

/// Retry strategies whose schedules the three definitions must agree on
/// (KFP: the ones in whole seconds; it warns about the others).
fn strategies() -> Vec<Retry> {
    let s = Duration::from_secs;
    vec![
        Retry::limit(0),
        Retry::limit(3),
        Retry::limit(3).backoff(s(1), 2, None),
        Retry::limit(5).backoff(s(30), 3, Some(s(600))),
        Retry::limit(4).backoff(s(60), 2, Some(s(300))),
        Retry::limit(2).backoff(s(10), 0, None),
        Retry::limit(2).backoff(s(10), 1, Some(s(15))),
        Retry::limit(3)
            .policy(RetryPolicy::Always)
            .backoff(s(60), 2, Some(s(1800))),
        Retry::limit(3)
            .policy(RetryPolicy::OnError)
            .backoff(s(5), 2, None),
        Retry::limit(3).backoff(
            Duration::from_millis(500),
            2,
            Some(Duration::from_millis(2500)),
        ),
        Retry::limit(2).backoff(Duration::from_millis(1500), 2, None),
    ]
}

#[test]
fn backoff_schedules_agree_with_next_delay() {
    let mut problems = Vec::new();
    let elapsed = [0, 1, 14, 59, 61, 299, 301, 1799, 1801].map(Duration::from_secs);
    for retry in strategies() {
        let p = pipeline();
        p.add(ContainerStep::new("flaky", ["false"]))
            .retry(retry.clone());
        let wf = argo::compile(&p);
        let argo = Strategy::argo(&wf_strategy(&wf));
        let (spec, _, compiled) = kfp::compile(&p).unwrap_or_else(|e| panic!("{e}"));
        let kfp = Strategy::kfp(&kfp::task(&spec, "flaky")["retryPolicy"]);
        let (Ok(argo), Ok(kfp)) = (argo, kfp) else {
            problems.push(format!("{retry:?}: unreadable strategies"));
            continue;
        };
        let whole = retry.backoff.as_ref().is_none_or(|b| {
            b.duration.subsec_nanos() == 0 && b.max_duration.is_none_or(|m| m.subsec_nanos() == 0)
        });
        let warned = compiled
            .warnings
            .iter()
            .any(|w| w.to_string().contains(WHOLE_SECONDS));
        if warned == whole {
            problems.push(format!("{retry:?}: KFP warns about seconds: {warned}"));
        }
        let kfp_policy = retry.policy.is_none_or(|p| p == RetryPolicy::OnFailure);
        for n in 0..=retry.limit + 1 {
            for e in elapsed {
                for kind in [Attempt::Failed, Attempt::Errored] {
                    let defined = retry.next_delay(n, kind, e).ok();
                    let a = argo.next(n, kind, e).ok();
                    if a != defined {
                        problems.push(format!("{retry:?} n={n} {kind:?} after {e:?}: next_delay {defined:?}, Argo {a:?}"));
                    }
                    let k = kfp.next(n, kind, e).ok();
                    if whole && kfp_policy && k != defined {
                        problems.push(format!("{retry:?} n={n} {kind:?} after {e:?}: next_delay {defined:?}, KFP {k:?}"));
                    }
                }
            }
        }
    }
    assert!(problems.is_empty(), "{}", problems.join("\n"));
}

fn wf_strategy(wf: &serde_json::Value) -> serde_json::Value {
    argo::template(wf, "flaky")["retryStrategy"].clone()
}

#[test]
fn a_pipeline_without_retries_makes_one_attempt() {
    let p = Pipeline::new("once");
    p.image("alpine:3.20");
    p.add(ContainerStep::new("flaky", ["false"]));
    let ran = local::run(&p, &bound(&p, &[]));
    assert_eq!(ran.report("flaky").attempts, 1);
    let wf = argo::compile(&p);
    assert!(argo::template(&wf, "flaky").get("retryStrategy").is_none());
    let (spec, _, _) = kfp::compile(&p).unwrap_or_else(|e| panic!("{e}"));
    assert!(kfp::task(&spec, "flaky").get("retryPolicy").is_none());
}
