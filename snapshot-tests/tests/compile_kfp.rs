use insta::{assert_snapshot, with_settings};
use kpipe_compiler::{CompileError, KfpOptions, Pipeline};
use kpipe_pipelines::Profile;

/// The IR file, then the warnings as `kpipe compile --target kfp` prints
/// them; or the diagnostics when the pipeline cannot compile for KFP.
fn compile(p: &Pipeline) -> String {
    match p.compile_kfp(&KfpOptions::default()) {
        Ok(c) => {
            let mut out = c.yaml;
            out.push_str("\n# warnings\n");
            for w in &c.warnings {
                out.push_str(&w.to_string());
            }
            out
        }
        Err(CompileError::Invalid(d)) => format!("# does not compile for KFP\n{d}\n"),
        Err(e) => panic!("{e}"),
    }
}

#[test]
fn every_pipeline_as_kfp_ir() {
    for entry in kpipe_pipelines::all() {
        let text = compile(&(entry.build)(&Profile::Cluster));
        with_settings!({ description => entry.summary, omit_expression => true }, {
            assert_snapshot!(entry.name, text);
        });
    }
}

#[test]
fn every_example_as_kfp_ir() {
    for example in kpipe_examples::all() {
        let text = compile(&(example.build)());
        with_settings!({ description => example.summary, omit_expression => true }, {
            assert_snapshot!(format!("example-{}", example.name), text);
        });
    }
}
