//! IR → Argo text: a task's pieces as its container sees them, values as
//! Argo's `{{…}}` references, conditions as govaluate expressions.
//!
//! | IR                                   | Argo                                          |
//! |--------------------------------------|-----------------------------------------------|
//! | `Piece::Input(NAME)`                 | `{{inputs.parameters.NAME}}` (exit handler: the value's global reference) |
//! | `Piece::InputArtifact(NAME)`         | `/kpipe/inputs/NAME`                           |
//! | `Piece::OutputArtifact(NAME)`        | `/kpipe/outputs/NAME`                          |
//! | `Piece::OutputParam(NAME)`           | `/kpipe/outputs/NAME.param`                    |
//! | `Piece::Retries`                     | `{{retries}}`                                 |
//! | `Value::Param(p)`                    | `{{workflow.parameters.p}}`                   |
//! | `Value::Output(t.o)`                 | `{{tasks.t.outputs.parameters.o}}`            |
//! | `Value::Collected(t.o)`, `t` a loop  | `{{tasks.t.outputs.parameters.o}}`: Argo's JSON list of every item's value |
//! | text, bool; `==`/`!=` of integer parameters and literals | `'A' == 'B'` (compared as text) |
//! | other numbers (orderings, floats, outputs, loop items)   | `A > B` (compared as numbers)   |
//!
//! A literal of a number or boolean is written in its kind's canonical
//! spelling (`010` → `10`, ` true` → `true`), as the binder spells every
//! parameter's value, so comparing the two as text is comparing them as
//! values — and exact for integers past 2^53, which govaluate's float64
//! would round. An output or a loop item may be spelled any way (`07`), so
//! integers that are not both parameters or literals compare as numbers.

use crate::ir::{CmpOp, Cond, Kind, Piece, Pieces, TaskNode, Value};

/// The value as an Argo reference valid in a DAG task (its `when`,
/// `arguments` or loop) and in an exit handler's template.
pub(crate) fn dag_expr(v: &Value) -> String {
    match v {
        Value::Literal(s) => s.clone(),
        Value::Param(p) => format!("{{{{workflow.parameters.{}}}}}", p.0.name),
        Value::Item => "{{item}}".to_owned(),
        Value::ItemField(f) => format!("{{{{item.{f}}}}}"),
        // (of a loop task, Argo aggregates the items' values: a JSON list)
        Value::Output(o) | Value::Collected(o) => format!(
            "{{{{tasks.{}.outputs.parameters.{}}}}}",
            o.0.task_name, o.0.output
        ),
        Value::WorkflowStatus => "{{workflow.status}}".to_owned(),
        Value::WorkflowName => "{{workflow.name}}".to_owned(),
        Value::Retries => "{{retries}}".to_owned(),
        Value::Concat(parts) => parts.iter().map(dag_expr).collect(),
    }
}

/// `pieces` as task `t`'s container sees them. An exit handler is invoked
/// without arguments, so it reads its values as global references.
pub(crate) fn pieces(t: &TaskNode, pieces: &Pieces, exit: bool) -> String {
    pieces.render(|p| match p {
        Piece::Text(s) => s.clone(),
        Piece::Input(name) if exit => t
            .input(name)
            .map_or_else(String::new, |i| dag_expr(&i.value)),
        Piece::Input(name) => format!("{{{{inputs.parameters.{name}}}}}"),
        Piece::InputArtifact(_) | Piece::OutputArtifact(_) | Piece::OutputParam(_) => {
            t.path_of(p).unwrap_or_default().to_owned()
        }
        Piece::Retries => "{{retries}}".to_owned(),
        // (arguments holding it are left out: `container_args`)
        Piece::ExecutorInput => String::new(),
    })
}

/// The condition as a govaluate expression.
pub(crate) fn cond(c: &Cond) -> String {
    match c {
        Cond::Cmp {
            op,
            kind,
            left,
            right,
        } => {
            let canonical = |v: &Value| matches!(v, Value::Literal(_) | Value::Param(_));
            let as_text = match kind {
                Kind::String | Kind::Bool => true,
                Kind::Integer => {
                    matches!(op, CmpOp::Eq | CmpOp::Ne) && canonical(left) && canonical(right)
                }
                Kind::Float => false,
            };
            let side = |v: &Value| match v {
                Value::Literal(l) if *kind != Kind::String => {
                    kind.canonical(l).unwrap_or_else(|| l.clone())
                }
                v => dag_expr(v),
            };
            let (l, r) = (side(left), side(right));
            if as_text {
                format!("'{l}' {} '{r}'", op.symbol())
            } else {
                format!("{l} {} {r}", op.symbol())
            }
        }
        Cond::And(a, b) => format!("({}) && ({})", cond(a), cond(b)),
        Cond::Or(a, b) => format!("({}) || ({})", cond(a), cond(b)),
        Cond::Not(a) => format!("!({})", cond(a)),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn integers_compare_as_text_only_when_both_sides_are_spelled_canonically() {
        let p = crate::Pipeline::new("p");
        let rows = p.int_param("rows", 3);
        let flag = p.bool_param("flag", false);
        let by_hand = |kind, left: Value, right: &str| Cond::compare(CmpOp::Eq, kind, left, right);
        for (c, argo) in [
            (rows.eq(10), "'{{workflow.parameters.rows}}' == '10'"),
            (
                by_hand(Kind::Integer, Value::from(&rows), "010"),
                "'{{workflow.parameters.rows}}' == '10'",
            ),
            (
                by_hand(Kind::Bool, Value::from(&flag), " true"),
                "'{{workflow.parameters.flag}}' == 'true'",
            ),
            (by_hand(Kind::Integer, Value::Item, "07"), "{{item}} == 7"),
            (
                by_hand(Kind::Float, Value::item_field("rate"), "0.50"),
                "{{item.rate}} == 0.5",
            ),
            (rows.gt(9), "{{workflow.parameters.rows}} > 9"),
            (Cond::text_eq(Value::Item, "007"), "'{{item}}' == '007'"),
        ] {
            assert_eq!(cond(&c), argo, "{}", c.describe());
        }
    }
}
