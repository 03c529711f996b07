//! `build-image`: the OCI image checked with real tools. The registry test
//! needs Debian's docker-registry, skopeo and umoci, the serving test podman
//! with runc (`.ci/run` installs them); the error cases run everywhere.

use kpipe_testkit::oci::{PODMAN_RUN, Registry, free_port, podman};
use kpipe_testkit::{CommandExt, RUN};
use std::path::{Path, PathBuf};
use std::process::{Command, Output};

const BIN: &str = env!("CARGO_BIN_EXE_kpipe-step");

fn build(model: &Path, layout: &Path, extra: &[&str]) -> Output {
    Command::new(BIN)
        .args([
            "build-image",
            &format!("--model={}", model.display()),
            &format!("--base-binary={BIN}"),
            &format!("--layout={}", layout.display()),
        ])
        .args(extra)
        .output_within(RUN)
}

fn err(o: &Output) -> String {
    String::from_utf8_lossy(&o.stderr).into_owned()
}

fn tool(name: &str, args: &[&str]) -> Output {
    Command::new(name).args(args).output_within(RUN)
}

#[test]
fn same_inputs_same_digest_and_a_valid_layout() {
    let tmp = tempfile::tempdir().unwrap_or_else(|e| panic!("{e}"));
    let model = crate::serve::model();
    let (a, b) = (tmp.path().join("a"), tmp.path().join("b"));
    let out1 = build(
        model,
        &a,
        &["--image=localhost:5000/kpipe/serving", "--tag=abc", "--pr="],
    );
    let out2 = build(
        model,
        &b,
        &["--image=localhost:5000/kpipe/serving", "--tag=abc", "--pr="],
    );
    assert!(
        out1.status.success() && out2.status.success(),
        "{}",
        err(&out1)
    );
    let index = |d: &Path| std::fs::read_to_string(d.join("index.json")).unwrap_or_default();
    assert_eq!(index(&a), index(&b), "reproducible digests");
    let idx: serde_json::Value = serde_json::from_str(&index(&a)).unwrap_or_default();
    let tags: Vec<&str> = idx["manifests"]
        .as_array()
        .into_iter()
        .flatten()
        .filter_map(|m| m["annotations"]["org.opencontainers.image.ref.name"].as_str())
        .collect();
    assert_eq!(tags, ["abc", "latest"], "master builds also tag latest");
    // A PR build tags only the commit.
    let c = tmp.path().join("c");
    assert!(
        build(
            model,
            &c,
            &[
                "--image=localhost:5000/kpipe/serving",
                "--tag=abc",
                "--pr=12"
            ]
        )
        .status
        .success()
    );
    assert!(!index(&c).contains("\"latest\""));
}

#[test]
fn bad_input_fails_clearly() {
    let tmp = tempfile::tempdir().unwrap_or_else(|e| panic!("{e}"));
    let model = crate::serve::model();
    let out = build(
        &tmp.path().join("nope"),
        &tmp.path().join("l"),
        &["--image=r.io/x", "--tag=a"],
    );
    assert_eq!(out.status.code(), Some(1));
    assert!(
        err(&out).contains("is not a model directory"),
        "{}",
        err(&out)
    );
    let out = build(
        model,
        &tmp.path().join("l"),
        &["--image=r.io/x:tag", "--tag=a"],
    );
    assert!(err(&out).contains("without tag or digest"), "{}", err(&out));
    let out = build(
        model,
        &tmp.path().join("l"),
        &["--image=r.io/x", "--tag=bad tag", "--pr=1"],
    );
    assert!(err(&out).contains("not a valid image tag"), "{}", err(&out));
    let out = build(
        model,
        &tmp.path().join("l"),
        &[
            "--image=127.0.0.1:1/kpipe/x",
            "--tag=a",
            "--push",
            "--plain-http",
        ],
    );
    assert_eq!(out.status.code(), Some(1));
    assert!(
        err(&out).contains("cannot reach the registry 127.0.0.1:1"),
        "{}",
        err(&out)
    );
    assert!(!err(&out).contains("Tagged"), "nothing reported as pushed");
}

