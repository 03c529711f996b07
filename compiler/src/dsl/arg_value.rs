//! [`ArgValue`]: the types a step's command line carries as one value, and
//! their text.

use std::fmt;
use std::path::PathBuf;

use serde_json::Value as Json;

/// A type a step reads as one value of its command line (`--rows=200`) and
/// an output parameter holds: its text, and its JSON (for lists).
///
/// The text is what a pipeline parameter, an output parameter and a loop
/// item hold at run time, so a value one step writes (the step runtime's
/// `ParamWriter<T>`) parses back as the same value in the next: numbers and booleans as Rust prints them,
/// strings as they are, lists (`Vec<T>`) as JSON, `Option<T>` as the
/// value or the empty text.
///
/// ```
/// use kpipe_compiler::ArgValue;
/// assert_eq!(vec![0.1, 0.01].to_text(), "[0.1,0.01]");
/// assert_eq!(Vec::<String>::from_text(r#"["a","b"]"#), Ok(vec!["a".to_owned(), "b".to_owned()]));
/// assert!(i64::from_text("seven").is_err());
/// ```
#[diagnostic::on_unimplemented(
    message = "`{Self}` is not a value a step's command line can carry",
    label = "not a step value",
    note = "a step function's value parameters are `i64`, `i32`, `u64`, `u32`, `usize`, `f64`, `f32`, `bool`, `String`, `PathBuf`, and `Option<T>` or `Vec<T>` (as JSON) of those",
    note = "its other parameters are artifacts (`Input<T>`, `Output<T>`), output parameters (`ParamWriter<T>`), KFP files (`Metrics`, `UiMetadata`) and `ctx: &mut kpipe::Context`"
)]
pub trait ArgValue: Clone + fmt::Debug + PartialEq + Send + Sync + 'static {
    /// The value as its argument text.
    fn to_text(&self) -> String;
    /// Parses the argument text; the error says what was expected.
    fn from_text(text: &str) -> Result<Self, String>;
    /// The value as an element of a JSON list.
    fn to_json(&self) -> Json;
    /// An element of a JSON list as a value.
    fn from_json(json: &Json) -> Result<Self, String>;
}

/// The text a JSON element reads as where a scalar is expected: a string is
/// its text, anything else its JSON (as a loop item is rendered).
fn json_text(json: &Json) -> String {
    match json {
        Json::String(s) => s.clone(),
        other => other.to_string(),
    }
}

macro_rules! number_values {
    ($($t:ty => $what:literal),*) => {$(
        impl ArgValue for $t {
            fn to_text(&self) -> String {
                self.to_string()
            }
            fn from_text(text: &str) -> Result<Self, String> {
                text.trim()
                    .parse()
                    .map_err(|e| format!("expected {}, got `{text}` ({e})", $what))
            }
            fn to_json(&self) -> Json {
                Json::from(*self)
            }
            fn from_json(json: &Json) -> Result<Self, String> {
                Self::from_text(&json_text(json))
            }
        }
    )*};
}
number_values!(
    i64 => "an integer",
    i32 => "a 32-bit integer",
    u64 => "a non-negative integer",
    u32 => "a non-negative 32-bit integer",
    usize => "a non-negative integer",
    f64 => "a number",
    f32 => "a number"
);

impl ArgValue for bool {
    fn to_text(&self) -> String {
        self.to_string()
    }
    fn from_text(text: &str) -> Result<Self, String> {
        match text.trim() {
            "true" => Ok(true),
            "false" => Ok(false),
            _ => Err(format!("expected `true` or `false`, got `{text}`")),
        }
    }
    fn to_json(&self) -> Json {
        Json::Bool(*self)
    }
    fn from_json(json: &Json) -> Result<Self, String> {
        Self::from_text(&json_text(json))
    }
}

impl ArgValue for String {
    fn to_text(&self) -> String {
        self.clone()
    }
    fn from_text(text: &str) -> Result<Self, String> {
        Ok(text.to_owned())
    }
    fn to_json(&self) -> Json {
        Json::String(self.clone())
    }
    fn from_json(json: &Json) -> Result<Self, String> {
        Ok(json_text(json))
    }
}

