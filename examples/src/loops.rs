//! Fan-out: `shard` runs once per item of a fixed list (`withItems`), and
//! `process` once per element of a JSON list another step computes at run
//! time (`withParam`).

use kpipe::{ContainerStep, Pipeline, Value};

/// The example pipeline.
pub fn pipeline() -> Pipeline {
    let p = Pipeline::new("loops");
    p.description("fan-out with withItems and withParam")
        .image("alpine:3.20");
    p.add(
        ContainerStep::new("shard", ["echo"])
            .arg("region")
            .arg(Value::item_field("region"))
            .arg("size")
            .arg(Value::item_field("size")),
    )
    .with_items([
        serde_json::json!({"region": "eu", "size": 3}),
        serde_json::json!({"region": "us", "size": 5}),
    ]);
    let list = p.add(
        ContainerStep::new("list", ["sh", "-c"])
            .arg(r#"echo '["a","b","c"]' > "$0""#)
            .output_param("names"),
    );
    let names = list.out.param("names").cloned();
    if let Some(names) = names {
        p.add(ContainerStep::new("process", ["echo"]).arg(Value::item()))
            .with_param(&names);
    }
    p
}
