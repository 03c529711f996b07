//! `rollout` against a local fake Kubernetes API server, through kube's real
//! client (kubeconfig → http://127.0.0.1:PORT): verbs, paths and bodies of
//! the create / canary / promote sequence, every resulting object validated
//! against the InferenceService CRD schema, waiting on Ready, timing out
//! with a rollback, and an unreachable cluster.

use std::path::Path;
use std::process::{Command, Output};
use std::sync::{Arc, Mutex};

use axum::Router;
use axum::body::Bytes;
use axum::extract::{Path as UrlPath, RawQuery, State};
use axum::http::{HeaderMap, Method, StatusCode};
use axum::response::IntoResponse;
use axum::routing::{get, post};
use futures::StreamExt;
use kpipe_testkit::{CommandExt, RUN};
use serde_json::{Value, json};

const BIN: &str = env!("CARGO_BIN_EXE_kpipe-step");

#[derive(Default)]
struct Cluster {
    object: Option<Value>,
    /// The fake controller makes every change Ready, reported on the watch
    /// (false: never Ready).
    controller_works: bool,
    /// Lists and watches to refuse (500) before they work again.
    failing_watches: u32,
    resource_version: u64,
    /// Creates and patches: (verb, path, content type, body).
    requests: Vec<(String, String, String, Value)>,
    /// The query of every list and watch.
    watch_queries: Vec<String>,
}

type Shared = Arc<Mutex<Cluster>>;

fn lock(s: &Shared) -> std::sync::MutexGuard<'_, Cluster> {
    s.lock().unwrap_or_else(|e| e.into_inner())
}

fn not_found(name: &str) -> axum::response::Response {
    (StatusCode::NOT_FOUND, axum::Json(json!({"kind": "Status", "apiVersion": "v1", "status": "Failure", "reason": "NotFound", "code": 404, "message": format!("inferenceservices.serving.kserve.io \"{name}\" not found")}))).into_response()
}

/// Stores `obj` as changed: a new generation and resource version, and the
/// status a controller that has not caught up yet reports.
fn changed(c: &mut Cluster, mut obj: Value, generation: i64) -> Value {
    c.resource_version += 1;
    obj["metadata"]["generation"] = json!(generation);
    obj["metadata"]["resourceVersion"] = json!(c.resource_version.to_string());
    obj["status"] = json!({
        "observedGeneration": generation - 1,
        "conditions": [{"type": "Ready", "status": "False", "reason": "RevisionMissing"}],
    });
    c.object = Some(obj.clone());
    obj
}

/// The collection: a list, or a watch (`watch=true`) on which a working
/// controller reports the object Ready once; the watch then stays open.
fn list_or_watch(c: &mut Cluster, query: &str) -> axum::response::Response {
    c.watch_queries.push(query.to_owned());
    if c.failing_watches > 0 {
        c.failing_watches -= 1;
        return (StatusCode::INTERNAL_SERVER_ERROR, axum::Json(json!({"kind": "Status", "apiVersion": "v1", "status": "Failure", "reason": "InternalError", "code": 500, "message": "etcd is briefly away"}))).into_response();
    }
    if !query.split('&').any(|kv| kv == "watch=true") {
        return axum::Json(json!({
            "apiVersion": "serving.kserve.io/v1beta1",
            "kind": "InferenceServiceList",
            "metadata": {"resourceVersion": c.resource_version.to_string()},
            "items": c.object.iter().collect::<Vec<_>>(),
        }))
        .into_response();
    }
    let mut events = Vec::new();
    if let Some(obj) = c.object.as_mut().filter(|_| c.controller_works) {
        c.resource_version += 1;
        let generation = obj["metadata"]["generation"].as_i64().unwrap_or(1);
        obj["metadata"]["resourceVersion"] = json!(c.resource_version.to_string());
        obj["status"] = json!({
            "observedGeneration": generation,
            "conditions": [{"type": "Ready", "status": "True"}],
        });
        events.push(Ok::<_, std::io::Error>(axum::body::Bytes::from(format!(
            "{}\n",
            json!({"type": "MODIFIED", "object": obj})
        ))));
    }
    let stream = futures::stream::iter(events).chain(futures::stream::pending());
    axum::response::Response::new(axum::body::Body::from_stream(stream))
}

