//! `kpipe submit --kfp` through KFP's v2beta1 API (the default) against a
//! local fake Kubeflow Pipelines API server: every JSON body validates
//! against KFP's own v2beta1 swagger (closed, so a misspelt field is an
//! error) and every query parameter is one the swagger declares; the upload
//! is the v2 IR; the run's `runtime_config.parameters` have the IR's
//! declared types; the run's state and task details drive the exit code;
//! `--timeout` and SIGTERM terminate the run (`runs/{id}:terminate`); a KFP
//! without v2beta1 gets the `--kfp-api v1` hint. An ignored test runs the
//! same client against Prism serving the swagger (CI starts it).
//!
//! The same fake serves `kpipe retry --kfp` (`retry_kfp`): `runs/{id}:retry`,
//! refused as KFP refuses it unless the run failed or was terminated, and a
//! pipeline version with its `pipeline_spec`.

use std::collections::HashMap;
use std::process::{Command, Output, Stdio};

use axum::Router;
use axum::body::Bytes;
use axum::extract::{Path as UrlPath, Query, State};
use axum::http::StatusCode;
use axum::response::IntoResponse;
use axum::routing::{get, post};
use kpipe_testkit::{CommandExt, RUN, text};
use serde_json::{Map, Value, json};

// The fake KFP both versions share, and kpipe against it.
use crate::kfp_fake::*;

/// Every query parameter must be one the swagger declares for the call
/// (grpc-gateway ignores the others).
fn check_query(c: &mut Kfp, method: &str, path: &str, q: &HashMap<String, String>) {
    let swagger = Api::V2.swagger();
    let declared: Vec<&str> = swagger["paths"][path][method]["parameters"]
        .as_array()
        .into_iter()
        .flatten()
        .filter(|p| p["in"] == "query")
        .filter_map(|p| p["name"].as_str())
        .collect();
    if declared.is_empty() && swagger["paths"][path][method].is_null() {
        c.schema_errors
            .push(format!("{method} {path} is not in the swagger"));
    }
    for key in q.keys() {
        if !declared.contains(&key.as_str()) {
            c.schema_errors
                .push(format!("{method} {path}: undeclared query parameter {key}"));
        }
    }
}

/// What v2beta1 uploads create: a pipeline (in its namespace) whose first
/// version KFP 2.x names after it. KFP 2.x reads an upload as IR: a
/// PipelineSpec first.
static SHAPES: Shapes = Shapes {
    pipeline_id: "pipeline_id",
    version: |id, pipeline, name| {
        json!({"pipeline_id": pipeline, "pipeline_version_id": id, "name": name,
            "display_name": name, "created_at": CREATED})
    },
    pipeline: |id, name, _, q| {
        let mut p =
            json!({"pipeline_id": id, "name": name, "display_name": name, "created_at": CREATED});
        if let Some(ns) = q.get("namespace") {
            p["namespace"] = json!(ns);
        }
        p
    },
    accept: |c, up| {
        check_query(c, "post", &format!("/apis/v2beta1/{}", up.path), &up.query);
        let spec = yaml_value(up.yaml.split("\n---\n").next().unwrap_or(""));
        let ir = spec["schemaVersion"] == "2.1.0" && spec["root"]["dag"]["tasks"].is_object();
        (!ir).then(|| {
            error(
                StatusCode::BAD_REQUEST,
                "Failed to parse the pipeline spec: not v2 IR",
            )
        })
    },
};

