//! `kpipe submit` (Argo) against a local fake Kubernetes API server, through
//! kube's real client (kubeconfig → http://127.0.0.1:PORT): the Workflow
//! body validates against Argo's CRD schema, watch events drive the exit
//! code of every phase, pod logs are streamed with step prefixes, SIGTERM
//! sends the shutdown patch, and the failures a user meets say what to do.
//!
//! The same fake serves `kpipe retry` (`retry_argo`): a Workflow's
//! replacement (PUT, validated against the CRD like every write, refused
//! with 409 at a stale `resourceVersion`) and its pods' deletion.

use std::path::Path;
use std::process::{Command, Output, Stdio};
use std::sync::{Arc, Mutex, MutexGuard};
use std::time::Duration;

use axum::Router;
use axum::body::{Body, Bytes};
use axum::extract::{Path as UrlPath, Query, State};
use axum::http::{HeaderMap, StatusCode};
use axum::response::{IntoResponse, Response};
use axum::routing::{get, post};
use kpipe_testkit::{CommandExt, RUN, text};
use serde_json::{Value, json};

const KPIPE: &str = env!("CARGO_BIN_EXE_kpipe");
pub(crate) const SUFFIX: &str = "x7k2p";

#[derive(Clone, Copy, Debug, PartialEq)]
pub(crate) enum Event {
    Phase(&'static str),
    Deleted,
}

#[derive(Default)]
pub(crate) struct Cluster {
    /// The one Workflow (created by a POST, or there from the start).
    pub(crate) workflow: Option<Value>,
    /// Its pods, when a test sets them: listed, deleted one by one, and
    /// created again (new uid) once the Workflow runs again after a retry.
    /// When empty, every Workflow has a `checkout` and a `train` pod.
    pub(crate) pods: Vec<Value>,
    /// Pods deleted since the last replacement of the Workflow.
    deleted_pods: Vec<Value>,
    /// Answer the first PUT with 409, as if the controller had written the
    /// Workflow since it was read (its resource version moves on, and it
    /// gets an annotation).
    pub(crate) conflict_once: bool,
    /// Answer 403 to pod deletions.
    pub(crate) forbid_pod_delete: bool,
    /// Reads of the one Workflow (GET by name).
    pub(crate) reads: usize,
    /// Events sent on the first watch; later watches send nothing more.
    pub(crate) script: Vec<Event>,
    /// Answer the first watch with `410 Gone` (an expired resource
    /// version): the client must list again and watch from there.
    gone_once: bool,
    /// Lists of the workflows (kube's watcher lists before it watches).
    lists: usize,
    /// The `fieldSelector` of every list and watch.
    selectors: Vec<String>,
    /// The resource version of the last change.
    version: u64,
    /// Keep the watch open after the script (until the client goes away).
    hold_open: bool,
    /// Answer 403 to the create.
    forbid: bool,
    /// Answer the Argo Server lint with 400.
    lint_rejects: bool,
    pub(crate) watches: usize,
    lints: usize,
    /// (method, path, content type, body); a DELETE's body is null.
    pub(crate) requests: Vec<(String, String, String, Value)>,
    pub(crate) schema_errors: Vec<String>,
}

pub(crate) type Shared = Arc<Mutex<Cluster>>;

pub(crate) fn lock(s: &Shared) -> MutexGuard<'_, Cluster> {
    s.lock().unwrap_or_else(|e| e.into_inner())
}

/// Argo's Workflow CRD schema, closed like the API server's pruning: a field
/// it does not declare (lost data) is a validation error.
pub(crate) fn crd_validator() -> &'static jsonschema::Validator {
    static V: std::sync::OnceLock<jsonschema::Validator> = std::sync::OnceLock::new();
    V.get_or_init(|| {
        let path = Path::new(env!("CARGO_MANIFEST_DIR"))
            .join("tests/fixtures/argo/workflow-crd-v4.1.2.openapi.json");
        let mut schema = kpipe_testkit::schema::read_json(&path);
        kpipe_testkit::schema::close(&mut schema);
        kpipe_testkit::schema::validator(&schema)
    })
}

pub(crate) fn validate(c: &mut Cluster, obj: &Value) {
    (c.schema_errors).extend(kpipe_testkit::schema::errors(crd_validator(), obj));
}

