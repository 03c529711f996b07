use insta::{assert_snapshot, with_settings};
use kpipe::{ArgoVersion, CompileOptions, OutputKind};

fn compile(p: &kpipe::Pipeline, options: &CompileOptions) -> String {
    match p.compile(options) {
        Ok(yaml) => yaml,
        Err(e) => panic!("{e}"),
    }
}

/// Every pipeline of the `kpipe` binary (kubernetes-analysis and every
/// example) exactly as `kpipe compile NAME` writes it, linted: what users
/// of `kpipe::assert_pipelines!` get for their own pipelines.
#[test]
fn every_pipeline_as_workflow() {
    kpipe::assert_pipelines!(kpipe_pipelines::app());
}

/// A pipeline whose step nobody registered fails `assert_pipelines!` (so
/// `cargo test`) with the located diagnostic, before any snapshot.
#[test]
fn assert_pipelines_refuses_a_step_nobody_registered() {
    let line = line!() + 5;
    let app = kpipe::App::new("app")
        .pipeline("functions", "steps as functions", || {
            let p = kpipe::Pipeline::new("functions");
            p.image("example.com/app:1");
            p.add(kpipe_examples::functions::Deploy { score: 0.9 });
            p
        })
        .steps(kpipe::Steps::new().step(kpipe_examples::functions::grid));
    let Err(panic) = std::panic::catch_unwind(std::panic::AssertUnwindSafe(|| {
        kpipe::assert_pipelines!(app)
    })) else {
        panic!("assert_pipelines! passed with `deploy` unregistered");
    };
    let message = panic.downcast_ref::<String>().cloned().unwrap_or_default();
    for text in [
        format!("tests/compile.rs:{line}:"),
        "error[kpipe::unregistered-step]: step `deploy` runs `app step deploy`, but no `deploy` is registered there: `app step` runs `grid`".to_owned(),
        "`.step(deploy)`".to_owned(),
    ] {
        assert!(message.contains(&text), "{text}\n{message}");
    }
}

/// The other kinds, for the scheduled pipelines (kubernetes-analysis and the
/// cron example).
#[test]
fn scheduled_pipelines_as_template_and_cron() {
    let app = kpipe_pipelines::app();
    for (name, summary) in app.pipelines() {
        let p = app
            .build_pipeline(Some(name))
            .unwrap_or_else(|e| panic!("{e:#}"));
        if !p.is_scheduled() {
            continue;
        }
        for (suffix, kind, argo) in [
            ("template", OutputKind::WorkflowTemplate, ArgoVersion::V3),
            ("cron", OutputKind::CronWorkflow, ArgoVersion::V3),
            ("cron-argo4", OutputKind::CronWorkflow, ArgoVersion::V4),
        ] {
            let options = CompileOptions {
                kind,
                argo,
                ..CompileOptions::default()
            };
            let yaml = compile(&p, &options);
            with_settings!({ description => summary, omit_expression => true }, {
                assert_snapshot!(format!("{name}-{suffix}"), yaml);
            });
        }
    }
}

#[test]
fn graphs() {
    let app = kpipe_pipelines::app();
    for (name, _) in app.pipelines() {
        let p = app
            .build_pipeline(Some(name))
            .unwrap_or_else(|e| panic!("{e:#}"));
        assert_snapshot!(format!("{name}-dot"), p.graph(kpipe::GraphFormat::Dot));
        assert_snapshot!(
            format!("{name}-mermaid"),
            p.graph(kpipe::GraphFormat::Mermaid)
        );
    }
}
