//! `when` conditions: typed comparisons of run-time values, joined with
//! and/or/not. Their meaning is defined here once ([`Cond::evaluate`]); the
//! Argo and Kubeflow Pipelines lowerings render them in their own syntax and
//! the local runner evaluates them with this function.

use std::cmp::Ordering;
use std::fmt;

use crate::ir::value::{Kind, Value};

/// A comparison operator.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub enum CmpOp {
    /// `==`
    Eq,
    /// `!=`
    Ne,
    /// `>`
    Gt,
    /// `>=`
    Ge,
    /// `<`
    Lt,
    /// `<=`
    Le,
}

impl CmpOp {
    /// The operator as Argo (govaluate), CEL and people write it.
    pub fn symbol(self) -> &'static str {
        match self {
            CmpOp::Eq => "==",
            CmpOp::Ne => "!=",
            CmpOp::Gt => ">",
            CmpOp::Ge => ">=",
            CmpOp::Lt => "<",
            CmpOp::Le => "<=",
        }
    }

    /// Whether the operator orders values (needs numbers).
    pub fn orders(self) -> bool {
        !matches!(self, CmpOp::Eq | CmpOp::Ne)
    }

    fn holds(self, o: Ordering) -> bool {
        match self {
            CmpOp::Eq => o == Ordering::Equal,
            CmpOp::Ne => o != Ordering::Equal,
            CmpOp::Gt => o == Ordering::Greater,
            CmpOp::Ge => o != Ordering::Less,
            CmpOp::Lt => o == Ordering::Less,
            CmpOp::Le => o != Ordering::Greater,
        }
    }
}

/// A condition that decides whether a task runs (Argo `when`, a KFP
/// `dsl.If`).
///
/// Build it from typed handles: `pr.is_empty()`, `epochs.gt(3)`,
/// `dry_run.is_false()`, `accuracy.ge(0.7)`, joined with [`Cond::and`],
/// [`Cond::or`] and [`Cond::not`]. A parameter of type `T` is compared with a
/// `T`, so `rows.eq("many")` on an integer parameter does not compile.
/// [`Cond::text_eq`] compares any two values as text (loop items).
#[derive(Clone, Debug, PartialEq)]
pub enum Cond {
    /// `left op right`, both read as `kind`.
    Cmp(Comparison),
    /// Both conditions hold.
    And(Box<Cond>, Box<Cond>),
    /// At least one condition holds.
    Or(Box<Cond>, Box<Cond>),
    /// The condition does not hold.
    Not(Box<Cond>),
}

/// `left op right`, both sides read as `kind`.
#[derive(Clone, Debug, PartialEq)]
pub struct Comparison {
    /// The operator.
    pub op: CmpOp,
    /// The type both sides are compared as.
    pub kind: Kind,
    /// Left side.
    pub left: Value,
    /// Right side.
    pub right: Value,
}

/// Why a condition could not be evaluated.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum EvalError {
    /// A value it reads is not known (yet).
    Unknown(String),
    /// A side is not a value of the comparison's kind.
    NotOfKind {
        /// The value, for people (`epochs`, `'abc'`).
        value: String,
        /// Its text.
        text: String,
        /// The kind it should have.
        kind: Kind,
    },
}

impl fmt::Display for EvalError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            EvalError::Unknown(v) => write!(f, "`{v}` is not known"),
            EvalError::NotOfKind { value, text, kind } => write!(
                f,
                "`{value}` is `{text}`, which is not {}",
                kind.article_name()
            ),
        }
    }
}

impl std::error::Error for EvalError {}

impl Cond {
    /// `left op right`, compared as `kind` (the typed builders on
    /// parameters and outputs call this).
    pub fn compare(op: CmpOp, kind: Kind, left: impl Into<Value>, right: impl Into<Value>) -> Cond {
        Cond::Cmp(Comparison {
            op,
            kind,
            left: left.into(),
            right: right.into(),
        })
    }

    /// The two values are the same text (for loop items and joined values;
    /// a typed parameter has its own `eq`).
    pub fn text_eq(left: impl Into<Value>, right: impl Into<Value>) -> Cond {
        Cond::compare(CmpOp::Eq, Kind::String, left, right)
    }

    /// The two values differ as text.
    pub fn text_ne(left: impl Into<Value>, right: impl Into<Value>) -> Cond {
        Cond::compare(CmpOp::Ne, Kind::String, left, right)
    }

