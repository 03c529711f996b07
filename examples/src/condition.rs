//! `when` conditions: `smoke-test` always runs, `deploy` only for the `prod`
//! environment when not a dry run, `report` whenever `notify` is set.

use kpipe::{ContainerStep, Pipeline};

/// The example pipeline.
pub fn pipeline() -> Pipeline {
    let p = Pipeline::new("condition");
    p.description("`when` conditions over parameters")
        .image("alpine:3.20");
    let environment = p.string_param("environment", "staging");
    let dry_run = p.bool_param("dry-run", false);
    let notify = p.string_param("notify", "");
    let test = p.add(
        ContainerStep::new("smoke-test", ["echo"])
            .arg("testing")
            .arg(&environment),
    );
    p.add(
        ContainerStep::new("deploy", ["echo"])
            .arg("deploying to")
            .arg(&environment),
    )
    .after(&test)
    .when(environment.eq("prod").and(dry_run.is_false()));
    p.add(
        ContainerStep::new("report", ["echo"])
            .arg("notifying")
            .arg(&notify),
    )
    .after(&test)
    .when(notify.is_set());
    p
}
