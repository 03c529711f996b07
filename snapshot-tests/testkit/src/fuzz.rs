//! Inputs for property tests of parsers of outside input: JSON of any
//! shape, from leaves and keys the test chooses (names the code under test
//! looks up make it past the first check more often).

use proptest::prelude::*;
use serde_json::{Value, json};

/// A JSON scalar: null, a bool, an integer, a float, or a string of up to
/// `max_chars` characters.
pub fn json_scalar(max_chars: usize) -> BoxedStrategy<Value> {
    let text = proptest::string::string_regex(&format!(".{{0,{max_chars}}}"))
        .unwrap_or_else(|e| panic!("a pattern of up to {max_chars} characters: {e}"));
    prop_oneof![
        Just(Value::Null),
        any::<bool>().prop_map(Value::from),
        any::<i64>().prop_map(Value::from),
        any::<f64>().prop_map(|f| json!(f)),
        text.prop_map(Value::from),
    ]
    .boxed()
}

/// JSON values of any shape up to `depth` levels deep: `leaf`s, arrays
/// and objects of fewer than `items` elements, objects keyed by `key`.
pub fn any_json(
    leaf: BoxedStrategy<Value>,
    key: BoxedStrategy<String>,
    depth: u32,
    items: usize,
) -> impl Strategy<Value = Value> {
    let size = depth * 8;
    leaf.prop_recursive(depth, size, items as u32, move |inner| {
        prop_oneof![
            prop::collection::vec(inner.clone(), 0..items).prop_map(Value::from),
            prop::collection::btree_map(key.clone(), inner, 0..items)
                .prop_map(|m| Value::Object(m.into_iter().collect())),
        ]
    })
}

#[cfg(test)]
mod tests {
    use proptest::strategy::ValueTree;
    use proptest::test_runner::TestRunner;

    use super::*;

    fn depth(v: &Value) -> usize {
        match v {
            Value::Array(a) => 1 + a.iter().map(depth).max().unwrap_or(0),
            Value::Object(o) => 1 + o.values().map(depth).max().unwrap_or(0),
            _ => 0,
        }
    }

    #[test]
    fn values_stay_within_their_depth_and_keys() {
        let strategy = any_json(json_scalar(4), "[a-c]{1,2}".boxed(), 3, 4);
        let mut runner = TestRunner::deterministic();
        let mut nested = false;
        for _ in 0..200 {
            let v = strategy
                .new_tree(&mut runner)
                .unwrap_or_else(|e| panic!("{e}"))
                .current();
            assert!(depth(&v) <= 3, "{v}");
            nested |= depth(&v) >= 2;
            if let Value::Object(o) = &v {
                assert!(
                    o.keys().all(|k| k.chars().all(|c| "abc".contains(c))),
                    "{v}"
                );
            }
        }
        assert!(nested, "no nested value in 200");
    }
}