/// The run as `GET runs/{id}` shows it in `state`.
fn run_in(run: &Value, state: &str) -> Value {
    let mut run = run.clone();
    run["state"] = json!(state);
    let train = match state {
        "SUCCEEDED" | "FAILED" | "CANCELED" => state,
        _ => "RUNNING",
    };
    let mut train_task = json!({"run_id": run["run_id"], "task_id": "t-train", "display_name": "train",
        "state": train, "start_time": "2026-11-26T10:00:08Z", "create_time": "2026-11-26T10:00:08Z"});
    if state == "FAILED" {
        run["error"] =
            json!({"code": 2, "message": "task train failed: exit code 1", "details": []});
        train_task["error"] = json!({"code": 2, "message": "exit code 1", "details": []});
        train_task["end_time"] = json!("2026-11-26T10:00:20Z");
    }
    // (as KFP 2.x lists them: every node of the Argo Workflow it runs —
    // the workflow, root and its driver, per task a driver, the task's DAG
    // and an `executor` pod)
    let system = |id: &str, name: &str, state: &str| json!({"run_id": run["run_id"], "task_id": id, "display_name": name, "state": state});
    let running = if train == "RUNNING" { "RUNNING" } else { train };
    run["run_details"] = json!({"task_details": [
        system("t-wf", "kubernetes-analysis-x7k2p", running),
        system("t-root-driver", "root-driver", "SUCCEEDED"),
        system("t-root", "root", running),
        system("t-checkout-driver", "checkout-driver", "SUCCEEDED"),
        {"run_id": run["run_id"], "task_id": "t-checkout", "display_name": "checkout", "state": "SUCCEEDED",
         "create_time": "2026-11-26T10:00:00Z", "start_time": "2026-11-26T10:00:00Z", "end_time": "2026-11-26T10:00:07Z"},
        system("t-checkout-executor", "executor", "SUCCEEDED"),
        system("t-train-driver", "train-driver", "SUCCEEDED"),
        train_task,
        system("t-train-executor", "executor", running),
    ]});
    run
}

/// The run's parameters against the declared types of its version's IR,
/// as KFP 2.x checks them when it creates the run.
fn typed_as_declared(c: &mut Kfp, run: &Value) {
    let version = run["pipeline_version_reference"]["pipeline_version_id"].as_str();
    let Some((_, _, ir)) = c
        .versions
        .iter()
        .find(|(_, v, _)| v["pipeline_version_id"].as_str() == version)
    else {
        c.schema_errors
            .push(format!("run names an unknown version {version:?}"));
        return;
    };
    let spec = yaml_value(ir.split("\n---\n").next().unwrap_or(""));
    let declared = spec["root"]["inputDefinitions"]["parameters"].clone();
    let empty = Map::new();
    for (name, value) in run["runtime_config"]["parameters"]
        .as_object()
        .unwrap_or(&empty)
    {
        let ok = match declared[name]["parameterType"].as_str() {
            Some("STRING") => value.is_string(),
            Some("NUMBER_INTEGER") => value.is_i64(),
            Some("NUMBER_DOUBLE") => value.is_number(),
            Some("BOOLEAN") => value.is_boolean(),
            Some("LIST") => value.is_array(),
            Some("STRUCT") => value.is_object(),
            _ => false,
        };
        if !ok {
            c.schema_errors.push(format!(
                "parameter {name} = {value} does not match {}",
                declared[name]
            ));
        }
    }
}

