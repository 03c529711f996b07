//! `when` conditions as CEL over a condition task's inputs
//! (`inputs.parameter_values['pipelinechannel--pr'] == ''`).
//!
//! A comparison is typed ([`Cond`]): both sides are read as its kind, the
//! way [`Cond::evaluate`] defines. KFP passes typed values, and a channel's
//! value has the KFP type of what it carries, so each side is converted to
//! the comparison's kind: `int(…)` and `double(…)` for numbers (KFP stores
//! every number as a double, and a step's output parameter as text),
//! `… == 'true'` for a boolean carried as text, `string(…)` for text of
//! another type.

use super::spec::ParameterType;
use crate::ir::{Cond, Kind, Value};

/// One side of a comparison.
#[derive(Clone, Debug, PartialEq)]
pub(crate) enum Operand {
    /// A string known at compile time.
    Literal(String),
    /// A CEL expression of a KFP type.
    Expr(String, ParameterType),
}

/// Renders `cond`; `operand` turns each value into an operand (and records
/// which inputs the condition reads).
pub(crate) fn render(
    cond: &Cond,
    operand: &mut dyn FnMut(&Value) -> Result<Operand, String>,
) -> Result<String, String> {
    Ok(match cond {
        Cond::Cmp(c) => {
            let (op, kind, left, right) = (&c.op, &c.kind, &c.left, &c.right);
            let (a, b) = (value(left, operand)?, value(right, operand)?);
            if let (Operand::Literal(_), Operand::Literal(_)) = (&a, &b) {
                // Constants only: known now (validation refuses one that is
                // never true).
                let holds = cond.evaluate(&|_| None).unwrap_or(false);
                return Ok(holds.to_string());
            }
            format!("{} {} {}", side(a, *kind)?, op.symbol(), side(b, *kind)?)
        }
        Cond::And(a, b) => format!("({}) && ({})", render(a, operand)?, render(b, operand)?),
        Cond::Or(a, b) => format!("({}) || ({})", render(a, operand)?, render(b, operand)?),
        Cond::Not(a) => format!("!({})", render(a, operand)?),
    })
}

fn value(
    v: &Value,
    operand: &mut dyn FnMut(&Value) -> Result<Operand, String>,
) -> Result<Operand, String> {
    let Value::Concat(parts) = v else {
        return operand(v);
    };
    let mut literal = String::new();
    let mut exprs: Vec<String> = Vec::new();
    for part in parts {
        match value(part, operand)? {
            Operand::Literal(s) => literal.push_str(&s),
            Operand::Expr(e, t) => {
                if !literal.is_empty() {
                    exprs.push(quote(&std::mem::take(&mut literal)));
                }
                exprs.push(as_text(e, t)?);
            }
        }
    }
    if exprs.is_empty() {
        return Ok(Operand::Literal(literal));
    }
    if !literal.is_empty() {
        exprs.push(quote(&literal));
    }
    Ok(Operand::Expr(
        format!("({})", exprs.join(" + ")),
        ParameterType::String,
    ))
}

/// An expression of type `t` as text.
fn as_text(e: String, t: ParameterType) -> Result<String, String> {
    match t {
        ParameterType::String => Ok(e),
        ParameterType::Integer | ParameterType::Double | ParameterType::Boolean => {
            Ok(format!("string({e})"))
        }
        other => Err(format!(
            "joins a {} value into text, which CEL cannot do",
            super::types::name(other)
        )),
    }
}

/// One side as a CEL expression of the comparison's kind.
fn side(o: Operand, kind: Kind) -> Result<String, String> {
    match o {
        Operand::Literal(l) => literal(&l, kind),
        Operand::Expr(e, t) => Ok(match (kind, t) {
            (Kind::String, t) => as_text(e, t)?,
            (Kind::Integer, _) => format!("int({e})"),
            (Kind::Float, _) => format!("double({e})"),
            (Kind::Bool, ParameterType::Boolean) => e,
            (Kind::Bool, ParameterType::String) => format!("({e} == 'true')"),
            (Kind::Bool, other) => {
                return Err(format!(
                    "reads a {} value as true or false",
                    super::types::name(other)
                ));
            }
        }),
    }
}

