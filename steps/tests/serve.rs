//! `kpipe-step serve` over real HTTP: every protocol row, limits, timeout,
//! graceful shutdown; and readiness before the model is loaded.

use std::io::{Read, Write};
use std::net::TcpStream;
use std::path::{Path, PathBuf};
use std::process::{Child, Command, Stdio};
use std::sync::OnceLock;
use std::time::Duration;

use kpipe_testkit::{LogLines, WAIT, exchange, output_within, wait_until};

/// Training the shared test model: a few seconds idle, far more under load.
const TRAIN: Duration = Duration::from_secs(300);

const BIN: &str = env!("CARGO_BIN_EXE_kpipe-step");

/// A small model trained once for all serve tests: once per test binary,
/// shared by its test processes (nextest runs each test in its own process).
/// Concurrent first users each train into a private directory and the first
/// rename wins; training is seeded, so every copy is the same model.
pub(crate) fn model() -> &'static Path {
    static DIR: OnceLock<PathBuf> = OnceLock::new();
    DIR.get_or_init(|| {
        let me = std::env::current_exe()
            .and_then(std::fs::metadata)
            .and_then(|m| m.modified())
            .ok()
            .and_then(|t| t.duration_since(std::time::UNIX_EPOCH).ok())
            .map_or(0, |d| d.as_secs());
        let dir = std::env::temp_dir().join(format!("kpipe-serve-model-{me}"));
        if dir.join("kpipe-model.json").is_file() {
            return dir;
        }
        let tmp =
            std::env::temp_dir().join(format!("kpipe-serve-model-{me}.tmp-{}", std::process::id()));
        let data = Path::new(env!("CARGO_MANIFEST_DIR"))
            .join("../pipelines/kubernetes-analysis/data/release-notes-train-1.14-1.27.jsonl");
        let out = output_within(
            Command::new(BIN).args([
                "train",
                &format!("--data={}", data.display()),
                &format!("--out={}", tmp.display()),
                "--max-epochs=2",
            ]),
            TRAIN,
        );
        assert!(
            out.status.success(),
            "{}",
            String::from_utf8_lossy(&out.stderr)
        );
        if std::fs::rename(&tmp, &dir).is_err() {
            // Another test process got there first.
            let _ = std::fs::remove_dir_all(&tmp);
        }
        assert!(
            dir.join("kpipe-model.json").is_file(),
            "no model in {}",
            dir.display()
        );
        dir
    })
}

/// A copy of the shared model in `dir` whose stored threshold is `threshold`
/// (the manifest's checksums cover the other files, not the manifest).
pub(crate) fn model_with_threshold(dir: &Path, threshold: f64) -> PathBuf {
    let copy = dir.join(format!("model-{threshold}"));
    std::fs::create_dir_all(&copy).unwrap_or_else(|e| panic!("{e}"));
    for entry in std::fs::read_dir(model()).unwrap_or_else(|e| panic!("{e}")) {
        let entry = entry.unwrap_or_else(|e| panic!("{e}"));
        std::fs::copy(entry.path(), copy.join(entry.file_name())).unwrap_or_else(|e| panic!("{e}"));
    }
    let path = copy.join("kpipe-model.json");
    let mut manifest: serde_json::Value =
        serde_json::from_str(&std::fs::read_to_string(&path).expect("the copied model manifest"))
            .unwrap_or_else(|e| panic!("{e}"));
    manifest["threshold"] = serde_json::json!(threshold);
    std::fs::write(&path, manifest.to_string()).unwrap_or_else(|e| panic!("{e}"));
    copy
}

pub(crate) struct Server {
    pub(crate) child: Child,
    pub(crate) port: u16,
    pub(crate) log: LogLines,
}