/// The fake v2beta1 API server set up by `setup` (and the Kubernetes API of
/// its cluster): its URL, its state, and the runtime it lives on.
pub(crate) fn server(setup: impl FnOnce(&mut Kfp)) -> Fake {
    let state = state(Api::V2, setup);
    let app = with_uploads(Router::new(), Api::V2, &SHAPES)
        .route(
            "/apis/v2beta1/pipelines/names/{name}",
            get(|State(s): State<Shared>, UrlPath(name): UrlPath<String>, Query(q): Params| async move {
                let mut c = lock(&s);
                check_query(&mut c, "get", "/apis/v2beta1/pipelines/names/{name}", &q);
                let ns = q.get("namespace").map(String::as_str);
                let found = c.pipelines.iter().find(|p| p["name"] == name.as_str() && p["namespace"].as_str() == ns);
                match found {
                    Some(p) => axum::Json(p.clone()).into_response(),
                    None => error(StatusCode::NOT_FOUND, &format!("Failed to get a pipeline with name {name}: ResourceNotFoundError")),
                }
            }),
        )
        .route(
            "/apis/v2beta1/pipelines/{id}/versions",
            get(|State(s): State<Shared>, UrlPath(pipeline): UrlPath<String>, Query(q): Params| async move {
                let mut c = lock(&s);
                check_query(&mut c, "get", "/apis/v2beta1/pipelines/{pipeline_id}/versions", &q);
                let Some(name) = filter_equals(&q, "operation", "name") else {
                    return error(StatusCode::BAD_REQUEST, "expected a v2beta1 name filter");
                };
                let found: Vec<Value> = c.versions.iter()
                    .filter(|(p, v, _)| *p == pipeline && v["name"] == name.as_str())
                    .map(|(_, v, _)| v.clone())
                    .collect();
                axum::Json(json!({"pipeline_versions": found, "total_size": found.len()})).into_response()
            }),
        )
        .route(
            "/apis/v2beta1/pipelines/{id}/versions/{version}",
            get(|State(s): State<Shared>, UrlPath((pipeline, version)): UrlPath<(String, String)>, Query(q): Params| async move {
                let mut c = lock(&s);
                check_query(&mut c, "get", "/apis/v2beta1/pipelines/{pipeline_id}/versions/{pipeline_version_id}", &q);
                let Some((_, v, ir)) = c.versions.iter().find(|(p, v, _)| *p == pipeline && v["pipeline_version_id"] == version.as_str()) else {
                    return error(StatusCode::NOT_FOUND, "pipeline version not found");
                };
                // KFP serves the package's PipelineSpec (and platform spec) as JSON.
                let mut v = v.clone();
                let docs: Vec<&str> = ir.split("\n---\n").collect();
                v["pipeline_spec"] = match docs.as_slice() {
                    [spec] => yaml_value(spec),
                    [spec, platform, ..] => json!({"pipeline_spec": yaml_value(spec), "platform_spec": yaml_value(platform)}),
                    [] => json!({}),
                };
                axum::Json(v).into_response()
            }),
        )
        .route(
            "/apis/v2beta1/experiments",
            get(|State(s): State<Shared>, Query(q): Params| async move {
                let mut c = lock(&s);
                check_query(&mut c, "get", "/apis/v2beta1/experiments", &q);
                let Some(name) = filter_equals(&q, "operation", "display_name") else {
                    return error(StatusCode::BAD_REQUEST, "expected a v2beta1 display_name filter");
                };
                let ns = q.get("namespace").map(String::as_str);
                let found: Vec<Value> = c.experiments.iter()
                    .filter(|e| e["display_name"] == name.as_str() && e["namespace"].as_str() == ns)
                    .cloned()
                    .collect();
                axum::Json(json!({"experiments": found, "total_size": found.len()})).into_response()
            })
            .post(|State(s): State<Shared>, Query(q): Params, body: Bytes| async move {
                let mut c = lock(&s);
                check_query(&mut c, "post", "/apis/v2beta1/experiments", &q);
                let mut e: Value = serde_json::from_slice(&body).unwrap_or(Value::Null);
                c.check("v2beta1Experiment", &e);
                e["experiment_id"] = json!(format!("e-{}", c.experiments.len() + 1));
                c.experiments.push(e.clone());
                axum::Json(e).into_response()
            }),
        )
        .route(
            "/apis/v2beta1/runs",
            post(|State(s): State<Shared>, Query(q): Params, body: Bytes| async move {
                let mut c = lock(&s);
                check_query(&mut c, "post", "/apis/v2beta1/runs", &q);
                let mut run: Value = serde_json::from_slice(&body).unwrap_or(Value::Null);
                c.check("v2beta1Run", &run);
                typed_as_declared(&mut c, &run);
                run["run_id"] = json!(format!("r-{}", c.runs.len() + 1));
                run["state"] = json!("PENDING");
                c.runs.push(run.clone());
                axum::Json(run).into_response()
            }),
        )
        .route(
            // `runs/{run_id}` and `runs/{run_id}:terminate` (a custom verb).
            "/apis/v2beta1/runs/{id}",
            get(|State(s): State<Shared>, UrlPath(id): UrlPath<String>, Query(q): Params| async move {
                let mut c = lock(&s);
                check_query(&mut c, "get", "/apis/v2beta1/runs/{run_id}", &q);
                let Some(run) = c.runs.iter().find(|r| r["run_id"] == id.as_str()).cloned() else {
                    return error(StatusCode::NOT_FOUND, "run not found");
                };
                match c.next_state() {
                    Some(Step::State(state)) => axum::Json(run_in(&run, state)).into_response(),
                    Some(Step::Deleted) | None => error(StatusCode::NOT_FOUND, &format!("Failed to get run: ResourceNotFoundError: Run {id} not found")),
                }
            })
            .post(|State(s): State<Shared>, UrlPath(action): UrlPath<String>, Query(q): Params| async move {
                let mut c = lock(&s);
                let Some((id, verb @ ("terminate" | "retry"))) = action.rsplit_once(':') else {
                    return error(StatusCode::NOT_FOUND, &format!("no POST runs/{action}"));
                };
                check_query(&mut c, "post", &format!("/apis/v2beta1/runs/{{run_id}}:{verb}"), &q);
                if !c.runs.iter().any(|r| r["run_id"] == id) {
                    return error(StatusCode::NOT_FOUND, "run not found");
                }
                if verb == "terminate" {
                    c.terminated.push(id.to_owned());
                    return axum::Json(json!({})).into_response();
                }
                // KFP retries a run whose workflow failed (terminated included).
                c.retry(id, &["FAILED", "CANCELED"])
            }),
        )
        .route_layer(axum::middleware::from_fn_with_state(state.clone(), authorized))
        // The Kubernetes API of the cluster KFP runs on (the same server;
        // the kubeconfig points here): the run's pods and their logs.
        .route(
            "/api/v1/namespaces/{ns}/pods",
            get(|State(s): State<Shared>, UrlPath(ns): UrlPath<String>, Query(q): Params| async move {
                let mut c = lock(&s);
                let selector = q.get("labelSelector").cloned().unwrap_or_default();
                c.pod_lists.push((ns.clone(), selector.clone()));
                let items = match selector.strip_prefix("pipeline/runid=") {
                    Some(run) => ["root-driver", "root.checkout-driver", "root.checkout.executor", "root.train-driver", "root.train.executor"]
                        .iter()
                        .map(|node| kfp_pod(&ns, run, node))
                        .collect(),
                    None => Vec::new(),
                };
                axum::Json(json!({"apiVersion": "v1", "kind": "PodList", "metadata": {"resourceVersion": "5"}, "items": items}))
            }),
        )
        .route(
            "/api/v1/namespaces/{ns}/pods/{pod}/log",
            get(|UrlPath((_, pod)): UrlPath<(String, String)>, Query(q): Params| async move {
                assert_eq!(q.get("container").map(String::as_str), Some("main"));
                if pod.contains("driver") {
                    "driver: resolved inputs\n".to_owned()
                } else if pod.contains("checkout") {
                    "Checked out PR 42\n".to_owned()
                } else {
                    "epoch 1 loss 0.41\nSaved model\n".to_owned()
                }
            }),
        )
        .with_state(state.clone());
    let (addr, rt) = kpipe_testkit::serve(app);
    let url = format!("http://{addr}");
    (url, state, rt)
}

