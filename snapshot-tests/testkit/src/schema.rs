//! Closed JSON schemas: a fake API server checks every request body
//! against the real API's schema with every object closed, so a field the
//! API does not declare (a misspelling the server would silently drop or
//! prune) is a validation error.

use std::path::Path;

use serde_json::{Value, json};

/// Closes every object schema of `schema` that lists its `properties`
/// (`additionalProperties: false`), except where Kubernetes keeps unknown
/// fields (`x-kubernetes-preserve-unknown-fields: true`): what the API
/// server prunes becomes an error.
pub fn close(schema: &mut Value) {
    match schema {
        Value::Object(o) => {
            let preserve = o
                .get("x-kubernetes-preserve-unknown-fields")
                .is_some_and(|v| v == true);
            if o.contains_key("properties") && !o.contains_key("additionalProperties") && !preserve
            {
                o.insert("additionalProperties".into(), Value::Bool(false));
            }
            o.values_mut().for_each(close);
        }
        Value::Array(a) => a.iter_mut().for_each(close),
        _ => {}
    }
}

/// A draft-4 validator of `schema` as it is (close it first with [`close`]
/// where that is meant).
pub fn validator(schema: &Value) -> jsonschema::Validator {
    jsonschema::options()
        .with_draft(jsonschema::Draft::Draft4)
        .build(schema)
        .unwrap_or_else(|e| panic!("not a JSON schema: {e}"))
}

/// A closed validator for `definition` of the swagger (OpenAPI 2) document
/// `swagger`: its `definitions`, closed, with `definition` at the root.
pub fn swagger_validator(swagger: &Value, definition: &str) -> jsonschema::Validator {
    let mut definitions = swagger["definitions"].clone();
    close(&mut definitions);
    validator(&json!({"$ref": format!("#/definitions/{definition}"), "definitions": definitions}))
}

/// Every error of `doc` against `v`, as `<path>: <error>`.
pub fn errors(v: &jsonschema::Validator, doc: &Value) -> Vec<String> {
    v.iter_errors(doc)
        .map(|e| format!("{}: {e}", e.instance_path()))
        .collect()
}

/// The JSON document at `path` (a fixture); panics naming it.
pub fn read_json(path: &Path) -> Value {
    let text = std::fs::read_to_string(path)
        .unwrap_or_else(|e| panic!("cannot read {}: {e}", path.display()));
    serde_json::from_str(&text).unwrap_or_else(|e| panic!("{} is not JSON: {e}", path.display()))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn closed_objects_reject_undeclared_fields_unless_kubernetes_keeps_them() {
        let mut schema = json!({"type": "object", "properties": {
            "a": {"type": "string"},
            "free": {"type": "object", "properties": {}, "x-kubernetes-preserve-unknown-fields": true},
        }});
        close(&mut schema);
        let v = validator(&schema);
        assert!(v.is_valid(&json!({"a": "x", "free": {"anything": 1}})));
        assert_eq!(
            errors(&v, &json!({"a": "x", "b": 1})).len(),
            1,
            "an undeclared field is an error"
        );
    }

    #[test]
    fn a_swagger_definition_is_closed_through_its_references() {
        let swagger = json!({"definitions": {
            "run": {"type": "object", "properties": {"spec": {"$ref": "#/definitions/spec"}}},
            "spec": {"type": "object", "properties": {"parameters": {"type": "array"}}},
        }});
        let v = swagger_validator(&swagger, "run");
        assert!(v.is_valid(&json!({"spec": {"parameters": []}})));
        assert!(!v.is_valid(&json!({"spec": {"paramters": []}})));
    }
}