/// A literal of `kind` in CEL (validation has checked it is one).
fn literal(l: &str, kind: Kind) -> Result<String, String> {
    let bad = || {
        format!(
            "compares `{l}` as {kind}, and it is not {}",
            kind.article_name()
        )
    };
    Ok(match kind {
        Kind::String => quote(l),
        Kind::Integer => l.trim().parse::<i64>().map_err(|_| bad())?.to_string(),
        // `{:?}` keeps the `.0` CEL needs to read a double (`1.0`, not `1`).
        Kind::Float => {
            let f: f64 = l.trim().parse().map_err(|_| bad())?;
            format!("{f:?}")
        }
        Kind::Bool => match l.trim() {
            "true" | "false" => l.trim().to_owned(),
            _ => return Err(bad()),
        },
    })
}

/// A CEL string literal.
pub(crate) fn quote(s: &str) -> String {
    let mut out = String::with_capacity(s.len() + 2);
    out.push('\'');
    for c in s.chars() {
        match c {
            '\\' => out.push_str("\\\\"),
            '\'' => out.push_str("\\'"),
            '\n' => out.push_str("\\n"),
            '\r' => out.push_str("\\r"),
            '\t' => out.push_str("\\t"),
            c => out.push(c),
        }
    }
    out.push('\'');
    out
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::ir::CmpOp;

    fn input(name: &str, t: ParameterType) -> Operand {
        Operand::Expr(
            format!("inputs.parameter_values['pipelinechannel--{name}']"),
            t,
        )
    }

    fn render_with(cond: &Cond) -> Result<String, String> {
        render(cond, &mut |v| {
            Ok(match v {
                Value::Literal(s) => Operand::Literal(s.clone()),
                Value::Item => input("n", ParameterType::Integer),
                Value::ItemField(f) if f == "flag" => input("flag", ParameterType::Boolean),
                Value::ItemField(f) if f == "list" => input("list", ParameterType::List),
                Value::ItemField(f) => input(f, ParameterType::String),
                _ => return Err("unexpected".to_owned()),
            })
        })
    }

    fn cmp(op: CmpOp, kind: Kind, a: Value, b: &str) -> Cond {
        Cond::compare(op, kind, a, b)
    }

    #[test]
    fn comparisons_convert_each_side_to_their_kind() {
        let c = Cond::text_eq(Value::item_field("pr"), "").and(cmp(
            CmpOp::Ne,
            Kind::Integer,
            Value::Item,
            "3",
        ));
        assert_eq!(
            render_with(&c).as_deref(),
            Ok(
                "(inputs.parameter_values['pipelinechannel--pr'] == '') && (int(inputs.parameter_values['pipelinechannel--n']) != 3)"
            )
        );
        assert_eq!(
            render_with(&cmp(CmpOp::Gt, Kind::Float, Value::item_field("acc"), "1")).as_deref(),
            Ok("double(inputs.parameter_values['pipelinechannel--acc']) > 1.0")
        );
        assert_eq!(
            render_with(&cmp(CmpOp::Eq, Kind::Bool, Value::item_field("flag"), "false").not())
                .as_deref(),
            Ok("!(inputs.parameter_values['pipelinechannel--flag'] == false)")
        );
        assert_eq!(
            render_with(&cmp(CmpOp::Eq, Kind::Bool, Value::item_field("s"), "true")).as_deref(),
            Ok("(inputs.parameter_values['pipelinechannel--s'] == 'true') == true")
        );
        assert_eq!(render_with(&Cond::text_eq("a", "a")).as_deref(), Ok("true"));
    }

    #[test]
    fn concatenations_quotes_and_refusals() {
        let joined = Value::concat([
            Value::from("v"),
            Value::item_field("tag"),
            Value::from("'x"),
        ]);
        assert_eq!(
            render_with(&Cond::text_eq(joined, "v1'x")).as_deref(),
            Ok("('v' + inputs.parameter_values['pipelinechannel--tag'] + '\\'x') == 'v1\\'x'")
        );
        let list = Value::item_field("list");
        assert!(render_with(&Cond::text_eq(list, "[]")).is_err());
        let n_as_text = Cond::text_eq(Value::Item, Value::item_field("pr"));
        assert_eq!(
            render_with(&n_as_text).as_deref(),
            Ok(
                "string(inputs.parameter_values['pipelinechannel--n']) == inputs.parameter_values['pipelinechannel--pr']"
            )
        );
        assert!(render_with(&cmp(CmpOp::Eq, Kind::Integer, Value::Item, "many")).is_err());
    }
}
