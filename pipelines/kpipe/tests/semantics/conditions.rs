//! `when`: one task `gate` guarded by the row's condition, run with the
//! row's `-p` values; it runs exactly when the condition holds.
//!
//! Values reach each backend as it receives them: the local runner and Argo
//! get each parameter's canonical text (the binder's: `010` → `10`, `0.50` →
//! `0.5`), KFP its typed value (every number a double in CEL); a step's
//! output is the text it wrote.

use kpipe::{CmpOp, Cond, Kind, Pipeline, Value};

use crate::model::{Behaviour, Fate, produce};
use crate::{Col, Line, argo, bound, kfp, local, pipeline, report};

struct CondRow {
    name: &'static str,
    /// Declares the parameters (and any step the condition reads) and
    /// returns the condition.
    cond: fn(&Pipeline, &mut Behaviour) -> Cond,
    given: &'static [(&'static str, &'static str)],
    holds: bool,
    argo: Col,
}

const fn row(
    name: &'static str,
    cond: fn(&Pipeline, &mut Behaviour) -> Cond,
    given: &'static [(&'static str, &'static str)],
    holds: bool,
) -> CondRow {
    CondRow {
        name,
        cond,
        given,
        holds,
        argo: Col::Same,
    }
}

fn pr(p: &Pipeline) -> kpipe::Param<String> {
    p.string_param("pr", "")
}
fn rows(p: &Pipeline) -> kpipe::Param<i64> {
    p.int_param("rows", 3)
}
fn rate(p: &Pipeline) -> kpipe::Param<f64> {
    p.float_param("rate", 0.5)
}
fn flag(p: &Pipeline) -> kpipe::Param<bool> {
    p.bool_param("flag", false)
}

/// A step `check` that writes `text` to its output `out`; the output.
fn output(p: &Pipeline, b: &mut Behaviour, text: &str) -> Value {
    let t = p.add(produce(b, "check", "out", text));
    t.out
        .param("out")
        .map(Value::from)
        .unwrap_or_else(|| panic!("no output"))
}