#[test]
#[ignore = "needs docker-registry, skopeo and umoci (.ci/run installs them)"]
fn pushes_to_a_real_registry_and_real_tools_agree() {
    let reg = Registry::start();
    let tmp = tempfile::tempdir().unwrap_or_else(|e| panic!("{e}"));
    let model = crate::serve::model();
    let image = format!("{}/kpipe/serving", reg.addr);
    let push = |layout: &PathBuf| {
        build(
            model,
            layout,
            &[
                &format!("--image={image}"),
                "--tag=abc123",
                "--pr=",
                "--push",
                "--plain-http",
            ],
        )
    };
    let out = push(&tmp.path().join("l1"));
    assert!(out.status.success(), "{}", err(&out));
    assert!(err(&out).contains("Pushed sha256:"), "{}", err(&out));
    let digest = String::from_utf8_lossy(&out.stdout)
        .trim()
        .rsplit('@')
        .next()
        .unwrap_or("")
        .to_owned();
    // Pushing again uploads nothing new and yields the same digest.
    let out = push(&tmp.path().join("l2"));
    assert!(out.status.success(), "{}", err(&out));
    assert!(
        !err(&out).contains("Pushed sha256:") && err(&out).contains("Exists sha256:"),
        "{}",
        err(&out)
    );
    assert!(String::from_utf8_lossy(&out.stdout).contains(&digest));

    let inspect = tool(
        "skopeo",
        &[
            "inspect",
            "--tls-verify=false",
            &format!("docker://{image}:abc123"),
        ],
    );
    assert!(inspect.status.success(), "{}", err(&inspect));
    let v: serde_json::Value = serde_json::from_slice(&inspect.stdout).unwrap_or_default();
    assert_eq!(v["Digest"], digest);
    let tags: Vec<&str> = v["RepoTags"]
        .as_array()
        .into_iter()
        .flatten()
        .filter_map(|t| t.as_str())
        .collect();
    assert!(
        tags.contains(&"abc123") && tags.contains(&"latest"),
        "{tags:?}"
    );
    let config = tool(
        "skopeo",
        &[
            "inspect",
            "--config",
            "--tls-verify=false",
            &format!("docker://{image}:latest"),
        ],
    );
    let c: serde_json::Value = serde_json::from_slice(&config.stdout).unwrap_or_default();
    assert_eq!(
        c["config"]["Entrypoint"],
        serde_json::json!(["/usr/local/bin/kpipe-step", "serve"])
    );
    assert_eq!(c["config"]["User"], "65532:65532");

    // Copy back to an OCI layout and unpack: the model and the binary are in the rootfs.
    let oci = tmp.path().join("copy");
    let copy = tool(
        "skopeo",
        &[
            "copy",
            "--src-tls-verify=false",
            &format!("docker://{image}:abc123"),
            &format!("oci:{}:abc123", oci.display()),
        ],
    );
    assert!(copy.status.success(), "{}", err(&copy));
    for (layout, tag) in [(oci.clone(), "abc123"), (tmp.path().join("l1"), "latest")] {
        let bundle = tmp.path().join(format!("bundle-{tag}"));
        let unpack = tool(
            "umoci",
            &[
                "unpack",
                "--image",
                &format!("{}:{tag}", layout.display()),
                &bundle.to_string_lossy(),
            ],
        );
        assert!(
            unpack.status.success(),
            "umoci on {}: {}",
            layout.display(),
            err(&unpack)
        );
        let rootfs = bundle.join("rootfs");
        assert!(rootfs.join("usr/local/bin/kpipe-step").is_file());
        assert!(rootfs.join("model/kpipe-model.json").is_file());
        assert!(rootfs.join("model/weights.bin").is_file());
    }
}

/// Removes a podman container when dropped (the test failed or not).
struct Container<'a> {
    root: &'a Path,
    name: String,
}

impl Drop for Container<'_> {
    fn drop(&mut self) {
        let _ = podman(self.root)
            .args(["rm", "--force", &self.name])
            .output_within(RUN);
    }
}