pub(crate) fn status(name: &str, phase: &str) -> Value {
    let (train, message) = match phase {
        "Failed" => ("Failed", "Error (exit code 1)"),
        "Error" => ("Error", "pod deleted"),
        "Succeeded" => ("Succeeded", ""),
        _ => ("Running", ""),
    };
    json!({
        "phase": phase,
        "message": if phase == "Error" { "pod deleted during operation" } else { "" },
        "nodes": {
            name: {"id": name, "name": name, "displayName": name, "type": "DAG", "phase": phase},
            format!("{name}-1"): {"id": format!("{name}-1"), "name": format!("{name}.checkout"), "displayName": "checkout", "type": "Pod", "phase": "Succeeded", "startedAt": "2026-11-26T10:00:00Z", "finishedAt": "2026-11-26T10:00:07Z"},
            format!("{name}-2"): {"id": format!("{name}-2"), "name": format!("{name}.train"), "displayName": "train", "type": "Pod", "phase": train, "message": message, "startedAt": "2026-11-26T10:00:08Z"},
        },
    })
}

fn api_status(code: u16, reason: &str, message: &str) -> Response {
    let status = StatusCode::from_u16(code).unwrap_or(StatusCode::INTERNAL_SERVER_ERROR);
    (
        status,
        axum::Json(json!({"kind": "Status", "apiVersion": "v1", "metadata": {}, "status": "Failure", "reason": reason, "code": code, "message": message})),
    )
        .into_response()
}

fn pod(ns: &str, wf: &str, step: &str) -> Value {
    named_pod(ns, wf, step, &format!("{wf}-{step}-123"))
}

/// The pod `name` of step `step` of workflow `wf`, its `main` container run.
pub(crate) fn named_pod(ns: &str, wf: &str, step: &str, name: &str) -> Value {
    json!({
        "metadata": {
            "name": name,
            "uid": format!("uid-{name}"),
            "namespace": ns,
            "labels": {"workflows.argoproj.io/workflow": wf},
            "annotations": {"workflows.argoproj.io/node-name": format!("{wf}.{step}")},
        },
        "status": {
            "phase": "Succeeded",
            "containerStatuses": [
                {"name": "wait", "image": "argoexec", "imageID": "", "ready": false, "restartCount": 0, "state": {"terminated": {"exitCode": 0}}},
                {"name": "main", "image": "kpipe-step", "imageID": "", "ready": false, "restartCount": 0, "state": {"terminated": {"exitCode": 0}}},
            ],
        },
    })
}

type Params = Query<std::collections::HashMap<String, String>>;

