//! Loops: a task runs once per item of a fixed list (`withItems`) or of a
//! JSON list known at run time (`withParam`: another step's output, a
//! parameter); each run sees its item (`Value::item()`) or the item's
//! fields (`Value::item_field`) as the backend renders them — a string as
//! its text, a number as its shortest decimal, anything else as JSON.

use kpipe::{CmpOp, Cond, Kind, Pipeline, Value};
use serde_json::json;

use crate::model::{Behaviour, Fate, echo, fail_on, produce, produce_each};
use crate::{Col, Row, report, run_row};

fn item() -> Vec<Value> {
    vec![Value::item()]
}

/// `list` writes `text` to its output `names`; the output, to loop over.
fn listed(p: &Pipeline, b: &mut Behaviour, text: &str) -> Value {
    let t = p.add(produce(b, "list", "names", text));
    t.out
        .param("names")
        .map(Value::from)
        .unwrap_or_else(|| panic!("no output"))
}

fn table() -> Vec<Row> {
    vec![
        Row::new(
            "withItems strings",
            |p, _| {
                p.add(echo("each", item())).with_items(["a", "b c"]);
            },
            || vec![("each", Fate::each(&[&["a"], &["b c"]]))],
        ),
        Row::new(
            "withItems numbers (10, 9, 0.5, -3)",
            |p, _| {
                p.add(echo("each", item())).with_items([
                    json!(10),
                    json!(9),
                    json!(0.5),
                    json!(-3),
                ]);
            },
            || vec![("each", Fate::each(&[&["10"], &["9"], &["0.5"], &["-3"]]))],
        ),
        Row::new(
            "withItems maps, item_field",
            |p, _| {
                let fields = ["name", "n", "on"].map(Value::item_field);
                p.add(echo("each", fields)).with_items([
                    json!({"name": "a", "n": 1, "on": true}),
                    json!({"name": "b c", "n": 20, "on": false}),
                ]);
            },
            || {
                vec![(
                    "each",
                    Fate::each(&[&["a", "1", "true"], &["b c", "20", "false"]]),
                )]
            },
        ),
        Row::new(
            "withParam: another step's JSON list",
            |p, b| {
                let names = listed(p, b, r#"["x","y z"]"#);
                p.add(echo("each", item())).with_param(names);
            },
            || {
                vec![
                    ("list", Fate::once(&[r#"["x","y z"]"#])),
                    ("each", Fate::each(&[&["x"], &["y z"]])),
                ]
            },
        ),
        Row::new(
            "withParam: another step's list of maps, item_field",
            |p, b| {
                let rows = listed(p, b, r#"[{"id":"a","zone":"eu"},{"id":"b","zone":"us"}]"#);
                let fields = ["zone", "id"].map(Value::item_field);
                p.add(echo("each", fields)).with_param(rows);
            },
            || {
                vec![
                    (
                        "list",
                        Fate::once(&[r#"[{"id":"a","zone":"eu"},{"id":"b","zone":"us"}]"#]),
                    ),
                    ("each", Fate::each(&[&["eu", "a"], &["us", "b"]])),
                ]
            },
        ),
        Row {
            kfp: Col::Cannot("KFP iterates over a LIST only"),
            given: &[("names", r#"["p", "q"]"#)],
            ..Row::new(
                "withParam: a parameter holding a JSON list",
                |p, _| {
                    let names = p.string_param("names", "[]");
                    p.add(echo("each", item())).with_param(&names);
                },
                || vec![("each", Fate::each(&[&["p"], &["q"]]))],
            )
        },
        Row {
            ..Row::new(
                "when on the item (item > 5 of 10, 9, 3)",
                |p, _| {
                    p.add(echo("each", item()))
                        .with_items([10, 9, 3])
                        .when(Cond::compare(CmpOp::Gt, Kind::Integer, Value::item(), "5"));
                },
                || vec![("each", Fate::each(&[&["10"], &["9"]]))],
            )
        },
        Row {
            ..Row::new(
                "when on the item as text (item == '10' of 10, 9)",
                |p, _| {
                    p.add(echo("each", item()))
                        .with_items([10, 9])
                        .when(Cond::text_eq(Value::item(), "10"));
                },
                || vec![("each", Fate::each(&[&["10"]]))],
            )
        },
        Row::new(
            "fan-in: every item's output collected, in item order",
            |p, b| {
                let each = p
                    .add(produce_each(b, "each", "out"))
                    .with_items(["a", "b c", "7"]);
                let out = each.out.param("out").cloned();
                let out = out.unwrap_or_else(|| panic!("no output"));
                p.add(echo("gather", [Value::collected(&out)]));
            },
            || {
                vec![
                    ("each", Fate::each(&[&["a"], &["b c"], &["7"]])),
                    ("gather", Fate::once(&[r#"["a","b c","7"]"#])),
                ]
            },
        ),
        Row::new(
            "fan-in over another step's JSON list (withParam)",
            |p, b| {
                let names = listed(p, b, r#"["x","y"]"#);
                let each = p.add(produce_each(b, "each", "out")).with_param(names);
                let out = each.out.param("out").cloned();
                let out = out.unwrap_or_else(|| panic!("no output"));
                p.add(echo("gather", [Value::collected(&out)]));
            },
            || {
                vec![
                    ("list", Fate::once(&[r#"["x","y"]"#])),
                    ("each", Fate::each(&[&["x"], &["y"]])),
                    ("gather", Fate::once(&[r#"["x","y"]"#])),
                ]
            },
        ),
        Row {
            ..Row::new(
                "an item fails (b of a, b, c): every item runs, the task fails, its dependant does not run",
                |p, b| {
                    let each = p
                        .add(fail_on(b, "each", "b", item()))
                        .with_items(["a", "b", "c"]);
                    p.add(echo("after", [])).after(&each);
                },
                || {
                    vec![
                        (
                            "each",
                            Fate::Failed(vec![
                                vec!["a".into()],
                                vec!["b".into()],
                                vec!["c".into()],
                            ]),
                        ),
                        ("after", Fate::NotRun),
                    ]
                },
            )
        },
    ]
}

#[test]
fn loops_run_each_item_alike_on_every_backend() {
    let mut lines = Vec::new();
    let mut problems = Vec::new();
    for row in table() {
        let (_, line) = run_row(&row, &mut problems);
        lines.push(line);
    }
    report("loops", &lines, &problems);
}
