//! The DSL: what a pipeline's author writes. Builders record the typed IR
//! (`crate::ir`); nothing here is read by a target.

/// The typed comparisons of a run-time value of type `T` (a parameter, a
/// step's output parameter): `eq`/`ne` with a `T`, orderings of numbers,
/// `is_true`/`is_false` of booleans. Each builds `Cond::compare` with
/// `T`'s kind, so a value is only ever compared with one of its type.
macro_rules! typed_comparisons {
    ($handle:ident, $noun:literal) => {
        impl<T: ParamType> $handle<T> {
            #[doc = concat!("Condition: the ", $noun, " equals `other` (a `T`, a `&Param<T>` or a step's `&OutputParam<T>`).")]
            pub fn eq(&self, other: impl Operand<T>) -> Cond {
                Cond::compare(CmpOp::Eq, T::KIND, self, other.operand())
            }
            #[doc = concat!("Condition: the ", $noun, " differs from `other`.")]
            pub fn ne(&self, other: impl Operand<T>) -> Cond {
                Cond::compare(CmpOp::Ne, T::KIND, self, other.operand())
            }
        }
        typed_comparisons!(@ordered $handle, $noun, i64);
        typed_comparisons!(@ordered $handle, $noun, f64);
        impl $handle<bool> {
            #[doc = concat!("Condition: the ", $noun, " is `true`.")]
            pub fn is_true(&self) -> Cond {
                self.eq(true)
            }
            #[doc = concat!("Condition: the ", $noun, " is `false`.")]
            pub fn is_false(&self) -> Cond {
                self.eq(false)
            }
        }
    };
    (@ordered $handle:ident, $noun:literal, $t:ty) => {
        impl $handle<$t> {
            #[doc = concat!("Condition: the ", $noun, " is greater than `other`.")]
            pub fn gt(&self, other: impl Operand<$t>) -> Cond {
                Cond::compare(CmpOp::Gt, <$t>::KIND, self, other.operand())
            }
            #[doc = concat!("Condition: the ", $noun, " is at least `other`.")]
            pub fn ge(&self, other: impl Operand<$t>) -> Cond {
                Cond::compare(CmpOp::Ge, <$t>::KIND, self, other.operand())
            }
            #[doc = concat!("Condition: the ", $noun, " is less than `other`.")]
            pub fn lt(&self, other: impl Operand<$t>) -> Cond {
                Cond::compare(CmpOp::Lt, <$t>::KIND, self, other.operand())
            }
            #[doc = concat!("Condition: the ", $noun, " is at most `other`.")]
            pub fn le(&self, other: impl Operand<$t>) -> Cond {
                Cond::compare(CmpOp::Le, <$t>::KIND, self, other.operand())
            }
        }
    };
}

pub(crate) mod arg;
pub(crate) mod arg_value;
pub(crate) mod artifact;
pub(crate) mod container_step;
pub(crate) mod into_arg;
pub(crate) mod output_param;
pub(crate) mod param;
pub(crate) mod pipeline;
pub(crate) mod step;
pub(crate) mod task;
