use insta::{assert_snapshot, with_settings};
use kpipe_compiler::{KfpOptions, Pipeline};

/// The warnings `kpipe compile NAME --target kfp` prints on stderr: what KFP
/// does differently. `None` when the pipeline cannot compile for KFP.
fn warnings(p: &Pipeline) -> Option<String> {
    let compiled = p.compile_kfp(&KfpOptions::default()).ok()?;
    let mut out = String::new();
    for w in &compiled.warnings {
        out.push_str(&w.to_string());
    }
    Some(out)
}

/// Every pipeline of the `kpipe` binary (kubernetes-analysis and every
/// example) that compiles for KFP, with the warnings `kpipe compile NAME
/// --target kfp` prints. The IR itself, and the errors of a pipeline that
/// cannot compile for KFP, are `assert_pipelines!`'s `NAME@kfp` snapshots
/// (compile.rs).
#[test]
fn every_pipeline_s_kfp_warnings() {
    let app = kpipe_pipelines::app();
    let mut compiled = 0;
    for (name, summary) in app.pipelines() {
        let p = app
            .build_pipeline(Some(name))
            .unwrap_or_else(|e| panic!("{e:#}"));
        let Some(text) = warnings(&p) else {
            continue;
        };
        compiled += 1;
        with_settings!({ description => summary, omit_expression => true }, {
            assert_snapshot!(name, text);
        });
    }
    assert!(compiled > 1, "only {compiled} pipeline compiles for KFP");
}
