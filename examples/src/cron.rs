//! A pipeline that runs on a schedule: compiled with `OutputKind::CronWorkflow`
//! (or `kpipe compile --kind cron`), it becomes a CronWorkflow.

use kpipe::{ConcurrencyPolicy, ContainerStep, Pipeline, Schedule};

/// The example pipeline.
pub fn pipeline() -> Pipeline {
    let p = Pipeline::new("nightly-report");
    p.description("a CronWorkflow with a schedule and concurrency policy")
        .image("alpine:3.20")
        .schedule(
            Schedule::cron("30 2 * * *")
                .concurrency(ConcurrencyPolicy::Forbid)
                .timezone("Europe/Berlin")
                .starting_deadline_seconds(3600),
        );
    let day = p.string_param("day", "yesterday");
    p.add(ContainerStep::new("report", ["echo", "report for"]).arg(&day));
    p
}
