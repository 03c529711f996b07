//! `kpipe submit --kfp` against a local fake Kubeflow Pipelines API server
//! (v1beta1): the requests' JSON bodies validate against KFP's own swagger,
//! the upload is a multipart `uploadfile` holding the compiled Workflow, a
//! resubmission reuses the pipeline version, the run's status drives the
//! exit code, a deleted run and `--timeout` are reported, and auth failures
//! say what to do; `kpipe retry --kfp-api v1` (`retry_kfp`) gets
//! `runs/{id}/retry`. An ignored test runs the same client against Prism
//! serving the swagger (CI starts it).

use std::collections::HashMap;
use std::path::Path;
use std::process::{Command, Output};
use std::sync::{Arc, Mutex, MutexGuard};

use axum::Router;
use axum::body::Bytes;
use axum::extract::{Path as UrlPath, Query, Request, State};
use axum::http::{HeaderMap, StatusCode};
use axum::middleware::Next;
use axum::response::{IntoResponse, Response};
use axum::routing::{get, post};
use kpipe_testkit::{CommandExt, RUN};
use serde_json::{Value, json};

pub(crate) const KPIPE: &str = env!("CARGO_BIN_EXE_kpipe");
pub(crate) const TOKEN: &str = "s3cret";
pub(crate) const PR: [&str; 4] = ["-p", "pr=42", "-p", "commit=ABC123"];

#[derive(Clone, Debug)]
struct Upload {
    /// `pipelines/upload` or `pipelines/upload_version`.
    path: String,
    query: HashMap<String, String>,
    field: String,
    file_name: String,
    yaml: String,
}

#[derive(Default)]
pub(crate) struct Kfp {
    pipelines: Vec<Value>,
    /// (pipeline id, version)
    versions: Vec<(String, Value)>,
    experiments: Vec<Value>,
    pub(crate) runs: Vec<Value>,
    uploads: Vec<Upload>,
    terminated: Vec<String>,
    /// Runs retried (`runs/{id}/retry`).
    pub(crate) retried: Vec<String>,
    /// Statuses `GET runs/{id}` answers in turn (the last one repeats);
    /// `None` answers 404 (deleted).
    pub(crate) script: Vec<Option<&'static str>>,
    /// The script from a retry on.
    pub(crate) after_retry: Vec<Option<&'static str>>,
    polls: usize,
    pub(crate) schema_errors: Vec<String>,
    unauthorized: usize,
    /// Answer the next pipeline and version lookups with empty lists, as if
    /// another job uploaded them between kpipe's lookup and its upload.
    hide_once: (bool, bool),
}

pub(crate) type Shared = Arc<Mutex<Kfp>>;
type Params = Query<HashMap<String, String>>;

pub(crate) fn lock(s: &Shared) -> MutexGuard<'_, Kfp> {
    s.lock().unwrap_or_else(|e| e.into_inner())
}

fn swagger() -> &'static Value {
    static S: std::sync::OnceLock<Value> = std::sync::OnceLock::new();
    S.get_or_init(|| {
        let path =
            Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/fixtures/kfp/v1beta1.swagger.json");
        let text = std::fs::read_to_string(path).unwrap_or_else(|e| panic!("swagger: {e}"));
        serde_json::from_str(&text).unwrap_or_else(|e| panic!("swagger: {e}"))
    })
}

/// A closed validator for one swagger definition: a field KFP's API does
/// not declare (a misspelling grpc-gateway would drop) is an error.
fn validator(definition: &str) -> jsonschema::Validator {
    validator_of(swagger(), definition)
}

/// [`validator`] for `definition` of the swagger document `swagger`.
pub(crate) fn validator_of(swagger: &Value, definition: &str) -> jsonschema::Validator {
    let mut definitions = swagger["definitions"].clone();
    close(&mut definitions);
    let schema = json!({"$ref": format!("#/definitions/{definition}"), "definitions": definitions});
    jsonschema::options()
        .with_draft(jsonschema::Draft::Draft4)
        .build(&schema)
        .unwrap_or_else(|e| panic!("{definition}: {e}"))
}

fn close(schema: &mut Value) {
    match schema {
        Value::Object(o) => {
            if o.contains_key("properties") && !o.contains_key("additionalProperties") {
                o.insert("additionalProperties".into(), Value::Bool(false));
            }
            o.values_mut().for_each(close);
        }
        Value::Array(a) => a.iter_mut().for_each(close),
        _ => {}
    }
}

fn check(c: &mut Kfp, definition: &str, body: &Value) {
    let v = validator(definition);
    c.schema_errors.extend(
        v.iter_errors(body)
            .map(|e| format!("{definition} {}: {e}", e.instance_path())),
    );
}