/// A pod of KFP 2.x run `run` for Argo node `node` (under the workflow),
/// as KFP labels it; its `main` container has run.
fn kfp_pod(ns: &str, run: &str, node: &str) -> Value {
    let workflow = "test-42-abc123-x7k2p";
    json!({
        "metadata": {
            "name": format!("{workflow}-{}", node.replace('.', "-")),
            "namespace": ns,
            "labels": {"pipeline/runid": run, "workflows.argoproj.io/workflow": workflow},
            "annotations": {"workflows.argoproj.io/node-name": format!("{workflow}.{node}")},
        },
        "status": {
            "phase": "Succeeded",
            "containerStatuses": [
                {"name": "main", "image": "kpipe-step", "imageID": "", "ready": false, "restartCount": 0, "state": {"terminated": {"exitCode": 0}}},
            ],
        },
    })
}

fn command(url: &str, token: Option<&str>, args: &[&str]) -> Command {
    submit_command(Api::V2, url, token, args)
}

fn kpipe(url: &str, token: Option<&str>, args: &[&str]) -> Output {
    command(url, token, args).output_within(RUN)
}

#[test]
fn uploads_the_ir_runs_with_typed_parameters_and_reuses_the_version() {
    let (url, kfp, _rt) = server(|k| {
        k.script = vec![
            Step::State("PENDING"),
            Step::State("RUNNING"),
            Step::State("SUCCEEDED"),
        ];
    });
    let mut args = PR.to_vec();
    args.push("--wait");
    let out = kpipe(&url, Some(TOKEN), &args);
    let stderr = text(&out.stderr);
    assert_eq!(out.status.code(), Some(0), "{stderr}");
    for line in [
        "Uploaded pipeline kubernetes-analysis (p-1)",
        "Created experiment kubernetes-analysis (e-1)",
        &format!(
            "Created run test-42-abc123 (r-1) in experiment kubernetes-analysis: {url}/#/runs/details/r-1"
        ),
        "run r-1: RUNNING",
        "step train: RUNNING",
        "step train: SUCCEEDED",
        "run r-1: SUCCEEDED",
        "kubernetes-analysis succeeded",
    ] {
        assert!(stderr.contains(line), "missing `{line}` in:\n{stderr}");
    }
    // KFP's own nodes are not the pipeline's steps
    for node in [
        "executor",
        "root",
        "root-driver",
        "train-driver",
        "kubernetes-analysis-x7k2p",
    ] {
        assert!(
            !stderr.contains(&format!("step {node}:")),
            "{node} in:\n{stderr}"
        );
    }
    // The summary table: checkout took 7 s.
    assert!(stderr.contains("checkout"), "{stderr}");
    assert!(stderr.contains("7s"), "{stderr}");
    {
        let c = lock(&kfp);
        assert!(c.schema_errors.is_empty(), "{:#?}", c.schema_errors);
        let uploaded = first_upload(&c);
        // The IR, with the declared defaults; the run's values travel with
        // the run.
        let spec = yaml_value(uploaded.split("\n---\n").next().unwrap_or(""));
        assert_eq!(spec["pipelineInfo"]["name"], "kubernetes-analysis");
        assert_eq!(
            spec["root"]["inputDefinitions"]["parameters"]["pr"]["parameterType"],
            "STRING"
        );
        let run = &c.runs[0];
        assert_eq!(run["display_name"], "test-42-abc123");
        assert_eq!(run["experiment_id"], "e-1");
        assert_eq!(
            run["pipeline_version_reference"],
            json!({"pipeline_id": "p-1", "pipeline_version_id": "v-1"})
        );
        assert_eq!(
            run["runtime_config"],
            json!({"parameters": {"pr": "42", "commit": "ABC123"}})
        );
        // The checks can fail: a misspelt field grpc-gateway would drop,
        // a parameter of the wrong type.
        let mut typo = run.clone();
        typo["runtime_config"]["paramters"] = json!({});
        let run_schema = kpipe_testkit::swagger_validator(Api::V2.swagger(), "v2beta1Run");
        assert!(!run_schema.is_valid(&typo));
    }
    let mut mistyped = Kfp {
        versions: lock(&kfp).versions.clone(),
        ..Kfp::default()
    };
    let mut run = lock(&kfp).runs[0].clone();
    run["runtime_config"]["parameters"]["pr"] = json!(42);
    typed_as_declared(&mut mistyped, &run);
    assert_eq!(
        mistyped.schema_errors.len(),
        1,
        "{:?}",
        mistyped.schema_errors
    );

    // Another PR adds a version named by the package's hash, later ones
    // reuse it.
    a_new_version_then_the_same(Api::V2, &url, &kfp);
    let c = lock(&kfp);
    assert_eq!(
        c.runs[2]["pipeline_version_reference"]["pipeline_version_id"],
        "v-2"
    );
    assert_eq!(
        c.runs[2]["runtime_config"]["parameters"],
        json!({"pr": "44", "commit": "0a1b2c"})
    );
    assert!(c.terminated.is_empty());
    assert!(c.schema_errors.is_empty(), "{:#?}", c.schema_errors);
}

