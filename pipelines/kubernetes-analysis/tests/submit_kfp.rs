//! `kpipe submit --kfp` against a local fake Kubeflow Pipelines API server
//! (v1beta1): the requests' JSON bodies validate against KFP's own swagger,
//! the upload is a multipart `uploadfile` holding the compiled Workflow, a
//! resubmission reuses the pipeline version, the run's status drives the
//! exit code, a deleted run and `--timeout` are reported, and auth failures
//! say what to do; `kpipe retry --kfp-api v1` (`retry_kfp`) gets
//! `runs/{id}/retry`. An ignored test runs the same client against Prism
//! serving the swagger (CI starts it).

use std::collections::HashMap;
use std::process::Output;

use axum::Router;
use axum::body::Bytes;
use axum::extract::{Path as UrlPath, Query, State};
use axum::http::StatusCode;
use axum::response::IntoResponse;
use axum::routing::{get, post};
use kpipe_testkit::text;
use serde_json::{Value, json};

// The fake KFP both versions share, and kpipe against it.
use crate::kfp_fake::*;

/// The name a v1beta1 `filter` asks for.
fn filter_name(q: &HashMap<String, String>) -> Option<String> {
    filter_equals(q, "op", "name")
}

/// What v1beta1 uploads create: a pipeline with its first version as its
/// `default_version`.
static SHAPES: Shapes = Shapes {
    pipeline_id: "id",
    version: |id, pipeline, name| {
        json!({"id": id, "name": name, "created_at": CREATED,
            "resource_references": [{"key": {"type": "PIPELINE", "id": pipeline}, "relationship": "OWNER"}]})
    },
    pipeline: |id, name, version, _| json!({"id": id, "name": name, "created_at": CREATED, "default_version": version}),
    accept: |_, _| None,
};

