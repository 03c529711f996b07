//! What differs between Kubeflow Pipelines' two REST APIs, as data: the
//! one set of calls ([`super::api::Kfp`]) reads a [`Dialect`] (`v1::V1BETA1`,
//! `v2::V2BETA1`) wherever the two ask or answer differently.

use std::collections::BTreeSet;

use serde_json::{Value, json};

use super::NewRun;
use super::follow::RunView;

/// One KFP REST API.
#[derive(Debug)]
pub(crate) struct Dialect {
    /// The path segment under `/apis/` (`v1beta1`, `v2beta1`).
    pub(crate) version: &'static str,
    /// How a pipeline is found by its name.
    pub(crate) find_pipeline: PipelineLookup,
    /// Where a pipeline's versions are listed, and the list's field.
    pub(crate) versions: VersionList,
    /// The id of an uploaded pipeline's first version.
    pub(crate) first_version: FirstVersion,
    /// The answers' id fields, as JSON pointers.
    pub(crate) ids: Ids,
    /// The filter predicate's operator key (`op`, `operation`).
    pub(crate) filter_op: &'static str,
    /// The field that names an experiment (`name`, `display_name`).
    pub(crate) experiment_name: &'static str,
    /// How an experiment names its (profile) namespace.
    pub(crate) owner: Owner,
    /// Whether a version upload passes the namespace; otherwise a version
    /// belongs to its pipeline's.
    pub(crate) version_namespace: bool,
    /// What a 404 on an upload means, when kpipe knows.
    pub(crate) upload_not_found: Option<&'static str>,
    /// How an action on a run (`terminate`, `retry`) is spelt.
    pub(crate) run_action: RunAction,
    /// Whether the runs are followed by the tasks of the pipeline's IR
    /// (KFP 2.x lists every node of the Argo Workflow it runs the IR as).
    pub(crate) follows_ir_tasks: bool,
    /// The run to create, as the API's JSON.
    pub(crate) run_body: fn(&NewRun<'_>) -> Value,
    /// One read of a run (`GET runs/{id}`) as kpipe follows it, given the
    /// IR's task names (empty: every task KFP lists).
    pub(crate) view: fn(&Value, &BTreeSet<String>) -> RunView,
}

/// How a pipeline is found by its name.
#[derive(Clone, Copy, Debug)]
pub(crate) enum PipelineLookup {
    /// `GET pipelines?filter=…`, the list's `pipelines`.
    Filtered,
    /// `GET pipelines/names/{name}?namespace=…`, 404 for none.
    ByName,
}

/// Where a pipeline's versions are listed.
#[derive(Clone, Copy, Debug)]
pub(crate) enum VersionList {
    /// `GET pipeline_versions?resource_key.type=PIPELINE&resource_key.id=…`,
    /// the list's `versions`.
    ByResourceKey,
    /// `GET pipelines/{id}/versions`, the list's `pipeline_versions`.
    UnderPipeline,
}

/// The id of an uploaded pipeline's first version.
#[derive(Clone, Copy, Debug)]
pub(crate) enum FirstVersion {
    /// The upload's answer carries it (`default_version.id`; the pipeline's
    /// id when it does not).
    InAnswer,
    /// The version named after the pipeline, looked up.
    NamedAfterPipeline,
}

/// The answers' id fields, as JSON pointers.
#[derive(Clone, Copy, Debug)]
pub(crate) struct Ids {
    /// In a found or uploaded pipeline.
    pub(crate) pipeline: &'static str,
    /// In a found or uploaded pipeline version.
    pub(crate) version: &'static str,
    /// In a found or created experiment.
    pub(crate) experiment: &'static str,
    /// In a created run.
    pub(crate) run: &'static str,
}

/// How an experiment names its namespace.
#[derive(Clone, Copy, Debug)]
pub(crate) enum Owner {
    /// A resource reference of type `NAMESPACE` (`resource_reference_key.*`
    /// in queries, `resource_references` in bodies).
    ResourceReference,
    /// A `namespace` query parameter and field.
    Namespace,
}

impl Owner {
    /// The query that lists the experiments of `ns`.
    pub(crate) fn query(self, ns: Option<&str>) -> Vec<(&'static str, &str)> {
        match (self, ns) {
            (_, None) => Vec::new(),
            (Owner::ResourceReference, Some(n)) => vec![
                ("resource_reference_key.type", "NAMESPACE"),
                ("resource_reference_key.id", n),
            ],
            (Owner::Namespace, Some(n)) => vec![("namespace", n)],
        }
    }

    /// Puts `ns` into the body of an experiment to create.
    pub(crate) fn set(self, body: &mut Value, ns: Option<&str>) {
        match (self, ns) {
            (_, None) => {}
            (Owner::ResourceReference, Some(n)) => {
                body["resource_references"] = json!([
                    {"key": {"type": "NAMESPACE", "id": n}, "relationship": "OWNER"}
                ]);
            }
            (Owner::Namespace, Some(n)) => body["namespace"] = Value::String(n.to_owned()),
        }
    }
}

/// How an action on a run is spelt.
#[derive(Clone, Copy, Debug)]
pub(crate) enum RunAction {
    /// `runs/{id}/{action}`.
    Segment,
    /// `runs/{id}:{action}` (Google's custom methods).
    CustomMethod,
}

impl RunAction {
    /// The path segments of `action` on run `id`.
    pub(crate) fn segments(self, id: &str, action: &str) -> Vec<String> {
        match self {
            RunAction::Segment => vec!["runs".into(), id.into(), action.into()],
            RunAction::CustomMethod => vec!["runs".into(), format!("{id}:{action}")],
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn namespaces_and_run_actions_are_spelt_per_api() {
        assert_eq!(
            Owner::ResourceReference.query(Some("team")),
            [
                ("resource_reference_key.type", "NAMESPACE"),
                ("resource_reference_key.id", "team")
            ]
        );
        assert_eq!(
            Owner::Namespace.query(Some("team")),
            [("namespace", "team")]
        );
        assert!(Owner::Namespace.query(None).is_empty());
        let mut body = json!({});
        Owner::ResourceReference.set(&mut body, Some("team"));
        assert_eq!(
            body,
            json!({"resource_references": [{"key": {"type": "NAMESPACE", "id": "team"}, "relationship": "OWNER"}]})
        );
        let mut body = json!({});
        Owner::Namespace.set(&mut body, Some("team"));
        Owner::Namespace.set(&mut body, None);
        assert_eq!(body, json!({"namespace": "team"}));
        assert_eq!(
            RunAction::Segment.segments("r-1", "retry"),
            ["runs", "r-1", "retry"]
        );
        assert_eq!(
            RunAction::CustomMethod.segments("r-1", "terminate"),
            ["runs", "r-1:terminate"]
        );
    }
}