/// Each executor task's `cachingOptions` in an uploaded IR file, by task.
fn caching(uploaded: &str) -> Vec<(String, Value)> {
    let spec = yaml_value(uploaded.split("\n---\n").next().unwrap_or(""));
    let mut out: Vec<(String, Value)> = spec["root"]["dag"]["tasks"]
        .as_object()
        .into_iter()
        .chain(
            spec["components"]
                .as_object()
                .into_iter()
                .flat_map(|c| c.values())
                .filter_map(|c| c["dag"]["tasks"].as_object()),
        )
        .flatten()
        .filter(|(_, t)| !t["cachingOptions"].is_null())
        .map(|(name, t)| (name.clone(), t["cachingOptions"].clone()))
        .collect();
    out.sort_by(|a, b| a.0.cmp(&b.0));
    out
}

#[test]
fn kfp_caches_steps_by_default_and_a_run_can_go_without() {
    let (url, kfp, _rt) = server(|_| {});
    let out = kpipe(&url, Some(TOKEN), &PR);
    assert_eq!(out.status.code(), Some(0), "{}", text(&out.stderr));
    let cached = caching(&first_upload(&lock(&kfp)));
    assert_eq!(cached.len(), 9, "{cached:?}");
    for (task, options) in &cached {
        // (checkout and update-api read the world: `.cache(false)`)
        let expected = match task.as_str() {
            "checkout" | "update-api" => json!({}),
            _ => json!({"enableCache": true}),
        };
        assert_eq!(options, &expected, "{task}");
    }

    let mut args = PR.to_vec();
    args.push("--no-cache");
    let out = kpipe(&url, Some(TOKEN), &args);
    let stderr = text(&out.stderr);
    assert_eq!(out.status.code(), Some(0), "{stderr}");
    let c = lock(&kfp);
    assert!(c.schema_errors.is_empty(), "{:#?}", c.schema_errors);
    // Another package: a version of its own, every step run.
    assert_eq!(c.uploads.len(), 2, "{stderr}");
    let uncached = caching(&c.uploads[1].yaml);
    assert_eq!(uncached.len(), 9, "{uncached:?}");
    assert!(
        uncached.iter().all(|(_, o)| *o == json!({})),
        "{uncached:?}"
    );
    assert_eq!(
        c.runs[1]["pipeline_version_reference"]["pipeline_version_id"],
        "v-2"
    );
}

