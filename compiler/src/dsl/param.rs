//! Pipeline parameters: typed handles, and the typed conditions over them.

use std::fmt;
use std::marker::PhantomData;

use crate::ir::value::ParamRef;
use crate::ir::{CmpOp, Cond, Kind, ParamRefValue, Value};

/// A Rust type a pipeline parameter can have.
pub trait ParamType: 'static {
    /// The parameter's kind.
    const KIND: Kind;
    /// The value as the workflow sees it (canonical text).
    fn literal(&self) -> String;
}

impl ParamType for String {
    const KIND: Kind = Kind::String;
    fn literal(&self) -> String {
        self.clone()
    }
}
impl ParamType for i64 {
    const KIND: Kind = Kind::Integer;
    fn literal(&self) -> String {
        self.to_string()
    }
}
impl ParamType for f64 {
    const KIND: Kind = Kind::Float;
    fn literal(&self) -> String {
        self.to_string()
    }
}
impl ParamType for bool {
    const KIND: Kind = Kind::Bool;
    fn literal(&self) -> String {
        self.to_string()
    }
}

/// A handle to a pipeline parameter, returned by
/// [`Pipeline::string_param`](crate::Pipeline::string_param) and friends.
pub struct Param<T: ParamType> {
    pub(crate) param: ParamRef,
    kind: PhantomData<fn() -> T>,
}

impl<T: ParamType> Param<T> {
    pub(crate) fn new(param: ParamRef) -> Self {
        Self {
            param,
            kind: PhantomData,
        }
    }

    /// The parameter's name.
    pub fn name(&self) -> &str {
        &self.param.name
    }
}

typed_comparisons!(Param, "parameter");

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

impl<T: ParamType> Clone for Param<T> {
    fn clone(&self) -> Self {
        Self::new(self.param.clone())
    }
}

impl<T: ParamType> fmt::Debug for Param<T> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "Param<{}>({})", T::KIND, self.param.name)
    }
}

impl<T: ParamType> From<&Param<T>> for Value {
    fn from(p: &Param<T>) -> Self {
        Self::Param(ParamRefValue(p.param.clone()))
    }
}

/// What can stand on the other side of a comparison with a `T`: a `T`
/// literal, or a handle to a run-time `T` (a parameter, a typed output).
pub trait Operand<T> {
    /// The value compared.
    fn operand(self) -> Value;
}

impl Operand<String> for &str {
    fn operand(self) -> Value {
        Value::Literal(self.to_owned())
    }
}
impl Operand<String> for String {
    fn operand(self) -> Value {
        Value::Literal(self)
    }
}
impl Operand<String> for &String {
    fn operand(self) -> Value {
        Value::Literal(self.clone())
    }
}
impl Operand<bool> for bool {
    fn operand(self) -> Value {
        Value::Literal(self.to_string())
    }
}
/// Integer literals of every width compare with integer parameters (so
/// `rows.eq(3)` needs no suffix).
macro_rules! integer_operands {
    ($($t:ty),*) => {$(
        impl Operand<i64> for $t {
            fn operand(self) -> Value {
                Value::Literal(self.to_string())
            }
        }
    )*};
}
integer_operands!(i64, i32, i16, i8, u32, u16, u8);
impl Operand<f64> for f64 {
    fn operand(self) -> Value {
        Value::Literal(self.to_string())
    }
}
impl Operand<f64> for f32 {
    fn operand(self) -> Value {
        Value::Literal(f64::from(self).to_string())
    }
}
impl Operand<f64> for i32 {
    fn operand(self) -> Value {
        Value::Literal(f64::from(self).to_string())
    }
}
impl<T: ParamType> Operand<T> for &Param<T> {
    fn operand(self) -> Value {
        Value::from(self)
    }
}

#[cfg(test)]
mod tests {
    use crate::Pipeline;
    use crate::ir::Value;

    #[test]
    fn typed_conditions_read_their_own_kind() {
        let p = Pipeline::new("p");
        let rows = p.int_param("rows", 3);
        let rate = p.float_param("rate", 0.5);
        let dry = p.bool_param("dry-run", false);
        let pr = p.string_param("pr", "");
        let c = rows
            .gt(3)
            .and(rate.le(0.75))
            .and(dry.is_false())
            .or(pr.is_empty().not());
        assert_eq!(
            c.describe(),
            "(rows > 3 && rate <= 0.75 && dry-run == false) || !(pr == '')"
        );
        let lookup = |v: &Value| match v {
            Value::Param(r) if r.name() == "rows" => Some("10".to_owned()),
            Value::Param(r) if r.name() == "rate" => Some("0.5".to_owned()),
            Value::Param(r) if r.name() == "dry-run" => Some("false".to_owned()),
            Value::Param(_) => Some(String::new()),
            _ => None,
        };
        assert_eq!(c.evaluate(&lookup), Ok(true));
        assert_eq!(rows.eq(&rows).evaluate(&lookup), Ok(true));
    }
}
