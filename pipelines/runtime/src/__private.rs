//! What `#[derive(ToArgs)]` and `#[kpipe::step]` expand to; not a public API.
//!
//! Each field's value is written by the most specific rendering that
//! applies, picked at compile time by method resolution on `&&&&Wrap(x)`
//! ("autoref specialisation"): an [`Arg<T>`]'s [`ArgValue`] text, clap's
//! name for a `ValueEnum`, the path for anything that is `AsRef<Path>`
//! (`PathBuf`, `OsString`, `String`), and `Display` otherwise.

use std::fmt::Display;
use std::path::Path;

use kpipe_compiler::{Arg, ArgValue};

/// The clap a `#[kpipe::step]` function's arguments derive with, so the
/// crate that defines the step needs no clap of its own.
pub use clap;

/// The error type a step function returns.
pub use anyhow;

/// A field's value on its way to becoming an argument.
#[derive(Debug)]
pub struct Wrap<'a, T: ?Sized>(pub &'a T);

/// Renders an [`Arg<T>`] by its value's [`ArgValue`] text, or its
/// placeholder.
pub trait ViaArgValue {
    /// The argument text.
    fn arg_value(&self) -> String;
}

impl<T: ArgValue> ViaArgValue for &&&Wrap<'_, Arg<T>> {
    fn arg_value(&self) -> String {
        match self.0.placeholder_text() {
            Some(p) => p.to_owned(),
            None => self.0.value().map(T::to_text).unwrap_or_default(),
        }
    }
}

/// Parses a `#[kpipe::step]` function's value argument (clap's
/// `value_parser`).
pub fn parse_arg<T: ArgValue>(text: &str) -> Result<Arg<T>, String> {
    T::from_text(text).map(Arg::new)
}

/// The value of a parsed argument, for the step function's body. Every
/// argument clap parses holds one; only the compiler holds placeholders.
pub fn arg_value<T>(arg: Arg<T>, flag: &str) -> anyhow::Result<T> {
    match arg.placeholder_text() {
        Some(p) => Err(anyhow::anyhow!(
            "{flag} holds the compile-time placeholder `{p}`, not a value: a step function runs with the arguments its command line gives it"
        )),
        None => arg
            .into_value()
            .ok_or_else(|| anyhow::anyhow!("{flag} holds no value")),
    }
}

/// Renders a `ValueEnum` by clap's name for it (what clap parses back).
pub trait ViaValueEnum {
    /// The argument text.
    fn arg_value(&self) -> String;
}

impl<T: clap::ValueEnum> ViaValueEnum for &&Wrap<'_, T> {
    fn arg_value(&self) -> String {
        self.0
            .to_possible_value()
            .map(|v| v.get_name().to_owned())
            .unwrap_or_default()
    }
}

/// Renders a path.
pub trait ViaPath {
    /// The argument text.
    fn arg_value(&self) -> String;
}

impl<T: AsRef<Path> + ?Sized> ViaPath for &Wrap<'_, T> {
    fn arg_value(&self) -> String {
        self.0.as_ref().to_string_lossy().into_owned()
    }
}

/// Renders with `Display`.
pub trait ViaDisplay {
    /// The argument text.
    fn arg_value(&self) -> String;
}

impl<T: Display + ?Sized> ViaDisplay for Wrap<'_, T> {
    fn arg_value(&self) -> String {
        self.0.to_string()
    }
}
