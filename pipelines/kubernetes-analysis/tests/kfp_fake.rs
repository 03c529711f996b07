//! What the fake Kubeflow Pipelines API servers share: `submit_kfp`'s
//! (v1beta1) and `submit_kfp_v2`'s (v2beta1) hold their pipelines,
//! versions, experiments and runs in one [`Kfp`], check every JSON body
//! against the API's own swagger (closed), answer refusals as KFP does
//! (`googleRpcStatus`), want the bearer token on every request, and play
//! a script of run states; `kpipe submit|retry --kfp` runs against them
//! the same way ([`command`]).

use std::collections::HashMap;
use std::path::Path;
use std::process::{Command, Output};
use std::sync::{Arc, Mutex, MutexGuard};

use axum::Router;
use axum::body::Bytes;
use axum::extract::{Query, Request, State};
use axum::http::{HeaderMap, StatusCode};
use axum::middleware::Next;
use axum::response::{IntoResponse, Response};
use axum::routing::post;
use kpipe_testkit::{CommandExt, RUN, text};
use serde_json::{Value, json};

pub(crate) const KPIPE: &str = env!("CARGO_BIN_EXE_kpipe");
pub(crate) const TOKEN: &str = "s3cret";
pub(crate) const PR: [&str; 4] = ["-p", "pr=42", "-p", "commit=ABC123"];
/// When the fakes created what they hold.
pub(crate) const CREATED: &str = "2026-11-26T10:00:00Z";

/// A KFP REST API version.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub(crate) enum Api {
    V1,
    #[default]
    V2,
}

impl Api {
    /// The path segment under `/apis/`.
    pub(crate) fn version(self) -> &'static str {
        match self {
            Api::V1 => "v1beta1",
            Api::V2 => "v2beta1",
        }
    }

    /// The field that names an experiment.
    pub(crate) fn experiment_name(self) -> &'static str {
        match self {
            Api::V1 => "name",
            Api::V2 => "display_name",
        }
    }

    /// KFP's swagger for it (`tests/fixtures/kfp/`).
    pub(crate) fn swagger(self) -> &'static Value {
        static V1: std::sync::OnceLock<Value> = std::sync::OnceLock::new();
        static V2: std::sync::OnceLock<Value> = std::sync::OnceLock::new();
        let cell = if self == Api::V1 { &V1 } else { &V2 };
        cell.get_or_init(|| {
            let file = format!("tests/fixtures/kfp/{}.swagger.json", self.version());
            kpipe_testkit::schema::read_json(&Path::new(env!("CARGO_MANIFEST_DIR")).join(file))
        })
    }
}

/// An upload as the fake received it.
#[derive(Clone, Debug)]
pub(crate) struct Upload {
    /// `pipelines/upload` or `pipelines/upload_version`.
    pub(crate) path: String,
    pub(crate) query: HashMap<String, String>,
    pub(crate) field: String,
    pub(crate) file_name: String,
    pub(crate) yaml: String,
}

