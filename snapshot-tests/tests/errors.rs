//! Broken pipelines, one per test, each with several problems: validation
//! must report all of them at once, each with the line that caused it.

use insta::{assert_snapshot, with_settings};
use kpipe_compiler::{
    CompileError, CompileOptions, ContainerStep, OutputKind, Pipeline, Value, Volume,
};

fn diagnostics(p: &Pipeline, kind: OutputKind) -> String {
    let options = CompileOptions {
        kind,
        ..CompileOptions::default()
    };
    match p.compile(&options) {
        Ok(yaml) => panic!("expected diagnostics, got YAML:\n{yaml}"),
        Err(CompileError::Invalid(d)) => d.to_string(),
        Err(e) => panic!("unexpected error: {e}"),
    }
}

fn echo(name: &str) -> ContainerStep {
    ContainerStep::new(name, ["echo"])
}

#[test]
fn names_duplicates_and_empty() {
    let p = Pipeline::new("Bad_Pipeline");
    p.image("alpine:3.20");
    p.string_param("pr", "");
    p.string_param("pr", "again");
    p.string_param("has space", "");
    p.add(echo("fetch"));
    p.add(echo("fetch"));
    p.add(echo("Train_Model"));
    p.volume(Volume::empty_dir("scratch"));
    p.volume(Volume::empty_dir("scratch"));
    let empty = Pipeline::new("empty");
    with_settings!({ description => "invalid and duplicate names; an empty pipeline" }, {
        assert_snapshot!(format!(
            "{}\n\n{}",
            diagnostics(&p, OutputKind::Workflow),
            diagnostics(&empty, OutputKind::Workflow)
        ));
    });
}

#[test]
fn cycles_are_named_paths() {
    let p = Pipeline::new("cyclic");
    p.image("alpine:3.20");
    let a = p.add(echo("a"));
    let b = p.add(echo("b")).after(&a);
    let c = p.add(echo("c")).after(&b);
    let _a = a.after(&c);
    let d = p.add(echo("d"));
    let e = p.add(echo("e")).after(&d);
    let _d = d.after(&e);
    p.add(echo("independent"));
    with_settings!({ description => "cycles through .after(), reported as named paths" }, {
        assert_snapshot!(diagnostics(&p, OutputKind::Workflow));
    });
}

#[test]
fn references_that_do_not_resolve() {
    let other = Pipeline::new("other");
    let foreign_param = other.string_param("foreign", "");
    let foreign_task = other.add(echo("elsewhere").output_param("list"));

    let p = Pipeline::new("dangling");
    let local = p.string_param("pr", "");
    p.add(
        echo("uses-foreign-param")
            .arg(&foreign_param)
            .image("alpine:3.20"),
    );
    p.add(
        echo("raw-reference")
            .arg("{{workflow.parameters.missing}}")
            .image("alpine:3.20"),
    );
    p.add(echo("foreign-output").image("alpine:3.20"))
        .with_param(
            foreign_task
                .out
                .param("list")
                .cloned()
                .map_or(Value::item(), |l| Value::from(&l)),
        );
    p.add(echo("bad-when").image("alpine:3.20"))
        .when(foreign_param.is_empty().or(local.is_set()));
    p.add(echo("bad-mount").image("alpine:3.20"))
        .mount("secrets", "/secrets");
    p.add(echo("item-no-loop").arg(Value::item()).image("alpine:3.20"));
    p.add(echo("no-image")).after(&foreign_task);
    with_settings!({ description => "parameters, artifacts, volumes and tasks that are not declared in this pipeline" }, {
        assert_snapshot!(diagnostics(&p, OutputKind::Workflow));
    });
}

#[test]
fn a_loops_outputs_are_read_together() {
    let p = Pipeline::new("fan-in");
    p.image("alpine:3.20");
    let sweep = p
        .add(echo("sweep").output_param("score"))
        .with_items(["0.1", "0.2"]);
    let once = p.add(echo("once").output_param("score"));
    let (Some(score), Some(single)) = (
        sweep.out.param("score").cloned(),
        once.out.param("score").cloned(),
    ) else {
        panic!("no outputs");
    };
    // A loop's output read as one value; a step that is no loop collected.
    p.add(echo("reads-one").arg(&score));
    p.add(echo("collects-one").arg(Value::collected(&single)));
    p.add(echo("fine").arg(Value::collected(&score)));
    with_settings!({ description => "a loop's output read as one value, and collecting a step that is not a loop" }, {
        assert_snapshot!(diagnostics(&p, OutputKind::Workflow));
    });
}

#[test]
fn cron_without_schedule() {
    let p = Pipeline::new("unscheduled");
    p.image("alpine:3.20");
    p.add(echo("work"));
    with_settings!({ description => "a CronWorkflow needs a schedule" }, {
        assert_snapshot!(diagnostics(&p, OutputKind::CronWorkflow));
    });
}

#[test]
fn what_kubeflow_pipelines_v2_cannot_express() {
    let p = Pipeline::new("argo-only");
    p.image("alpine:3.20");
    let n = p.int_param("n", 1);
    p.add(echo("env-from-param")).env("N", &n);
    p.add(echo("attempt").arg(Value::retries()));
    p.add(echo("disk"))
        .resources(kpipe_compiler::Resources::default().request("ephemeral-storage", "1Gi"));
    let list = p.add(echo("list").output_param("names")).when(n.eq(2));
    if let Some(names) = list.out.param("names") {
        p.add(echo("reads-it").arg(names));
    }
    let text = match p.compile_kfp(&kpipe_compiler::KfpOptions::default()) {
        Ok(c) => panic!("expected diagnostics, got IR:\n{}", c.yaml),
        Err(CompileError::Invalid(d)) => d.to_string(),
        Err(e) => panic!("unexpected error: {e}"),
    };
    with_settings!({ description => "Argo features with no Kubeflow Pipelines v2 equivalent: errors naming the step and the target" }, {
        assert_snapshot!(text);
    });
}