pub(crate) fn apiserver(
    setup: impl FnOnce(&mut Cluster),
) -> (String, Shared, tokio::runtime::Runtime) {
    let mut cluster = Cluster::default();
    setup(&mut cluster);
    let state: Shared = Arc::new(Mutex::new(cluster));
    let base = "/apis/argoproj.io/v1alpha1/namespaces/{ns}/workflows";
    let app = Router::new()
        .route(
            base,
            post(|State(s): State<Shared>, UrlPath(ns): UrlPath<String>, h: HeaderMap, body: Bytes| async move {
                let mut c = lock(&s);
                let mut obj: Value = serde_json::from_slice(&body).unwrap_or(Value::Null);
                let ct = h.get("content-type").and_then(|v| v.to_str().ok()).unwrap_or("").to_owned();
                c.requests.push(("POST".into(), format!("/namespaces/{ns}/workflows"), ct, obj.clone()));
                validate(&mut c, &obj);
                if c.forbid {
                    return api_status(403, "Forbidden", &format!("workflows.argoproj.io is forbidden: User \"system:serviceaccount:{ns}:default\" cannot create resource \"workflows\" in API group \"argoproj.io\" in the namespace \"{ns}\""));
                }
                let name = format!("{}{SUFFIX}", obj["metadata"]["generateName"].as_str().unwrap_or("wf-"));
                obj["metadata"]["name"] = json!(name);
                c.version += 1;
                obj["metadata"]["resourceVersion"] = json!(c.version.to_string());
                obj["metadata"]["uid"] = json!("0b6f3c1e");
                c.workflow = Some(obj.clone());
                (StatusCode::CREATED, axum::Json(obj)).into_response()
            })
            .get(|State(s): State<Shared>, Query(q): Params| async move {
                let mut c = lock(&s);
                let selector = q.get("fieldSelector").cloned().unwrap_or_default();
                c.selectors.push(selector.clone());
                let selected = |wf: &Value| {
                    selector.is_empty() || selector == format!("metadata.name={}", wf["metadata"]["name"].as_str().unwrap_or(""))
                };
                if q.get("watch").map(String::as_str) != Some("true") {
                    c.lists += 1;
                    let items: Vec<Value> = c.workflow.iter().filter(|wf| selected(wf)).cloned().collect();
                    let version = c.version.to_string();
                    return axum::Json(json!({
                        "apiVersion": "argoproj.io/v1alpha1", "kind": "WorkflowList",
                        "metadata": {"resourceVersion": version}, "items": items,
                    }))
                    .into_response();
                }
                let (events, hold) = {
                    c.watches += 1;
                    let events = if std::mem::take(&mut c.gone_once) {
                        let gone = json!({"kind": "Status", "apiVersion": "v1", "metadata": {}, "status": "Failure",
                            "reason": "Expired", "code": 410, "message": "too old resource version: 1 (2)"});
                        vec![json!({"type": "ERROR", "object": gone})]
                    } else {
                        let mut out = Vec::new();
                        for ev in std::mem::take(&mut c.script) {
                            let Some(mut wf) = c.workflow.clone().filter(|wf| selected(wf)) else { break };
                            let name = wf["metadata"]["name"].as_str().unwrap_or("").to_owned();
                            c.version += 1;
                            wf["metadata"]["resourceVersion"] = json!(c.version.to_string());
                            match ev {
                                Event::Phase(p) => {
                                    wf["status"] = status(&name, p);
                                    c.workflow = Some(wf.clone());
                                    out.push(json!({"type": "MODIFIED", "object": wf}));
                                }
                                Event::Deleted => {
                                    c.workflow = None;
                                    out.push(json!({"type": "DELETED", "object": wf}));
                                }
                            }
                        }
                        out
                    };
                    (events, c.hold_open)
                };
                drop(c);
                let stream = futures::stream::unfold((events.into_iter(), hold), |(mut it, hold)| async move {
                    tokio::time::sleep(Duration::from_millis(30)).await;
                    match it.next() {
                        Some(ev) => Some((Ok::<_, std::io::Error>(Bytes::from(format!("{ev}\n"))), (it, hold))),
                        None if hold => {
                            std::future::pending::<()>().await;
                            None
                        }
                        None => None,
                    }
                });
                Response::builder()
                    .header("content-type", "application/json")
                    .body(Body::from_stream(stream))
                    .unwrap_or_else(|e| panic!("{e}"))
            }),
        )
        .route(
            &format!("{base}/{{name}}"),
            get(|State(s): State<Shared>, UrlPath((_, name)): UrlPath<(String, String)>| async move {
                let mut c = lock(&s);
                c.reads += 1;
                match &c.workflow {
                    Some(wf) if wf["metadata"]["name"] == name.as_str() => axum::Json(wf.clone()).into_response(),
                    _ => api_status(404, "NotFound", &format!("workflows.argoproj.io \"{name}\" not found")),
                }
            })
            .put(|State(s): State<Shared>, UrlPath((ns, name)): UrlPath<(String, String)>, h: HeaderMap, body: Bytes| async move {
                let mut c = lock(&s);
                let mut obj: Value = serde_json::from_slice(&body).unwrap_or(Value::Null);
                let ct = h.get("content-type").and_then(|v| v.to_str().ok()).unwrap_or("").to_owned();
                c.requests.push(("PUT".into(), format!("/namespaces/{ns}/workflows/{name}"), ct, obj.clone()));
                validate(&mut c, &obj);
                let Some(mut current) = c.workflow.clone().filter(|wf| wf["metadata"]["name"] == name.as_str()) else {
                    return api_status(404, "NotFound", &format!("workflows.argoproj.io \"{name}\" not found"));
                };
                let conflict = |version: &str| api_status(409, "Conflict", &format!(
                    "Operation cannot be fulfilled on workflows.argoproj.io \"{name}\": the object has been modified; please apply your changes to the latest version and try again (current {version})"));
                let read_at: u64 = current["metadata"]["resourceVersion"].as_str().and_then(|v| v.parse().ok()).unwrap_or(0);
                c.version = c.version.max(read_at);
                if std::mem::take(&mut c.conflict_once) {
                    c.version += 1;
                    current["metadata"]["resourceVersion"] = json!(c.version.to_string());
                    current["metadata"]["annotations"]["controller.example/touched"] = json!("true");
                    c.workflow = Some(current);
                    return conflict(&c.version.to_string());
                }
                if obj["metadata"]["resourceVersion"] != current["metadata"]["resourceVersion"] {
                    return conflict(&c.version.to_string());
                }
                c.version += 1;
                obj["metadata"]["resourceVersion"] = json!(c.version.to_string());
                c.workflow = Some(obj.clone());
                // The controller runs the nodes again: new pods, old names.
                for mut pod in std::mem::take(&mut c.deleted_pods) {
                    pod["metadata"]["uid"] = json!(format!("{}-again", pod["metadata"]["uid"].as_str().unwrap_or("")));
                    c.pods.push(pod);
                }
                axum::Json(obj).into_response()
            })
            .patch(|State(s): State<Shared>, UrlPath((ns, name)): UrlPath<(String, String)>, h: HeaderMap, body: Bytes| async move {
                let mut c = lock(&s);
                let patch: Value = serde_json::from_slice(&body).unwrap_or(Value::Null);
                let ct = h.get("content-type").and_then(|v| v.to_str().ok()).unwrap_or("").to_owned();
                c.requests.push(("PATCH".into(), format!("/namespaces/{ns}/workflows/{name}"), ct, patch.clone()));
                let Some(mut wf) = c.workflow.clone() else {
                    return api_status(404, "NotFound", "gone");
                };
                kpipe_testkit::merge_patch(&mut wf, &patch);
                validate(&mut c, &wf);
                c.workflow = Some(wf.clone());
                axum::Json(wf).into_response()
            }),
        )
        .route(
            "/api/v1/namespaces/{ns}/pods",
            get(|State(s): State<Shared>, UrlPath(ns): UrlPath<String>, Query(q): Params| async move {
                let wf = q
                    .get("labelSelector")
                    .and_then(|s| s.strip_prefix("workflows.argoproj.io/workflow="))
                    .unwrap_or("")
                    .to_owned();
                let c = lock(&s);
                let items: Vec<Value> = if c.pods.is_empty() {
                    vec![pod(&ns, &wf, "checkout"), pod(&ns, &wf, "train")]
                } else {
                    c.pods.iter().filter(|p| p["metadata"]["labels"]["workflows.argoproj.io/workflow"] == wf.as_str()).cloned().collect()
                };
                axum::Json(json!({
                    "apiVersion": "v1", "kind": "PodList", "metadata": {"resourceVersion": "5"},
                    "items": items,
                }))
            }),
        )
        .route(
            "/api/v1/namespaces/{ns}/pods/{pod}",
            axum::routing::delete(|State(s): State<Shared>, UrlPath((ns, name)): UrlPath<(String, String)>| async move {
                let mut c = lock(&s);
                c.requests.push(("DELETE".into(), format!("/namespaces/{ns}/pods/{name}"), String::new(), Value::Null));
                if c.forbid_pod_delete {
                    return api_status(403, "Forbidden", &format!("pods \"{name}\" is forbidden: User \"system:serviceaccount:{ns}:default\" cannot delete resource \"pods\" in API group \"\" in the namespace \"{ns}\""));
                }
                let Some(at) = c.pods.iter().position(|p| p["metadata"]["name"] == name.as_str()) else {
                    return api_status(404, "NotFound", &format!("pods \"{name}\" not found"));
                };
                let gone = c.pods.remove(at);
                c.deleted_pods.push(gone.clone());
                axum::Json(gone).into_response()
            }),
        )
        .route(
            "/api/v1/namespaces/{ns}/pods/{pod}/log",
            get(|UrlPath((_, pod)): UrlPath<(String, String)>, Query(q): Params| async move {
                assert_eq!(q.get("container").map(String::as_str), Some("main"));
                let text = if pod.contains("checkout") {
                    "Cloned the data repository\nChecked out PR 42\n"
                } else {
                    "epoch 1 loss 0.41\nepoch 2 loss 0.33\n"
                };
                text.to_owned()
            }),
        )
        .route(
            "/api/v1/workflows/{ns}/lint",
            post(|State(s): State<Shared>, body: Bytes| async move {
                let mut c = lock(&s);
                c.lints += 1;
                let v: Value = serde_json::from_slice(&body).unwrap_or(Value::Null);
                if v["workflow"]["kind"] != "Workflow" {
                    return (StatusCode::BAD_REQUEST, axum::Json(json!({"code": 3, "message": "no workflow"}))).into_response();
                }
                if c.lint_rejects {
                    return (StatusCode::BAD_REQUEST, axum::Json(json!({"code": 3, "message": "spec.templates[1].name 'checkout' is not unique"}))).into_response();
                }
                axum::Json(v["workflow"].clone()).into_response()
            }),
        )
        .with_state(state.clone());
    let (addr, rt) = kpipe_testkit::serve(app);
    let url = format!("http://{addr}");
    (url, state, rt)
}

