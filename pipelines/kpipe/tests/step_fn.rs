//! `#[kpipe::step]`: a step that is one function — its command line (help
//! from its docs, values parsed back as written), its place in a pipeline
//! (typed inputs, typed outputs and output parameters, typed loop items),
//! what it does when the runtime runs it, and the check that refuses a
//! pipeline whose step is not registered.

use std::process::ExitCode;

use kpipe::step::parse_args;
use kpipe::{App, Arg, CompileOptions, DiagnosticKind, Pipeline, Steps, ToArgs};

mod steps {
    use kpipe::step::kfp::Metric;
    use kpipe::{ArtifactType, Context, Input, Metrics, Output, ParamWriter};

    /// Rows of text.
    #[derive(Debug)]
    pub(crate) enum Rows {}
    impl ArtifactType for Rows {
        const KIND: &'static str = "rows";
    }

    /// A trained model.
    #[derive(Debug)]
    pub(crate) enum Model {}
    impl ArtifactType for Model {
        const KIND: &'static str = "model";
    }

    /// Make `rows` rows of text.
    ///
    /// More about making rows.
    ///
    /// # Arguments
    ///
    /// - `rows`: how many rows
    /// - `data`: the rows
    #[kpipe::step]
    pub(crate) fn make_rows(
        rows: i64,
        /// The text of every row.
        label: String,
        limit: Option<u32>,
        data: Output<Rows>,
        count: ParamWriter<i64>,
        ctx: &mut Context,
    ) -> anyhow::Result<()> {
        let n = limit.map_or(rows, |l| rows.min(i64::from(l)));
        data.write((0..n).map(|i| format!("{label} {i}\n")).collect::<String>())?;
        count.write(n)?;
        ctx.info(format_args!("made {n} rows"));
        Ok(())
    }

    /// The learning rates to try.
    #[kpipe::step]
    pub(crate) fn sweep(rates: ParamWriter<Vec<f64>>) -> anyhow::Result<()> {
        rates.write(vec![0.1, 0.01])
    }

    /// Train on the rows with one rate.
    #[kpipe::step]
    pub(crate) fn train(
        data: Input<Rows>,
        rows: i64,
        rate: f64,
        model: Output<Model>,
        metrics: Metrics,
    ) -> anyhow::Result<()> {
        let text = data.read_to_string()?;
        anyhow::ensure!(text.lines().count() as i64 == rows, "{rows} rows expected");
        model.write(format!("rate {rate}"))?;
        metrics.write(&[Metric::raw("rate", rate)])
    }
}

use steps::{MakeRows, MakeRowsArgs, Sweep, Train};

/// make-rows → train (once per rate of sweep's list), and where
/// `train` was added.
fn pipeline() -> (Pipeline, u32) {
    let p = Pipeline::new("fn-steps");
    p.image("example.com/app:1");
    let rows = p.int_param("rows", 3);
    let made = p.add(MakeRows {
        rows: &rows,
        label: "row",
        limit: None,
    });
    let sweep = p.add(Sweep {});
    let line = line!() + 1;
    p.add(Train {
        data: &made.out.data,
        rows: &made.out.count,
        rate: sweep.out.rates.item(),
    })
    .with_param(&sweep.out.rates);
    (p, line)
}

fn app(steps: Steps) -> App {
    App::new("app")
        .pipeline("fn-steps", "steps as functions", || pipeline().0)
        .steps(steps)
}

fn all_steps() -> Steps {
    Steps::new()
        .step(steps::make_rows)
        .step(steps::sweep)
        .step(steps::train)
}