/// One state of the run as `GET runs/{id}` answers it, with its tasks'
/// states (`train`'s state follows the run's).
#[derive(Clone, Copy, Debug)]
pub(crate) enum Step {
    State(&'static str),
    /// The run is gone: 404.
    Deleted,
}

/// What a fake KFP holds, and what it was sent.
#[derive(Default)]
pub(crate) struct Kfp {
    pub(crate) api: Api,
    pub(crate) pipelines: Vec<Value>,
    /// (pipeline id, version, its package)
    pub(crate) versions: Vec<(String, Value, String)>,
    pub(crate) experiments: Vec<Value>,
    pub(crate) runs: Vec<Value>,
    pub(crate) uploads: Vec<Upload>,
    pub(crate) terminated: Vec<String>,
    /// Runs retried.
    pub(crate) retried: Vec<String>,
    /// What `GET runs/{id}` answers in turn (the last one repeats).
    pub(crate) script: Vec<Step>,
    /// The script from a retry on.
    pub(crate) after_retry: Vec<Step>,
    pub(crate) polls: usize,
    pub(crate) schema_errors: Vec<String>,
    /// Every request as `METHOD path`.
    pub(crate) requests: Vec<String>,
    pub(crate) unauthorized: usize,
    /// Pod lists asked of the Kubernetes API: (namespace, label selector).
    pub(crate) pod_lists: Vec<(String, String)>,
    /// Answer the next pipeline and version lookups with empty lists, as if
    /// another job uploaded them between kpipe's lookup and its upload.
    pub(crate) hide_once: (bool, bool),
}

pub(crate) type Shared = Arc<Mutex<Kfp>>;
pub(crate) type Params = Query<HashMap<String, String>>;
/// A running fake: its URL, its state, and the runtime it lives on.
pub(crate) type Fake = (String, Shared, tokio::runtime::Runtime);
/// Starts a fake whose runs show these states in turn.
pub(crate) type Start = fn(Vec<Step>) -> Fake;

pub(crate) fn lock(s: &Shared) -> MutexGuard<'_, Kfp> {
    s.lock().unwrap_or_else(|e| e.into_inner())
}

/// A fake of `api` set up by `setup`, shared with its routes.
pub(crate) fn state(api: Api, setup: impl FnOnce(&mut Kfp)) -> Shared {
    let mut kfp = Kfp {
        api,
        ..Kfp::default()
    };
    setup(&mut kfp);
    Arc::new(Mutex::new(kfp))
}

impl Kfp {
    /// Checks `body` against the swagger's `definition`, closed.
    pub(crate) fn check(&mut self, definition: &str, body: &Value) {
        let v = kpipe_testkit::swagger_validator(self.api.swagger(), definition);
        let errors = kpipe_testkit::schema::errors(&v, body);
        (self.schema_errors).extend(errors.into_iter().map(|e| format!("{definition} {e}")));
    }

    /// The next state of the script (`None` past an empty one).
    pub(crate) fn next_state(&mut self) -> Option<Step> {
        let step = self.polls.min(self.script.len().saturating_sub(1));
        self.polls += 1;
        self.script.get(step).copied()
    }

    /// KFP's retry of run `id`: refused unless the state it last showed is
    /// one of `retryable`; then the script goes on with `after_retry`.
    pub(crate) fn retry(&mut self, id: &str, retryable: &[&str]) -> Response {
        let shown = (self.polls.saturating_sub(1)).min(self.script.len().saturating_sub(1));
        if !matches!(self.script.get(shown), Some(Step::State(s)) if retryable.contains(s)) {
            return error(
                StatusCode::BAD_REQUEST,
                &format!("Failed to retry run {id}: Workflow must be Failed/Error to retry"),
            );
        }
        self.retried.push(id.to_owned());
        self.script = self.after_retry.clone();
        self.polls = 0;
        axum::Json(json!({})).into_response()
    }

    /// Why a version `name` of `pipeline` cannot be created (the pipeline's
    /// id is at `id_key` in it), if it cannot: an unknown pipeline, a name
    /// taken.
    pub(crate) fn version_refused(
        &self,
        pipeline: &str,
        name: &str,
        id_key: &str,
    ) -> Option<Response> {
        if !self.pipelines.iter().any(|p| p[id_key] == pipeline) {
            return Some(error(StatusCode::NOT_FOUND, "pipeline not found"));
        }
        (self.versions.iter())
            .any(|(p, v, _)| p == pipeline && v["name"] == name)
            .then(|| error(StatusCode::CONFLICT, "version name already exists"))
    }
}