/// The fake v1beta1 API server set up by `setup`: its URL, its state, and
/// the runtime it lives on.
pub(crate) fn server(setup: impl FnOnce(&mut Kfp)) -> Fake {
    let state = state(Api::V1, setup);
    let app = with_uploads(Router::new(), Api::V1, &SHAPES)
        .route(
            "/apis/v1beta1/pipelines",
            get(|State(s): State<Shared>, Query(q): Params| async move {
                let mut c = lock(&s);
                let Some(name) = filter_name(&q) else {
                    return error(StatusCode::BAD_REQUEST, "expected a name filter");
                };
                let mut found: Vec<Value> = c.pipelines.iter().filter(|p| p["name"] == name.as_str()).cloned().collect();
                if std::mem::take(&mut c.hide_once.0) {
                    found.clear();
                }
                axum::Json(json!({"pipelines": found, "total_size": found.len()})).into_response()
            }),
        )
        .route(
            "/apis/v1beta1/pipeline_versions",
            get(|State(s): State<Shared>, Query(q): Params| async move {
                let mut c = lock(&s);
                if q.get("resource_key.type").map(String::as_str) != Some("PIPELINE") {
                    return error(StatusCode::BAD_REQUEST, "ResourceKey must be set in the input");
                }
                let pipeline = q.get("resource_key.id").cloned().unwrap_or_default();
                let name = filter_name(&q);
                let hide = std::mem::take(&mut c.hide_once.1);
                let found: Vec<Value> = c
                    .versions
                    .iter()
                    .filter(|(p, v, _)| !hide && *p == pipeline && name.as_deref().is_none_or(|n| v["name"] == n))
                    .map(|(_, v, _)| v.clone())
                    .collect();
                axum::Json(json!({"versions": found, "total_size": found.len()})).into_response()
            }),
        )
        .route(
            "/apis/v1beta1/experiments",
            get(|State(s): State<Shared>, Query(q): Params| async move {
                let c = lock(&s);
                let name = filter_name(&q).unwrap_or_default();
                let found: Vec<Value> = c.experiments.iter().filter(|e| e["name"] == name.as_str()).cloned().collect();
                axum::Json(json!({"experiments": found, "total_size": found.len()})).into_response()
            })
            .post(|State(s): State<Shared>, body: Bytes| async move {
                let mut c = lock(&s);
                let mut e: Value = serde_json::from_slice(&body).unwrap_or(Value::Null);
                c.check("apiExperiment", &e);
                e["id"] = json!(format!("e-{}", c.experiments.len() + 1));
                c.experiments.push(e.clone());
                axum::Json(e).into_response()
            }),
        )
        .route(
            "/apis/v1beta1/runs",
            post(|State(s): State<Shared>, body: Bytes| async move {
                let mut c = lock(&s);
                let mut run: Value = serde_json::from_slice(&body).unwrap_or(Value::Null);
                c.check("apiRun", &run);
                run["id"] = json!(format!("r-{}", c.runs.len() + 1));
                c.runs.push(run.clone());
                axum::Json(json!({"run": run, "pipeline_runtime": {}})).into_response()
            }),
        )
        .route(
            "/apis/v1beta1/runs/{id}",
            get(|State(s): State<Shared>, UrlPath(id): UrlPath<String>| async move {
                let mut c = lock(&s);
                let Some(mut run) = c.runs.iter().find(|r| r["id"] == id.as_str()).cloned() else {
                    return error(StatusCode::NOT_FOUND, "run not found");
                };
                let Some(Step::State(status)) = c.next_state() else {
                    return error(StatusCode::NOT_FOUND, &format!("Failed to get run: ResourceNotFoundError: Run {id} not found"));
                };
                run["status"] = json!(status);
                if status == "Failed" {
                    run["error"] = json!("step train failed: Error (exit code 1)");
                }
                let train = match status {
                    "Succeeded" | "Failed" => status,
                    _ => "Running",
                };
                let manifest = json!({
                    "metadata": {"name": "test-42-abc123-q8z4m"},
                    "status": {"phase": status, "nodes": {
                        "n0": {"name": "test-42-abc123-q8z4m", "type": "DAG", "phase": status},
                        "n1": {"name": "test-42-abc123-q8z4m.checkout", "type": "Pod", "phase": "Succeeded"},
                        "n2": {"name": "test-42-abc123-q8z4m.train", "type": "Pod", "phase": train},
                    }},
                });
                axum::Json(json!({"run": run, "pipeline_runtime": {"workflow_manifest": manifest.to_string()}})).into_response()
            }),
        )
        .route(
            "/apis/v1beta1/runs/{id}/retry",
            post(|State(s): State<Shared>, UrlPath(id): UrlPath<String>| async move {
                let mut c = lock(&s);
                if !c.runs.iter().any(|r| r["id"] == id.as_str()) {
                    return error(StatusCode::NOT_FOUND, "run not found");
                }
                c.retry(&id, &["Failed", "Error", "Terminated"])
            }),
        )
        .route(
            "/apis/v1beta1/runs/{id}/terminate",
            post(|State(s): State<Shared>, UrlPath(id): UrlPath<String>| async move {
                let mut c = lock(&s);
                c.terminated.push(id);
                axum::Json(json!({})).into_response()
            }),
        )
        .route_layer(axum::middleware::from_fn_with_state(state.clone(), authorized))
        .with_state(state.clone());
    let (addr, rt) = kpipe_testkit::serve(app);
    let url = format!("http://{addr}");
    (url, state, rt)
}

fn kpipe(url: &str, token: Option<&str>, args: &[&str]) -> Output {
    crate::kfp_fake::submit(Api::V1, url, token, args)
}