pub(crate) fn error(status: StatusCode, message: &str) -> Response {
    // googleRpcStatus as the KFP API server sends it.
    let code = match status.as_u16() {
        401 => 16,
        404 => 5,
        _ => 3,
    };
    (
        status,
        axum::Json(json!({"error": message, "code": code, "message": message, "details": []})),
    )
        .into_response()
}

/// KFP behind its auth proxy: every request needs the bearer token.
async fn authorized(State(s): State<Shared>, request: Request, next: Next) -> Response {
    let header = request
        .headers()
        .get("authorization")
        .and_then(|v| v.to_str().ok());
    if header != Some(&format!("Bearer {TOKEN}")) {
        lock(&s).unauthorized += 1;
        return error(StatusCode::UNAUTHORIZED, "Unauthorized access");
    }
    next.run(request).await
}

/// A strict reading of one-part `multipart/form-data`.
pub(crate) fn multipart(h: &HeaderMap, body: &[u8]) -> Result<(String, String, String), String> {
    let ct = h
        .get("content-type")
        .and_then(|v| v.to_str().ok())
        .unwrap_or("");
    let boundary = ct
        .strip_prefix("multipart/form-data; boundary=")
        .ok_or_else(|| format!("content type {ct}"))?;
    let body = std::str::from_utf8(body).map_err(|e| e.to_string())?;
    let open = format!("--{boundary}\r\n");
    let close = format!("\r\n--{boundary}--\r\n");
    let inner = body
        .strip_prefix(&open)
        .and_then(|b| b.strip_suffix(&close))
        .ok_or("not one multipart part")?;
    let (head, content) = inner.split_once("\r\n\r\n").ok_or("no part headers")?;
    let disposition = head
        .lines()
        .find_map(|l| l.strip_prefix("Content-Disposition: form-data; "))
        .ok_or("no Content-Disposition")?;
    let attr = |key: &str| {
        disposition
            .split("; ")
            .find_map(|kv| kv.strip_prefix(&format!("{key}=\"")))
            .and_then(|v| v.strip_suffix('"'))
            .map(str::to_owned)
            .ok_or(format!("no {key} in {disposition}"))
    };
    Ok((attr("name")?, attr("filename")?, content.to_owned()))
}

fn filter_name(q: &HashMap<String, String>) -> Option<String> {
    let f: Value = serde_json::from_str(q.get("filter")?).ok()?;
    let p = &f["predicates"][0];
    (p["key"] == "name" && p["op"] == "EQUALS")
        .then(|| p["string_value"].as_str().map(str::to_owned))
        .flatten()
}

fn upload(
    s: &Shared,
    path: &str,
    q: &HashMap<String, String>,
    h: &HeaderMap,
    body: &[u8],
) -> Response {
    let mut c = lock(s);
    let (field, file_name, yaml) = match multipart(h, body) {
        Ok(p) => p,
        Err(e) => return error(StatusCode::BAD_REQUEST, &format!("bad upload: {e}")),
    };
    c.uploads.push(Upload {
        path: path.to_owned(),
        query: q.clone(),
        field,
        file_name,
        yaml,
    });
    let name = q.get("name").cloned().unwrap_or_default();
    if path.ends_with("upload_version") {
        let pipeline = q.get("pipelineid").cloned().unwrap_or_default();
        if !c.pipelines.iter().any(|p| p["id"] == pipeline.as_str()) {
            return error(StatusCode::NOT_FOUND, "pipeline not found");
        }
        if c.versions
            .iter()
            .any(|(p, v)| *p == pipeline && v["name"] == name.as_str())
        {
            return error(StatusCode::CONFLICT, "version name already exists");
        }
        let id = format!("v-{}", c.versions.len() + 1);
        let v = json!({"id": id, "name": name, "created_at": "2026-11-26T10:00:00Z",
            "resource_references": [{"key": {"type": "PIPELINE", "id": pipeline}, "relationship": "OWNER"}]});
        c.versions.push((pipeline, v.clone()));
        return axum::Json(v).into_response();
    }
    if c.pipelines.iter().any(|p| p["name"] == name.as_str()) {
        return error(StatusCode::CONFLICT, "pipeline name already exists");
    }
    let id = format!("p-{}", c.pipelines.len() + 1);
    let vid = format!("v-{}", c.versions.len() + 1);
    let version = json!({"id": vid, "name": name, "created_at": "2026-11-26T10:00:00Z"});
    c.versions.push((id.clone(), version.clone()));
    let p = json!({"id": id, "name": name, "created_at": "2026-11-26T10:00:00Z", "default_version": version});
    c.pipelines.push(p.clone());
    axum::Json(p).into_response()
}

