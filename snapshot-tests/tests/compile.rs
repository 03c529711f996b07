use insta::{assert_snapshot, with_settings};
use kpipe_compiler::{ArgoVersion, CompileOptions, OutputKind};
use kpipe_pipelines::Profile;

fn compile(p: &kpipe_compiler::Pipeline, options: &CompileOptions) -> String {
    match p.compile(options) {
        Ok(yaml) => yaml,
        Err(e) => panic!("{e}"),
    }
}

#[test]
fn every_pipeline_as_workflow() {
    for entry in kpipe_pipelines::all() {
        let yaml = compile(
            &(entry.build)(&Profile::Cluster),
            &CompileOptions::default(),
        );
        with_settings!({ description => entry.summary, omit_expression => true }, {
            assert_snapshot!(entry.name, yaml);
        });
    }
}

#[test]
fn every_pipeline_as_template_and_cron() {
    for entry in kpipe_pipelines::all() {
        let p = (entry.build)(&Profile::Cluster);
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
            with_settings!({ description => entry.summary, omit_expression => true }, {
                assert_snapshot!(format!("{}-{suffix}", entry.name), yaml);
            });
        }
    }
}

#[test]
fn every_pipeline_local_profile() {
    for entry in kpipe_pipelines::all() {
        let profile = Profile::Local {
            repo: "/tmp/kpipe-local/data-repo".to_owned(),
            step_binary: "/tmp/kpipe-local/bin/kpipe-step".to_owned(),
        };
        let yaml = compile(&(entry.build)(&profile), &CompileOptions::default());
        with_settings!({ description => "the embedded defaults of `kpipe run --local`", omit_expression => true }, {
            assert_snapshot!(format!("{}-local", entry.name), yaml);
        });
    }
}

#[test]
fn every_example() {
    for example in kpipe_examples::all() {
        let options = CompileOptions {
            kind: example.kind,
            ..CompileOptions::default()
        };
        let yaml = compile(&(example.build)(), &options);
        with_settings!({ description => example.summary, omit_expression => true }, {
            assert_snapshot!(format!("example-{}", example.name), yaml);
        });
    }
}

#[test]
fn graphs() {
    for entry in kpipe_pipelines::all() {
        let p = (entry.build)(&Profile::Cluster);
        assert_snapshot!(
            format!("{}-dot", entry.name),
            p.graph(kpipe_compiler::GraphFormat::Dot)
        );
        assert_snapshot!(
            format!("{}-mermaid", entry.name),
            p.graph(kpipe_compiler::GraphFormat::Mermaid)
        );
    }
}