#[test]
fn uploads_once_runs_with_parameters_and_reuses_the_version() {
    let (url, kfp, _rt) =
        server(|k| k.script = vec![Step::State("Running"), Step::State("Succeeded")]);
    let mut args = PR.to_vec();
    args.push("--wait");
    let out = kpipe(&url, Some(TOKEN), &args);
    let stderr = text(&out.stderr);
    assert_eq!(out.status.code(), Some(0), "{stderr}");
    assert!(
        stderr.contains("Uploaded pipeline kubernetes-analysis (p-1)"),
        "{stderr}"
    );
    assert!(
        stderr.contains("Created experiment kubernetes-analysis (e-1)"),
        "{stderr}"
    );
    assert!(
        stderr.contains("Created run test-42-abc123 (r-1)"),
        "{stderr}"
    );
    assert!(stderr.contains("step train: Running"), "{stderr}");
    assert!(stderr.contains("step train: Succeeded"), "{stderr}");
    assert!(stderr.contains("kubernetes-analysis succeeded"), "{stderr}");
    {
        let c = lock(&kfp);
        assert!(c.schema_errors.is_empty(), "{:#?}", c.schema_errors);
        let uploaded = first_upload(&c);
        // The uploaded Workflow keeps the declared defaults; the run's
        // parameters travel with the run.
        let wf: Value = yaml_value(&uploaded);
        assert_eq!(wf["kind"], "Workflow");
        assert_eq!(
            wf["spec"]["arguments"]["parameters"],
            json!([{"name": "pr", "value": ""}, {"name": "commit", "value": ""}, {"name": "repo", "value": "git@github.com:kpipe/kubernetes-analysis-data.git"}, {"name": "offline", "value": "false"}, {"name": "push", "value": "true"}, {"name": "dry-run", "value": "false"}, {"name": "device", "value": "auto"}]),
            "{uploaded}"
        );
        let run = &c.runs[0];
        assert_eq!(run["name"], "test-42-abc123");
        assert_eq!(
            run["pipeline_spec"]["parameters"],
            json!([{"name": "pr", "value": "42"}, {"name": "commit", "value": "ABC123"}])
        );
        assert_eq!(
            run["resource_references"],
            json!([
                {"key": {"type": "EXPERIMENT", "id": "e-1"}, "relationship": "OWNER"},
                {"key": {"type": "PIPELINE_VERSION", "id": "v-1"}, "relationship": "CREATOR"},
            ])
        );
        // The check can fail: a misspelt field grpc-gateway would drop.
        let mut typo = run.clone();
        typo["pipeline_spec"]["paramters"] = json!([]);
        let run_schema = kpipe_testkit::swagger_validator(Api::V1.swagger(), "apiRun");
        assert!(!run_schema.is_valid(&typo));
    }

    // Another PR adds a version named by the package's hash, later ones
    // reuse it.
    a_new_version_then_the_same(Api::V1, &url, &kfp);
    let c = lock(&kfp);
    assert_eq!(c.runs[2]["resource_references"][1]["key"]["id"], "v-2");
    assert_eq!(c.runs[2]["name"], "test-44-0a1b2c");
    assert!(c.schema_errors.is_empty(), "{:#?}", c.schema_errors);
}

#[test]
fn an_upload_that_lost_a_race_uses_the_winners() {
    let (url, kfp, _rt) = server(|_| {});
    for _ in 0..2 {
        let out = kpipe(&url, Some(TOKEN), &[]);
        assert_eq!(out.status.code(), Some(0), "{}", text(&out.stderr));
    }
    lock(&kfp).hide_once = (true, true);
    let out = kpipe(&url, Some(TOKEN), &PR);
    assert_eq!(out.status.code(), Some(0), "{}", text(&out.stderr));
    let c = lock(&kfp);
    let paths: Vec<&str> = c.uploads.iter().map(|u| u.path.as_str()).collect();
    assert_eq!(
        paths,
        [
            "pipelines/upload",
            "pipelines/upload_version",
            "pipelines/upload",
            "pipelines/upload_version"
        ]
    );
    assert_eq!((c.pipelines.len(), c.versions.len()), (1, 2));
    assert_eq!(c.runs[2]["resource_references"][1]["key"]["id"], "v-2");
}

