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
//! | text, bool, `==`/`!=` of integers    | `'A' == 'B'` (compared as text)               |
//! | numbers (orderings, floats)          | `A > B` (compared as numbers)                 |

use crate::ir::{CmpOp, Cond, Kind, Piece, Pieces, TaskNode, Value};

/// The value as an Argo reference valid in a DAG task (its `when`,
/// `arguments` or loop) and in an exit handler's template.
pub(crate) fn dag_expr(v: &Value) -> String {
    match v {
        Value::Literal(s) => s.clone(),
        Value::Param(p) => format!("{{{{workflow.parameters.{}}}}}", p.0.name),
        Value::Item => "{{item}}".to_owned(),
        Value::ItemField(f) => format!("{{{{item.{f}}}}}"),
        Value::Output(o) => format!(
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
            let as_text = match kind {
                Kind::String | Kind::Bool => true,
                Kind::Integer => matches!(op, CmpOp::Eq | CmpOp::Ne),
                Kind::Float => false,
            };
            let (l, r) = (dag_expr(left), dag_expr(right));
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