fn table() -> Vec<CondRow> {
    vec![
        // Text.
        row("pr == '' (pr unset)", |p, _| pr(p).is_empty(), &[], true),
        row(
            "pr == '' (pr = 123)",
            |p, _| pr(p).is_empty(),
            &[("pr", "123")],
            false,
        ),
        row("pr != '' (pr unset)", |p, _| pr(p).is_set(), &[], false),
        row(
            "pr != '' (pr = x)",
            |p, _| pr(p).is_set(),
            &[("pr", "x")],
            true,
        ),
        row(
            "pr == 'main' (pr = main)",
            |p, _| pr(p).eq("main"),
            &[("pr", "main")],
            true,
        ),
        row(
            "pr == 'main' (pr = mainline)",
            |p, _| pr(p).eq("main"),
            &[("pr", "mainline")],
            false,
        ),
        row(
            "pr == 'a b' (pr = a b)",
            |p, _| pr(p).eq("a b"),
            &[("pr", "a b")],
            true,
        ),
        CondRow {
            argo: Col::Limit(
                "Argo substitutes the value into `'{{…}}' == '…'` as text: a `'` in it ends the string (the controller cannot evaluate the `when`)",
            ),
            ..row(
                "pr == \"it's\" (pr = it's)",
                |p, _| pr(p).eq("it's"),
                &[("pr", "it's")],
                true,
            )
        },
        // Integers: numbers, not text ("10" < "9" as text).
        row(
            "rows == 10 (rows = 10)",
            |p, _| rows(p).eq(10),
            &[("rows", "10")],
            true,
        ),
        row(
            "rows == 10 (rows = 010, bound as 10)",
            |p, _| rows(p).eq(10),
            &[("rows", "010")],
            true,
        ),
        row(
            "rows != 3 (rows unset: 3)",
            |p, _| rows(p).ne(3),
            &[],
            false,
        ),
        row(
            "rows > 9 (rows = 10)",
            |p, _| rows(p).gt(9),
            &[("rows", "10")],
            true,
        ),
        row(
            "rows <= 9 (rows = 10)",
            |p, _| rows(p).le(9),
            &[("rows", "10")],
            false,
        ),
        row(
            "rows <= 9 (rows = 9)",
            |p, _| rows(p).le(9),
            &[("rows", "9")],
            true,
        ),
        row(
            "rows >= 100 (rows = 99)",
            |p, _| rows(p).ge(100),
            &[("rows", "99")],
            false,
        ),
        row(
            "rows < 9 (rows = -10)",
            |p, _| rows(p).lt(9),
            &[("rows", "-10")],
            true,
        ),
        row(
            "rows > limit (10, 9)",
            |p, _| rows(p).gt(&p.int_param("limit", 9)),
            &[("rows", "10")],
            true,
        ),
        row(
            "rows == limit (10, 10)",
            |p, _| rows(p).eq(&p.int_param("limit", 10)),
            &[("rows", "10")],
            true,
        ),
        row(
            "rows == '010' written by hand (rows = 10)",
            |p, _| Cond::compare(CmpOp::Eq, Kind::Integer, &rows(p), "010"),
            &[("rows", "10")],
            true,
        ),
        // Floats.
        row(
            "rate == 0.5 (rate = 0.50, bound as 0.5)",
            |p, _| rate(p).eq(0.5),
            &[("rate", "0.50")],
            true,
        ),
        row(
            "rate == 0.50 written by hand (rate = 0.5)",
            |p, _| Cond::compare(CmpOp::Eq, Kind::Float, &rate(p), "0.50"),
            &[],
            true,
        ),
        row(
            "rate > 0.45 (rate = 0.5)",
            |p, _| rate(p).gt(0.45),
            &[],
            true,
        ),
        row(
            "rate <= 0.25 (rate = 0.5)",
            |p, _| rate(p).le(0.25),
            &[],
            false,
        ),
        row(
            "rate < 10 (rate = 9.5)",
            |p, _| rate(p).lt(10.0),
            &[("rate", "9.5")],
            true,
        ),
        row(
            "rate == 1 (rate = 1.0, bound as 1)",
            |p, _| rate(p).eq(1),
            &[("rate", "1.0")],
            true,
        ),
        // Booleans.
        row(
            "flag is true (flag = true)",
            |p, _| flag(p).is_true(),
            &[("flag", "true")],
            true,
        ),
        row(
            "flag is true (flag unset: false)",
            |p, _| flag(p).is_true(),
            &[],
            false,
        ),
        row(
            "flag is false (flag unset: false)",
            |p, _| flag(p).is_false(),
            &[],
            true,
        ),
        row(
            "flag is false (flag = true)",
            |p, _| flag(p).is_false(),
            &[("flag", "true")],
            false,
        ),
        row(
            "flag == ' true' written by hand (flag = true)",
            |p, _| Cond::compare(CmpOp::Eq, Kind::Bool, &flag(p), " true"),
            &[("flag", "true")],
            true,
        ),
        // and / or / not.
        row(
            "pr == '' && rows > 9 (unset, 10)",
            |p, _| pr(p).is_empty().and(rows(p).gt(9)),
            &[("rows", "10")],
            true,
        ),
        row(
            "pr == '' && rows > 9 (unset, 9)",
            |p, _| pr(p).is_empty().and(rows(p).gt(9)),
            &[("rows", "9")],
            false,
        ),
        row(
            "pr != '' || flag (unset, unset)",
            |p, _| pr(p).is_set().or(flag(p).is_true()),
            &[],
            false,
        ),
        row(
            "pr != '' || flag (unset, true)",
            |p, _| pr(p).is_set().or(flag(p).is_true()),
            &[("flag", "true")],
            true,
        ),
        row(
            "!(rows > 9) (rows = 10)",
            |p, _| rows(p).gt(9).not(),
            &[("rows", "10")],
            false,
        ),
        row(
            "pr == '' && (rows > 9 || !flag) (unset, 3, false)",
            |p, _| {
                pr(p)
                    .is_empty()
                    .and(rows(p).gt(9).or(flag(p).is_true().not()))
            },
            &[],
            true,
        ),
        row(
            "pr == '' && (rows > 9 || !flag) (unset, 3, true)",
            |p, _| {
                pr(p)
                    .is_empty()
                    .and(rows(p).gt(9).or(flag(p).is_true().not()))
            },
            &[("flag", "true")],
            false,
        ),
        row(
            "!(pr != '' || flag) (unset, unset)",
            |p, _| pr(p).is_set().or(flag(p).is_true()).not(),
            &[],
            true,
        ),
        // Another step's output.
        row(
            "check.out == 'ok' (wrote ok)",
            |p, b| Cond::text_eq(output(p, b, "ok"), "ok"),
            &[],
            true,
        ),
        row(
            "check.out > 9 as an integer (wrote 10)",
            |p, b| Cond::compare(CmpOp::Gt, Kind::Integer, output(p, b, "10"), "9"),
            &[],
            true,
        ),
        row(
            "check.out == 7 as an integer (wrote 07)",
            |p, b| Cond::compare(CmpOp::Eq, Kind::Integer, output(p, b, "07"), "7"),
            &[],
            true,
        ),
        row(
            "check.out is true as a bool (wrote true)",
            |p, b| Cond::compare(CmpOp::Eq, Kind::Bool, output(p, b, "true"), "true"),
            &[],
            true,
        ),
        // A gate on a step's score (kfp's `dsl.If(acc > 0.7)`).
        row(
            "check.out > 0.7 as a float (wrote 0.75)",
            |p, b| Cond::compare(CmpOp::Gt, Kind::Float, output(p, b, "0.75"), "0.7"),
            &[],
            true,
        ),
        row(
            "check.out > 0.7 as a float (wrote 0.65)",
            |p, b| Cond::compare(CmpOp::Gt, Kind::Float, output(p, b, "0.65"), "0.7"),
            &[],
            false,
        ),
        row(
            "check.out == 0.5 as a float (wrote 0.50)",
            |p, b| Cond::compare(CmpOp::Eq, Kind::Float, output(p, b, "0.50"), "0.5"),
            &[],
            true,
        ),
    ]
}

