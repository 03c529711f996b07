//! The one parameter binder: `-p NAME=VALUE` values checked against the
//! declared parameters and their types, before anything runs or is sent.
//! `run --local`, `submit` (Argo and Kubeflow Pipelines) and `prow` all bind
//! through [`bind`], so a bad value gets the same error from each.

use std::fmt;

use crate::ir::value::Kind;

/// The type of a declared parameter: a kpipe parameter's [`Kind`], or a
/// list or struct parameter of a Kubeflow Pipelines IR file.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum ValueType {
    /// A scalar.
    Scalar(Kind),
    /// A JSON array (KFP `LIST`).
    List,
    /// A JSON object (KFP `STRUCT`).
    Struct,
}

impl From<Kind> for ValueType {
    fn from(kind: Kind) -> Self {
        ValueType::Scalar(kind)
    }
}

impl fmt::Display for ValueType {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            ValueType::Scalar(k) => k.fmt(f),
            ValueType::List => f.write_str("list"),
            ValueType::Struct => f.write_str("struct"),
        }
    }
}

impl ValueType {
    /// "a string", "an integer" …
    fn with_article(self) -> &'static str {
        match self {
            ValueType::Scalar(Kind::String) => "a string",
            ValueType::Scalar(Kind::Integer) => "an integer",
            ValueType::Scalar(Kind::Float) => "a float",
            ValueType::Scalar(Kind::Bool) => "a bool",
            ValueType::List => "a list",
            ValueType::Struct => "a struct",
        }
    }

    fn expected(self) -> (&'static str, &'static str) {
        match self {
            ValueType::Scalar(Kind::String) => ("a string", "text"),
            ValueType::Scalar(Kind::Integer) => ("an integer", "10"),
            ValueType::Scalar(Kind::Float) => ("a finite number", "0.5"),
            ValueType::Scalar(Kind::Bool) => ("true or false", "true"),
            ValueType::List => ("a JSON array", "'[1, 2]'"),
            ValueType::Struct => ("a JSON object", "'{\"a\": 1}'"),
        }
    }

    /// `text` as this type: its canonical text and its typed JSON value.
    fn read(self, text: &str) -> Option<(String, serde_json::Value)> {
        use serde_json::Value as J;
        match self {
            ValueType::Scalar(Kind::String) => Some((text.to_owned(), J::String(text.to_owned()))),
            ValueType::Scalar(Kind::Integer) => {
                let n: i64 = text.trim().parse().ok()?;
                Some((n.to_string(), J::from(n)))
            }
            ValueType::Scalar(Kind::Float) => {
                let f: f64 = text.trim().parse().ok().filter(|f: &f64| f.is_finite())?;
                Some((f.to_string(), J::Number(serde_json::Number::from_f64(f)?)))
            }
            ValueType::Scalar(Kind::Bool) => match text.trim() {
                "true" => Some(("true".to_owned(), J::Bool(true))),
                "false" => Some(("false".to_owned(), J::Bool(false))),
                _ => None,
            },
            ValueType::List => {
                let v: J = serde_json::from_str(text).ok().filter(J::is_array)?;
                Some((v.to_string(), v))
            }
            ValueType::Struct => {
                let v: J = serde_json::from_str(text).ok().filter(J::is_object)?;
                Some((v.to_string(), v))
            }
        }
    }
}

/// A declared parameter, as the binder sees it.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct ParamSpec {
    /// Its name.
    pub name: String,
    /// Its type.
    pub kind: ValueType,
    /// Its default (`None`: required).
    pub default: Option<String>,
}

impl ParamSpec {
    /// A parameter of `kind` with `default`.
    pub fn new(
        name: impl Into<String>,
        kind: impl Into<ValueType>,
        default: Option<String>,
    ) -> Self {
        Self {
            name: name.into(),
            kind: kind.into(),
            default,
        }
    }
}

/// One bound parameter.
#[derive(Clone, Debug, PartialEq)]
pub struct BoundParam {
    /// Its name.
    pub name: String,
    /// Its type.
    pub kind: ValueType,
    /// Its value in the type's canonical spelling.
    pub text: String,
    /// Its value as typed JSON (what Kubeflow Pipelines v2 takes).
    pub json: serde_json::Value,
    /// Set with `-p` (not the default).
    pub given: bool,
}

/// Every declared parameter with its value, in declaration order.
#[derive(Clone, Debug, Default, PartialEq)]
pub struct Bound {
    /// The parameters.
    pub params: Vec<BoundParam>,
}

impl Bound {
    /// The value of `name`.
    pub fn get(&self, name: &str) -> Option<&str> {
        self.params
            .iter()
            .find(|p| p.name == name)
            .map(|p| p.text.as_str())
    }

    /// The values set with `-p`, in declaration order.
    pub fn given(&self) -> impl Iterator<Item = &BoundParam> {
        self.params.iter().filter(|p| p.given)
    }

    /// `(name, text)` of every parameter.
    pub fn pairs(&self) -> Vec<(String, String)> {
        self.params
            .iter()
            .map(|p| (p.name.clone(), p.text.clone()))
            .collect()
    }
}

/// Why a value cannot be bound.
#[derive(Clone, Debug, PartialEq, Eq)]
#[non_exhaustive]
pub enum BindError {
    /// The pipeline declares no parameter of that name.
    Unknown {
        /// The name given.
        name: String,
        /// The declared names.
        known: Vec<String>,
    },
    /// The value is not of the parameter's type.
    WrongType {
        /// The parameter.
        name: String,
        /// Its type.
        kind: ValueType,
        /// The value given.
        value: String,
    },
    /// A parameter without a default was not given.
    Missing {
        /// The parameter.
        name: String,
    },
}