#[test]
fn the_run_state_and_its_tasks_are_the_exit_code() {
    let cases = [
        (
            vec![Step::State("RUNNING"), Step::State("FAILED")],
            1,
            "error: kubernetes-analysis failed: task train failed: exit code 1",
        ),
        (
            vec![Step::State("RUNNING"), Step::State("CANCELED")],
            1,
            "error: kubernetes-analysis failed: run r-1 canceled",
        ),
        (
            vec![Step::State("PENDING"), Step::State("SKIPPED")],
            0,
            "kubernetes-analysis succeeded",
        ),
        (
            vec![Step::State("RUNNING"), Step::Deleted],
            4,
            "run r-1 was deleted while kpipe was waiting for it",
        ),
    ];
    ends_are_exit_codes(Api::V2, |script| server(|k| k.script = script), &cases);
    // The failed task is named, with its message, in the progress lines.
    let (url, _kfp, _rt) = server(|k| k.script = vec![Step::State("FAILED")]);
    let stderr = text(&kpipe(&url, Some(TOKEN), &["--wait"]).stderr);
    assert!(
        stderr.contains("step train: FAILED (exit code 1)"),
        "{stderr}"
    );
}

#[test]
fn a_timeout_terminates_the_run() {
    let kfp = a_timeout_terminates(Api::V2, |script| server(|k| k.script = script), "RUNNING");
    let c = lock(&kfp);
    assert!(
        c.requests
            .contains(&"POST /apis/v2beta1/runs/r-1:terminate".to_owned()),
        "{:?}",
        c.requests
    );
    // The profile namespace goes with the pipeline and the experiment.
    assert_eq!(c.experiments[0]["namespace"], "team-ml");
}