    /// Both `self` and `other` hold.
    pub fn and(self, other: Cond) -> Cond {
        Cond::And(Box::new(self), Box::new(other))
    }

    /// `self` or `other` holds.
    pub fn or(self, other: Cond) -> Cond {
        Cond::Or(Box::new(self), Box::new(other))
    }

    /// `self` does not hold.
    #[allow(clippy::should_implement_trait)]
    pub fn not(self) -> Cond {
        Cond::Not(Box::new(self))
    }

    /// The condition for people (`kpipe graph`): parameters by name,
    /// literals quoted, e.g. `pr == ''`, `epochs > 3`.
    pub fn describe(&self) -> String {
        // `&&` binds tighter than `||`: only a mix needs parentheses.
        let part = |c: &Cond, within_and: bool| match c {
            Cond::Or(..) if within_and => format!("({})", c.describe()),
            Cond::And(..) if !within_and => format!("({})", c.describe()),
            _ => c.describe(),
        };
        match self {
            Cond::Cmp(c) => format!(
                "{} {} {}",
                describe_operand(&c.left, c.kind),
                c.op.symbol(),
                describe_operand(&c.right, c.kind)
            ),
            Cond::And(a, b) => format!("{} && {}", part(a, true), part(b, true)),
            Cond::Or(a, b) => format!("{} || {}", part(a, false), part(b, false)),
            Cond::Not(a) => format!("!({})", a.describe()),
        }
    }

    /// Every comparison, left to right.
    pub fn comparisons(&self) -> Vec<(CmpOp, Kind, &Value, &Value)> {
        match self {
            Cond::Cmp(c) => vec![(c.op, c.kind, &c.left, &c.right)],
            Cond::And(a, b) | Cond::Or(a, b) => {
                let mut v = a.comparisons();
                v.extend(b.comparisons());
                v
            }
            Cond::Not(a) => a.comparisons(),
        }
    }

    /// Every value the condition reads.
    pub fn values(&self) -> Vec<&Value> {
        self.comparisons()
            .into_iter()
            .flat_map(|(_, _, a, b)| [a, b])
            .collect()
    }

    /// Whether the condition holds, each value's text given by `resolve`.
    ///
    /// The semantics every target follows (and the shared table tests pin):
    /// text compares byte for byte; integers and floats compare as numbers
    /// after trimming surrounding whitespace; booleans are `true`/`false`.
    /// A side that is not of the comparison's kind is an error, never a
    /// silent `false`.
    pub fn evaluate(&self, resolve: &dyn Fn(&Value) -> Option<String>) -> Result<bool, EvalError> {
        Ok(match self {
            Cond::Cmp(c) => {
                let (op, kind, left, right) = (&c.op, &c.kind, &c.left, &c.right);
                let side = |v: &Value| {
                    v.resolve(resolve)
                        .ok_or_else(|| EvalError::Unknown(v.describe()))
                };
                let (a, b) = (side(left)?, side(right)?);
                compare(*op, *kind, (left, &a), (right, &b))?
            }
            Cond::And(a, b) => a.evaluate(resolve)? && b.evaluate(resolve)?,
            Cond::Or(a, b) => a.evaluate(resolve)? || b.evaluate(resolve)?,
            Cond::Not(a) => !a.evaluate(resolve)?,
        })
    }

    /// The condition with every value replaced by its text where `resolve`
    /// knows it, shaped as Argo's expression is (for messages: ``when
    /// `('staging' == 'prod') && (false == false)` evaluated false``).
    pub fn describe_with(&self, resolve: &dyn Fn(&Value) -> Option<String>) -> String {
        match self {
            Cond::Cmp(c) => {
                let (op, kind, left, right) = (&c.op, &c.kind, &c.left, &c.right);
                let side = |v: &Value| match v.resolve(resolve) {
                    Some(text) if *kind == Kind::String => format!("'{text}'"),
                    Some(text) => text,
                    None => describe_operand(v, *kind),
                };
                format!("{} {} {}", side(left), op.symbol(), side(right))
            }
            Cond::And(a, b) => format!(
                "({}) && ({})",
                a.describe_with(resolve),
                b.describe_with(resolve)
            ),
            Cond::Or(a, b) => format!(
                "({}) || ({})",
                a.describe_with(resolve),
                b.describe_with(resolve)
            ),
            Cond::Not(a) => format!("!({})", a.describe_with(resolve)),
        }
    }
}