fn apiserver() -> (String, Shared, tokio::runtime::Runtime) {
    let state: Shared = Arc::new(Mutex::new(Cluster {
        controller_works: true,
        ..Cluster::default()
    }));
    let base = "/apis/serving.kserve.io/v1beta1/namespaces/{ns}/inferenceservices";
    let app = Router::new()
        .route(base, post(|State(s): State<Shared>, UrlPath(ns): UrlPath<String>, h: HeaderMap, body: Bytes| async move {
            let mut c = lock(&s);
            let obj: Value = serde_json::from_slice(&body).unwrap_or(Value::Null);
            c.requests.push(("POST".into(), format!("/namespaces/{ns}/inferenceservices"), h.get("content-type").and_then(|v| v.to_str().ok()).unwrap_or("").into(), obj.clone()));
            let obj = changed(&mut c, obj, 1);
            (StatusCode::CREATED, axum::Json(obj))
        })
        .get(|State(s): State<Shared>, RawQuery(q): RawQuery| async move {
            list_or_watch(&mut lock(&s), &q.unwrap_or_default())
        }))
        .route(&format!("{base}/{{name}}"), get(|State(s): State<Shared>, UrlPath((_, name)): UrlPath<(String, String)>| async move {
            match lock(&s).object.clone() {
                Some(o) => axum::Json(o).into_response(),
                None => not_found(&name),
            }
        })
        .patch(|State(s): State<Shared>, UrlPath((ns, name)): UrlPath<(String, String)>, m: Method, h: HeaderMap, body: Bytes| async move {
            let mut c = lock(&s);
            let patch: Value = serde_json::from_slice(&body).unwrap_or(Value::Null);
            c.requests.push((m.to_string(), format!("/namespaces/{ns}/inferenceservices/{name}"), h.get("content-type").and_then(|v| v.to_str().ok()).unwrap_or("").into(), patch.clone()));
            let Some(mut obj) = c.object.clone() else { return not_found(&name) };
            kpipe_testkit::merge_patch(&mut obj, &patch);
            let generation = obj["metadata"]["generation"].as_i64().unwrap_or(1) + 1;
            axum::Json(changed(&mut c, obj, generation)).into_response()
        }))
        .with_state(state.clone());
    let (addr, rt) = kpipe_testkit::serve(app);
    (format!("http://{addr}"), state, rt)
}

/// The fake API server and a kubeconfig pointing at it.
struct FakeCluster {
    state: Shared,
    kubeconfig: std::path::PathBuf,
    _server: tokio::runtime::Runtime,
    _dir: tempfile::TempDir,
}

impl FakeCluster {
    fn start() -> Self {
        let (server, state, rt) = apiserver();
        let dir = tempfile::tempdir().unwrap_or_else(|e| panic!("{e}"));
        let kubeconfig = kpipe_testkit::kubeconfig(dir.path(), &server);
        Self {
            state,
            kubeconfig,
            _server: rt,
            _dir: dir,
        }
    }
}

fn rollout(kubeconfig: &Path, image: &str, timeout: u32) -> Output {
    Command::new(BIN)
        .args([
            "rollout",
            &format!("--image={image}"),
            "--namespace=kubeflow",
            &format!("--timeout-seconds={timeout}"),
        ])
        .arg("--poll-ms=30")
        .env("KUBECONFIG", kubeconfig)
        .env_remove("KUBERNETES_SERVICE_HOST")
        .output_within(RUN)
}

fn validator() -> jsonschema::Validator {
    let path = Path::new(env!("CARGO_MANIFEST_DIR"))
        .join("tests/fixtures/kserve/inferenceservice-v1beta1.schema.json");
    let schema: Value =
        serde_json::from_str(&std::fs::read_to_string(path).expect("the KServe CRD schema"))
            .unwrap_or(Value::Null);
    jsonschema::options()
        .with_draft(jsonschema::Draft::Draft4)
        .build(&schema)
        .unwrap_or_else(|e| panic!("CRD schema: {e}"))
}

fn assert_valid(v: &jsonschema::Validator, obj: &Value) {
    let errors: Vec<String> = v
        .iter_errors(obj)
        .map(|e| format!("{}: {e}", e.instance_path()))
        .collect();
    assert!(
        errors.is_empty(),
        "object breaks the InferenceService CRD schema: {errors:?}\n{obj:#}"
    );
}

fn err(o: &Output) -> String {
    String::from_utf8_lossy(&o.stderr).into_owned()
}