impl Drop for Server {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

/// Starts `serve` on a free port and waits until it is ready.
pub(crate) fn start(extra: &[&str]) -> Server {
    let mut child = Command::new(BIN)
        .args([
            "serve",
            &format!("--model={}", model().display()),
            "--host=127.0.0.1",
            "--port=0",
        ])
        .args(extra)
        .stderr(Stdio::piped())
        .spawn()
        .unwrap_or_else(|e| panic!("{e}"));
    let log = LogLines::follow(
        child.stderr.take().unwrap_or_else(|| panic!("no stderr")),
        "serve: ",
    );
    let port = log.listening_port(WAIT);
    let server = Server { child, port, log };
    wait_until("the server to be ready (/v2/health/ready)", WAIT, || {
        (request(port, "GET", "/v2/health/ready", "").0 == 200).then_some(())
    });
    server
}

/// One HTTP/1.1 request; returns (status, body); status 0 when refused.
pub(crate) fn request(port: u16, method: &str, path: &str, body: &str) -> (u16, String) {
    let req = format!(
        "{method} {path} HTTP/1.1\r\nHost: x\r\nContent-Type: application/json\r\nContent-Length: {}\r\nConnection: close\r\n\r\n{body}",
        body.len()
    );
    let r = exchange(port, req.as_bytes(), WAIT);
    (r.status, r.body)
}

/// The value of a Prometheus sample line `name value` of `/metrics`.
fn metric(port: u16, name: &str) -> Option<f64> {
    let (_, text) = request(port, "GET", "/metrics", "");
    text.lines()
        .find_map(|l| l.strip_prefix(name)?.strip_prefix(' ')?.trim().parse().ok())
}

fn json(body: &str) -> serde_json::Value {
    serde_json::from_str(body).unwrap_or_else(|e| panic!("not JSON ({e}): {body}"))
}

#[test]
fn every_protocol_row() {
    let s = start(&[]);
    let p = s.port;
    assert_eq!(
        request(p, "GET", "/", ""),
        (200, r#"{"status":"alive"}"#.to_owned())
    );
    assert_eq!(
        request(p, "GET", "/v1/models", ""),
        (200, r#"{"models":["kubernetes-analysis"]}"#.to_owned())
    );
    assert_eq!(
        request(p, "GET", "/v1/models/kubernetes-analysis", ""),
        (
            200,
            r#"{"name":"kubernetes-analysis","ready":true}"#.to_owned()
        )
    );
    let (code, body) = request(
        p,
        "POST",
        "/v1/models/kubernetes-analysis:predict",
        r#"{"text":"Fixed a kubelet panic on restart"}"#,
    );
    assert_eq!(code, 200);
    let r = json(&body)["result"].as_f64().unwrap_or(-1.0);
    assert!((0.0..=1.0).contains(&r), "{body}");
    let (code, body) = request(
        p,
        "POST",
        "/v1/models/kubernetes-analysis:predict",
        r#"{"instances":["Fixed a panic",{"text":"Added a flag"}]}"#,
    );
    assert_eq!(code, 200);
    assert_eq!(json(&body)["predictions"].as_array().map(Vec::len), Some(2));
    let (code, body) = request(
        p,
        "POST",
        "/v1/models/kubernetes-analysis:predict",
        r#"{"inputs":["x y"]}"#,
    );
    assert_eq!(
        (code, json(&body)["predictions"].as_array().map(Vec::len)),
        (200, Some(1))
    );
    for (method, path, body, status, needle) in [
        (
            "POST",
            "/v1/models/other:predict",
            "{}",
            404,
            "Model with name other does not exist.",
        ),
        (
            "GET",
            "/v1/models/other",
            "",
            404,
            "Model with name other does not exist.",
        ),
        (
            "POST",
            "/v1/models/kubernetes-analysis:predict",
            "{bad",
            400,
            "Unrecognized request format",
        ),
        (
            "POST",
            "/v1/models/kubernetes-analysis:predict",
            r#"{"txt":"x"}"#,
            400,
            "expected",
        ),
        (
            "POST",
            "/v1/models/kubernetes-analysis:predict",
            r#"{"text":5}"#,
            400,
            "must be a string",
        ),
        (
            "POST",
            "/v1/models/kubernetes-analysis:predict",
            r#"{"instances":[1]}"#,
            400,
            "instance 0",
        ),
        ("GET", "/nope", "", 404, "Not Found"),
        ("DELETE", "/v1/models", "", 405, "Method Not Allowed"),
    ] {
        let (code, b) = request(p, method, path, body);
        assert_eq!(code, status, "{method} {path}: {b}");
        assert!(
            json(&b)["error"].as_str().unwrap_or("").contains(needle),
            "{method} {path}: {b}"
        );
    }
    assert_eq!(request(p, "GET", "/v2/health/live", "").0, 200);
    assert_eq!(
        request(p, "GET", "/v2/health/ready", ""),
        (200, r#"{"ready":true}"#.to_owned())
    );
    assert_eq!(
        request(p, "GET", "/v2/models/kubernetes-analysis/ready", "").0,
        200
    );
    let (code, metrics) = request(p, "GET", "/metrics", "");
    assert_eq!(code, 200);
    assert!(
        metrics.contains("kpipe_requests_total{route=\"predict\",status=\"2xx\"} 3"),
        "{metrics}"
    );
    assert!(
        metrics.contains("kpipe_predict_latency_seconds_count"),
        "{metrics}"
    );
    assert!(metrics.contains("kpipe_model_ready{model=\"kubernetes-analysis\"} 1"));
    assert!(
        metrics.contains("kpipe_requests_in_flight 1\n"),
        "only the /metrics request itself is in flight: {metrics}"
    );
}

#[test]
fn body_limit_and_request_timeout() {
    let s = start(&["--max-body-bytes=2000", "--request-timeout-seconds=1"]);
    let big = format!(r#"{{"text":"{}"}}"#, "x".repeat(3000));
    let (code, body) = request(
        s.port,
        "POST",
        "/v1/models/kubernetes-analysis:predict",
        &big,
    );
    assert_eq!(code, 413, "{body}");
    assert!(json(&body)["error"].is_string());
    // A client that stalls mid-body is cut off with 408.
    let head = "POST /v1/models/kubernetes-analysis:predict HTTP/1.1\r\nHost: x\r\nContent-Type: application/json\r\nContent-Length: 100\r\nConnection: close\r\n\r\n{\"text\"";
    let r = exchange(s.port, head.as_bytes(), WAIT);
    assert_eq!(r.status, 408, "{r:?}");
    // The server is still serving.
    assert_eq!(request(s.port, "GET", "/", "").0, 200);
}

#[test]
fn sigterm_lets_in_flight_requests_finish() {
    let mut s = start(&[]);
    let body = r#"{"text":"Fixed a panic"}"#;
    let mut conn = TcpStream::connect(("127.0.0.1", s.port)).unwrap_or_else(|e| panic!("{e}"));
    conn.set_read_timeout(Some(WAIT))
        .unwrap_or_else(|e| panic!("{e}"));
    let head = format!(
        "POST /v1/models/kubernetes-analysis:predict HTTP/1.1\r\nHost: x\r\nContent-Type: application/json\r\nContent-Length: {}\r\nConnection: close\r\n\r\n",
        body.len()
    );
    conn.write_all(head.as_bytes())
        .unwrap_or_else(|e| panic!("{e}"));
    // In flight: the server has the head and waits for the body (the
    // /metrics request that asks is the other one).
    wait_until("the predict request to be in flight", WAIT, || {
        (metric(s.port, "kpipe_requests_in_flight") == Some(2.0)).then_some(())
    });
    let term = Command::new("kill")
        .args(["-TERM", &s.child.id().to_string()])
        .status();
    assert!(term.is_ok_and(|t| t.success()));
    s.log
        .wait_for("the server to start shutting down", WAIT, |l| {
            l.contains("shutting down")
        });
    conn.write_all(body.as_bytes())
        .unwrap_or_else(|e| panic!("{e}"));
    let mut resp = String::new();
    let _ = conn.read_to_string(&mut resp);
    assert_eq!(
        kpipe_testkit::Response::parse(&resp).status,
        200,
        "in-flight request after SIGTERM: {resp}"
    );
    let status = kpipe_testkit::process::exit_within(&mut s.child, "serve after SIGTERM", WAIT);
    assert!(status.success(), "clean exit after SIGTERM: {status}");
    assert_eq!(request(s.port, "GET", "/", "").0, 0, "no longer accepting");
}

#[test]
fn not_ready_until_the_model_is_loaded() {
    use tower::ServiceExt;
    let app = std::sync::Arc::new(kpipe_steps::serve::App::new("m", Duration::from_secs(5)));
    let router = kpipe_steps::serve::router(app.clone(), 1 << 20);
    let rt = tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()
        .unwrap_or_else(|e| panic!("{e}"));
    let call = |method: &str, path: &str, body: &str| {
        let req = axum::http::Request::builder()
            .method(method)
            .uri(path)
            .header("content-type", "application/json")
            .body(axum::body::Body::from(body.to_owned()))
            .unwrap_or_else(|e| panic!("{e}"));
        rt.block_on(router.clone().oneshot(req))
            .map(|r| r.status().as_u16())
            .unwrap_or(0)
    };
    assert_eq!(call("GET", "/v2/health/live", ""), 200);
    assert_eq!(call("GET", "/v2/health/ready", ""), 503);
    assert_eq!(call("GET", "/v2/models/m/ready", ""), 503);
    assert_eq!(call("POST", "/v1/models/m:predict", r#"{"text":"x"}"#), 503);
    app.set_model(kpipe_steps::ml::model::Model::load(model()).unwrap_or_else(|e| panic!("{e}")));
    assert_eq!(call("GET", "/v2/health/ready", ""), 200);
    assert_eq!(call("POST", "/v1/models/m:predict", r#"{"text":"x"}"#), 200);
}

#[test]
fn predict_decides_at_the_models_threshold_unless_told_otherwise() {
    use tower::ServiceExt;
    let dir = tempfile::tempdir().unwrap_or_else(|e| panic!("{e}"));
    let rt = tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()
        .unwrap_or_else(|e| panic!("{e}"));
    let answer = |stored: f64, flag: Option<f64>| {
        let model = kpipe_steps::ml::model::Model::load(&model_with_threshold(dir.path(), stored))
            .unwrap_or_else(|e| panic!("{e:#}"));
        let app = kpipe_steps::serve::App::new("m", Duration::from_secs(5)).with_threshold(flag);
        app.set_model(model);
        let router = kpipe_steps::serve::router(std::sync::Arc::new(app), 1 << 20);
        let req = axum::http::Request::builder()
            .method("POST")
            .uri("/v1/models/m:predict")
            .header("content-type", "application/json")
            .body(axum::body::Body::from(r#"{"text":"Fixed a panic"}"#))
            .unwrap_or_else(|e| panic!("{e}"));
        let resp = rt
            .block_on(router.oneshot(req))
            .unwrap_or_else(|e| panic!("{e}"));
        let body = rt
            .block_on(axum::body::to_bytes(resp.into_body(), 1 << 20))
            .unwrap_or_default();
        let v = json(&String::from_utf8_lossy(&body));
        (v["bug"].as_bool(), v["threshold"].as_f64())
    };
    assert_eq!(answer(0.0, None), (Some(true), Some(0.0)), "the model's 0");
    assert_eq!(answer(1.0, None), (Some(false), Some(1.0)), "the model's 1");
    assert_eq!(
        answer(1.0, Some(0.0)),
        (Some(true), Some(0.0)),
        "--threshold wins"
    );
    let out = output_within(
        Command::new(BIN).args([
            "serve",
            &format!("--model={}", model().display()),
            "--threshold=1.5",
        ]),
        WAIT,
    );
    assert_eq!(out.status.code(), Some(1));
    assert!(String::from_utf8_lossy(&out.stderr).contains("--threshold must be in [0, 1]"));
}

/// The real KServe Python client (protocol v1) against our server.
/// `.ci/run` installs `kserve` in a venv and sets KPIPE_KSERVE_PYTHON.
#[test]
#[ignore = "needs the kserve Python package: KPIPE_KSERVE_PYTHON=venv/bin/python (.ci/run sets it)"]
fn kserve_python_client() {
    let python =
        std::env::var("KPIPE_KSERVE_PYTHON").unwrap_or_else(|_| panic!("set KPIPE_KSERVE_PYTHON"));
    let s = start(&[]);
    let script = Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/kserve_client.py");
    let out = output_within(
        Command::new(python)
            .arg(script)
            .arg(format!("http://127.0.0.1:{}", s.port)),
        WAIT,
    );
    assert!(
        out.status.success(),
        "{}\n{}",
        String::from_utf8_lossy(&out.stdout),
        String::from_utf8_lossy(&out.stderr)
    );
}