/// How an API shows what an upload creates.
#[derive(Debug)]
pub(crate) struct Shapes {
    /// The pipelines' id field.
    pub(crate) pipeline_id: &'static str,
    /// A version `id` of `pipeline`, named `name`.
    pub(crate) version: fn(id: &str, pipeline: &str, name: &str) -> Value,
    /// A pipeline `id` named `name` with its first `version`, uploaded
    /// with the query `q`.
    pub(crate) pipeline:
        fn(id: &str, name: &str, version: &Value, q: &HashMap<String, String>) -> Value,
    /// The API's own checks of an upload: its refusal.
    pub(crate) accept: fn(&mut Kfp, &Upload) -> Option<Response>,
}

/// `app` with the API's upload routes (`pipelines/upload` and
/// `pipelines/upload_version`): each upload is read strictly, checked as
/// `shapes` says, recorded, and creates a pipeline (with its first version)
/// or a version, refused as KFP refuses a name taken or an unknown pipeline.
pub(crate) fn with_uploads(
    app: Router<Shared>,
    api: Api,
    shapes: &'static Shapes,
) -> Router<Shared> {
    let mut app = app;
    for path in ["pipelines/upload", "pipelines/upload_version"] {
        app = app.route(
            &format!("/apis/{}/{path}", api.version()),
            post(move |State(s): State<Shared>, h: HeaderMap, Query(q): Params, body: Bytes| async move {
                let mut c = lock(&s);
                match upload_of(path, &q, &h, &body) {
                    Ok(up) => (shapes.accept)(&mut c, &up).unwrap_or_else(|| create(&mut c, up, shapes)),
                    Err(refusal) => *refusal,
                }
            }),
        );
    }
    app
}

/// What an accepted upload creates.
fn create(c: &mut Kfp, up: Upload, shapes: &Shapes) -> Response {
    let name = up.query.get("name").cloned().unwrap_or_default();
    let (path, q, yaml) = (up.path.clone(), up.query.clone(), up.yaml.clone());
    c.uploads.push(up);
    let version_id = format!("v-{}", c.versions.len() + 1);
    if path.ends_with("upload_version") {
        let pipeline = q.get("pipelineid").cloned().unwrap_or_default();
        if let Some(refusal) = c.version_refused(&pipeline, &name, shapes.pipeline_id) {
            return refusal;
        }
        let v = (shapes.version)(&version_id, &pipeline, &name);
        c.versions.push((pipeline, v.clone(), yaml));
        return axum::Json(v).into_response();
    }
    if c.pipelines.iter().any(|p| p["name"] == name.as_str()) {
        return error(StatusCode::CONFLICT, "pipeline name already exists");
    }
    let id = format!("p-{}", c.pipelines.len() + 1);
    let version = (shapes.version)(&version_id, &id, &name);
    let p = (shapes.pipeline)(&id, &name, &version, &q);
    c.versions.push((id, version, yaml));
    c.pipelines.push(p.clone());
    axum::Json(p).into_response()
}

/// The upload of `path` (`pipelines/upload…`), read strictly; KFP's
/// refusal of a malformed one.
fn upload_of(
    path: &str,
    q: &HashMap<String, String>,
    h: &HeaderMap,
    body: &[u8],
) -> Result<Upload, Box<Response>> {
    let ct = h
        .get("content-type")
        .and_then(|v| v.to_str().ok())
        .unwrap_or("");
    let file = kpipe_testkit::form_file(ct, body)
        .map_err(|e| Box::new(error(StatusCode::BAD_REQUEST, &format!("bad upload: {e}"))))?;
    Ok(Upload {
        path: path.to_owned(),
        query: q.clone(),
        field: file.field,
        file_name: file.file_name,
        yaml: file.content,
    })
}