#[test]
fn a_step_function_renders_the_command_line_it_parses() {
    let args = MakeRowsArgs {
        rows: Arg::new(3),
        label: Arg::new("a row, with --dashes".to_owned()),
        limit: Arg::new(Some(2)),
        data: kpipe::Output::new("/kpipe/outputs/data"),
        count: kpipe::ParamWriter::new("/kpipe/outputs/count.param"),
    };
    let rendered = args.to_args();
    assert_eq!(
        rendered,
        [
            "make-rows",
            "--rows=3",
            "--label=a row, with --dashes",
            "--limit=2",
            "--data=/kpipe/outputs/data",
            "--count=/kpipe/outputs/count.param",
        ]
    );
    let back: MakeRowsArgs = parse_args(&rendered).unwrap_or_else(|e| panic!("{e}"));
    assert_eq!(back, args);
    // A value that is not the parameter's type is a usage error naming the flag.
    let mut bad = rendered.clone();
    bad[1] = "--rows=three".to_owned();
    let err = parse_args::<MakeRowsArgs>(&bad)
        .err()
        .map(|e| e.to_string())
        .unwrap_or_default();
    assert!(
        err.contains("--rows") && err.contains("expected an integer, got `three`"),
        "{err}"
    );
}

#[test]
fn docs_become_the_help_of_the_step_and_its_flags() {
    let mut cmd = all_steps().command("app");
    let help = cmd
        .find_subcommand_mut("make-rows")
        .map(|c| c.render_long_help().to_string())
        .unwrap_or_default();
    for text in [
        "Make `rows` rows of text.",
        "More about making rows.",
        "--rows <ROWS>",
        "how many rows",
        "The text of every row",
        "--data <DATA>",
        "the rows",
    ] {
        assert!(help.contains(text), "{text}:\n{help}");
    }
    // The argument list became the flags' help, not the step's.
    assert!(
        !help.contains("# Arguments") && !help.contains("- `rows`"),
        "{help}"
    );
}

#[test]
fn a_pipeline_wires_typed_inputs_outputs_and_loop_items() {
    let yaml = pipeline()
        .0
        .compile(&CompileOptions::default())
        .unwrap_or_else(|e| panic!("{e}"));
    for text in [
        "- make-rows\n      - --rows={{inputs.parameters.rows}}\n      - --label=row\n      - --limit=\n      - --data=/kpipe/outputs/data\n      - --count=/kpipe/outputs/count.param\n",
        "- sweep\n      - --rates=/kpipe/outputs/rates.param\n",
        "- train\n      - --data=/kpipe/inputs/data\n      - --rows={{inputs.parameters.make-rows-count}}\n      - --rate={{inputs.parameters.item}}\n      - --model=/kpipe/outputs/model\n      - --metrics=/kpipe/outputs/mlpipeline-metrics.json\n",
        r#"withParam: "{{tasks.sweep.outputs.parameters.rates}}""#,
    ] {
        assert!(yaml.contains(text), "{text}\n{yaml}");
    }
}

#[test]
fn the_runtime_runs_a_step_function_with_typed_values() {
    let tmp = tempfile::tempdir().unwrap_or_else(|e| panic!("{e}"));
    let data = tmp.path().join("make/data");
    let count = tmp.path().join("make/count.param");
    let run = |args: Vec<String>| {
        let argv = ["app".to_owned()].into_iter().chain(args);
        all_steps().main_from("app", argv)
    };
    let made = run(vec![
        "make-rows".into(),
        "--rows=5".into(),
        "--label=r".into(),
        "--limit=3".into(),
        format!("--data={}", data.display()),
        format!("--count={}", count.display()),
    ]);
    assert_eq!(made, ExitCode::SUCCESS);
    assert_eq!(
        std::fs::read_to_string(&data).unwrap_or_default(),
        "r 0\nr 1\nr 2\n"
    );
    let written = std::fs::read_to_string(&count).unwrap_or_default();
    assert_eq!(written, "3");
    // The next step reads the output parameter as its typed input.
    let model = tmp.path().join("train/model");
    let metrics = tmp.path().join("train/mlpipeline-metrics.json");
    let trained = run(vec![
        "train".into(),
        format!("--data={}", data.display()),
        format!("--rows={written}"),
        "--rate=0.1".into(),
        format!("--model={}", model.display()),
        format!("--metrics={}", metrics.display()),
    ]);
    assert_eq!(trained, ExitCode::SUCCESS);
    assert_eq!(
        std::fs::read_to_string(&model).unwrap_or_default(),
        "rate 0.1"
    );
    assert!(std::fs::read_to_string(&metrics).is_ok_and(|m| m.contains("\"rate\"")));
    // The function's error fails the step (1); a bad value is a usage error (2).
    let failed = run(vec![
        "train".into(),
        format!("--data={}", data.display()),
        "--rows=4".into(),
        "--rate=0.1".into(),
        format!("--model={}", model.display()),
        format!("--metrics={}", metrics.display()),
    ]);
    assert_eq!(failed, ExitCode::from(1));
    let usage = run(vec![
        "train".into(),
        format!("--data={}", data.display()),
        "--rows=4".into(),
        "--rate=fast".into(),
        format!("--model={}", model.display()),
        format!("--metrics={}", metrics.display()),
    ]);
    assert_eq!(usage, ExitCode::from(2));
}

