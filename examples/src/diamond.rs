//! A diamond DAG whose edges come from typed artifacts: `split` feeds `upper`
//! and `lower`, both feed `join`. No `.after()` is needed.

use kpipe::Pipeline;

use crate::text::Shell;

/// The example pipeline.
pub fn pipeline() -> Pipeline {
    let p = Pipeline::new("diamond");
    p.description("typed artifacts: a diamond DAG whose edges come from data");
    let words = p.string_param("words", "Hello Typed Pipelines");
    let split = p.add(Shell {
        name: "split",
        script: r#"echo "$1" | tr ' ' '\n' > "$OUT""#,
        inputs: vec![],
        values: vec![(&words).into()],
    });
    let upper = p.add(Shell {
        name: "upper",
        script: r#"tr a-z A-Z < "$IN_WORDS" > "$OUT""#,
        inputs: vec![("words", &split.out.text)],
        values: vec![],
    });
    let lower = p.add(Shell {
        name: "lower",
        script: r#"tr A-Z a-z < "$IN_WORDS" > "$OUT""#,
        inputs: vec![("words", &split.out.text)],
        values: vec![],
    });
    p.add(Shell {
        name: "join",
        script: r#"paste "$IN_UPPER" "$IN_LOWER" > "$OUT""#,
        inputs: vec![("upper", &upper.out.text), ("lower", &lower.out.text)],
        values: vec![],
    });
    p
}