#[test]
fn sigterm_terminates_the_run() {
    let (url, kfp, _rt) = server(|k| k.script = vec![Step::State("RUNNING")]);
    let child = command(&url, Some(TOKEN), &["--wait"])
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .unwrap_or_else(|e| panic!("{e}"));
    // kpipe installs its signal handlers before it creates the run.
    kpipe_testkit::wait_until("kpipe to read the run", kpipe_testkit::WAIT, || {
        (lock(&kfp).polls > 0).then_some(())
    });
    let status = Command::new("kill")
        .args(["-TERM", &child.id().to_string()])
        .status()
        .unwrap_or_else(|e| panic!("{e}"));
    assert!(status.success());
    let out = kpipe_testkit::finish_within(child, "kpipe submit --kfp after SIGTERM", RUN);
    let stderr = text(&out.stderr);
    assert_eq!(out.status.code(), Some(143), "{stderr}");
    assert!(stderr.contains("SIGTERM: terminated run r-1"), "{stderr}");
    assert!(stderr.contains("interrupted by SIGTERM"), "{stderr}");
    let c = lock(&kfp);
    assert_eq!(c.terminated, ["r-1"]);
    assert!(c.schema_errors.is_empty(), "{:#?}", c.schema_errors);
}

#[test]
fn a_kfp_without_v2beta1_gets_the_v1_hint() {
    // The v1beta1 fake serves no v2beta1 path, as KFP 1.x.
    let (url, _kfp, _rt) = crate::submit_kfp::server(|_| {});
    let out = kpipe(&url, Some(TOKEN), &[]);
    let stderr = text(&out.stderr);
    assert_eq!(out.status.code(), Some(1), "{stderr}");
    assert!(
        stderr.contains(
            "Kubeflow Pipelines refused to upload pipeline kubernetes-analysis (404 Not Found)"
        ),
        "{stderr}"
    );
    assert!(
        stderr.contains(
            "KFP 1.x serves only the v1beta1 API: submit the Argo Workflow with --kfp-api v1"
        ),
        "{stderr}"
    );
}

#[test]
fn refusals_and_bad_parameters_say_what_to_do() {
    let (url, kfp, _rt) = server(|k| k.script = vec![Step::State("SUCCEEDED")]);
    a_refusal_says_what_to_do(&kpipe(&url, None, &[]), &kfp);

    // A parameter the pipeline does not declare: nothing is contacted.
    let out = kpipe(&url, Some(TOKEN), &["-p", "prr=1"]);
    let stderr = text(&out.stderr);
    assert_eq!(out.status.code(), Some(1), "{stderr}");
    assert!(
        stderr.contains("kubernetes-analysis: unknown parameter `prr`; the pipeline declares: pr, commit, repo, offline, push, dry-run, device"),
        "{stderr}"
    );
    // An Argo Workflow file is not what v2beta1 runs.
    let tmp = tempfile::tempdir().unwrap_or_else(|e| panic!("{e}"));
    let wf = tmp.path().join("wf.yaml");
    let compiled = Command::new(KPIPE)
        .args(["compile", "kubernetes-analysis", "-o"])
        .arg(&wf)
        .output_within(RUN);
    assert_eq!(
        compiled.status.code(),
        Some(0),
        "{}",
        text(&compiled.stderr)
    );
    let out = kpipe(&url, Some(TOKEN), &[&wf.to_string_lossy()]);
    let stderr = text(&out.stderr);
    assert_eq!(out.status.code(), Some(1), "{stderr}");
    assert!(
        stderr.contains("is not Kubeflow Pipelines v2 IR"),
        "{stderr}"
    );
    assert!(stderr.contains("--kfp-api v1"), "{stderr}");
    assert_eq!(lock(&kfp).requests.len(), 1, "{:?}", lock(&kfp).requests);
}