pub(crate) fn server(setup: impl FnOnce(&mut Kfp)) -> (String, Shared, tokio::runtime::Runtime) {
    let mut kfp = Kfp::default();
    setup(&mut kfp);
    let state: Shared = Arc::new(Mutex::new(kfp));
    let app = Router::new()
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
            "/apis/v1beta1/pipelines/upload",
            post(|State(s): State<Shared>, h: HeaderMap, Query(q): Params, body: Bytes| async move {
                upload(&s, "pipelines/upload", &q, &h, &body)
            }),
        )
        .route(
            "/apis/v1beta1/pipelines/upload_version",
            post(|State(s): State<Shared>, h: HeaderMap, Query(q): Params, body: Bytes| async move {
                upload(&s, "pipelines/upload_version", &q, &h, &body)
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
                    .filter(|(p, v)| !hide && *p == pipeline && name.as_deref().is_none_or(|n| v["name"] == n))
                    .map(|(_, v)| v.clone())
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
                check(&mut c, "apiExperiment", &e);
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
                check(&mut c, "apiRun", &run);
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
                let step = c.polls.min(c.script.len().saturating_sub(1));
                c.polls += 1;
                let Some(status) = c.script.get(step).copied().flatten() else {
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
                let shown = c.polls.saturating_sub(1).min(c.script.len().saturating_sub(1));
                if !matches!(c.script.get(shown), Some(Some("Failed" | "Error" | "Terminated"))) {
                    return error(StatusCode::BAD_REQUEST, &format!("Failed to retry run {id}: Workflow must be Failed/Error to retry"));
                }
                c.retried.push(id);
                c.script = c.after_retry.clone();
                c.polls = 0;
                axum::Json(json!({})).into_response()
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
    let mut cmd = Command::new(KPIPE);
    cmd.args(["submit", "--kfp", url, "--kfp-api", "v1", "--poll-ms=20"])
        .args(args)
        .env(
            "KF_PIPELINES_SA_TOKEN_PATH",
            "/nonexistent/kpipe-test-token",
        )
        .env_remove("KPIPE_KFP_TOKEN");
    if let Some(t) = token {
        cmd.env("KPIPE_KFP_TOKEN", t);
    }
    cmd.output_within(RUN)
}

pub(crate) fn text(b: &[u8]) -> String {
    String::from_utf8_lossy(b).into_owned()
}

#[test]
fn uploads_once_runs_with_parameters_and_reuses_the_version() {
    let (url, kfp, _rt) = server(|k| k.script = vec![Some("Running"), Some("Succeeded")]);
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
        let up = &c.uploads[0];
        assert_eq!(
            (up.path.as_str(), up.field.as_str(), up.file_name.as_str()),
            ("pipelines/upload", "uploadfile", "kubernetes-analysis.yaml")
        );
        assert_eq!(
            up.query.get("name").map(String::as_str),
            Some("kubernetes-analysis")
        );
        // The uploaded Workflow keeps the declared defaults; the run's
        // parameters travel with the run.
        let wf: Value = yaml_value(&up.yaml);
        assert_eq!(wf["kind"], "Workflow");
        assert_eq!(
            wf["spec"]["arguments"]["parameters"],
            json!([{"name": "pr", "value": ""}, {"name": "commit", "value": ""}, {"name": "repo", "value": "git@github.com:kpipe/kubernetes-analysis-data.git"}, {"name": "offline", "value": "false"}, {"name": "push", "value": "true"}, {"name": "dry-run", "value": "false"}, {"name": "device", "value": "auto"}]),
            "{}",
            up.yaml
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
        assert!(!validator("apiRun").is_valid(&typo));
    }

    // Another PR: the pipeline exists, its first version (named after the
    // pipeline) is not content-addressed, so one version by hash is added...
    let out = kpipe(&url, Some(TOKEN), &["-p", "pr=43", "-p", "commit=def456"]);
    let stderr = text(&out.stderr);
    assert_eq!(out.status.code(), Some(0), "{stderr}");
    assert_eq!(text(&out.stdout).trim(), "r-2");
    let version = {
        let c = lock(&kfp);
        assert_eq!(c.uploads.len(), 2);
        assert_eq!(c.uploads[1].path, "pipelines/upload_version");
        assert_eq!(
            c.uploads[1].query.get("pipelineid").map(String::as_str),
            Some("p-1")
        );
        let version = c.uploads[1].query.get("name").cloned().unwrap_or_default();
        assert!(
            version.starts_with("kubernetes-analysis-") && version.len() == 32,
            "{version}"
        );
        assert_eq!(c.uploads[1].yaml, c.uploads[0].yaml);
        assert_eq!(c.experiments.len(), 1);
        version
    };
    assert!(
        stderr.contains(&format!("Uploaded version {version}")),
        "{stderr}"
    );
    // ...and every later submission of the same pipeline reuses it.
    let out = kpipe(&url, Some(TOKEN), &["-p", "pr=44", "-p", "commit=0a1b2c"]);
    let stderr = text(&out.stderr);
    assert_eq!(out.status.code(), Some(0), "{stderr}");
    assert!(
        stderr.contains(&format!("already has version {version} (v-2)")),
        "{stderr}"
    );
    let c = lock(&kfp);
    assert_eq!(c.uploads.len(), 2);
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

pub(crate) fn yaml_value(yaml: &str) -> Value {
    kpipe_compiler::lint::parse_yaml(yaml)
        .unwrap_or_else(|e| panic!("uploaded YAML: {e:?}\n{yaml}"))
}

#[test]
fn the_run_status_is_the_exit_code() {
    for (script, code, says) in [
        (
            vec![Some("Running"), Some("Failed")],
            1,
            "kubernetes-analysis failed: step train failed: Error (exit code 1)",
        ),
        (
            vec![Some("Pending"), Some("Error")],
            3,
            "could not run: run r-1 ended in Error",
        ),
        (
            vec![Some("Running"), Some("Terminated")],
            1,
            "failed: run r-1 terminated",
        ),
        (
            vec![Some("Running"), None],
            4,
            "run r-1 was deleted while kpipe was waiting for it",
        ),
    ] {
        let (url, kfp, _rt) = server(|k| k.script = script.clone());
        let out = kpipe(&url, Some(TOKEN), &["--wait", "--experiment", "ci"]);
        let stderr = text(&out.stderr);
        assert_eq!(out.status.code(), Some(code), "{script:?}: {stderr}");
        assert!(stderr.contains(says), "{script:?}: {stderr}");
        let c = lock(&kfp);
        assert_eq!(c.experiments[0]["name"], "ci");
        assert!(c.terminated.is_empty());
        assert!(c.schema_errors.is_empty(), "{:#?}", c.schema_errors);
    }
}

#[test]
fn a_timeout_terminates_the_run() {
    let (url, kfp, _rt) = server(|k| k.script = vec![Some("Running")]);
    let out = kpipe(&url, Some(TOKEN), &["--timeout", "1", "-n", "team-ml"]);
    let stderr = text(&out.stderr);
    assert_eq!(out.status.code(), Some(4), "{stderr}");
    assert!(
        stderr.contains("--timeout 1s: terminated run r-1"),
        "{stderr}"
    );
    let c = lock(&kfp);
    assert_eq!(c.terminated, ["r-1"]);
    assert_eq!(
        c.uploads[0].query.get("namespace").map(String::as_str),
        Some("team-ml")
    );
    assert_eq!(
        c.experiments[0]["resource_references"],
        json!([{"key": {"type": "NAMESPACE", "id": "team-ml"}, "relationship": "OWNER"}])
    );
    assert!(c.schema_errors.is_empty(), "{:#?}", c.schema_errors);
}

#[test]
fn tokens_come_from_a_file_and_a_refusal_says_what_to_do() {
    let (url, kfp, _rt) = server(|k| k.script = vec![Some("Succeeded")]);
    let out = kpipe(&url, None, &[]);
    let stderr = text(&out.stderr);
    assert_eq!(out.status.code(), Some(1), "{stderr}");
    assert!(
        stderr.contains("Kubeflow Pipelines refused to look up pipelines named kubernetes-analysis (401 Unauthorized): Unauthorized access; pass a valid bearer token with KPIPE_KFP_TOKEN or --kfp-token-file"),
        "{stderr}"
    );
    // The first refusal ends it: nothing else is tried without a token.
    assert_eq!(lock(&kfp).unauthorized, 1);
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
    let url = std::env::var("KPIPE_KFP_PRISM_URL").unwrap_or_else(|_| {
        panic!("set KPIPE_KFP_PRISM_URL to Prism serving tests/fixtures/kfp/v1beta1.swagger.json")
    });
    let out = kpipe(&url, Some(TOKEN), &PR);
    assert_eq!(out.status.code(), Some(0), "{}", text(&out.stderr));
    // Prism's example run never finishes: kpipe reads it, then terminates it.
    let out = kpipe(&url, Some(TOKEN), &["--wait", "--timeout", "2"]);
    let stderr = text(&out.stderr);
    assert_eq!(out.status.code(), Some(4), "{stderr}");
    assert!(!stderr.contains("could not terminate"), "{stderr}");
    assert!(stderr.contains("terminated run"), "{stderr}");
    // Prism enforces the security scheme: no token, 401.
    let out = kpipe(&url, None, &[]);
    assert_eq!(out.status.code(), Some(1));
    assert!(text(&out.stderr).contains("401"), "{}", text(&out.stderr));
}
