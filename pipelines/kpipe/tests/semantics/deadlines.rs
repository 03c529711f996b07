//! Deadlines (`timeout_seconds`, Argo's `activeDeadlineSeconds`): a step
//! still running when its deadline passes is killed and fails; the deadline
//! holds for each attempt, and a deadline failure is retried like any
//! failure (`OnFailure`).

use std::time::Duration;

use kpipe::run::Status;
use kpipe::{ContainerStep, Retry};

use crate::timing::Strategy;
use crate::{argo, bound, kfp, local, pipeline};

/// `slow` sleeps `seconds` under a deadline of 1 s; the run, the Argo
/// workflow and the KFP documents.
fn slow(
    seconds: u32,
    retry: Option<Retry>,
) -> (
    local::Local,
    serde_json::Value,
    serde_json::Value,
    serde_json::Value,
) {
    let p = pipeline();
    let sleep = format!("sleep {seconds}");
    let task = p
        .add(ContainerStep::new("slow", ["sh", "-c", &sleep]))
        .timeout_seconds(1);
    if let Some(r) = retry {
        task.retry(r);
    }
    let ran = local::run(&p, &bound(&p, &[]));
    let wf = argo::compile(&p);
    let (spec, platform, compiled) = kfp::compile(&p).unwrap_or_else(|e| panic!("{e}"));
    assert!(compiled.warnings.is_empty(), "{:#?}", compiled.warnings);
    (ran, wf, spec, platform)
}

/// The deadline each backend was given, in seconds.
fn deadlines(
    wf: &serde_json::Value,
    platform: &serde_json::Value,
) -> (serde_json::Value, serde_json::Value) {
    let argo = argo::template(wf, "slow")["activeDeadlineSeconds"].clone();
    let kfp = platform["platforms"]["kubernetes"]["deploymentSpec"]["executors"]["exec-slow"]
        ["activeDeadlineSeconds"]
        .clone();
    (argo, kfp)
}

#[test]
fn a_deadline_kills_a_sleeping_step() {
    let (ran, wf, _, platform) = slow(30, None);
    let report = ran.report("slow");
    assert_eq!(
        report.status,
        Status::Failed("timed out after 1s (activeDeadlineSeconds)".to_owned()),
        "{}",
        ran.log
    );
    assert_eq!((report.attempts, report.exit_code), (1, None));
    // Killed at its deadline, not after its 30 s of sleep.
    assert!(ran.took >= Duration::from_secs(1), "{:?}", ran.took);
    assert!(ran.took < Duration::from_secs(15), "{:?}", ran.took);
    assert_eq!(
        deadlines(&wf, &platform),
        (serde_json::json!(1), serde_json::json!("1"))
    );

    // Within its deadline, the same step succeeds.
    let (ran, wf, _, platform) = slow(0, None);
    assert_eq!(ran.report("slow").status, Status::Succeeded, "{}", ran.log);
    assert_eq!(
        deadlines(&wf, &platform),
        (serde_json::json!(1), serde_json::json!("1"))
    );
}

#[test]
fn a_deadline_is_a_failure_each_attempt_has_its_own() {
    let (ran, wf, spec, platform) = slow(30, Some(Retry::limit(1)));
    let report = ran.report("slow");
    assert!(
        matches!(&report.status, Status::Failed(why) if why.starts_with("timed out after 1s")),
        "{:?}\n{}",
        report.status,
        ran.log
    );
    assert_eq!((report.attempts, report.retries), (2, 1), "{}", ran.log);
    assert!(ran.took >= Duration::from_secs(2), "{:?}", ran.took);
    assert_eq!(
        deadlines(&wf, &platform),
        (serde_json::json!(1), serde_json::json!("1"))
    );
    // Argo and KFP (on Argo) retry the pod its deadline failed, with a new
    // deadline: two attempts.
    let attempts = |s: Strategy| {
        let failed = kpipe::compiler::ir::Attempt::Failed;
        (0..)
            .find(|&n| {
                s.next(n, failed, Duration::from_secs(u64::from(n + 1)))
                    .is_err()
            })
            .map(|n| n + 1)
    };
    let argo = Strategy::argo(&argo::template(&wf, "slow")["retryStrategy"]);
    let kfp = Strategy::kfp(&kfp::task(&spec, "slow")["retryPolicy"]);
    assert_eq!(argo.map(attempts), Ok(Some(2)));
    assert_eq!(kfp.map(attempts), Ok(Some(2)));
}