#[test]
fn creates_then_canaries_and_promotes() {
    let fake = FakeCluster::start();
    let (cluster, kc) = (&fake.state, &fake.kubeconfig);
    let schema = validator();

    let out = rollout(kc, "ghcr.io/kpipe/serving:aaa", 10);
    assert!(out.status.success(), "{}", err(&out));
    assert!(err(&out).contains("Created InferenceService kubeflow/kubernetes-analysis"));
    {
        let c = lock(cluster);
        assert_eq!(c.requests.len(), 1);
        let (m, path, _, body) = &c.requests[0];
        assert_eq!(
            (m.as_str(), path.as_str()),
            ("POST", "/namespaces/kubeflow/inferenceservices")
        );
        assert_valid(&schema, body);
        assert_eq!(
            body["spec"]["predictor"]["containers"][0]["image"],
            "ghcr.io/kpipe/serving:aaa"
        );
    }

    let out = rollout(kc, "ghcr.io/kpipe/serving:bbb", 10);
    assert!(out.status.success(), "{}", err(&out));
    assert!(
        err(&out).contains(
            "Canary: 50% of traffic to ghcr.io/kpipe/serving:bbb (rest: ghcr.io/kpipe/serving:aaa)"
        ),
        "{}",
        err(&out)
    );
    assert!(err(&out).contains("Promoted ghcr.io/kpipe/serving:bbb to 100%"));
    let c = lock(cluster);
    let patches: Vec<&(String, String, String, Value)> = c.requests.iter().skip(1).collect();
    assert_eq!(patches.len(), 2);
    for (m, path, ctype, _) in &patches {
        assert_eq!(
            (m.as_str(), path.as_str()),
            (
                "PATCH",
                "/namespaces/kubeflow/inferenceservices/kubernetes-analysis"
            )
        );
        assert_eq!(ctype, "application/merge-patch+json");
    }
    assert_eq!(
        patches[0].3["spec"]["predictor"]["canaryTrafficPercent"],
        50
    );
    assert!(patches[1].3["spec"]["predictor"]["canaryTrafficPercent"].is_null());
    let mut final_obj = c.object.clone().unwrap_or(Value::Null);
    assert_eq!(
        final_obj["spec"]["predictor"]["containers"][0]["image"],
        "ghcr.io/kpipe/serving:bbb"
    );
    assert!(
        final_obj["spec"]["predictor"]
            .get("canaryTrafficPercent")
            .is_none()
    );
    if let Some(m) = final_obj["metadata"].as_object_mut() {
        m.remove("generation");
        m.remove("resourceVersion");
    }
    if let Some(o) = final_obj.as_object_mut() {
        o.remove("status"); // the fake controller's
    }
    // Waiting watched the one object (kube's await_condition), not a poll.
    assert!(
        c.watch_queries.iter().any(|q| q.contains("watch=true")
            && q.contains("fieldSelector=metadata.name%3Dkubernetes-analysis")),
        "{:?}",
        c.watch_queries
    );
    assert_valid(&schema, &final_obj);
}

#[test]
fn a_canary_that_never_gets_ready_times_out_and_rolls_back() {
    let fake = FakeCluster::start();
    let (cluster, kc) = (&fake.state, &fake.kubeconfig);
    assert!(
        rollout(kc, "ghcr.io/kpipe/serving:good", 10)
            .status
            .success()
    );
    lock(cluster).controller_works = false;
    let out = rollout(kc, "ghcr.io/kpipe/serving:broken", 1);
    assert_eq!(out.status.code(), Some(1));
    let e = err(&out);
    assert!(
        e.contains("is not Ready after 1s: Ready=False RevisionMissing"),
        "{e}"
    );
    assert!(e.contains("Rolled back InferenceService kubeflow/kubernetes-analysis to ghcr.io/kpipe/serving:good"), "{e}");
    let c = lock(cluster);
    let image = c
        .object
        .as_ref()
        .map(|o| o["spec"]["predictor"]["containers"][0]["image"].clone());
    assert_eq!(image, Some(json!("ghcr.io/kpipe/serving:good")));
}

#[test]
fn a_failed_watch_is_retried_after_the_poll_interval() {
    let fake = FakeCluster::start();
    let (cluster, kc) = (&fake.state, &fake.kubeconfig);
    lock(cluster).failing_watches = 3;
    let out = rollout(kc, "ghcr.io/kpipe/serving:aaa", 10);
    assert!(out.status.success(), "{}", err(&out));
    let c = lock(cluster);
    assert_eq!(c.failing_watches, 0, "every failed watch was retried");
    assert!(c.watch_queries.len() > 3, "{:?}", c.watch_queries);

    // Watches that keep failing end at the deadline, saying why.
    drop(c);
    lock(cluster).failing_watches = u32::MAX;
    let out = rollout(kc, "ghcr.io/kpipe/serving:bbb", 1);
    assert_eq!(out.status.code(), Some(1));
    let e = err(&out);
    assert!(
        e.contains("is not Ready after 1s: Ready=False RevisionMissing; the last watch failed:"),
        "{e}"
    );
}

#[test]
fn bad_input_and_an_unreachable_cluster() {
    let tmp = tempfile::tempdir().unwrap_or_else(|e| panic!("{e}"));
    let kc = kpipe_testkit::kubeconfig(tmp.path(), "http://127.0.0.1:1");
    let out = rollout(&kc, "ghcr.io/kpipe/serving:x", 2);
    assert_eq!(out.status.code(), Some(1));
    assert!(
        err(&out).contains("cannot read InferenceService kubeflow/kubernetes-analysis"),
        "{}",
        err(&out)
    );
    let out = rollout(&kc, "ghcr.io/kpipe/serving:", 2);
    assert_eq!(out.status.code(), Some(1));
    assert!(err(&out).contains("must name a tag or digest"));
    let out = Command::new(BIN)
        .args(["rollout", "--image=x:y", "--dry-run"])
        .output_within(RUN);
    assert!(out.status.success());
    let text = String::from_utf8_lossy(&out.stdout);
    assert!(text.contains("# canary patch (merge) at 50%"));
}