/// A literal of a non-text kind is shown bare (`3`, `true`), text quoted.
fn describe_operand(v: &Value, kind: Kind) -> String {
    match (v, kind) {
        (Value::Literal(s), k) if k != Kind::String => s.clone(),
        _ => v.describe(),
    }
}

fn compare(op: CmpOp, kind: Kind, a: (&Value, &str), b: (&Value, &str)) -> Result<bool, EvalError> {
    let not_of_kind = |(v, text): (&Value, &str)| EvalError::NotOfKind {
        value: v.describe(),
        text: text.to_owned(),
        kind,
    };
    let ordering = match kind {
        Kind::String => a.1.cmp(b.1),
        Kind::Integer => {
            let x: i64 = a.1.trim().parse().map_err(|_| not_of_kind(a))?;
            let y: i64 = b.1.trim().parse().map_err(|_| not_of_kind(b))?;
            x.cmp(&y)
        }
        Kind::Float => {
            let x: f64 = a.1.trim().parse().map_err(|_| not_of_kind(a))?;
            let y: f64 = b.1.trim().parse().map_err(|_| not_of_kind(b))?;
            match x.partial_cmp(&y) {
                Some(o) => o,
                // NaN: equal to nothing, ordered against nothing.
                None => return Ok(op == CmpOp::Ne),
            }
        }
        Kind::Bool => {
            let truth = |s: (&Value, &str)| match s.1.trim() {
                "true" => Ok(true),
                "false" => Ok(false),
                _ => Err(not_of_kind(s)),
            };
            truth(a)?.cmp(&truth(b)?)
        }
    };
    Ok(op.holds(ordering))
}

#[cfg(test)]
mod tests {
    use super::*;

    fn lit(s: &str) -> Value {
        Value::Literal(s.to_owned())
    }

    #[test]
    fn evaluates_each_kind_and_refuses_values_of_another() {
        let resolve = |v: &Value| match v {
            Value::Item => Some("10".to_owned()),
            Value::ItemField(f) if f == "flag" => Some("true".to_owned()),
            Value::ItemField(f) if f == "name" => Some("abc".to_owned()),
            _ => None,
        };
        let holds = |c: Cond| c.evaluate(&resolve);
        // 10 > 9 as numbers, "10" < "9" as text.
        assert_eq!(
            holds(Cond::compare(
                CmpOp::Gt,
                Kind::Integer,
                Value::Item,
                lit("9")
            )),
            Ok(true)
        );
        assert_eq!(
            holds(Cond::compare(
                CmpOp::Gt,
                Kind::String,
                Value::Item,
                lit("9")
            )),
            Ok(false)
        );
        assert_eq!(
            holds(Cond::compare(
                CmpOp::Le,
                Kind::Float,
                Value::Item,
                lit("10.0")
            )),
            Ok(true)
        );
        assert_eq!(
            holds(Cond::compare(
                CmpOp::Eq,
                Kind::Bool,
                Value::item_field("flag"),
                lit("true")
            )),
            Ok(true)
        );
        assert_eq!(
            holds(Cond::text_ne(Value::item_field("name"), "abc").not()),
            Ok(true)
        );
        assert_eq!(
            holds(Cond::compare(
                CmpOp::Eq,
                Kind::Integer,
                Value::item_field("name"),
                lit("1")
            )),
            Err(EvalError::NotOfKind {
                value: "item.name".into(),
                text: "abc".into(),
                kind: Kind::Integer
            })
        );
        assert_eq!(
            holds(Cond::text_eq(Value::WorkflowName, "x")),
            Err(EvalError::Unknown("workflow.name".into()))
        );
    }

    #[test]
    fn describes_for_people() {
        let c = Cond::text_eq(Value::Item, "a")
            .and(Cond::compare(CmpOp::Gt, Kind::Integer, Value::item_field("n"), lit("3")).not())
            .or(Cond::text_ne(Value::WorkflowStatus, "Succeeded"));
        assert_eq!(
            c.describe(),
            "(item == 'a' && !(item.n > 3)) || workflow.status != 'Succeeded'"
        );
        let resolve = |v: &Value| match v {
            Value::Item => Some("b".to_owned()),
            _ => None,
        };
        assert_eq!(
            Cond::text_eq(Value::Item, "a").describe_with(&resolve),
            "'b' == 'a'"
        );
    }
}