#[test]
fn a_pipeline_whose_step_is_not_registered_does_not_compile() {
    let (_, line) = pipeline();
    let missing = app(Steps::new().step(steps::make_rows).step(steps::sweep));
    let p = missing
        .build_pipeline(None)
        .unwrap_or_else(|e| panic!("{e:#}"));
    let Err(kpipe::CompileError::Invalid(d)) = p.compile(&CompileOptions::default()) else {
        panic!("compiled with `train` unregistered");
    };
    let [problem] = d.items() else {
        panic!("{d}");
    };
    assert_eq!(
        problem.kind,
        DiagnosticKind::UnregisteredStep {
            task: "train".into(),
            step: "train".into(),
            program: "app step".into(),
            hosted: vec!["make-rows".into(), "sweep".into()],
        }
    );
    assert!(problem.location.file.ends_with("tests/step_fn.rs"));
    assert_eq!(problem.location.line, line);
    let text = problem.to_string();
    assert!(
        text.contains("error[kpipe::unregistered-step]: step `train` runs `app step train`")
            && text.contains("`.step(train)`"),
        "{text}"
    );
    // Every command that sends or runs it refuses it too; the KFP target as well.
    let kfp = p.compile_kfp(&kpipe::KfpOptions::default());
    assert!(kfp.is_err());
    let tmp = tempfile::tempdir().unwrap_or_else(|e| panic!("{e}"));
    let workdir = format!("--workdir={}", tmp.path().display());
    let code = app(Steps::new().step(steps::make_rows).step(steps::sweep))
        .run(["app", "run", "--local", &workdir]);
    assert_eq!(code, ExitCode::from(1));
    assert!(!tmp.path().join("steps").exists(), "nothing ran");
    let code = app(Steps::new()).run(["app", "compile", "-o", "/dev/null"]);
    assert_eq!(code, ExitCode::from(1));

    // Registered, it compiles.
    let ok = app(all_steps())
        .build_pipeline(None)
        .unwrap_or_else(|e| panic!("{e:#}"));
    assert!(ok.compile(&CompileOptions::default()).is_ok());
}

#[test]
fn pipelines_without_an_app_or_with_their_own_step_program_are_not_checked() {
    // Not built by an app: nothing declares what the step program runs.
    assert!(pipeline().0.compile(&CompileOptions::default()).is_ok());
    // A step program the app does not know: not checked.
    let foreign = App::new("app")
        .pipeline("fn-steps", "s", || {
            let p = pipeline().0;
            p.step_program(["other-binary"]);
            p
        })
        .build_pipeline(None)
        .unwrap_or_else(|e| panic!("{e:#}"));
    assert!(foreign.compile(&CompileOptions::default()).is_ok());
    // Declared with `external_steps`: checked against that list.
    let external = App::new("app")
        .pipeline("fn-steps", "s", || {
            let p = pipeline().0;
            p.step_program(["other-binary"]);
            p
        })
        .external_steps(["other-binary"], ["make-rows", "sweep"])
        .build_pipeline(None)
        .unwrap_or_else(|e| panic!("{e:#}"));
    let err = external
        .compile(&CompileOptions::default())
        .err()
        .map(|e| e.to_string())
        .unwrap_or_default();
    assert!(
        err.contains("step `train` runs `other-binary train`, but no `train` is registered there: `other-binary` runs `make-rows`, `sweep`"),
        "{err}"
    );
}