impl fmt::Display for BindError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            BindError::Unknown { name, known } if known.is_empty() => write!(
                f,
                "unknown parameter `{name}`: the pipeline declares no parameters"
            ),
            BindError::Unknown { name, known } => write!(
                f,
                "unknown parameter `{name}`; the pipeline declares: {}",
                known.join(", ")
            ),
            BindError::WrongType { name, kind, value } => {
                let (expected, example) = kind.expected();
                write!(
                    f,
                    "-p {name}={value}: `{name}` is {} parameter and `{value}` is not {expected} (e.g. -p {name}={example})",
                    kind.with_article()
                )
            }
            BindError::Missing { name } => write!(
                f,
                "parameter `{name}` has no default: set it with -p {name}=VALUE"
            ),
        }
    }
}

/// Every problem with the given values.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct BindErrors(pub Vec<BindError>);

impl fmt::Display for BindErrors {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        for (i, e) in self.0.iter().enumerate() {
            if i > 0 {
                f.write_str("\n")?;
            }
            e.fmt(f)?;
        }
        Ok(())
    }
}

impl std::error::Error for BindErrors {}

/// Binds `given` (`-p` values, later ones winning) to `specs`: every value
/// checked against its parameter's type and spelled canonically, every
/// parameter without one given its default. All problems are reported.
pub fn bind(specs: &[ParamSpec], given: &[(String, String)]) -> Result<Bound, BindErrors> {
    let mut errors = Vec::new();
    for (name, _) in given {
        if !specs.iter().any(|s| &s.name == name) {
            errors.push(BindError::Unknown {
                name: name.clone(),
                known: specs.iter().map(|s| s.name.clone()).collect(),
            });
        }
    }
    let mut bound = Bound::default();
    for spec in specs {
        let value = given.iter().rev().find(|(n, _)| *n == spec.name);
        let text = match (value, &spec.default) {
            (Some((_, v)), _) => v,
            (None, Some(d)) => d,
            (None, None) => {
                errors.push(BindError::Missing {
                    name: spec.name.clone(),
                });
                continue;
            }
        };
        match spec.kind.read(text) {
            Some((text, json)) => bound.params.push(BoundParam {
                name: spec.name.clone(),
                kind: spec.kind,
                text,
                json,
                given: value.is_some(),
            }),
            None => errors.push(BindError::WrongType {
                name: spec.name.clone(),
                kind: spec.kind,
                value: text.clone(),
            }),
        }
    }
    if errors.is_empty() {
        Ok(bound)
    } else {
        Err(BindErrors(errors))
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    fn specs() -> Vec<ParamSpec> {
        vec![
            ParamSpec::new("pr", Kind::String, Some(String::new())),
            ParamSpec::new("rows", Kind::Integer, Some("3".into())),
            ParamSpec::new("rate", Kind::Float, Some("0.5".into())),
            ParamSpec::new("dry-run", Kind::Bool, Some("false".into())),
            ParamSpec::new("items", ValueType::List, None),
        ]
    }

    fn given(pairs: &[(&str, &str)]) -> Vec<(String, String)> {
        pairs
            .iter()
            .map(|(a, b)| ((*a).to_owned(), (*b).to_owned()))
            .collect()
    }

    #[test]
    fn values_are_typed_canonical_and_defaulted() {
        let b = bind(
            &specs(),
            &given(&[
                ("rows", " 07"),
                ("rate", "0.50"),
                ("items", "[1, 2]"),
                ("rows", "8"),
            ]),
        )
        .unwrap_or_else(|e| panic!("{e}"));
        assert_eq!(b.get("pr"), Some(""));
        assert_eq!(b.get("rows"), Some("8"));
        assert_eq!(b.get("rate"), Some("0.5"));
        assert_eq!(b.get("dry-run"), Some("false"));
        assert_eq!(b.get("items"), Some("[1,2]"));
        let jsons: Vec<_> = b.params.iter().map(|p| p.json.clone()).collect();
        assert_eq!(
            jsons,
            [json!(""), json!(8), json!(0.5), json!(false), json!([1, 2])]
        );
        let given: Vec<&str> = b.given().map(|p| p.name.as_str()).collect();
        assert_eq!(given, ["rows", "rate", "items"]);
    }

    #[test]
    fn every_problem_is_reported_with_what_to_do() {
        let err = bind(
            &specs(),
            &given(&[
                ("rows", "abc"),
                ("nope", "1"),
                ("dry-run", "yes"),
                ("rate", "inf"),
            ]),
        )
        .err()
        .map(|e| e.to_string())
        .unwrap_or_default();
        assert_eq!(
            err,
            "unknown parameter `nope`; the pipeline declares: pr, rows, rate, dry-run, items\n\
             -p rows=abc: `rows` is an integer parameter and `abc` is not an integer (e.g. -p rows=10)\n\
             -p rate=inf: `rate` is a float parameter and `inf` is not a finite number (e.g. -p rate=0.5)\n\
             -p dry-run=yes: `dry-run` is a bool parameter and `yes` is not true or false (e.g. -p dry-run=true)\n\
             parameter `items` has no default: set it with -p items=VALUE"
        );
        assert_eq!(
            bind(&[], &given(&[("x", "1")]))
                .err()
                .map(|e| e.to_string()),
            Some("unknown parameter `x`: the pipeline declares no parameters".to_owned())
        );
    }
}