#[test]
fn when_holds_alike_on_every_backend() {
    let mut lines = Vec::new();
    let mut problems = Vec::new();
    for row in table() {
        let p = pipeline();
        let mut b = Behaviour::default();
        let cond = (row.cond)(&p, &mut b);
        let shown = cond.describe();
        p.add(crate::model::echo("gate", [])).when(cond);
        let bound = bound(&p, row.given);
        let expected = if row.holds {
            Fate::once(&[])
        } else {
            Fate::Skipped
        };
        let mut fail = |backend: &str, what: String| {
            problems.push(format!("{} [{shown}] on {backend}: {what}", row.name));
        };

        let local = local::run(&p, &bound);
        if local.observed.get("gate") != Some(&expected) {
            fail("local", format!("{:?}\n{}", local.observed, local.log));
        }

        let wf = argo::compile(&p);
        let when = argo::dag_task(&wf, "gate")["when"].clone();
        match (argo::run(&wf, &bound, &b), row.argo) {
            (Ok(run), Col::Same) if run.observed.get("gate") == Some(&expected) => {}
            (Err(_), Col::Limit(_)) => {}
            (Ok(run), Col::Limit(_)) if run.observed.get("gate") != Some(&expected) => {}
            (got, _) => fail("Argo", format!("`when: {when}` → {got:?}")),
        }

        match kfp::compile(&p) {
            Ok((spec, _, _)) => {
                let condition = kfp::parent(&spec, "gate").1["triggerPolicy"]["condition"].clone();
                match kfp::run(&spec, &bound, &b) {
                    Ok(run) if run.observed.get("gate") == Some(&expected) => {}
                    got => fail("KFP", format!("`{condition}` → {got:?}")),
                }
            }
            Err(e) => fail("KFP", format!("does not compile: {e}")),
        }
        lines.push(Line {
            row: row.name.to_owned(),
            expect: if row.holds { "runs" } else { "skipped" }.to_owned(),
            local: Col::Same,
            argo: row.argo,
            kfp: Col::Same,
        });
    }
    report("when", &lines, &problems);
}
