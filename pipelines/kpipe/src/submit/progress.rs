//! What kpipe has seen of a workflow's steps (Argo nodes, KFP v1 workflow
//! nodes, KFP v2 task details): each step's phase printed as it changes, and
//! a table at the end.

use std::collections::BTreeMap;
use std::io::Write as _;

/// One step as the cluster reports it.
#[derive(Clone, Debug, PartialEq, Eq)]
pub(crate) struct Node {
    /// The step's name (`train`).
    pub(crate) step: String,
    /// Its phase or state as the cluster spells it (`Running`, `RUNNING`).
    pub(crate) phase: String,
    /// Whether that phase is a failure.
    pub(crate) failed: bool,
    /// RFC 3339 start and end times, when known.
    pub(crate) started: Option<String>,
    pub(crate) finished: Option<String>,
    /// The cluster's message about it (empty when none).
    pub(crate) message: String,
}

/// The steps seen so far, by the cluster's id for each.
#[derive(Debug, Default)]
pub(crate) struct Progress {
    nodes: BTreeMap<String, Node>,
}

impl Progress {
    /// Records `node` (by its id); prints `step NAME: PHASE (message)` when
    /// its phase is new.
    pub(crate) fn observe(&mut self, id: &str, node: Node) {
        let changed = self.nodes.get(id).is_none_or(|old| old.phase != node.phase);
        if changed {
            if node.message.is_empty() {
                eprintln!("step {}: {}", node.step, node.phase);
            } else {
                eprintln!("step {}: {} ({})", node.step, node.phase, node.message);
            }
        }
        self.nodes.insert(id.to_owned(), node);
    }

    /// The steps whose phase is a failure, by name.
    pub(crate) fn failed_steps(&self) -> Vec<&str> {
        self.nodes
            .values()
            .filter(|n| n.failed)
            .map(|n| n.step.as_str())
            .collect()
    }

    /// Why the whole failed: the failed steps and the cluster's `message`.
    pub(crate) fn reason(&self, message: String) -> String {
        let failed = self.failed_steps();
        match (failed.is_empty(), message.is_empty()) {
            (true, true) => "no message".to_owned(),
            (true, false) => message,
            (false, true) => format!("step {} failed", failed.join(", ")),
            (false, false) => format!("step {} failed: {message}", failed.join(", ")),
        }
    }

    /// Prints the table of every step (by start time) to stderr.
    pub(crate) fn summary(&self) {
        if self.nodes.is_empty() {
            return;
        }
        let mut rows: Vec<&Node> = self.nodes.values().collect();
        rows.sort_by(|a, b| a.started.cmp(&b.started).then(a.step.cmp(&b.step)));
        let mut err = std::io::stderr().lock();
        let _ = writeln!(err, "\n{:<24} {:<10} {:>8}  note", "step", "phase", "time");
        for n in rows {
            let time = match (
                n.started.as_deref().and_then(epoch_seconds),
                n.finished.as_deref().and_then(epoch_seconds),
            ) {
                (Some(s), Some(f)) if f >= s => format!("{}s", f - s),
                _ => "-".to_owned(),
            };
            let _ = writeln!(
                err,
                "{:<24} {:<10} {:>8}  {}",
                n.step, n.phase, time, n.message
            );
        }
    }
}

/// `kubernetes-analysis-x7k2p.train` → `train`: a node's name without its
/// workflow's.
pub(crate) fn step_name(workflow: &str, node_name: &str) -> String {
    node_name
        .strip_prefix(workflow)
        .and_then(|rest| rest.strip_prefix('.'))
        .unwrap_or(node_name)
        .to_owned()
}

/// The pod nodes of an Argo Workflow's `status.nodes` as (id, node).
pub(crate) fn argo_nodes(workflow: &str, status: &serde_json::Value) -> Vec<(String, Node)> {
    let Some(nodes) = status["nodes"].as_object() else {
        return Vec::new();
    };
    nodes
        .iter()
        .filter(|(_, n)| n["type"].as_str() == Some("Pod"))
        .map(|(id, n)| {
            let phase = n["phase"].as_str().unwrap_or("Pending").to_owned();
            let node = Node {
                step: step_name(workflow, n["name"].as_str().unwrap_or(id)),
                failed: matches!(phase.as_str(), "Failed" | "Error"),
                phase,
                started: n["startedAt"].as_str().map(str::to_owned),
                finished: n["finishedAt"].as_str().map(str::to_owned),
                message: n["message"].as_str().unwrap_or("").to_owned(),
            };
            (id.clone(), node)
        })
        .collect()
}

/// Seconds since the epoch of an RFC 3339 time (`2024-05-01T10:00:00Z`).
fn epoch_seconds(t: &str) -> Option<i64> {
    t.parse::<k8s_openapi::jiff::Timestamp>()
        .ok()
        .map(|ts| ts.as_second())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn times_and_step_names() {
        assert_eq!(epoch_seconds("1970-01-01T00:00:00Z"), Some(0));
        assert_eq!(epoch_seconds("2024-03-01T00:00:10Z"), Some(1_709_251_210));
        assert_eq!(epoch_seconds("nope"), None);
        assert_eq!(step_name("wf-abc", "wf-abc.train"), "train");
        assert_eq!(step_name("wf-abc", "other.train"), "other.train");
    }

    #[test]
    fn reasons_name_the_failed_steps() {
        let mut p = Progress::default();
        assert_eq!(p.reason(String::new()), "no message");
        assert_eq!(p.reason("boom".into()), "boom");
        let status = serde_json::json!({"nodes": {
            "a": {"name": "wf.train", "type": "Pod", "phase": "Failed"},
            "b": {"name": "wf", "type": "DAG", "phase": "Failed"},
            "c": {"name": "wf.checkout", "type": "Pod", "phase": "Succeeded"},
        }});
        for (id, node) in argo_nodes("wf", &status) {
            p.observe(&id, node);
        }
        assert_eq!(p.failed_steps(), ["train"]);
        assert_eq!(p.reason(String::new()), "step train failed");
        assert_eq!(p.reason("boom".into()), "step train failed: boom");
    }
}