impl ArgValue for PathBuf {
    fn to_text(&self) -> String {
        self.to_string_lossy().into_owned()
    }
    fn from_text(text: &str) -> Result<Self, String> {
        Ok(PathBuf::from(text))
    }
    fn to_json(&self) -> Json {
        Json::String(self.to_text())
    }
    fn from_json(json: &Json) -> Result<Self, String> {
        Ok(PathBuf::from(json_text(json)))
    }
}

/// `None` is the empty text (so an `Option<String>` cannot tell `None`
/// from `Some("")`).
impl<T: ArgValue> ArgValue for Option<T> {
    fn to_text(&self) -> String {
        self.as_ref().map(T::to_text).unwrap_or_default()
    }
    fn from_text(text: &str) -> Result<Self, String> {
        if text.is_empty() {
            Ok(None)
        } else {
            T::from_text(text).map(Some)
        }
    }
    fn to_json(&self) -> Json {
        self.as_ref().map_or(Json::Null, T::to_json)
    }
    fn from_json(json: &Json) -> Result<Self, String> {
        match json {
            Json::Null => Ok(None),
            other => T::from_json(other).map(Some),
        }
    }
}

/// A JSON list (what a loop over an output parameter iterates).
impl<T: ArgValue> ArgValue for Vec<T> {
    fn to_text(&self) -> String {
        self.to_json().to_string()
    }
    fn from_text(text: &str) -> Result<Self, String> {
        let json: Json = serde_json::from_str(text)
            .map_err(|e| format!("expected a JSON list such as `[\"a\", \"b\"]`: {e}"))?;
        Self::from_json(&json)
    }
    fn to_json(&self) -> Json {
        Json::Array(self.iter().map(T::to_json).collect())
    }
    fn from_json(json: &Json) -> Result<Self, String> {
        let Json::Array(items) = json else {
            return Err(format!("expected a JSON list, got `{json}`"));
        };
        items
            .iter()
            .enumerate()
            .map(|(i, item)| T::from_json(item).map_err(|e| format!("element {i}: {e}")))
            .collect()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn round_trip<T: ArgValue>(value: T) {
        let text = value.to_text();
        assert_eq!(T::from_text(&text), Ok(value), "{text}");
    }

    #[test]
    fn every_value_parses_back_from_its_text() {
        round_trip(-3_i64);
        round_trip(7_u64);
        round_trip(0.1_f64);
        round_trip(1e300_f64);
        round_trip(true);
        round_trip(" spaced, \"quoted\" ".to_owned());
        round_trip(PathBuf::from("/kpipe/inputs/data"));
        round_trip(Some(3_i64));
        round_trip(None::<i64>);
        round_trip(vec!["a".to_owned(), "b c".to_owned()]);
        round_trip(vec![vec![1_i64, 2], vec![]]);
        round_trip(vec![Some(0.5_f64), None]);
    }

    #[test]
    fn list_elements_read_as_loop_items_render() {
        // A loop item that is a number renders as its JSON text; a string
        // input reads it as that text.
        assert_eq!(
            Vec::<String>::from_text("[1, \"x\", true]"),
            Ok(vec!["1".to_owned(), "x".to_owned(), "true".to_owned()])
        );
        assert_eq!(Vec::<f64>::from_text("[\"0.5\", 2]"), Ok(vec![0.5, 2.0]));
    }

    #[test]
    fn bad_text_says_what_was_expected() {
        assert_eq!(
            bool::from_text("yes"),
            Err("expected `true` or `false`, got `yes`".to_owned())
        );
        let err = u64::from_text("-1").err().unwrap_or_default();
        assert!(
            err.starts_with("expected a non-negative integer, got `-1`"),
            "{err}"
        );
        let err = Vec::<i64>::from_text("[1, \"x\"]")
            .err()
            .unwrap_or_default();
        assert!(err.starts_with("element 1: expected an integer"), "{err}");
        let err = Vec::<i64>::from_text("1,2").err().unwrap_or_default();
        assert!(err.starts_with("expected a JSON list"), "{err}");
    }
}
