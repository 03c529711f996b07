//! `build-image`: the OCI image checked with real tools. The registry test
//! needs Debian's docker-registry, skopeo and umoci (`.ci/run` installs them);
//! the error cases run everywhere.

use kpipe_testkit::{CommandExt, RUN};
use std::path::{Path, PathBuf};
use std::process::{Child, Command, Output};

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

struct Registry {
    child: Child,
    addr: String,
    _dir: tempfile::TempDir,
}

impl Drop for Registry {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

fn free_port() -> u16 {
    std::net::TcpListener::bind("127.0.0.1:0")
        .and_then(|l| l.local_addr())
        .map(|a| a.port())
        .unwrap_or(5055)
}

fn registry() -> Registry {
    let dir = tempfile::tempdir().unwrap_or_else(|e| panic!("{e}"));
    let port = free_port();
    let config = dir.path().join("config.yml");
    std::fs::write(
        &config,
        format!(
            "version: 0.1\nlog:\n  level: warn\nstorage:\n  filesystem:\n    rootdirectory: {}\nhttp:\n  addr: 127.0.0.1:{port}\n",
            dir.path().join("data").display()
        ),
    )
    .ok();
    let child = Command::new("docker-registry")
        .args(["serve", &config.to_string_lossy()])
        .spawn()
        .unwrap_or_else(|e| panic!("cannot start docker-registry: {e}"));
    let addr = format!("127.0.0.1:{port}");
    kpipe_testkit::wait_until(
        &format!("docker-registry to listen on {addr}"),
        kpipe_testkit::WAIT,
        || std::net::TcpStream::connect(&addr).ok(),
    );
    Registry {
        child,
        addr,
        _dir: dir,
    }
}

#[test]
#[ignore = "needs docker-registry, skopeo and umoci (.ci/run installs them)"]
fn pushes_to_a_real_registry_and_real_tools_agree() {
    let reg = registry();
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
