//! The shared semantics of `when`, loops, retries, deadlines and exit
//! handlers (issue 19): tables whose every row is a tiny pipeline, its
//! inputs and the behaviour it must have, checked three ways —
//!
//! 1. [`local`]: the local runner runs it for real (process engine, `sh`
//!    steps that print what they see);
//! 2. [`argo`]: the Argo lowering's YAML, interpreted as Argo's controller
//!    would run it (`when` through the govaluate oracle of `kpipe-testkit`);
//! 3. [`kfp`]: the KFP lowering's IR, interpreted as KFP's driver would
//!    run it (conditions and selectors through a real CEL interpreter).
//!
//! Every backend reports the same thing ([`model::Fate`] per task: ran,
//! failed, skipped or not run, with the arguments each run saw), so a row
//! states its behaviour once. A backend that cannot express a row, or
//! expresses it with a documented loss, says so in the row ([`Col`]) and
//! the test checks that too — nothing is skipped silently.
//!
//! | family | module | rows |
//! |---|---|---|
//! | `when` | [`conditions`] | text `==`/`!=` (empty), integers (`10` vs `9`), floats (`0.5` = `0.50`), booleans, `and`/`or`/`not`, outputs (a gate on a float score) |
//! | loops | [`loops`] | fixed strings, numbers, maps (`Value::item_field`), another step's JSON list, fan-in (`Value::collected`) of fixed and run-time loops, `when` on the item, a failing item |
//! | retries | [`retries`] | each `RetryPolicy`, `Value::retries()`, backoff with factor and `maxDuration` |
//! | deadlines | [`deadlines`] | a deadline kills a sleeping step, with and without a retry |
//! | exit handlers | [`exit`] | after success (with a skipped task), after a failure (with a task not run) |
//!
//! Run with `--nocapture` to see each table with every backend's column.

mod argo;
mod conditions;
mod deadlines;
mod exit;
mod kfp;
mod local;
mod loops;
mod model;
mod retries;
mod timing;

use kpipe::Pipeline;
use kpipe::compiler::ir::bind::{Bound, bind};

use model::{Behaviour, Fate, Observed};