pub(crate) use kpipe_testkit::kubeconfig;

fn kpipe(kubeconfig: &Path, args: &[&str]) -> Command {
    let mut cmd = Command::new(KPIPE);
    cmd.args(["submit", "--poll-ms=50"])
        .args(args)
        .env("KUBECONFIG", kubeconfig)
        .env_remove("KUBERNETES_SERVICE_HOST")
        .env_remove("ARGO_TOKEN");
    cmd
}

fn run(kubeconfig: &Path, args: &[&str]) -> Output {
    kpipe(kubeconfig, args).output_within(RUN)
}

const PR: [&str; 4] = ["-p", "pr=42", "-p", "commit=ABC123"];

#[test]
fn succeeds_streams_logs_and_sends_a_valid_workflow() {
    let (server, cluster, _rt) = apiserver(|c| {
        c.script = vec![Event::Phase("Running"), Event::Phase("Succeeded")];
    });
    let tmp = tempfile::tempdir().unwrap_or_else(|e| panic!("{e}"));
    let kc = kubeconfig(tmp.path(), &server);
    let mut args = PR.to_vec();
    args.extend(["--logs", "--argo-server", &server]);
    let out = run(&kc, &args);
    let (stdout, stderr) = (text(&out.stdout), text(&out.stderr));
    assert_eq!(out.status.code(), Some(0), "{stderr}");
    assert!(
        stderr.contains(&format!(
            "Submitted workflow kubeflow/test-42-abc123-{SUFFIX}"
        )),
        "{stderr}"
    );
    assert!(stderr.contains("the Workflow passes its lint"), "{stderr}");
    assert!(stderr.contains("step train: Running"), "{stderr}");
    assert!(stderr.contains("step train: Succeeded"), "{stderr}");
    assert!(stderr.contains("kubernetes-analysis succeeded"), "{stderr}");
    for line in [
        "checkout | Cloned the data repository",
        "checkout | Checked out PR 42",
        "train | epoch 2 loss 0.33",
    ] {
        assert!(stdout.contains(line), "missing `{line}` in:\n{stdout}");
    }
    let c = lock(&cluster);
    assert_eq!(c.lints, 1);
    // The check can fail: a misspelt field the API server would prune.
    let mut typo = c.requests[0].3.clone();
    typo["spec"]["entrypiont"] = json!("x");
    assert!(!crd_validator().is_valid(&typo));
    assert!(c.schema_errors.is_empty(), "{:#?}", c.schema_errors);
    let (method, path, ct, body) = &c.requests[0];
    assert_eq!(
        (method.as_str(), path.as_str()),
        ("POST", "/namespaces/kubeflow/workflows")
    );
    assert!(ct.starts_with("application/json"), "{ct}");
    assert_eq!(body["metadata"]["generateName"], "test-42-abc123-");
    assert_eq!(body["metadata"]["namespace"], "kubeflow");
    assert_eq!(
        body["spec"]["arguments"]["parameters"],
        json!([{"name": "pr", "value": "42"}, {"name": "commit", "value": "ABC123"}, {"name": "repo", "value": "git@github.com:kpipe/kubernetes-analysis-data.git"}, {"name": "offline", "value": "false"}, {"name": "push", "value": "true"}, {"name": "dry-run", "value": "false"}, {"name": "device", "value": "auto"}])
    );
    assert!(
        body["spec"]["templates"]
            .as_array()
            .is_some_and(|t| t.len() > 5)
    );
}

