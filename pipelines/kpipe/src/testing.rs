//! Snapshot tests of your pipelines: the review surface for every change.
//!
//! ```ignore
//! #[test]
//! fn pipelines_compile_to_the_reviewed_yaml() {
//!     kpipe::assert_pipelines!(crate::app());
//! }
//! ```
//!
//! [`assert_pipelines!`](crate::assert_pipelines) compiles every pipeline of
//! the app exactly as `APP compile NAME` does, runs the `lint` checks on the
//! YAML (Argo 3's schemas with unknown keys rejected, and the graph rules;
//! `compile` targets Argo 3 unless told `--argo 4`), and compares it with the snapshot
//! `snapshots/NAME.snap` next to the test's file using insta. It does the
//! same for the Kubeflow Pipelines v2 IR `APP compile NAME --target kfp`
//! writes (linted against KFP 2.17's protos): `snapshots/NAME@kfp.snap`. A
//! pipeline that cannot compile for KFP (one that reads Argo's
//! `{{retries}}`, say) is snapshotted as its located errors, so a pipeline
//! that stops compiling for KFP shows in review rather than going quiet.
//! A change shows as a YAML diff in `cargo insta review`; in CI (`CI` set) a
//! missing or changed snapshot fails the test. Needs the `testing` feature:
//! `[dev-dependencies] kpipe = { …, features = ["testing"] }`.

pub use insta;

use crate::App;

/// One compiled pipeline, ready to snapshot.
#[derive(Clone, Debug)]
pub struct Compiled {
    /// The pipeline's registered name (the snapshot's name).
    pub name: String,
    /// Its summary (the snapshot's description).
    pub summary: String,
    /// The YAML `compile` writes.
    pub yaml: String,
    /// The IR `compile --target kfp` writes, or the errors that say why the
    /// pipeline cannot compile for Kubeflow Pipelines v2 (under a `#` line).
    pub kfp: String,
}

/// Every pipeline of `app`, compiled and linted.
///
/// # Panics
///
/// When a pipeline does not compile for Argo (with its diagnostics), or its
/// YAML or KFP IR does not pass `lint` (with every problem): this is a test
/// assertion.
pub fn compile_all(app: &App) -> Vec<Compiled> {
    let mut out = Vec::new();
    for entry in &app.registry.entries {
        let yaml = match crate::app::compile_default(app, entry) {
            Ok(y) => y,
            Err(e) => panic!("pipeline `{}` does not compile:\n{e}", entry.name),
        };
        let mut problems = Vec::new();
        // `compile` targets Argo 3 by default (`--argo 4` selects 4.x shapes).
        for version in [
            kpipe_compiler::lint::SchemaVersion::V3_1_6,
            kpipe_compiler::lint::SchemaVersion::V3_5_14,
        ] {
            for p in kpipe_compiler::lint::lint(&yaml, version) {
                problems.push(format!("{}: {p}", version.as_str()));
            }
        }
        assert!(
            problems.is_empty(),
            "pipeline `{}` compiles to YAML that `lint` rejects:\n{}",
            entry.name,
            problems.join("\n")
        );
        let kfp = match crate::app::compile_default_kfp(app, entry) {
            Ok(text) => text,
            Err(e) => panic!("pipeline `{}` does not compile for KFP:\n{e}", entry.name),
        };
        // (the errors of a pipeline KFP cannot run are not IR)
        if !kfp.starts_with(crate::app::NOT_KFP) {
            problems.extend(
                kpipe_compiler::lint::lint_kfp(&kfp)
                    .into_iter()
                    .map(|p| format!("kfp: {p}")),
            );
        }
        assert!(
            problems.is_empty(),
            "pipeline `{}` compiles to KFP IR that `lint` rejects:\n{}",
            entry.name,
            problems.join("\n")
        );
        out.push(Compiled {
            name: entry.name.clone(),
            summary: entry.summary.clone(),
            yaml,
            kfp,
        });
    }
    out
}

/// Snapshots every pipeline of an [`App`] (see the [module](self)).
#[macro_export]
macro_rules! assert_pipelines {
    ($app:expr) => {{
        let app: $crate::App = $app;
        for compiled in $crate::testing::compile_all(&app) {
            let mut settings = $crate::testing::insta::Settings::clone_current();
            settings.set_prepend_module_to_snapshot(false);
            settings.set_omit_expression(true);
            settings.set_description(compiled.summary.clone());
            settings.bind(|| {
                $crate::testing::insta::assert_snapshot!(compiled.name.clone(), compiled.yaml);
            });
            settings.set_snapshot_suffix("kfp");
            settings.bind(|| {
                $crate::testing::insta::assert_snapshot!(compiled.name.clone(), compiled.kfp);
            });
        }
    }};
}
