//! What `#[derive(ToArgs)]` expands to; not a public API.
//!
//! Each field's value is written by the most specific rendering that
//! applies, picked at compile time by method resolution on `&&&Wrap(x)`
//! ("autoref specialisation"): clap's name for a `ValueEnum`, the path for
//! anything that is `AsRef<Path>` (`PathBuf`, `OsString`, `String`), and
//! `Display` otherwise.

use std::fmt::Display;
use std::path::Path;

/// A field's value on its way to becoming an argument.
#[derive(Debug)]
pub struct Wrap<'a, T: ?Sized>(pub &'a T);

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
