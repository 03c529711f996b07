//! A step's attempts: started, watched to their end or deadline, retried as
//! its retry strategy says ([`Retry::next_delay`], the compiler's
//! definition, which Argo's `retryStrategy` and KFP's `retryPolicy` render).

use std::time::{Duration, Instant};

use kpipe_compiler::ir::{Attempt, Retry, TaskNode};

use super::engine::{Execution, Prepared};
use super::process::Failure;
use super::workspace::Workspace;
use super::{RunContext, Shared, TaskReport};

/// Makes the attempts; `Ok(Err(why))` when the step failed for good.
#[allow(clippy::too_many_arguments)]
pub(crate) fn run(
    t: &TaskNode,
    ctx: &RunContext,
    shared: &Shared,
    ws: &Workspace,
    prepared: &Prepared,
    argv: &dyn Fn(u32) -> anyhow::Result<Vec<String>>,
    env: &[(String, String)],
    report: &mut TaskReport,
) -> anyhow::Result<Result<(), String>> {
    let retry = t.settings.retry.clone().unwrap_or(Retry::limit(0));
    let deadline = t
        .settings
        .timeout_seconds
        .map(|s| Duration::from_secs(s.max(0).unsigned_abs()));
    let started = Instant::now();
    let mut attempt = 0u32;
    loop {
        let args = argv(attempt)?;
        report.command = prepared.shown(&args);
        report.attempts += 1;
        let this = Execution {
            t,
            ctx,
            shared,
            ws,
            argv: &args,
            env,
            number: attempt,
            deadline,
        };
        let launched = ctx.engine.attempt(&this, prepared);
        let failure = match launched {
            Ok(()) => {
                report.exit_code = Some(0);
                return Ok(Ok(()));
            }
            Err(f) => f,
        };
        report.exit_code = match &failure {
            Failure::Exit(_, code) => *code,
            Failure::Start(_) | Failure::Timeout(_) | Failure::Interrupted(_) => None,
        };
        let kind = match &failure {
            Failure::Start(_) => Attempt::Errored,
            Failure::Exit(..) | Failure::Timeout(_) => Attempt::Failed,
            Failure::Interrupted(_) => return Ok(Err(failure.message().to_owned())),
        };
        match retry.next_delay(attempt, kind, started.elapsed()) {
            Ok(delay) => {
                attempt += 1;
                report.retries += 1;
                shared.say(
                    &ws.label,
                    &format!(
                        "retry {attempt}/{} in {:.1}s after: {}",
                        retry.limit,
                        delay.as_secs_f64(),
                        failure.message()
                    ),
                );
                if !ctx.interrupt.sleep(delay) {
                    return Ok(Err(format!(
                        "{}; no retry: {}",
                        failure.message(),
                        ctx.interrupt.reason()
                    )));
                }
            }
            Err(Some(reason)) => return Ok(Err(format!("{} ({reason})", failure.message()))),
            Err(None) => return Ok(Err(failure.message().to_owned())),
        }
    }
}
