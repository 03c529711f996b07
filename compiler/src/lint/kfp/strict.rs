//! Keys and value kinds of a document against a proto message, as strictly
//! as protobuf's JSON parser with `ignore_unknown_fields=False`: an unknown
//! key, a second member of a oneof, a string where a message belongs or an
//! enum name the proto lacks is a problem, each reported with its path.

use serde_json::Value;

use super::super::LintIssue;
use super::proto::{FieldType, Scalar, Schema};

/// Checks `v` as message `message`, reporting under `path`.
pub(crate) fn message(
    schema: &Schema,
    v: &Value,
    message: &str,
    path: &str,
    out: &mut Vec<LintIssue>,
) {
    let Some(fields) = schema.messages.get(message) else {
        out.push(issue(
            path,
            &format!("kpipe does not know message {message}"),
        ));
        return;
    };
    let obj = match v {
        Value::Null => return,
        Value::Object(o) => o,
        other => {
            out.push(issue(
                path,
                &format!(
                    "expected an object ({}), found {}",
                    short(message),
                    kind(other)
                ),
            ));
            return;
        }
    };
    let mut oneofs: Vec<(&str, &str)> = Vec::new();
    for (key, value) in obj {
        let at = join(path, key);
        let Some(field) = schema.field(message, key) else {
            let mut known: Vec<&str> = fields.iter().map(|f| f.json_name.as_str()).collect();
            known.sort_unstable();
            out.push(issue(
                &at,
                &format!(
                    "unknown key `{key}`: {} has no such field (known: {})",
                    short(message),
                    known.join(", ")
                ),
            ));
            continue;
        };
        if let Some(group) = &field.oneof {
            if let Some((_, first)) = oneofs.iter().find(|(g, _)| g == group) {
                out.push(issue(
                    &at,
                    &format!("`{key}` and `{first}` are both set, but they are alternatives (oneof `{group}`)"),
                ));
            }
            oneofs.push((group, key));
        }
        if value.is_null() {
            continue;
        }
        match (&field.ty, field.repeated) {
            (FieldType::Map(_, v_ty), _) => match value {
                Value::Object(entries) => {
                    for (k, item) in entries {
                        typed(schema, item, v_ty, &format!("{at}[{k}]"), out);
                    }
                }
                other => out.push(issue(
                    &at,
                    &format!("expected a map (object), found {}", kind(other)),
                )),
            },
            (ty, true) => match value {
                Value::Array(items) => {
                    for (i, item) in items.iter().enumerate() {
                        typed(schema, item, ty, &format!("{at}[{i}]"), out);
                    }
                }
                other => out.push(issue(
                    &at,
                    &format!("expected a list, found {}", kind(other)),
                )),
            },
            (ty, false) => typed(schema, value, ty, &at, out),
        }
    }
}

fn typed(schema: &Schema, v: &Value, ty: &FieldType, path: &str, out: &mut Vec<LintIssue>) {
    match ty {
        FieldType::Scalar(s) => {
            if let Some(want) = scalar_problem(v, *s) {
                out.push(issue(path, &format!("expected {want}, found {}", kind(v))));
            }
        }
        FieldType::Map(..) => {}
        FieldType::Named(name) => match name.as_str() {
            "google.protobuf.Value" => {}
            "google.protobuf.Struct" | "google.rpc.Status" => {
                if !v.is_object() {
                    out.push(issue(
                        path,
                        &format!("expected an object, found {}", kind(v)),
                    ));
                }
            }
            "google.protobuf.ListValue" => {
                if !v.is_array() {
                    out.push(issue(path, &format!("expected a list, found {}", kind(v))));
                }
            }
            "google.protobuf.Duration" => {
                if !v.as_str().is_some_and(is_duration) {
                    out.push(issue(
                        path,
                        &format!(
                            "expected a duration such as \"30s\" or \"1.5s\", found {}",
                            kind(v)
                        ),
                    ));
                }
            }
            other if other.starts_with("google.") => {}
            other => match schema.enums.get(other) {
                Some(values) => {
                    let ok = match v {
                        Value::String(s) => values.iter().any(|x| x == s),
                        Value::Number(n) => n.is_i64(),
                        _ => false,
                    };
                    if !ok {
                        out.push(issue(
                            path,
                            &format!(
                                "expected one of {} ({}), found {}",
                                values.join(", "),
                                short(other),
                                kind(v)
                            ),
                        ));
                    }
                }
                None => message(schema, v, other, path, out),
            },
        },
    }
}

/// What a scalar of kind `s` must look like, when `v` does not.
fn scalar_problem(v: &Value, s: Scalar) -> Option<&'static str> {
    let integral = |v: &Value| match v {
        Value::Number(n) => {
            n.is_i64() || n.is_u64() || n.as_f64().is_some_and(|f| f.fract() == 0.0)
        }
        Value::String(s) => s.parse::<i128>().is_ok(),
        _ => false,
    };
    let ok = match s {
        Scalar::String | Scalar::Bytes => v.is_string(),
        Scalar::Bool => v.is_boolean(),
        Scalar::Int32 | Scalar::Int64 => integral(v),
        Scalar::Float => match v {
            Value::Number(_) => true,
            Value::String(s) => {
                s.parse::<f64>().is_ok() || ["NaN", "Infinity", "-Infinity"].contains(&s.as_str())
            }
            _ => false,
        },
    };
    if ok {
        return None;
    }
    Some(match s {
        Scalar::String | Scalar::Bytes => "a string",
        Scalar::Bool => "true or false",
        Scalar::Int32 | Scalar::Int64 => "an integer",
        Scalar::Float => "a number",
    })
}

/// Proto JSON's `Duration`: seconds with up to nine fractional digits and `s`.
fn is_duration(s: &str) -> bool {
    let Some(num) = s.strip_suffix('s') else {
        return false;
    };
    let num = num.strip_prefix('-').unwrap_or(num);
    let (whole, frac) = num.split_once('.').unwrap_or((num, ""));
    !whole.is_empty()
        && whole.bytes().all(|b| b.is_ascii_digit())
        && frac.len() <= 9
        && frac.bytes().all(|b| b.is_ascii_digit())
        && !(num.contains('.') && frac.is_empty())
}

fn short(message: &str) -> &str {
    message.split_once('.').map_or(message, |(_, rest)| rest)
}

pub(crate) fn kind(v: &Value) -> String {
    match v {
        Value::Null => "null".to_owned(),
        Value::Bool(b) => b.to_string(),
        Value::Number(n) => format!("the number {n}"),
        Value::String(s) if s.len() > 40 => "a string".to_owned(),
        Value::String(s) => format!("\"{s}\""),
        Value::Array(_) => "a list".to_owned(),
        Value::Object(_) => "an object".to_owned(),
    }
}

pub(crate) fn join(path: &str, key: &str) -> String {
    if path.is_empty() {
        key.to_owned()
    } else {
        format!("{path}.{key}")
    }
}

pub(crate) fn issue(path: &str, message: &str) -> LintIssue {
    LintIssue {
        path: if path.is_empty() {
            "document".to_owned()
        } else {
            path.to_owned()
        },
        message: message.to_owned(),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn durations() {
        for ok in ["0s", "30s", "1.5s", "-2s", "0.000000001s"] {
            assert!(is_duration(ok), "{ok}");
        }
        for bad in ["30", "1m", "1.s", "s", "1.0000000001s", "a s"] {
            assert!(!is_duration(bad), "{bad}");
        }
    }
}