#[test]
#[ignore = "needs podman with runc (.ci/run installs it)"]
fn the_serving_image_answers_predict_under_podman() {
    // Lower case: podman names the image after the layout's path.
    let tmp = tempfile::Builder::new()
        .prefix(&format!("kpipe-serving-{}", std::process::id()))
        .rand_bytes(0)
        .tempdir()
        .unwrap_or_else(|e| panic!("{e}"));
    let layout = tmp.path().join("serving");
    let out = build(
        crate::serve::model(),
        &layout,
        &["--image=localhost/kpipe/serving", "--tag=abc", "--pr=1"],
    );
    assert!(out.status.success(), "{}", err(&out));
    let root = tmp.path().join("podman");
    let port = free_port();
    let name = format!("kpipe-serving-test-{}", std::process::id());
    let container = Container {
        root: &root,
        name: name.clone(),
    };
    // The image's own entrypoint and command (serve --model /model), on a
    // free port of the host's network.
    let started = podman(&root)
        .args(PODMAN_RUN)
        .args(["--detach", "--network=host", &format!("--name={name}")])
        .arg(format!("oci:{}:abc", layout.display()))
        .args(["--model=/model", &format!("--port={port}")])
        .output_within(RUN);
    assert!(started.status.success(), "{}", err(&started));
    let body = r#"{"text":"Fixed a panic in the kubelet when a pod is deleted twice"}"#;
    let request = format!(
        "POST /v1/models/kubernetes-analysis:predict HTTP/1.1\r\nHost: localhost\r\nContent-Type: application/json\r\nContent-Length: {}\r\nConnection: close\r\n\r\n{body}",
        body.len()
    );
    let answer = kpipe_testkit::wait_until(
        "the serving container to answer :predict",
        kpipe_testkit::WAIT,
        || {
            let r = kpipe_testkit::exchange(
                port,
                request.as_bytes(),
                std::time::Duration::from_secs(10),
            );
            // 0: not listening yet; 503: listening, the model still loading.
            (r.status != 0 && r.status != 503).then_some(r)
        },
    );
    let logs = podman(&root).args(["logs", &name]).output_within(RUN);
    assert_eq!(answer.status, 200, "{answer:?}\n{}", err(&logs));
    let v: serde_json::Value = serde_json::from_str(&answer.body).unwrap_or_default();
    let p = v["result"].as_f64().unwrap_or(-1.0);
    assert!((0.0..=1.0).contains(&p), "{}", answer.body);
    assert!(v["bug"].is_boolean(), "{}", answer.body);
    drop(container);
}

/// A registry on 127.0.0.1 that wants a bearer token (Docker Hub's
/// challenge, whose scope holds a comma) from a token service that wants
/// basic credentials; blobs and manifests in memory.
#[derive(Default)]
struct FakeRegistry {
    realm: String,
    token_queries: Vec<String>,
    blobs: std::collections::BTreeMap<String, Vec<u8>>,
    uploads: std::collections::BTreeMap<String, Vec<u8>>,
    manifests: std::collections::BTreeMap<String, Vec<u8>>,
    schemes: std::collections::BTreeSet<String>,
}

const REGISTRY_PASSWORD: &str = "registry-password-must-not-show";
const REGISTRY_TOKEN: &str = "issued-token-must-not-show";

type SharedRegistry = std::sync::Arc<std::sync::Mutex<FakeRegistry>>;

fn lock(r: &SharedRegistry) -> std::sync::MutexGuard<'_, FakeRegistry> {
    r.lock().unwrap_or_else(|e| e.into_inner())
}

async fn fake_registry(
    axum::extract::State(reg): axum::extract::State<SharedRegistry>,
    req: axum::extract::Request,
) -> axum::response::Response {
    use axum::http::{Method, StatusCode, header};
    use axum::response::IntoResponse;
    use base64::Engine;
    let (parts, body) = req.into_parts();
    let body = axum::body::to_bytes(body, usize::MAX)
        .await
        .unwrap_or_default();
    let auth = parts
        .headers
        .get(header::AUTHORIZATION)
        .and_then(|v| v.to_str().ok())
        .unwrap_or("")
        .to_owned();
    let path = parts.uri.path().to_owned();
    let query = parts.uri.query().unwrap_or("").to_owned();
    let mut r = lock(&reg);
    if path == "/token" {
        let basic =
            base64::engine::general_purpose::STANDARD.encode(format!("pusher:{REGISTRY_PASSWORD}"));
        r.token_queries.push(query);
        if auth != format!("Basic {basic}") {
            return StatusCode::UNAUTHORIZED.into_response();
        }
        return axum::Json(serde_json::json!({"token": REGISTRY_TOKEN})).into_response();
    }
    if auth != format!("Bearer {REGISTRY_TOKEN}") {
        let challenge = format!(
            r#"Bearer realm="{}",service="fake-registry",scope="repository:kpipe/serving:pull,push""#,
            r.realm
        );
        return (
            StatusCode::UNAUTHORIZED,
            [(header::WWW_AUTHENTICATE, challenge)],
        )
            .into_response();
    }
    r.schemes
        .insert(parts.uri.scheme_str().unwrap_or("http").to_owned());
    let Some(rest) = path.strip_prefix("/v2/kpipe/serving/") else {
        return StatusCode::NOT_FOUND.into_response();
    };
    let location = |id: &str| {
        [(
            header::LOCATION,
            format!("/v2/kpipe/serving/blobs/uploads/{id}"),
        )]
    };
    match (parts.method, rest.split('/').collect::<Vec<_>>().as_slice()) {
        (Method::HEAD, ["blobs", digest]) if r.blobs.contains_key(*digest) => {
            StatusCode::OK.into_response()
        }
        (Method::HEAD, ["blobs", _]) => StatusCode::NOT_FOUND.into_response(),
        (Method::POST, ["blobs", "uploads", ""]) => {
            let id = format!("u{}", r.uploads.len());
            r.uploads.insert(id.clone(), Vec::new());
            (StatusCode::ACCEPTED, location(&id)).into_response()
        }
        (Method::PATCH, ["blobs", "uploads", id]) => {
            let id = (*id).to_owned();
            r.uploads
                .entry(id.clone())
                .or_default()
                .extend_from_slice(&body);
            (StatusCode::ACCEPTED, location(&id)).into_response()
        }
        (Method::PUT, ["blobs", "uploads", id]) => {
            let digest = query
                .split('&')
                .find_map(|kv| kv.strip_prefix("digest="))
                .unwrap_or("")
                .replace("%3A", ":");
            let data = r.uploads.remove(*id).unwrap_or_default();
            r.blobs.insert(digest, data);
            StatusCode::CREATED.into_response()
        }
        (Method::PUT, ["manifests", tag]) => {
            let tag = (*tag).to_owned();
            r.manifests.insert(tag, body.to_vec());
            StatusCode::CREATED.into_response()
        }
        _ => StatusCode::NOT_FOUND.into_response(),
    }
}

