//! KFP parameter types of kpipe's values: declared parameters, loop items
//! (typed by their JSON) and defaults.

use serde_json::Value as Json;

use super::spec::ParameterType;
use crate::ir::{Kind, ParamDecl};

/// The KFP type of a declared pipeline parameter.
pub(crate) fn of_param(p: &ParamDecl) -> ParameterType {
    match p.kind {
        Kind::Integer => ParameterType::Integer,
        Kind::Float => ParameterType::Double,
        Kind::Bool => ParameterType::Boolean,
        Kind::String => ParameterType::String,
    }
}

/// The parameter's default as the typed JSON value KFP expects.
pub(crate) fn default_value(p: &ParamDecl) -> Json {
    let text = || Json::String(p.default.clone());
    match of_param(p) {
        ParameterType::Integer => p.default.parse::<i64>().map_or_else(|_| text(), Json::from),
        ParameterType::Double => p
            .default
            .parse::<f64>()
            .ok()
            .and_then(|f| serde_json::Number::from_f64(f).map(Json::Number))
            .unwrap_or_else(text),
        ParameterType::Boolean => p
            .default
            .parse::<bool>()
            .map_or_else(|_| text(), Json::Bool),
        _ => text(),
    }
}

/// The KFP type of one JSON value, or `None` for `null`.
pub(crate) fn of_json(v: &Json) -> Option<ParameterType> {
    Some(match v {
        Json::Null => return None,
        Json::Bool(_) => ParameterType::Boolean,
        Json::Number(n) if n.is_i64() || n.is_u64() => ParameterType::Integer,
        Json::Number(_) => ParameterType::Double,
        Json::String(_) => ParameterType::String,
        Json::Array(_) => ParameterType::List,
        Json::Object(_) => ParameterType::Struct,
    })
}

/// The one KFP type of all `values` (integers and doubles make doubles), or
/// why there is none.
pub(crate) fn common<'a>(
    values: impl IntoIterator<Item = &'a Json>,
) -> Result<ParameterType, String> {
    let mut found: Option<ParameterType> = None;
    for v in values {
        let t = of_json(v).ok_or_else(|| "has a null item".to_owned())?;
        found = Some(match (found, t) {
            (None, t) => t,
            (Some(a), b) if a == b => a,
            (
                Some(ParameterType::Integer | ParameterType::Double),
                ParameterType::Integer | ParameterType::Double,
            ) => ParameterType::Double,
            (Some(a), b) => {
                return Err(format!("mixes {} and {} items", name(a), name(b)));
            }
        });
    }
    Ok(found.unwrap_or(ParameterType::String))
}

/// The KFP spelling of a type, for messages.
pub(crate) fn name(t: ParameterType) -> &'static str {
    match t {
        ParameterType::String => "STRING",
        ParameterType::Integer => "NUMBER_INTEGER",
        ParameterType::Double => "NUMBER_DOUBLE",
        ParameterType::Boolean => "BOOLEAN",
        ParameterType::List => "LIST",
        ParameterType::Struct => "STRUCT",
        ParameterType::TaskFinalStatus => "TASK_FINAL_STATUS",
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    #[test]
    fn items_have_one_type() {
        let items = [json!(1), json!(2.5)];
        assert_eq!(common(&items), Ok(ParameterType::Double));
        assert_eq!(common(&[json!({"a": 1})]), Ok(ParameterType::Struct));
        assert_eq!(
            common(&[json!("a"), json!(["b"])]).map_err(|e| e.contains("STRING and LIST")),
            Err(true)
        );
        assert!(common(&[json!(null)]).is_err());
        assert_eq!(common(&[]), Ok(ParameterType::String));
    }
}
