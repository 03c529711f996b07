//! The name Argo gives the pod of a node (`workflow/util/pod_name.go`):
//! deterministic, so a retried node's new pod gets its old pod's name, and
//! the old pod has to go first.
//!
//! - `v1` (annotation `workflows.argoproj.io/pod-name-format: v1`): the node id.
//! - `v2` (the default since Argo 3.2): `<workflow>-<template>-<FNV-1a 32 of
//!   the node name>`, the prefix cut to 242 bytes; the workflow's own node's
//!   pod is named after the workflow.

use serde_json::Value;

/// Annotation with the pod naming version the controller used.
const FORMAT_ANNOTATION: &str = "workflows.argoproj.io/pod-name-format";

/// Longest prefix before `-<hash>` (Kubernetes' 253 less 10 for the hash,
/// less one).
const MAX_PREFIX: usize = 253 - 10 - 1;

/// The pod name of `node` (a `status.nodes` entry) in `workflow`.
pub(super) fn pod_name(workflow: &Value, node: &Value) -> String {
    let text = |v: &Value| v.as_str().unwrap_or("").to_owned();
    let workflow_name = text(&workflow["metadata"]["name"]);
    let node_name = text(&node["name"]);
    let v1 = workflow["metadata"]["annotations"][FORMAT_ANNOTATION] == "v1";
    if v1 {
        return text(&node["id"]);
    }
    if workflow_name == node_name {
        return workflow_name;
    }
    let template = match node.get("templateRef") {
        Some(r) => text(&r["template"]),
        None => text(&node["templateName"]),
    };
    let mut prefix = if template.is_empty() {
        workflow_name
    } else {
        format!("{workflow_name}-{template}")
    };
    if prefix.len() > MAX_PREFIX {
        let mut end = MAX_PREFIX;
        while !prefix.is_char_boundary(end) {
            end -= 1;
        }
        prefix.truncate(end);
    }
    format!("{prefix}-{}", fnv1a_32(node_name.as_bytes()))
}

/// 32-bit FNV-1a, as Go's `hash/fnv.New32a` (six lines; the `fnv` crate
/// only has the 64-bit variant).
fn fnv1a_32(bytes: &[u8]) -> u32 {
    bytes.iter().fold(0x811c_9dc5, |hash, b| {
        (hash ^ u32::from(*b)).wrapping_mul(0x0100_0193)
    })
}

#[cfg(test)]
mod tests {
    use serde_json::json;

    use super::*;

    #[test]
    fn fnv1a_32_matches_the_reference_vectors() {
        // From the FNV reference (draft-eastlake-fnv, test vectors).
        assert_eq!(fnv1a_32(b""), 0x811c_9dc5);
        assert_eq!(fnv1a_32(b"a"), 0xe40c_292c);
        assert_eq!(fnv1a_32(b"foobar"), 0xbf9c_f968);
    }

    #[test]
    fn names_follow_the_workflows_pod_name_format() {
        let wf = json!({"metadata": {"name": "ci-x7k2p"}});
        let node =
            json!({"id": "ci-x7k2p-1234", "name": "ci-x7k2p.train", "templateName": "train"});
        assert_eq!(
            pod_name(&wf, &node),
            format!("ci-x7k2p-train-{}", fnv1a_32(b"ci-x7k2p.train"))
        );
        let by_ref = json!({"name": "ci-x7k2p.train", "templateName": "x",
            "templateRef": {"name": "lib", "template": "fit"}});
        assert!(pod_name(&wf, &by_ref).starts_with("ci-x7k2p-fit-"));
        let root = json!({"id": "ci-x7k2p", "name": "ci-x7k2p"});
        assert_eq!(pod_name(&wf, &root), "ci-x7k2p");
        let v1 =
            json!({"metadata": {"name": "ci-x7k2p", "annotations": {FORMAT_ANNOTATION: "v1"}}});
        assert_eq!(pod_name(&v1, &node), "ci-x7k2p-1234");
        let long = json!({"metadata": {"name": "w".repeat(250)}});
        let name = pod_name(&long, &node);
        assert_eq!(
            name.len(),
            MAX_PREFIX + 1 + fnv1a_32(b"ci-x7k2p.train").to_string().len()
        );
    }
}
