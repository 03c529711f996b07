//! [`IntoArg`]: what a typed input of a step accepts — a literal, a
//! pipeline parameter, another step's output parameter or a loop item of
//! the same type — and [`Item`], a typed loop item.

use std::fmt;
use std::marker::PhantomData;

use crate::dsl::arg::Arg;
use crate::dsl::arg_value::ArgValue;
use crate::dsl::output_param::{Collected, OutputParam};
use crate::dsl::param::{Param, ParamType};
use crate::dsl::step::Io;
use crate::ir::Value;

/// A value for a step input of type `T`: a `T` (or a literal of it), a
/// `&Param<T>`, a step's `&OutputParam<T>`, a loop's [`Item<T>`], or for a
/// `Vec<T>` input a loop step's outputs collected
/// ([`OutputParam::collected`]).
///
/// The fields of a `#[kpipe::step]` function's step take any of them, so
/// `Generate { rows: &rows, seed: 7 }` and `Generate { rows: 200, seed: 7 }`
/// both compile, and a `&Param<f64>` for an `i64` input does not.
#[diagnostic::on_unimplemented(
    message = "`{Self}` cannot be a step's `{T}` input",
    label = "expected a `{T}`, a `&Param<{T}>`, a step's `&OutputParam<{T}>` or a loop's `Item<{T}>`"
)]
pub trait IntoArg<T> {
    /// The argument the step's command line holds: the value, or the
    /// placeholder of a run-time value bound to the task.
    fn into_arg(self, io: &mut Io<'_>) -> Arg<T>;
}

impl<T: ArgValue> IntoArg<T> for T {
    fn into_arg(self, _: &mut Io<'_>) -> Arg<T> {
        Arg::new(self)
    }
}

impl IntoArg<String> for &str {
    fn into_arg(self, _: &mut Io<'_>) -> Arg<String> {
        Arg::new(self.to_owned())
    }
}

impl IntoArg<String> for &String {
    fn into_arg(self, _: &mut Io<'_>) -> Arg<String> {
        Arg::new(self.clone())
    }
}

/// Integer literals for float inputs (`rate: 1`), as in conditions.
impl IntoArg<f64> for i32 {
    fn into_arg(self, _: &mut Io<'_>) -> Arg<f64> {
        Arg::new(f64::from(self))
    }
}

/// Any run-time value as text: the workflow's status or name in an exit
/// handler, a concatenation.
impl IntoArg<String> for Value {
    fn into_arg(self, io: &mut Io<'_>) -> Arg<String> {
        Arg::placeholder(io.value(&self))
    }
}

impl<T: ArgValue + ParamType> IntoArg<T> for &Param<T> {
    fn into_arg(self, io: &mut Io<'_>) -> Arg<T> {
        io.arg(self)
    }
}

impl<T: ArgValue> IntoArg<T> for &OutputParam<T> {
    fn into_arg(self, io: &mut Io<'_>) -> Arg<T> {
        Arg::placeholder(io.value(&Value::from(self)))
    }
}

impl<T> IntoArg<Vec<T>> for Collected<T>
where
    Vec<T>: ArgValue,
{
    fn into_arg(self, io: &mut Io<'_>) -> Arg<Vec<T>> {
        Arg::placeholder(io.value(&Value::from(&self)))
    }
}

impl<T> IntoArg<Vec<T>> for &Collected<T>
where
    Vec<T>: ArgValue,
{
    fn into_arg(self, io: &mut Io<'_>) -> Arg<Vec<T>> {
        Arg::placeholder(io.value(&Value::from(self)))
    }
}

impl<T: ArgValue> IntoArg<T> for Item<T> {
    fn into_arg(self, io: &mut Io<'_>) -> Arg<T> {
        Arg::placeholder(io.value(&self.value))
    }
}

impl<T: ArgValue> IntoArg<T> for &Item<T> {
    fn into_arg(self, io: &mut Io<'_>) -> Arg<T> {
        Arg::placeholder(io.value(&self.value))
    }
}

/// The current item of the task's loop, typed: what a step input reads
/// when its task runs once per element of a list of `T`s.
///
/// From a step's typed list output, `out.rates.item()` with
/// `.with_param(&out.rates)` on the task (a loop over an
/// `OutputParam<Vec<f64>>` gives `Item<f64>`); for `.with_items([..])`,
/// `Item::new()`. Like [`Value::item`], it is valid only in a task that has
/// a loop (validation says so otherwise).
pub struct Item<T> {
    value: Value,
    kind: PhantomData<fn() -> T>,
}

impl<T> Item<T> {
    /// The item of a `.with_items([..])` loop, read as a `T`.
    pub fn new() -> Self {
        Self {
            value: Value::item(),
            kind: PhantomData,
        }
    }
}

impl<T> Default for Item<T> {
    fn default() -> Self {
        Self::new()
    }
}

impl<T> Clone for Item<T> {
    fn clone(&self) -> Self {
        Self::new()
    }
}

impl<T> fmt::Debug for Item<T> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "Item<{}>", std::any::type_name::<T>())
    }
}

impl<T> From<&Item<T>> for Value {
    fn from(item: &Item<T>) -> Self {
        item.value.clone()
    }
}

impl<T> OutputParam<Vec<T>> {
    /// The element of this list that the current loop iteration gets, as a
    /// `T`: pass it to a step input of the task you loop with
    /// `.with_param(&list)`.
    pub fn item(&self) -> Item<T> {
        Item::new()
    }
}