/// A refusal as the KFP API server sends it (`googleRpcStatus`).
pub(crate) fn error(status: StatusCode, message: &str) -> Response {
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

/// KFP behind its auth proxy: every request (recorded) needs the bearer
/// token.
pub(crate) async fn authorized(State(s): State<Shared>, request: Request, next: Next) -> Response {
    let header = request
        .headers()
        .get("authorization")
        .and_then(|v| v.to_str().ok());
    let refused = {
        let mut c = lock(&s);
        c.requests
            .push(format!("{} {}", request.method(), request.uri().path()));
        let refused = header != Some(&format!("Bearer {TOKEN}"));
        c.unauthorized += usize::from(refused);
        refused
    };
    if refused {
        return error(StatusCode::UNAUTHORIZED, "Unauthorized access");
    }
    next.run(request).await
}

/// The name a `filter` query asks for with `key` EQUALS (`op` is
/// v1beta1's operator key, `operation` v2beta1's); `None` when the filter
/// is not that.
pub(crate) fn filter_equals(q: &HashMap<String, String>, op: &str, key: &str) -> Option<String> {
    let f: Value = serde_json::from_str(q.get("filter")?).ok()?;
    let p = &f["predicates"][0];
    (p["key"] == key && p[op] == "EQUALS")
        .then(|| p["string_value"].as_str().map(str::to_owned))
        .flatten()
}

/// The YAML kpipe uploaded, as JSON.
pub(crate) fn yaml_value(yaml: &str) -> Value {
    kpipe_compiler::lint::parse_yaml(yaml)
        .unwrap_or_else(|e| panic!("uploaded YAML: {e:?}\n{yaml}"))
}

/// `kpipe ARGS…` against a KFP (`submit --kfp URL …` or `retry --kfp URL
/// …`): polling every 20 ms, the token (if any) from `KPIPE_KFP_TOKEN`, no
/// in-cluster service account token.
pub(crate) fn command(token: Option<&str>, args: &[&str]) -> Command {
    let mut cmd = Command::new(KPIPE);
    cmd.args(args)
        .arg("--poll-ms=20")
        .env(
            "KF_PIPELINES_SA_TOKEN_PATH",
            "/nonexistent/kpipe-test-token",
        )
        .env_remove("KPIPE_KFP_TOKEN");
    if let Some(t) = token {
        cmd.env("KPIPE_KFP_TOKEN", t);
    }
    cmd
}

/// `kpipe submit --kfp URL ARGS…` through `api` (v2beta1: the default, no
/// `--kfp-api`).
pub(crate) fn submit_command(api: Api, url: &str, token: Option<&str>, args: &[&str]) -> Command {
    let mut all = vec!["submit", "--kfp", url];
    if api == Api::V1 {
        all.extend(["--kfp-api", "v1"]);
    }
    all.extend(args);
    command(token, &all)
}

/// [`submit_command`], run to its end.
pub(crate) fn submit(api: Api, url: &str, token: Option<&str>, args: &[&str]) -> Output {
    submit_command(api, url, token, args).output_within(RUN)
}

/// Two more submissions of the pipeline the fake at `url` has one version
/// of: the first adds a version named by the package's hash (the first
/// version, named after the pipeline, is not content-addressed), the second
/// reuses it. Its name.
pub(crate) fn a_new_version_then_the_same(api: Api, url: &str, kfp: &Shared) -> String {
    let out = submit(
        api,
        url,
        Some(TOKEN),
        &["-p", "pr=43", "-p", "commit=def456"],
    );
    let stderr = text(&out.stderr);
    assert_eq!(out.status.code(), Some(0), "{stderr}");
    assert_eq!(text(&out.stdout).trim(), "r-2");
    let version = {
        let c = lock(kfp);
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
    let out = submit(
        api,
        url,
        Some(TOKEN),
        &["-p", "pr=44", "-p", "commit=0a1b2c"],
    );
    let stderr = text(&out.stderr);
    assert_eq!(out.status.code(), Some(0), "{stderr}");
    assert!(
        stderr.contains(&format!("already has version {version} (v-2)")),
        "{stderr}"
    );
    assert_eq!(lock(kfp).uploads.len(), 2);
    version
}

/// The first upload: the pipeline as `kubernetes-analysis.yaml` in the
/// multipart field `uploadfile`, named after it. Its YAML.
pub(crate) fn first_upload(c: &Kfp) -> String {
    let up = &c.uploads[0];
    assert_eq!(
        (up.path.as_str(), up.field.as_str(), up.file_name.as_str()),
        ("pipelines/upload", "uploadfile", "kubernetes-analysis.yaml")
    );
    assert_eq!(
        up.query.get("name").map(String::as_str),
        Some("kubernetes-analysis")
    );
    up.yaml.clone()
}

/// `kpipe` with no token is refused by the first request, with what to do,
/// and tries nothing more.
pub(crate) fn a_refusal_says_what_to_do(out: &Output, kfp: &Shared) {
    let stderr = text(&out.stderr);
    assert_eq!(out.status.code(), Some(1), "{stderr}");
    assert!(
        stderr.contains("Kubeflow Pipelines refused to look up pipelines named kubernetes-analysis (401 Unauthorized): Unauthorized access; pass a valid bearer token with KPIPE_KFP_TOKEN or --kfp-token-file"),
        "{stderr}"
    );
    assert_eq!(lock(kfp).unauthorized, 1);
}

/// Each run of `cases` (the states `GET runs/{id}` shows in turn, the
/// exit code, what kpipe says) ends `kpipe submit --wait` as it should;
/// nothing is terminated, and the run is in the experiment asked for.
pub(crate) fn ends_are_exit_codes(api: Api, start: Start, cases: &[(Vec<Step>, i32, &str)]) {
    for (script, code, says) in cases {
        let (url, kfp, _rt) = start(script.clone());
        let out = submit(api, &url, Some(TOKEN), &["--wait", "--experiment", "ci"]);
        let stderr = text(&out.stderr);
        assert_eq!(out.status.code(), Some(*code), "{script:?}: {stderr}");
        assert!(stderr.contains(says), "{script:?}: {stderr}");
        let c = lock(&kfp);
        assert_eq!(c.experiments[0][api.experiment_name()], "ci");
        assert!(c.terminated.is_empty());
        assert!(c.schema_errors.is_empty(), "{:#?}", c.schema_errors);
    }
}

/// `--timeout 1` while the run is `running` terminates it, and the
/// profile namespace (`-n team-ml`) goes with the upload. The fake, for
/// the API's own checks.
pub(crate) fn a_timeout_terminates(api: Api, start: Start, running: &'static str) -> Shared {
    let (url, kfp, _rt) = start(vec![Step::State(running)]);
    let out = submit(api, &url, Some(TOKEN), &["--timeout", "1", "-n", "team-ml"]);
    let stderr = text(&out.stderr);
    assert_eq!(out.status.code(), Some(4), "{stderr}");
    for says in [
        "--timeout 1s: terminated run r-1",
        "--timeout 1s expired before run r-1 finished; it was terminated",
    ] {
        assert!(stderr.contains(says), "{stderr}");
    }
    {
        let c = lock(&kfp);
        assert_eq!(c.terminated, ["r-1"]);
        assert_eq!(
            c.uploads[0].query.get("namespace").map(String::as_str),
            Some("team-ml")
        );
        assert!(c.schema_errors.is_empty(), "{:#?}", c.schema_errors);
    }
    kfp
}

/// Prism's URL from `var` (`.ci/run` starts Prism serving `api`'s swagger
/// and sets it).
pub(crate) fn prism(var: &str, api: Api) -> String {
    std::env::var(var).unwrap_or_else(|_| {
        panic!(
            "set {var} to Prism serving tests/fixtures/kfp/{}.swagger.json",
            api.version()
        )
    })
}

/// Prism enforces the swagger's security scheme: `out` (no token) is its
/// 401.
pub(crate) fn prism_wants_a_token(out: &Output) {
    assert_eq!(out.status.code(), Some(1));
    assert!(text(&out.stderr).contains("401"), "{}", text(&out.stderr));
}
