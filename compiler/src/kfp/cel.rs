//! `when` conditions as CEL over a condition task's inputs
//! (`inputs.parameter_values['pipelinechannel--pr'] == ''`).
//!
//! kpipe compares values as strings (Argo substitutes text). KFP passes typed
//! values, so a comparison with a literal becomes a typed one when the
//! literal is how Argo would print that value (`int(n) == 3`,
//! `dry_run == false`), and a constant when no value of that type prints as
//! the literal (`dry_run == 'False'` is never true in Argo either).

use super::spec::ParameterType;
use super::types;
use crate::condition::Cond;
use crate::param::Value;

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
        Cond::Eq(a, b) => compare(value(a, operand)?, value(b, operand)?, true)?,
        Cond::Ne(a, b) => compare(value(a, operand)?, value(b, operand)?, false)?,
        Cond::And(a, b) => format!("({}) && ({})", render(a, operand)?, render(b, operand)?),
        Cond::Or(a, b) => format!("({}) || ({})", render(a, operand)?, render(b, operand)?),
        Cond::Not(a) => format!("!({})", render(a, operand)?),
        Cond::Raw(expr) => return Err(format!("raw:{expr}")),
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
            Operand::Expr(e, ParameterType::String) => {
                if !literal.is_empty() {
                    exprs.push(quote(&std::mem::take(&mut literal)));
                }
                exprs.push(e);
            }
            Operand::Expr(_, t) => {
                return Err(format!(
                    "joins a {} value into a string, which CEL cannot do implicitly",
                    types::name(t)
                ));
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

fn compare(a: Operand, b: Operand, equal: bool) -> Result<String, String> {
    let op = if equal { "==" } else { "!=" };
    match (a, b) {
        (Operand::Literal(x), Operand::Literal(y)) => Ok(((x == y) == equal).to_string()),
        (Operand::Expr(e, t), Operand::Literal(l)) | (Operand::Literal(l), Operand::Expr(e, t)) => {
            match typed_literal(&l, t)? {
                Some(lit) => Ok(format!("{} {op} {lit}", cast(&e, t))),
                None => Ok((!equal).to_string()),
            }
        }
        (Operand::Expr(x, s), Operand::Expr(y, t)) if s == t && scalar(s) => {
            Ok(format!("{} {op} {}", cast(&x, s), cast(&y, t)))
        }
        (Operand::Expr(_, s), Operand::Expr(_, t)) => Err(format!(
            "compares a {} value with a {} value",
            types::name(s),
            types::name(t)
        )),
    }
}

fn scalar(t: ParameterType) -> bool {
    matches!(
        t,
        ParameterType::String
            | ParameterType::Integer
            | ParameterType::Double
            | ParameterType::Boolean
    )
}

/// KFP stores every number as a double: integers compare after `int()`.
fn cast(expr: &str, t: ParameterType) -> String {
    match t {
        ParameterType::Integer => format!("int({expr})"),
        ParameterType::Double => format!("double({expr})"),
        _ => expr.to_owned(),
    }
}

/// The CEL literal of type `t` that Argo would print as `l`, `None` when no
/// value of type `t` prints as `l`.
fn typed_literal(l: &str, t: ParameterType) -> Result<Option<String>, String> {
    Ok(match t {
        ParameterType::String => Some(quote(l)),
        ParameterType::Integer => l
            .parse::<i64>()
            .ok()
            .filter(|n| n.to_string() == l)
            .map(|n| n.to_string()),
        ParameterType::Double => l
            .parse::<f64>()
            .ok()
            .filter(|f| f.is_finite() && f.to_string() == l)
            .map(|f| format!("{f:?}")),
        ParameterType::Boolean => matches!(l, "true" | "false").then(|| l.to_owned()),
        other => {
            return Err(format!(
                "compares a {} value with a string",
                types::name(other)
            ));
        }
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

    #[test]
    fn typed_comparisons_keep_argos_string_semantics() {
        let pr = Value::item_field("pr");
        let c = Cond::Eq(pr.clone(), "".into()).and(Cond::Ne(Value::Item, "3".into()));
        assert_eq!(
            render_with(&c).as_deref(),
            Ok(
                "(inputs.parameter_values['pipelinechannel--pr'] == '') && (int(inputs.parameter_values['pipelinechannel--n']) != 3)"
            )
        );
        // No integer prints as `03`, no boolean as `False`.
        assert_eq!(
            render_with(&Cond::Eq(Value::Item, "03".into())).as_deref(),
            Ok("false")
        );
        let flag = Value::item_field("flag");
        assert_eq!(
            render_with(&Cond::Ne(flag.clone(), "False".into())).as_deref(),
            Ok("true")
        );
        assert_eq!(
            render_with(&Cond::Eq(flag, "false".into()).not()).as_deref(),
            Ok("!(inputs.parameter_values['pipelinechannel--flag'] == false)")
        );
        assert_eq!(
            render_with(&Cond::Eq("a".into(), "a".into())).as_deref(),
            Ok("true")
        );
    }

    #[test]
    fn concatenations_quotes_and_refusals() {
        let joined = Value::concat([
            Value::from("v"),
            Value::item_field("tag"),
            Value::from("'x"),
        ]);
        assert_eq!(
            render_with(&Cond::Eq(joined, "v1'x".into())).as_deref(),
            Ok("('v' + inputs.parameter_values['pipelinechannel--tag'] + '\\'x') == 'v1\\'x'")
        );
        assert!(render_with(&Cond::raw("{{workflow.parameters.a}} == 1")).is_err());
        let list = Value::item_field("list");
        assert!(render_with(&Cond::Eq(list, "[]".into())).is_err());
        let mixed = Cond::Eq(Value::Item, Value::item_field("pr"));
        assert_eq!(
            render_with(&mixed),
            Err("compares a NUMBER_INTEGER value with a STRING value".to_owned())
        );
    }
}