#[test]
fn each_final_phase_has_its_exit_code() {
    for (phase, code, says) in [
        ("Failed", 1, "kubernetes-analysis failed: step train failed"),
        (
            "Error",
            3,
            "could not run: step train failed: pod deleted during operation",
        ),
        ("Succeeded", 0, "succeeded"),
    ] {
        let (server, cluster, _rt) = apiserver(|c| {
            c.script = vec![Event::Phase("Running"), Event::Phase(phase)];
        });
        let tmp = tempfile::tempdir().unwrap_or_else(|e| panic!("{e}"));
        let kc = kubeconfig(tmp.path(), &server);
        let out = run(&kc, &["--wait"]);
        let stderr = text(&out.stderr);
        assert_eq!(out.status.code(), Some(code), "{phase}: {stderr}");
        assert!(stderr.contains(says), "{phase}: {stderr}");
        // The summary table names every step.
        assert!(stderr.contains("checkout"), "{stderr}");
        assert!(stderr.contains("7s"), "{stderr}");
        assert!(lock(&cluster).schema_errors.is_empty());
    }
}

#[test]
fn a_workflow_deleted_while_waiting_is_reported() {
    let (server, _cluster, _rt) = apiserver(|c| {
        c.script = vec![Event::Phase("Running"), Event::Deleted];
    });
    let tmp = tempfile::tempdir().unwrap_or_else(|e| panic!("{e}"));
    let kc = kubeconfig(tmp.path(), &server);
    let out = run(&kc, &["--wait"]);
    let stderr = text(&out.stderr);
    assert_eq!(out.status.code(), Some(4), "{stderr}");
    assert!(
        stderr.contains("was deleted while kpipe was waiting for it"),
        "{stderr}"
    );
}

