//! `kpipe-step serve` over real HTTP: every protocol row, limits, timeout,
//! graceful shutdown; and readiness before the model is loaded.

use std::io::{BufRead, BufReader, Read, Write};
use std::net::TcpStream;
use std::path::{Path, PathBuf};
use std::process::{Child, Command, Stdio};
use std::sync::OnceLock;
use std::time::{Duration, Instant};

const BIN: &str = env!("CARGO_BIN_EXE_kpipe-step");

/// A small model trained once for all serve tests.
pub(crate) fn model() -> &'static Path {
    static DIR: OnceLock<PathBuf> = OnceLock::new();
    DIR.get_or_init(|| {
        let dir = std::env::temp_dir().join(format!("kpipe-serve-model-{}", std::process::id()));
        let data = Path::new(env!("CARGO_MANIFEST_DIR"))
            .join("../pipelines/data/release-notes-train-1.14-1.27.jsonl");
        let out = Command::new(BIN)
            .args([
                "train",
                &format!("--data={}", data.display()),
                &format!("--out={}", dir.display()),
                "--max-epochs=2",
            ])
            .output()
            .unwrap_or_else(|e| panic!("{e}"));
        assert!(
            out.status.success(),
            "{}",
            String::from_utf8_lossy(&out.stderr)
        );
        dir
    })
}

pub(crate) struct Server {
    pub(crate) child: Child,
    pub(crate) port: u16,
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
    let mut lines = BufReader::new(child.stderr.take().unwrap_or_else(|| panic!("no stderr")));
    let port = crate::support::listening_port(&mut lines);
    std::thread::spawn(move || for _ in lines.lines() {});
    let server = Server { child, port };
    let deadline = Instant::now() + Duration::from_secs(20);
    while request(port, "GET", "/v2/health/ready", "").0 != 200 {
        assert!(Instant::now() < deadline, "server not ready");
        std::thread::sleep(Duration::from_millis(50));
    }
    server
}

/// One HTTP/1.1 request; returns (status, body).
pub(crate) fn request(port: u16, method: &str, path: &str, body: &str) -> (u16, String) {
    let Ok(mut s) = TcpStream::connect(("127.0.0.1", port)) else {
        return (0, String::new());
    };
    let req = format!(
        "{method} {path} HTTP/1.1\r\nHost: x\r\nContent-Type: application/json\r\nContent-Length: {}\r\nConnection: close\r\n\r\n{body}",
        body.len()
    );
    if s.write_all(req.as_bytes()).is_err() {
        return (0, String::new());
    }
    let mut resp = String::new();
    let _ = s.read_to_string(&mut resp);
    parse(&resp)
}

fn parse(resp: &str) -> (u16, String) {
    let status = resp
        .split_whitespace()
        .nth(1)
        .and_then(|s| s.parse().ok())
        .unwrap_or(0);
    let body = resp
        .split_once("\r\n\r\n")
        .map(|(_, b)| b.to_owned())
        .unwrap_or_default();
    (status, body)
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
    let mut conn = TcpStream::connect(("127.0.0.1", s.port)).unwrap_or_else(|e| panic!("{e}"));
    let head = "POST /v1/models/kubernetes-analysis:predict HTTP/1.1\r\nHost: x\r\nContent-Type: application/json\r\nContent-Length: 100\r\nConnection: close\r\n\r\n{\"text\"";
    conn.write_all(head.as_bytes()).ok();
    let mut resp = String::new();
    let _ = conn.read_to_string(&mut resp);
    assert_eq!(parse(&resp).0, 408, "{resp}");
    // The server is still serving.
    assert_eq!(request(s.port, "GET", "/", "").0, 200);
}

#[test]
fn sigterm_lets_in_flight_requests_finish() {
    let mut s = start(&[]);
    let body = r#"{"text":"Fixed a panic"}"#;
    let mut conn = TcpStream::connect(("127.0.0.1", s.port)).unwrap_or_else(|e| panic!("{e}"));
    let head = format!(
        "POST /v1/models/kubernetes-analysis:predict HTTP/1.1\r\nHost: x\r\nContent-Type: application/json\r\nContent-Length: {}\r\nConnection: close\r\n\r\n",
        body.len()
    );
    conn.write_all(head.as_bytes()).ok();
    std::thread::sleep(Duration::from_millis(200));
    let term = Command::new("kill")
        .args(["-TERM", &s.child.id().to_string()])
        .status();
    assert!(term.is_ok_and(|t| t.success()));
    std::thread::sleep(Duration::from_millis(200));
    conn.write_all(body.as_bytes()).ok();
    let mut resp = String::new();
    let _ = conn.read_to_string(&mut resp);
    assert_eq!(
        parse(&resp).0,
        200,
        "in-flight request after SIGTERM: {resp}"
    );
    let status = s.child.wait().unwrap_or_else(|e| panic!("{e}"));
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

/// The real KServe Python client (protocol v1) against our server.
/// `.ci/run` installs `kserve` in a venv and sets KPIPE_KSERVE_PYTHON.
#[test]
#[ignore = "needs the kserve Python package: KPIPE_KSERVE_PYTHON=venv/bin/python (.ci/run sets it)"]
fn kserve_python_client() {
    let python =
        std::env::var("KPIPE_KSERVE_PYTHON").unwrap_or_else(|_| panic!("set KPIPE_KSERVE_PYTHON"));
    let s = start(&[]);
    let script = Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/kserve_client.py");
    let out = Command::new(python)
        .arg(script)
        .arg(format!("http://127.0.0.1:{}", s.port))
        .output()
        .unwrap_or_else(|e| panic!("{e}"));
    assert!(
        out.status.success(),
        "{}\n{}",
        String::from_utf8_lossy(&out.stdout),
        String::from_utf8_lossy(&out.stderr)
    );
}