/// The same client against Prism serving KFP's v2beta1 swagger, which checks
/// every request's path, query, headers and JSON body against the contract
/// (`.ci/run` starts Prism and sets KPIPE_KFP2_PRISM_URL).
#[test]
#[ignore = "needs Prism serving the KFP v2beta1 swagger at KPIPE_KFP2_PRISM_URL"]
fn prism_kfp_v2beta1_contract() {
    let url = prism("KPIPE_KFP2_PRISM_URL", Api::V2);
    let out = kpipe(&url, Some(TOKEN), &PR);
    assert_eq!(out.status.code(), Some(0), "{}", text(&out.stderr));
    // Prism's example run never finishes: kpipe reads it, then terminates
    // it through `runs/{run_id}:terminate`.
    let out = kpipe(
        &url,
        Some(TOKEN),
        &["--wait", "--timeout", "2", "-n", "team-ml"],
    );
    let stderr = text(&out.stderr);
    assert_eq!(out.status.code(), Some(4), "{stderr}");
    assert!(!stderr.contains("could not terminate"), "{stderr}");
    assert!(stderr.contains("terminated run"), "{stderr}");
    prism_wants_a_token(&kpipe(&url, None, &[]));
}

/// `--logs`: KFP has no log endpoint, so each step's log comes from its pod
/// (label `pipeline/runid`) through the Kubernetes API, in the profile
/// namespace; KFP's driver pods are not streamed.
#[test]
fn logs_come_from_the_runs_pods_through_the_kubernetes_api() {
    let (url, kfp, _rt) = server(|k| {
        k.script = vec![Step::State("RUNNING"), Step::State("SUCCEEDED")];
    });
    let tmp = tempfile::tempdir().unwrap_or_else(|e| panic!("{e}"));
    let kubeconfig = kpipe_testkit::kubeconfig(tmp.path(), &url);
    let mut args = PR.to_vec();
    args.extend(["--logs", "--namespace", "team-a"]);
    let out = command(&url, Some(TOKEN), &args)
        .env("KUBECONFIG", &kubeconfig)
        .output_within(RUN);
    let (stdout, stderr) = (text(&out.stdout), text(&out.stderr));
    assert_eq!(out.status.code(), Some(0), "{stdout}\n{stderr}");
    for line in [
        "checkout | Checked out PR 42",
        "train | epoch 1 loss 0.41",
        "train | Saved model",
    ] {
        assert!(
            stdout.contains(line),
            "missing `{line}` in:\n{stdout}\n{stderr}"
        );
    }
    assert!(!stdout.contains("driver"), "{stdout}");
    let c = lock(&kfp);
    let run = c.runs[0]["run_id"].as_str().unwrap_or_default().to_owned();
    assert!(
        c.pod_lists
            .iter()
            .all(|(ns, sel)| ns == "team-a" && *sel == format!("pipeline/runid={run}")),
        "{:?}",
        c.pod_lists
    );
    assert!(!c.pod_lists.is_empty());
}

/// `--logs` with no way to reach the Kubernetes API still follows the run.
#[test]
fn logs_without_a_cluster_config_say_so_and_follow_the_run() {
    let (url, _kfp, _rt) = server(|k| {
        k.script = vec![Step::State("SUCCEEDED")];
    });
    let mut args = PR.to_vec();
    args.push("--logs");
    let out = command(&url, Some(TOKEN), &args)
        .env("KUBECONFIG", "/nonexistent/kubeconfig")
        .env_remove("KUBERNETES_SERVICE_HOST")
        .output_within(RUN);
    let stderr = text(&out.stderr);
    assert_eq!(out.status.code(), Some(0), "{stderr}");
    assert!(
        stderr.contains("warning: --logs: the pods' logs need the Kubernetes API")
            && stderr.contains("showing the steps' phases only"),
        "{stderr}"
    );
}
