//! [`Arg<T>`]: a typed step argument whose value may come at run time.

use std::fmt;
use std::str::FromStr;

/// A typed argument of a step's command line whose value may be known only
/// when the workflow runs (a pipeline parameter, another step's output).
///
/// In the compiler it holds the placeholder the workflow engine fills in
/// (`{{inputs.parameters.rows}}`), written by [`Io::arg`](crate::Io::arg);
/// in the step binary clap parses the real value with `T`'s `FromStr`, so
/// the step sees a typed value and a bad one is a usage error naming the
/// flag:
///
/// ```
/// use kpipe_compiler::Arg;
/// let rows: Arg<u32> = "7".parse().unwrap_or_else(|e| panic!("{e}"));
/// assert_eq!(*rows.get(), 7);
/// assert_eq!(rows.to_string(), "7");
/// assert!("seven".parse::<Arg<u32>>().is_err());
/// ```
#[derive(Clone, PartialEq, Eq, Hash)]
pub struct Arg<T>(Repr<T>);

#[derive(Clone, PartialEq, Eq, Hash)]
enum Repr<T> {
    Value(T),
    Placeholder(String),
}

impl<T> Arg<T> {
    /// A known value.
    pub fn new(value: T) -> Self {
        Self(Repr::Value(value))
    }

    /// The text the workflow engine replaces with the value at run time.
    pub fn placeholder(text: impl Into<String>) -> Self {
        Self(Repr::Placeholder(text.into()))
    }

    /// The value, or `None` for a compile-time placeholder.
    pub fn value(&self) -> Option<&T> {
        match &self.0 {
            Repr::Value(v) => Some(v),
            Repr::Placeholder(_) => None,
        }
    }

    /// The value, or `None` for a compile-time placeholder.
    pub fn into_value(self) -> Option<T> {
        match self.0 {
            Repr::Value(v) => Some(v),
            Repr::Placeholder(_) => None,
        }
    }

    /// The placeholder text, for a compile-time placeholder.
    pub fn placeholder_text(&self) -> Option<&str> {
        match &self.0 {
            Repr::Value(_) => None,
            Repr::Placeholder(p) => Some(p),
        }
    }

    /// The value the step was started with.
    ///
    /// # Panics
    ///
    /// On a compile-time placeholder, which only the compiler holds: every
    /// argument the step binary parses is a value.
    pub fn get(&self) -> &T {
        match &self.0 {
            Repr::Value(v) => v,
            Repr::Placeholder(p) => {
                panic!(
                    "Arg::get on the compile-time placeholder `{p}`; only parsed arguments hold values"
                )
            }
        }
    }
}

impl<T> From<T> for Arg<T> {
    fn from(value: T) -> Self {
        Self::new(value)
    }
}

impl<T: FromStr> FromStr for Arg<T> {
    type Err = T::Err;

    fn from_str(s: &str) -> Result<Self, Self::Err> {
        s.parse().map(Self::new)
    }
}

impl<T: fmt::Display> fmt::Display for Arg<T> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match &self.0 {
            Repr::Value(v) => v.fmt(f),
            Repr::Placeholder(p) => f.write_str(p),
        }
    }
}

impl<T: fmt::Debug> fmt::Debug for Arg<T> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match &self.0 {
            Repr::Value(v) => v.fmt(f),
            Repr::Placeholder(p) => write!(f, "Arg::placeholder({p:?})"),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn placeholders_render_as_themselves_and_hold_no_value() {
        let a: Arg<i64> = Arg::placeholder("{{inputs.parameters.rows}}");
        assert_eq!(a.to_string(), "{{inputs.parameters.rows}}");
        assert_eq!(a.value(), None);
        assert!(std::panic::catch_unwind(|| *a.get()).is_err());
        assert_eq!(Arg::new(3_i64).value(), Some(&3));
    }
}