#[test]
fn pushes_to_a_loopback_registry_over_http_with_a_bearer_token() {
    let reg: SharedRegistry = Default::default();
    let app = axum::Router::new()
        .fallback(fake_registry)
        .with_state(reg.clone());
    let (addr, _rt) = kpipe_testkit::serve(app);
    lock(&reg).realm = format!("http://{addr}/token");
    let tmp = tempfile::tempdir().unwrap_or_else(|e| panic!("{e}"));
    // A small stand-in for the binary: the push, not the image, is tested.
    let binary = tmp.path().join("kpipe-step");
    std::fs::write(&binary, "not an ELF file").unwrap_or_else(|e| panic!("{e}"));
    let config = tmp.path().join("config.json");
    std::fs::write(
        &config,
        format!(
            r#"{{"auths":{{"{addr}":{{"username":"pusher","password":"{REGISTRY_PASSWORD}"}}}}}}"#
        ),
    )
    .unwrap_or_else(|e| panic!("{e}"));
    let out = Command::new(BIN)
        .args([
            "build-image",
            &format!("--model={}", crate::serve::model().display()),
            &format!("--base-binary={}", binary.display()),
            &format!("--layout={}", tmp.path().join("layout").display()),
            &format!("--image={addr}/kpipe/serving"),
            "--tag=abc",
            "--pr=12",
            "--push",
            &format!("--registry-auth={}", config.display()),
        ])
        .output_within(RUN);
    let log = format!("{}{}", String::from_utf8_lossy(&out.stdout), err(&out));
    assert!(
        out.status.success(),
        "no --plain-http needed for 127.0.0.1: {log}"
    );
    for secret in [REGISTRY_PASSWORD, REGISTRY_TOKEN] {
        assert!(!log.contains(secret), "the output shows a secret: {log}");
    }
    let r = lock(&reg);
    assert_eq!(r.schemes.iter().collect::<Vec<_>>(), ["http"]);
    // The whole scope reached the token service, commas and all.
    assert!(
        r.token_queries.iter().any(|q| q
            .contains("scope=repository%3Akpipe%2Fserving%3Apull%2Cpush")
            && q.contains("service=fake-registry")),
        "{:?}",
        r.token_queries
    );
    let manifest: serde_json::Value =
        serde_json::from_slice(r.manifests.get("abc").map_or(&[][..], Vec::as_slice))
            .unwrap_or_default();
    let layers = manifest["layers"].as_array().map_or(0, Vec::len);
    assert_eq!(layers, 2, "binary and model layers: {manifest}");
    for (digest, bytes) in &r.blobs {
        use sha2::Digest;
        let want = format!("sha256:{}", hex::encode(sha2::Sha256::digest(bytes)));
        assert_eq!(digest, &want, "blob stored under its digest");
    }
    assert_eq!(r.blobs.len(), layers + 1, "layers and the config");
}
