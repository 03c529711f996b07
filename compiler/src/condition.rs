//! `when` conditions over parameters, rendered to Argo's govaluate syntax.

use crate::param::{Param, ParamType, Value};

/// A condition that decides whether a task runs (Argo `when`).
///
/// Build it from parameters: `pr.is_empty()`, `pr.eq("123").and(…)`.
/// [`Cond::raw`] passes an Argo expression through untouched (its
/// `{{workflow.parameters.X}}` references are still checked).
#[derive(Clone, Debug, PartialEq)]
pub enum Cond {
    /// Both values are equal (as strings).
    Eq(Value, Value),
    /// The values differ.
    Ne(Value, Value),
    /// Both conditions hold.
    And(Box<Cond>, Box<Cond>),
    /// At least one condition holds.
    Or(Box<Cond>, Box<Cond>),
    /// The condition does not hold.
    Not(Box<Cond>),
    /// An Argo `when` expression, verbatim.
    Raw(String),
}

impl Cond {
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

    /// A verbatim Argo expression, e.g. `"{{workflow.parameters.n}} > 3"`.
    pub fn raw(expr: impl Into<String>) -> Cond {
        Cond::Raw(expr.into())
    }

    /// The expression Argo evaluates.
    pub(crate) fn render(&self) -> String {
        match self {
            Cond::Eq(a, b) => format!("{} == {}", quoted(a), quoted(b)),
            Cond::Ne(a, b) => format!("{} != {}", quoted(a), quoted(b)),
            Cond::And(a, b) => format!("({}) && ({})", a.render(), b.render()),
            Cond::Or(a, b) => format!("({}) || ({})", a.render(), b.render()),
            Cond::Not(a) => format!("!({})", a.render()),
            Cond::Raw(s) => s.clone(),
        }
    }

    /// The condition for people (`kpipe graph`): parameters by name,
    /// literals quoted, e.g. `pr == ''`.
    pub(crate) fn describe(&self) -> String {
        let part = |c: &Cond| match c {
            Cond::And(..) | Cond::Or(..) => format!("({})", c.describe()),
            _ => c.describe(),
        };
        match self {
            Cond::Eq(a, b) => format!("{} == {}", a.describe(), b.describe()),
            Cond::Ne(a, b) => format!("{} != {}", a.describe(), b.describe()),
            Cond::And(a, b) => format!("{} && {}", part(a), part(b)),
            Cond::Or(a, b) => format!("{} || {}", part(a), part(b)),
            Cond::Not(a) => format!("!({})", a.describe()),
            Cond::Raw(s) => s.clone(),
        }
    }

    /// Every value the condition reads.
    pub(crate) fn values(&self) -> Vec<&Value> {
        match self {
            Cond::Eq(a, b) | Cond::Ne(a, b) => vec![a, b],
            Cond::And(a, b) | Cond::Or(a, b) => {
                let mut v = a.values();
                v.extend(b.values());
                v
            }
            Cond::Not(a) => a.values(),
            Cond::Raw(_) => Vec::new(),
        }
    }

    /// Every raw expression text inside the condition.
    pub(crate) fn raw_texts(&self) -> Vec<&str> {
        match self {
            Cond::Raw(s) => vec![s.as_str()],
            Cond::And(a, b) | Cond::Or(a, b) => {
                let mut v = a.raw_texts();
                v.extend(b.raw_texts());
                v
            }
            Cond::Not(a) => a.raw_texts(),
            Cond::Eq(..) | Cond::Ne(..) => Vec::new(),
        }
    }

    /// Evaluates the condition with `resolve` giving each value's string.
    ///
    /// Returns `None` when a value cannot be resolved or the condition holds a
    /// raw Argo expression (only Argo can evaluate those).
    pub fn evaluate(&self, resolve: &dyn Fn(&Value) -> Option<String>) -> Option<bool> {
        Some(match self {
            Cond::Eq(a, b) => resolve(a)? == resolve(b)?,
            Cond::Ne(a, b) => resolve(a)? != resolve(b)?,
            Cond::And(a, b) => a.evaluate(resolve)? && b.evaluate(resolve)?,
            Cond::Or(a, b) => a.evaluate(resolve)? || b.evaluate(resolve)?,
            Cond::Not(a) => !a.evaluate(resolve)?,
            Cond::Raw(_) => return None,
        })
    }
}

/// Conditions over a parameter (they live here so `param.rs` does not depend
/// on conditions).
impl<T: ParamType> Param<T> {
    /// Condition: the parameter equals `value`.
    pub fn eq(&self, value: impl Into<Value>) -> Cond {
        Cond::Eq(self.into(), value.into())
    }

    /// Condition: the parameter differs from `value`.
    pub fn ne(&self, value: impl Into<Value>) -> Cond {
        Cond::Ne(self.into(), value.into())
    }
}

impl Param<String> {
    /// Condition: the parameter is the empty string.
    pub fn is_empty(&self) -> Cond {
        self.eq("")
    }

    /// Condition: the parameter is not the empty string.
    pub fn is_set(&self) -> Cond {
        self.ne("")
    }
}

fn quoted(v: &Value) -> String {
    format!("'{}'", v.dag_expr())
}

impl Value {
    /// The value as an Argo expression valid in a DAG task (its `when`,
    /// `arguments` or loop).
    pub(crate) fn dag_expr(&self) -> String {
        match self {
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
            Value::Concat(parts) => parts.iter().map(Value::dag_expr).collect(),
        }
    }

    /// The value for people: a parameter by name, a literal quoted, another
    /// task's output as `task.output`.
    pub(crate) fn describe(&self) -> String {
        match self {
            Value::Literal(s) => format!("'{s}'"),
            Value::Param(p) => p.0.name.clone(),
            Value::Item => "item".to_owned(),
            Value::ItemField(f) => format!("item.{f}"),
            Value::Output(o) => format!("{}.{}", o.0.task_name, o.0.output),
            Value::WorkflowStatus => "workflow.status".to_owned(),
            Value::WorkflowName => "workflow.name".to_owned(),
            Value::Concat(parts) => parts
                .iter()
                .map(Value::describe)
                .collect::<Vec<_>>()
                .join(" + "),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn renders_nested_conditions_with_quotes() {
        let c = Cond::Eq(Value::Item, "a".into())
            .and(Cond::raw("{{workflow.parameters.n}} > 3").not())
            .or(Cond::Ne(Value::WorkflowStatus, "Succeeded".into()));
        assert_eq!(
            c.render(),
            "(('{{item}}' == 'a') && (!({{workflow.parameters.n}} > 3))) || ('{{workflow.status}}' != 'Succeeded')"
        );
    }

    #[test]
    fn describes_for_people() {
        let c = Cond::Eq(Value::Item, "a".into())
            .and(Cond::raw("{{workflow.parameters.n}} > 3").not())
            .or(Cond::Ne(Value::WorkflowStatus, "Succeeded".into()));
        assert_eq!(
            c.describe(),
            "(item == 'a' && !({{workflow.parameters.n}} > 3)) || workflow.status != 'Succeeded'"
        );
    }

    #[test]
    fn evaluates_with_resolved_values_and_refuses_raw() {
        let c = Cond::Eq(Value::Item, "".into()).or(Cond::Ne(Value::Item, "x".into()));
        let resolve = |v: &Value| match v {
            Value::Item => Some("x".to_owned()),
            Value::Literal(s) => Some(s.clone()),
            _ => None,
        };
        assert_eq!(c.evaluate(&resolve), Some(false));
        assert_eq!(Cond::raw("1 == 1").evaluate(&resolve), None);
    }
}