/// kube's watcher follows the one workflow (a field selector on its name),
/// and lists again after the API server answers `410 Gone` to a watch.
#[test]
fn an_expired_watch_lists_again() {
    let (server, cluster, _rt) = apiserver(|c| {
        c.gone_once = true;
        c.script = vec![Event::Phase("Running"), Event::Phase("Succeeded")];
    });
    let tmp = tempfile::tempdir().unwrap_or_else(|e| panic!("{e}"));
    let kc = kubeconfig(tmp.path(), &server);
    let out = run(&kc, &["--wait"]);
    let stderr = text(&out.stderr);
    assert_eq!(out.status.code(), Some(0), "{stderr}");
    assert!(stderr.contains("step train: Succeeded"), "{stderr}");
    let c = lock(&cluster);
    assert_eq!((c.lists, c.watches), (2, 2), "{stderr}");
    let selector = format!("metadata.name=kubernetes-analysis-{SUFFIX}");
    assert!(
        c.selectors.iter().all(|s| *s == selector),
        "{:?}",
        c.selectors
    );
}

#[test]
fn sigterm_stops_the_workflow() {
    let (server, cluster, _rt) = apiserver(|c| {
        c.script = vec![Event::Phase("Running")];
        c.hold_open = true;
    });
    let tmp = tempfile::tempdir().unwrap_or_else(|e| panic!("{e}"));
    let kc = kubeconfig(tmp.path(), &server);
    let child = kpipe(&kc, &["--wait"])
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .unwrap_or_else(|e| panic!("{e}"));
    // kpipe installs its signal handlers before it starts watching.
    kpipe_testkit::wait_until("kpipe to watch the workflow", kpipe_testkit::WAIT, || {
        (lock(&cluster).watches > 0).then_some(())
    });
    let status = Command::new("kill")
        .args(["-TERM", &child.id().to_string()])
        .status()
        .unwrap_or_else(|e| panic!("{e}"));
    assert!(status.success());
    let out = kpipe_testkit::finish_within(child, "kpipe submit after SIGTERM", RUN);
    let stderr = text(&out.stderr);
    assert_eq!(out.status.code(), Some(143), "{stderr}");
    assert!(
        stderr.contains(&format!(
            "SIGTERM: stopped workflow kubeflow/kubernetes-analysis-{SUFFIX}"
        )),
        "{stderr}"
    );
    let c = lock(&cluster);
    let patch = c
        .requests
        .iter()
        .find(|r| r.0 == "PATCH")
        .unwrap_or_else(|| panic!("no PATCH in {:?}", c.requests));
    assert_eq!(
        patch.1,
        format!("/namespaces/kubeflow/workflows/kubernetes-analysis-{SUFFIX}")
    );
    assert_eq!(patch.2, "application/merge-patch+json");
    assert_eq!(patch.3, json!({"spec": {"shutdown": "Terminate"}}));
    assert!(c.schema_errors.is_empty(), "{:#?}", c.schema_errors);
}

