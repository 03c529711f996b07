//! Fan-in and a gate on an output: `train` runs once per learning rate and
//! writes its score; `pick` collects every item's score (a fan-in: Argo's
//! aggregated output, KFP's `dsl.Collected`) and writes the best; `deploy`
//! runs only when that best score is above `min-score` (a `when` on a
//! step's number output: Argo's expression, KFP's `dsl.If`).

use kpipe::{CmpOp, Cond, ContainerStep, Kind, Pipeline, Value};

/// The example pipeline.
pub fn pipeline() -> Pipeline {
    let p = Pipeline::new("sweep");
    p.description("fan-in of a loop's outputs and a gate on a step's score")
        .image("alpine:3.20");
    let min_score = p.float_param("min-score", 0.7);
    // Each item "trains" and scores 1 - lr.
    let train = p
        .add(
            ContainerStep::new("train", ["sh", "-c"])
                .arg(r#"awk "BEGIN { print 1 - $1 }" > "$0"; echo "lr $1 scored $(cat "$0")""#)
                .output_param("score")
                .arg(Value::item()),
        )
        .with_items([0.1, 0.2, 0.4]);
    let scores = train.out.param("score").cloned();
    let Some(scores) = scores else { return p };
    // Every item's score, as one JSON list (`["0.9","0.8","0.6"]`).
    let pick = p.add(
        ContainerStep::new("pick", ["sh", "-c"])
            .arg(r#"echo "scores $1"; echo "$1" | tr -d '[]"' | tr ',' '\n' | sort -n | tail -n 1 > "$0""#)
            .output_param("best")
            .arg(Value::collected(&scores)),
    );
    let Some(best) = pick.out.param("best").cloned() else {
        return p;
    };
    p.add(
        ContainerStep::new("deploy", ["sh", "-c"])
            .arg(r#"echo "deploying the model that scored $0""#)
            .arg(&best),
    )
    .when(Cond::compare(
        CmpOp::Gt,
        Kind::Float,
        Value::from(&best),
        Value::from(&min_score),
    ));
    p
}
