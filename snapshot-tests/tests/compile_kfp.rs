use insta::{assert_snapshot, with_settings};
use kpipe_compiler::{CompileError, KfpOptions, Pipeline};

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

/// Every pipeline of the `kpipe` binary (kubernetes-analysis and every
/// example) as `kpipe compile NAME --target kfp` writes it.
#[test]
fn every_pipeline_as_kfp_ir() {
    let app = kpipe_pipelines::app();
    for (name, summary) in app.pipelines() {
        let p = app
            .build_pipeline(Some(name))
            .unwrap_or_else(|e| panic!("{e:#}"));
        let text = compile(&p);
        with_settings!({ description => summary, omit_expression => true }, {
            assert_snapshot!(name, text);
        });
    }
}