#[test]
fn a_timeout_stops_the_workflow() {
    let (server, cluster, _rt) = apiserver(|c| {
        c.script = vec![Event::Phase("Running")];
        c.hold_open = true;
    });
    let tmp = tempfile::tempdir().unwrap_or_else(|e| panic!("{e}"));
    let kc = kubeconfig(tmp.path(), &server);
    // --timeout implies --wait.
    let out = run(&kc, &["--timeout", "1"]);
    let stderr = text(&out.stderr);
    assert_eq!(out.status.code(), Some(4), "{stderr}");
    assert!(
        stderr.contains("--timeout 1s expired before the workflow finished; it was stopped"),
        "{stderr}"
    );
    let c = lock(&cluster);
    assert_eq!(c.watches, 1);
    let patch = c.requests.iter().find(|r| r.0 == "PATCH");
    assert_eq!(
        patch.map(|p| &p.3),
        Some(&json!({"spec": {"shutdown": "Terminate"}}))
    );
}

#[test]
fn without_wait_prints_the_name() {
    let (server, cluster, _rt) = apiserver(|_| {});
    let tmp = tempfile::tempdir().unwrap_or_else(|e| panic!("{e}"));
    let kc = kubeconfig(tmp.path(), &server);
    let out = run(&kc, &["-n", "ci"]);
    assert_eq!(out.status.code(), Some(0), "{}", text(&out.stderr));
    assert_eq!(
        text(&out.stdout).trim(),
        format!("kubernetes-analysis-{SUFFIX}")
    );
    let c = lock(&cluster);
    assert_eq!(c.watches, 0);
    assert_eq!(c.requests[0].1, "/namespaces/ci/workflows");
}

#[test]
fn refusals_say_what_to_do() {
    // The Argo Server's lint rejects: nothing is created.
    let (server, cluster, _rt) = apiserver(|c| c.lint_rejects = true);
    let tmp = tempfile::tempdir().unwrap_or_else(|e| panic!("{e}"));
    let kc = kubeconfig(tmp.path(), &server);
    let out = run(&kc, &["--argo-server", &server]);
    let stderr = text(&out.stderr);
    assert_eq!(out.status.code(), Some(1), "{stderr}");
    assert!(stderr.contains("rejects the Workflow (400 Bad Request): spec.templates[1].name 'checkout' is not unique"), "{stderr}");
    assert!(lock(&cluster).requests.is_empty());

    // RBAC refuses the create.
    let (server, _cluster, _rt) = apiserver(|c| c.forbid = true);
    let kc = kubeconfig(tmp.path(), &server);
    let out = run(&kc, &[]);
    let stderr = text(&out.stderr);
    assert_eq!(out.status.code(), Some(1), "{stderr}");
    assert!(stderr.contains("403 Forbidden"), "{stderr}");
    assert!(
        stderr.contains("grant create/list/watch/patch on workflows.argoproj.io"),
        "{stderr}"
    );

    // Nothing listens.
    let kc = kubeconfig(tmp.path(), "http://127.0.0.1:1");
    let out = run(&kc, &["--wait"]);
    let stderr = text(&out.stderr);
    assert_eq!(out.status.code(), Some(1), "{stderr}");
    assert!(
        stderr.contains("cannot reach the Kubernetes API server at http://127.0.0.1:1/"),
        "{stderr}"
    );

    // Unknown pipeline, unknown parameter: nothing is contacted.
    let out = run(&kc, &["nope"]);
    assert_eq!(out.status.code(), Some(1));
    assert!(
        text(&out.stderr).contains("unknown pipeline `nope`"),
        "{}",
        text(&out.stderr)
    );
    let out = run(&kc, &["-p", "prr=1"]);
    assert_eq!(out.status.code(), Some(1));
    assert!(
        text(&out.stderr).contains("kubernetes-analysis: unknown parameter `prr`; the pipeline declares: pr, commit, repo, offline, push, dry-run, device")
    );
}
