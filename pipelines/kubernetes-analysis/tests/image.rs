//! `kpipe image build`: errors that say what to do (everywhere), and, with
//! the real tools (ignored; `.ci/run` runs them: mmdebstrap, skopeo,
//! podman with runc, docker-registry), the kubernetes-analysis step image:
//! the same digest twice, a non-root user and kpipe-step as entrypoint as
//! skopeo reads them, kpipe-step's help from `podman run`, a push to a real
//! registry, and a build on that image pulled back as `--base`.

use std::path::{Path, PathBuf};
use std::process::{Command, Output};

use kpipe_testkit::oci::{PODMAN_RUN, Registry, podman};
use kpipe_testkit::{CommandExt, RUN, text};

const KPIPE: &str = env!("CARGO_BIN_EXE_kpipe");

/// `kpipe image build ARGS` with the logins and the cache of `home` only.
fn build(home: &Path, args: &[&str]) -> Output {
    Command::new(KPIPE)
        .args(["image", "build"])
        .args(args)
        .env("HOME", home)
        .env("XDG_CACHE_HOME", home.join("cache"))
        .env_remove("REGISTRY_AUTH_FILE")
        .env_remove("XDG_RUNTIME_DIR")
        .env_remove("DOCKER_CONFIG")
        .env_remove("KPIPE_REGISTRY_AUTH_FILE")
        .output_within(RUN)
}

fn fails_with(out: &Output, needles: &[&str]) {
    let err = text(&out.stderr);
    assert_eq!(out.status.code(), Some(1), "{err}");
    for n in needles {
        assert!(err.contains(n), "`{n}` missing from:\n{err}");
    }
}

#[test]
fn what_to_build_is_checked_first() {
    let tmp = tempfile::tempdir().unwrap_or_else(|e| panic!("{e}"));
    // `hello`'s steps run alpine's echo: nothing of kpipe's runs in them.
    fails_with(
        &build(tmp.path(), &["hello"]),
        &["no step of `hello` runs kpipe step", "--image REF"],
    );
    let pinned = format!("--image=r.io/x@sha256:{}", "a".repeat(64));
    fails_with(
        &build(tmp.path(), &[&pinned]),
        &["names a digest", "--image REPO:TAG"],
    );
    fails_with(
        &build(
            tmp.path(),
            &["--program=kpipe-step=/nonexistent/kpipe-step"],
        ),
        &["/nonexistent/kpipe-step (the program for `kpipe-step`) does not exist"],
    );
    let step = format!("--program=kpipe-step={KPIPE}");
    fails_with(
        &build(tmp.path(), &[&step, "--base=ghcr.io/Bad/name"]),
        &["--base ghcr.io/Bad/name", "is not an image repository"],
    );
}

#[test]
fn without_mmdebstrap_the_error_gives_the_install_line() {
    let tmp = tempfile::tempdir().unwrap_or_else(|e| panic!("{e}"));
    let out = Command::new(KPIPE)
        .args(["image", "build", &format!("--program=kpipe-step={KPIPE}")])
        .env("XDG_CACHE_HOME", tmp.path())
        .env("PATH", tmp.path())
        .output_within(RUN);
    fails_with(
        &out,
        &[
            "mmdebstrap is not installed",
            "sudo apt-get install mmdebstrap",
            "--base REF",
        ],
    );
}