/// How one backend handles a row, when not simply as the row says.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) enum Col {
    /// As the row says.
    Same,
    /// The backend cannot express the row: compiling fails, naming this.
    Cannot(&'static str),
    /// It compiles with a warning naming this (a documented loss), and
    /// behaves as the row's note says (the row checks it).
    Loss(&'static str),
    /// A limit of the backend itself (not of kpipe's lowering): it does not
    /// do what the row says, and the row checks that it still does not.
    Limit(&'static str),
}

impl Col {
    fn cell(self) -> String {
        match self {
            Col::Same => "✓".to_owned(),
            Col::Cannot(why) => format!("cannot: {why}"),
            Col::Loss(what) => format!("loss: {what}"),
            Col::Limit(what) => format!("limit: {what}"),
        }
    }
}

/// One row's columns, for the printed table.
pub(crate) struct Line {
    pub(crate) row: String,
    pub(crate) expect: String,
    pub(crate) local: Col,
    pub(crate) argo: Col,
    pub(crate) kfp: Col,
}

/// Prints a family's table (Markdown) and fails with every row that went
/// wrong.
pub(crate) fn report(family: &str, lines: &[Line], problems: &[String]) {
    println!("\n### {family}\n");
    println!("| row | expected | local | Argo | KFP |\n|---|---|---|---|---|");
    for l in lines {
        println!(
            "| {} | {} | {} | {} | {} |",
            l.row,
            l.expect,
            l.local.cell(),
            l.argo.cell(),
            l.kfp.cell()
        );
    }
    assert!(
        problems.is_empty(),
        "{family}: {} problem(s):\n\n{}",
        problems.len(),
        problems.join("\n\n")
    );
}

/// `p`'s parameters bound as every command binds them (`-p` values
/// checked, typed and spelled canonically; defaults for the rest).
pub(crate) fn bound(p: &Pipeline, given: &[(&str, &str)]) -> Bound {
    let given: Vec<(String, String)> = given
        .iter()
        .map(|(k, v)| ((*k).to_owned(), (*v).to_owned()))
        .collect();
    bind(&p.param_specs(), &given).unwrap_or_else(|e| panic!("{e}"))
}

/// A pipeline for one row: named, with an image.
pub(crate) fn pipeline() -> Pipeline {
    let p = Pipeline::new("semantics");
    p.image("alpine:3.20");
    p
}

/// Every task's fate, for a row.
pub(crate) type Fates = fn() -> Vec<(&'static str, Fate)>;

/// A row of the loop and exit-handler tables: a pipeline, its `-p`
/// values, and every task's fate; how each backend handles it.
pub(crate) struct Row {
    pub(crate) name: &'static str,
    /// Adds the row's tasks to the pipeline (and their behaviour to `b`).
    pub(crate) build: fn(&Pipeline, &mut Behaviour),
    pub(crate) given: &'static [(&'static str, &'static str)],
    /// Every task's fate.
    pub(crate) expect: Fates,
    pub(crate) local: Col,
    pub(crate) argo: Col,
    pub(crate) kfp: Col,
    /// What KFP does instead, where its column is a [`Col::Loss`].
    pub(crate) kfp_expect: Option<Fates>,
}

impl Row {
    /// A row every backend runs as it says.
    pub(crate) const fn new(
        name: &'static str,
        build: fn(&Pipeline, &mut Behaviour),
        expect: Fates,
    ) -> Self {
        Row {
            name,
            build,
            given: &[],
            expect,
            local: Col::Same,
            argo: Col::Same,
            kfp: Col::Same,
            kfp_expect: None,
        }
    }
}

/// What the cluster backends made of one row.
pub(crate) struct Ran {
    /// The Argo workflow, as JSON.
    pub(crate) workflow: serde_json::Value,
    pub(crate) argo: Result<argo::Run, String>,
    /// `Err`: KFP cannot express the pipeline (the diagnostics), or its
    /// driver would fail the run.
    pub(crate) kfp: Result<(serde_json::Value, kfp::Run), String>,
}

/// Builds `row`'s pipeline and runs it on every backend, checking each
/// against the row; problems are pushed to `problems`.
pub(crate) fn run_row(row: &Row, problems: &mut Vec<String>) -> (Ran, Line) {
    let p = pipeline();
    let mut b = Behaviour::default();
    (row.build)(&p, &mut b);
    let bound = bound(&p, row.given);
    let local = local::run(&p, &bound);
    let workflow = argo::compile(&p);
    let argo = argo::run(&workflow, &bound, &b);
    let (kfp, kfp_warnings) = match kfp::compile(&p) {
        Ok((spec, _, compiled)) => {
            let warnings: Vec<String> = compiled.warnings.iter().map(|w| w.to_string()).collect();
            (kfp::run(&spec, &bound, &b).map(|r| (spec, r)), warnings)
        }
        Err(e) => (Err(e.to_string()), Vec::new()),
    };
    let expect: Observed = (row.expect)()
        .into_iter()
        .map(|(k, v)| (k.to_owned(), v))
        .collect();
    let mut check = |backend: &str, col: Col, got: Result<&Observed, &str>, expect: &Observed| {
        let ok = match (col, got) {
            (Col::Same | Col::Loss(_), Ok(o)) => o == expect,
            (Col::Limit(_), Ok(o)) => o != expect,
            (Col::Limit(_), Err(_)) => true,
            (Col::Cannot(why), Err(e)) => e.contains(why),
            (_, Err(_)) | (Col::Cannot(_), Ok(_)) => false,
        };
        if !ok {
            problems.push(format!(
                "{} on {backend} ({}): expected {expect:?}\ngot {got:#?}",
                row.name,
                col.cell()
            ));
        }
    };
    check("local", row.local, Ok(&local.observed), &expect);
    let argo_got = argo.as_ref().map(|r| &r.observed).map_err(String::as_str);
    check("Argo", row.argo, argo_got, &expect);
    let kfp_expect: Observed = match (row.kfp, row.kfp_expect) {
        (Col::Loss(_), Some(f)) => f().into_iter().map(|(k, v)| (k.to_owned(), v)).collect(),
        _ => expect.clone(),
    };
    let kfp_got = kfp
        .as_ref()
        .map(|(_, r)| &r.observed)
        .map_err(String::as_str);
    check("KFP", row.kfp, kfp_got, &kfp_expect);
    if let Col::Loss(what) = row.kfp
        && !kfp_warnings.iter().any(|w| w.contains(what))
    {
        problems.push(format!(
            "{} on KFP: no warning saying `{what}`: {kfp_warnings:#?}",
            row.name
        ));
    }
    let line = Line {
        row: row.name.to_owned(),
        expect: describe(&expect),
        local: row.local,
        argo: row.argo,
        kfp: row.kfp,
    };
    (
        Ran {
            workflow,
            argo,
            kfp,
        },
        line,
    )
}

/// The expected fates for a table cell: `task: ran [a] [b]`.
fn describe(o: &Observed) -> String {
    let runs = |runs: &[Vec<String>]| {
        runs.iter()
            .map(|r| format!("[{}]", r.join(" ")))
            .collect::<Vec<_>>()
            .join(" ")
    };
    o.iter()
        .map(|(task, fate)| match fate {
            Fate::Ran(r) => format!("{task}: ran {}", runs(r)),
            Fate::Failed(r) => format!("{task}: failed {}", runs(r)),
            Fate::Skipped => format!("{task}: skipped"),
            Fate::NotRun => format!("{task}: not run"),
        })
        .collect::<Vec<_>>()
        .join("; ")
}
