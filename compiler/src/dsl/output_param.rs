//! Typed output parameters: a step's small values, what later steps read,
//! loop over, collect from a loop, and gate on.

use std::fmt;
use std::marker::PhantomData;

use crate::dsl::param::{Operand, ParamType};
use crate::ir::value::OutputRef;
use crate::ir::{CmpOp, Cond, OutputParamValue, Value};

/// A handle to an output parameter of a step: a small value of type `T`
/// that the step writes and later steps read as a typed input (a
/// `#[kpipe::step]` function's `ParamWriter<T>` parameter), or loop over
/// with [`Task::with_param`](crate::Task::with_param) when `T` is a
/// `Vec` ([`OutputParam::item`]). Untyped outputs (a
/// [`ContainerStep`](crate::ContainerStep)'s) are text: `OutputParam<String>`.
///
/// A typed output gates a later step as a parameter does: `best.gt(&min)`
/// on an `OutputParam<f64>` is `Cond::compare(CmpOp::Gt, Kind::Float, …)`
/// (Argo's expression, KFP's `dsl.If`, the local runner's comparison).
pub struct OutputParam<T = String> {
    pub(crate) source: OutputRef,
    kind: PhantomData<fn() -> T>,
}

impl<T> OutputParam<T> {
    pub(crate) fn new(source: OutputRef) -> Self {
        Self {
            source,
            kind: PhantomData,
        }
    }

    /// The name of the output on its producing step.
    pub fn name(&self) -> &str {
        &self.source.output
    }

    /// Every item's value of this output of a loop step, as one list (a
    /// fan-in: [`Value::collected`], typed): a later step's `Vec<T>` input
    /// takes it.
    pub fn collected(&self) -> Collected<T> {
        Collected {
            output: self.clone(),
        }
    }
}

typed_comparisons!(OutputParam, "output");

impl<T: ParamType> Operand<T> for &OutputParam<T> {
    fn operand(self) -> Value {
        Value::from(self)
    }
}

impl<T> Clone for OutputParam<T> {
    fn clone(&self) -> Self {
        Self::new(self.source.clone())
    }
}

impl<T> fmt::Debug for OutputParam<T> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(
            f,
            "OutputParam<{}>({}.{})",
            std::any::type_name::<T>(),
            self.source.task_name,
            self.source.output
        )
    }
}

impl<T> From<&OutputParam<T>> for Value {
    fn from(p: &OutputParam<T>) -> Self {
        Self::Output(OutputParamValue(p.source.clone()))
    }
}

/// Every item's value of a loop step's `OutputParam<T>`, as one list of
/// `T`s ([`OutputParam::collected`]): what a step's `Vec<T>` input takes.
pub struct Collected<T> {
    output: OutputParam<T>,
}

impl<T> Clone for Collected<T> {
    fn clone(&self) -> Self {
        self.output.collected()
    }
}

impl<T> fmt::Debug for Collected<T> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "Collected({:?})", self.output)
    }
}

impl<T> From<&Collected<T>> for Value {
    fn from(c: &Collected<T>) -> Self {
        Value::collected(&c.output)
    }
}

#[cfg(test)]
mod tests {
    use crate::ir::{CmpOp, Cond, Kind, Value};
    use crate::{ContainerStep, Pipeline};

    #[test]
    fn gates_on_typed_outputs_are_the_typed_comparisons() {
        let p = Pipeline::new("p");
        let min = p.float_param("min-score", 0.7);
        let step = p.add(ContainerStep::new("pick", ["true"]).output_param("best"));
        let Some(text) = step.out.param("best") else {
            panic!("no output `best`");
        };
        let best = super::OutputParam::<f64>::new(text.source.clone());
        assert_eq!(
            best.gt(&min),
            Cond::compare(
                CmpOp::Gt,
                Kind::Float,
                Value::from(&best),
                Value::from(&min)
            )
        );
        assert_eq!(
            min.le(&best),
            Cond::compare(
                CmpOp::Le,
                Kind::Float,
                Value::from(&min),
                Value::from(&best)
            )
        );
        assert_eq!(
            best.ge(0.5).describe(),
            "pick.best >= 0.5",
            "a literal of the output's type"
        );
        assert_eq!(
            Value::from(&best.collected()),
            Value::collected(&best),
            "the typed fan-in is the untyped one"
        );
    }
}