/// A registry that wants basic credentials for everything.
fn locked_registry() -> (std::net::SocketAddr, tokio::runtime::Runtime) {
    use axum::http::{StatusCode, header};
    use axum::response::IntoResponse;
    let app = axum::Router::new().fallback(|| async {
        (
            StatusCode::UNAUTHORIZED,
            [(header::WWW_AUTHENTICATE, r#"Basic realm="test""#)],
        )
            .into_response()
    });
    kpipe_testkit::serve(app)
}

#[test]
fn a_base_that_cannot_be_pulled_says_why() {
    let tmp = tempfile::tempdir().unwrap_or_else(|e| panic!("{e}"));
    let step = format!("--program=kpipe-step={KPIPE}");
    fails_with(
        &build(tmp.path(), &[&step, "--base=127.0.0.1:1/base:1"]),
        &[
            "cannot pull the base image 127.0.0.1:1/base:1",
            "cannot reach the registry 127.0.0.1:1",
        ],
    );
    let (addr, _rt) = locked_registry();
    let base = format!("--base={addr}/base:1");
    fails_with(
        &build(tmp.path(), &[&step, &base]),
        &[
            "needs credentials, and none were given",
            &format!("podman login {addr}"),
            "--registry-auth FILE",
        ],
    );
    let auth = tmp.path().join("auth.json");
    std::fs::write(
        &auth,
        format!(r#"{{"auths":{{"{addr}":{{"username":"u","password":"wrong-password"}}}}}}"#),
    )
    .unwrap_or_else(|e| panic!("{e}"));
    let out = build(
        tmp.path(),
        &[&step, &base, &format!("--registry-auth={}", auth.display())],
    );
    fails_with(
        &out,
        &[
            "rejected the credentials",
            &format!("check the entry for {addr} in {}", auth.display()),
        ],
    );
    assert!(!text(&out.stderr).contains("wrong-password"));
}

/// The image cache the heavy tests share: the Debian base is built once per
/// target directory, not per test.
pub(crate) fn shared_home() -> PathBuf {
    let target = Path::new(KPIPE)
        .parent()
        .and_then(Path::parent)
        .map(Path::to_path_buf)
        .unwrap_or_else(std::env::temp_dir);
    let home = target.join("tmp").join("kpipe-image-test-home");
    std::fs::create_dir_all(&home).unwrap_or_else(|e| panic!("{e}"));
    home
}

/// `kpipe image build` of kubernetes-analysis with the workspace's kpipe-step.
pub(crate) fn build_step_image(args: &[&str]) -> (String, String) {
    let step = format!(
        "--program=kpipe-step={}",
        crate::local_run::step_binary().display()
    );
    let mut all = vec![step.as_str()];
    all.extend_from_slice(args);
    let out = build(&shared_home(), &all);
    let err = text(&out.stderr);
    assert!(out.status.success(), "{err}");
    (text(&out.stdout).trim().to_owned(), err)
}

fn tool(name: &str, args: &[&str]) -> Output {
    let out = Command::new(name).args(args).output_within(RUN);
    assert!(
        out.status.success(),
        "{name} {args:?}: {}",
        text(&out.stderr)
    );
    out
}

/// A temporary directory whose path is lower case: podman names an image
/// it runs from a layout after the layout's path, and a name must be.
pub(crate) fn lower_case_tempdir(what: &str) -> tempfile::TempDir {
    tempfile::Builder::new()
        .prefix(&format!("kpipe-{what}-{}", std::process::id()))
        .rand_bytes(0)
        .tempdir()
        .unwrap_or_else(|e| panic!("{e}"))
}

fn json(out: &Output) -> serde_json::Value {
    serde_json::from_slice(&out.stdout).unwrap_or_else(|e| panic!("{e}: {}", text(&out.stdout)))
}

#[test]
#[ignore = "needs mmdebstrap, skopeo and podman with runc (.ci/run installs them)"]
fn the_step_image_is_reproducible_non_root_and_runs_kpipe_step() {
    let tmp = lower_case_tempdir("step-image");
    let (a, b) = (tmp.path().join("a"), tmp.path().join("b"));
    let (digest, log) = build_step_image(&["-o", &a.to_string_lossy()]);
    assert!(
        digest.starts_with("sha256:") && digest.len() == 71,
        "{digest}\n{log}"
    );
    let (again, log) = build_step_image(&["-o", &b.to_string_lossy()]);
    assert_eq!(digest, again, "the same inputs, the same digest:\n{log}");
    assert!(
        log.contains("cached in"),
        "a second build reuses the layers:\n{log}"
    );
    let index = |d: &Path| std::fs::read(d.join("index.json")).unwrap_or_default();
    assert_eq!(index(&a), index(&b));

    // The pipeline's image is ghcr.io/kpipe/kpipe-step:VERSION.
    let layout = format!("oci:{}:{}", a.display(), env!("CARGO_PKG_VERSION"));
    let inspect = json(&tool("skopeo", &["inspect", &layout]));
    assert_eq!(inspect["Digest"], digest.as_str());
    let config = json(&tool("skopeo", &["inspect", "--config", &layout]));
    assert_eq!(config["config"]["User"], "65532:65532");
    assert_eq!(
        config["config"]["Entrypoint"],
        serde_json::json!(["/usr/local/bin/kpipe-step"])
    );
    assert_eq!(config["created"], "1970-01-01T00:00:00Z");

    let podman_root = tempfile::tempdir().unwrap_or_else(|e| panic!("{e}"));
    let run = podman(podman_root.path())
        .args(PODMAN_RUN)
        .arg(&layout)
        .output_within(RUN);
    assert!(run.status.success(), "{}", text(&run.stderr));
    assert!(
        text(&run.stdout).contains("Runs one step of a pipeline"),
        "kpipe-step's help: {}",
        text(&run.stdout)
    );
    let shell = podman(podman_root.path())
        .args(PODMAN_RUN)
        .args(["--entrypoint=sh", &layout, "-c"])
        .arg("id -u; pwd; kpipe --version; git --version; ssh -V 2>&1; test -s /etc/ssl/certs/ca-certificates.crt && echo certs")
        .output_within(RUN);
    let out = text(&shell.stdout);
    assert!(shell.status.success(), "{out}{}", text(&shell.stderr));
    let lines: Vec<&str> = out.lines().collect();
    assert_eq!(lines.first(), Some(&"65532"), "not root: {out}");
    assert_eq!(lines.get(1), Some(&"/home/kpipe"), "{out}");
    assert_eq!(
        lines.get(2).copied(),
        Some(concat!("kpipe ", env!("CARGO_PKG_VERSION")))
    );
    assert!(
        out.contains("git version") && out.contains("OpenSSH") && out.ends_with("certs\n"),
        "{out}"
    );
}

#[test]
#[ignore = "needs mmdebstrap, docker-registry, skopeo and podman with runc (.ci/run installs them)"]
fn the_step_image_pushes_and_serves_as_a_base() {
    let reg = Registry::start();
    let tmp = lower_case_tempdir("pushed-image");
    let image = format!("{}/kpipe/kpipe-step:t1", reg.addr);
    let layout = tmp.path().join("pushed");
    let (pushed, log) = build_step_image(&[
        "--push",
        &format!("--image={image}"),
        "-o",
        &layout.to_string_lossy(),
    ]);
    let digest = pushed
        .strip_prefix(&format!("{image}@"))
        .unwrap_or_else(|| panic!("REF@sha256:… expected, got {pushed}\n{log}"))
        .to_owned();
    assert!(log.contains("Pushed sha256:"), "{log}");
    let remote = json(&tool(
        "skopeo",
        &[
            "inspect",
            "--tls-verify=false",
            &format!("docker://{image}"),
        ],
    ));
    assert_eq!(remote["Digest"], digest.as_str());
    // compile pins it (a long value is written as a folded scalar).
    let yaml = Command::new(KPIPE)
        .args(["compile", "--image", &pushed])
        .output_within(RUN);
    assert!(
        yaml.status.success() && text(&yaml.stdout).contains(&pushed),
        "{}",
        text(&yaml.stderr)
    );
    let (again, log) = build_step_image(&["--push", &format!("--image={image}")]);
    assert_eq!(again, pushed);
    assert!(
        log.contains("Exists sha256:") && !log.contains("Pushed sha256:"),
        "{log}"
    );

    // Built on the pushed image, pulled back through the registry.
    let base = format!("--base={image}");
    let on_base = tmp.path().join("on-base");
    let target = format!("--image={}/kpipe/on-base:t1", reg.addr);
    let (first, log) = build_step_image(&[&base, &target, "-o", &on_base.to_string_lossy()]);
    assert!(log.contains(&format!("Base: {image}@{digest}")), "{log}");
    let (second, _) = build_step_image(&[&base, &target]);
    assert_eq!(first, second, "a pulled base is reproducible too");
    let layers = |r: &str| {
        json(&tool("skopeo", &["inspect", "--tls-verify=false", r]))["Layers"]
            .as_array()
            .cloned()
            .unwrap_or_default()
    };
    let theirs = layers(&format!("docker://{image}"));
    let ours = layers(&format!("oci:{}:t1", on_base.display()));
    assert!(
        !theirs.is_empty() && ours.starts_with(&theirs),
        "{ours:?} on {theirs:?}"
    );
    let podman_root = tempfile::tempdir().unwrap_or_else(|e| panic!("{e}"));
    let run = podman(podman_root.path())
        .args(PODMAN_RUN)
        .args([
            "--entrypoint=sh",
            &format!("oci:{}:t1", on_base.display()),
            "-c",
            "id -u; kpipe-step --version",
        ])
        .output_within(RUN);
    let out = text(&run.stdout);
    assert!(run.status.success(), "{out}{}", text(&run.stderr));
    assert!(out.starts_with("65532\nkpipe-step "), "{out}");
}