#[test]
fn the_run_status_is_the_exit_code() {
    let cases = [
        (
            vec![Step::State("Running"), Step::State("Failed")],
            1,
            "kubernetes-analysis failed: step train failed: Error (exit code 1)",
        ),
        (
            vec![Step::State("Pending"), Step::State("Error")],
            3,
            "could not run: run r-1 ended in Error",
        ),
        (
            vec![Step::State("Running"), Step::State("Terminated")],
            1,
            "failed: run r-1 terminated",
        ),
        (
            vec![Step::State("Running"), Step::Deleted],
            4,
            "run r-1 was deleted while kpipe was waiting for it",
        ),
    ];
    ends_are_exit_codes(Api::V1, |script| server(|k| k.script = script), &cases);
}

#[test]
fn a_timeout_terminates_the_run() {
    let kfp = a_timeout_terminates(Api::V1, |script| server(|k| k.script = script), "Running");
    // The profile namespace owns the experiment.
    assert_eq!(
        lock(&kfp).experiments[0]["resource_references"],
        json!([{"key": {"type": "NAMESPACE", "id": "team-ml"}, "relationship": "OWNER"}])
    );
}

#[test]
fn tokens_come_from_a_file_and_a_refusal_says_what_to_do() {
    let (url, kfp, _rt) = server(|k| k.script = vec![Step::State("Succeeded")]);
    // The first refusal ends it: nothing else is tried without a token.
    a_refusal_says_what_to_do(&kpipe(&url, None, &[]), &kfp);
    assert!(lock(&kfp).runs.is_empty());

    let tmp = tempfile::tempdir().unwrap_or_else(|e| panic!("{e}"));
    let file = tmp.path().join("token");
    std::fs::write(&file, format!("{TOKEN}\n")).unwrap_or_else(|e| panic!("{e}"));
    let file = file.to_string_lossy().into_owned();
    let out = kpipe(
        &url,
        Some("wrong"),
        &[
            "--kfp-token-file",
            &file,
            "--service-account",
            "pipeline-runner",
        ],
    );
    assert_eq!(out.status.code(), Some(0), "{}", text(&out.stderr));
    assert_eq!(lock(&kfp).runs[0]["service_account"], "pipeline-runner");

    let out = kpipe(&url, None, &["--kfp-token-file", "/nonexistent/token"]);
    assert_eq!(out.status.code(), Some(1));
    assert!(text(&out.stderr).contains("cannot read the KFP token file /nonexistent/token"));

    let out = kpipe("http://127.0.0.1:1", Some(TOKEN), &[]);
    assert_eq!(out.status.code(), Some(1));
    assert!(
        text(&out.stderr).contains("cannot reach Kubeflow Pipelines at http://127.0.0.1:1"),
        "{}",
        text(&out.stderr)
    );
}

/// The same client against Prism serving KFP's swagger, which checks every
/// request's path, query, headers and JSON body against the contract
/// (`.ci/run` starts Prism and sets KPIPE_KFP_PRISM_URL).
#[test]
#[ignore = "needs Prism serving the KFP swagger at KPIPE_KFP_PRISM_URL"]
fn prism_kfp_contract() {
    let url = prism("KPIPE_KFP_PRISM_URL", Api::V1);
    let out = kpipe(&url, Some(TOKEN), &PR);
    assert_eq!(out.status.code(), Some(0), "{}", text(&out.stderr));
    // Prism's example run never finishes: kpipe reads it, then terminates it.
    let out = kpipe(&url, Some(TOKEN), &["--wait", "--timeout", "2"]);
    let stderr = text(&out.stderr);
    assert_eq!(out.status.code(), Some(4), "{stderr}");
    assert!(!stderr.contains("could not terminate"), "{stderr}");
    assert!(stderr.contains("terminated run"), "{stderr}");
    prism_wants_a_token(&kpipe(&url, None, &[]));
}
