//! `kpipe new` end to end, as the README's "Your own pipeline" runs it:
//! `kpipe new NAME` in a directory outside the repository (inside another
//! Cargo workspace, which the new crate must not join), with no
//! `--kpipe-path`: the crate depends on the checkout this kpipe was built
//! from, and says so. Built in this workspace's target directory with its
//! lock file (so it builds little): `cargo test` passes, `compile` writes
//! YAML that `kpipe lint` accepts against all three Argo schemas with
//! objects closed, `run --local` succeeds, a second run is cached, and a
//! parameter reruns only the step that depends on it; the app builds its
//! step image, and the pipeline runs in it under podman.

use std::path::{Path, PathBuf};
use std::process::{Command, Output};

use kpipe_testkit::{CommandExt, RUN, text};

const KPIPE: &str = env!("CARGO_BIN_EXE_kpipe");

fn repo() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR"))
        .ancestors()
        .nth(2)
        .map(Path::to_path_buf)
        .expect("the pipelines crate is two levels below the repository root")
}

/// The target directory the workspace builds into.
fn target_dir() -> PathBuf {
    std::env::var_os("CARGO_TARGET_DIR")
        .map(PathBuf::from)
        .or_else(|| {
            Path::new(KPIPE)
                .parent()
                .and_then(Path::parent)
                .map(Path::to_path_buf)
        })
        .unwrap_or_else(|| repo().join("target"))
}

fn cargo(dir: &Path, args: &[&str]) -> Output {
    let cargo = std::env::var("CARGO").unwrap_or_else(|_| "cargo".into());
    let out = Command::new(cargo)
        .args(args)
        .current_dir(dir)
        .env("CARGO_TARGET_DIR", target_dir())
        .env("CI", "true")
        .env_remove("RUSTFLAGS")
        .output_within(RUN);
    assert!(
        out.status.success() || args.contains(&"run"),
        "cargo {args:?} failed:\n{}\n{}",
        text(&out.stdout),
        text(&out.stderr)
    );
    out
}

/// The summary row of `step`.
fn row(stdout: &str, step: &str) -> String {
    stdout
        .lines()
        .find(|l| l.starts_with(&format!("{step} ")))
        .unwrap_or_else(|| panic!("no row for {step}:\n{stdout}"))
        .to_owned()
}

#[test]
#[ignore = "builds a new crate against this checkout (minutes), and its image (mmdebstrap, skopeo): .ci/run runs it"]
fn a_new_crate_tests_compiles_and_runs_with_caching() {
    let tmp = tempfile::tempdir().unwrap_or_else(|e| panic!("{e}"));
    // Somewhere else, inside a workspace of its own.
    let elsewhere = tmp.path().join("projects");
    std::fs::create_dir_all(&elsewhere).unwrap_or_else(|e| panic!("{e}"));
    std::fs::write(elsewhere.join("Cargo.toml"), "[workspace]\nmembers = []\n")
        .unwrap_or_else(|e| panic!("{e}"));
    let out = Command::new(KPIPE)
        .args(["new", "demo"])
        .current_dir(&elsewhere)
        .output_within(RUN);
    assert!(out.status.success(), "{}", text(&out.stderr));
    let kpipe_crate = repo()
        .join("pipelines/kpipe")
        .canonicalize()
        .unwrap_or_else(|e| panic!("{e}"));
    let said = text(&out.stdout);
    assert!(
        said.contains(&format!("depending on kpipe at {}", kpipe_crate.display()))
            && said.contains("the checkout this kpipe was built from"),
        "{said}"
    );
    let demo = elsewhere.join("demo");
    let manifest = std::fs::read_to_string(demo.join("Cargo.toml")).unwrap_or_default();
    assert!(
        manifest.contains(&format!("path = \"{}\"", kpipe_crate.display())),
        "{manifest}"
    );
    std::fs::copy(repo().join("Cargo.lock"), demo.join("Cargo.lock"))
        .unwrap_or_else(|e| panic!("{e}"));

    // Out of the box, the snapshot `new` wrote is what the crate compiles.
    cargo(&demo, &["test", "--offline", "--quiet"]);

    let yaml = demo.join("demo.yaml");
    cargo(
        &demo,
        &[
            "run",
            "--offline",
            "--quiet",
            "--",
            "compile",
            "-o",
            "demo.yaml",
        ],
    );
    let lint = Command::new(KPIPE)
        .args(["lint", "--argo", "all"])
        .arg(&yaml)
        .output_within(RUN);
    assert!(lint.status.success(), "{}", text(&lint.stderr));

    let run = |extra: &[&str]| {
        let mut args = vec!["run", "--offline", "--quiet", "--", "run", "--local"];
        args.extend_from_slice(extra);
        let out = cargo(&demo, &args);
        let stdout = text(&out.stdout);
        assert!(out.status.success(), "{stdout}\n{}", text(&out.stderr));
        stdout
    };
    let first = run(&[]);
    assert!(row(&first, "generate").contains(" ok "), "{first}");
    assert!(row(&first, "fit").contains(" ok "), "{first}");
    assert!(first.contains("fit metrics"), "{first}");
    let again = run(&[]);
    for step in ["generate", "fit"] {
        assert!(row(&again, step).contains(" cached "), "{again}");
    }
    let changed = run(&["-p", "test-share=0.3"]);
    assert!(row(&changed, "generate").contains(" cached "), "{changed}");
    assert!(row(&changed, "fit").contains(" ok "), "{changed}");

    // The app builds the image its steps run: itself, as the entrypoint.
    // (The image tests' cache: the Debian base is built once.)
    // (podman wants a lower-case path for an OCI layout)
    let images = crate::image::lower_case_tempdir("scaffold-image");
    let layout = images.path().join("image");
    let image = Command::new(target_dir().join("debug/demo"))
        .args(["image", "build", "-o"])
        .arg(&layout)
        .env(
            "XDG_CACHE_HOME",
            target_dir().join("tmp/kpipe-image-test-home/cache"),
        )
        .output_within(RUN);
    assert!(image.status.success(), "{}", text(&image.stderr));
    let config = Command::new("skopeo")
        .args(["inspect", "--config"])
        .arg(format!("oci:{}:0.1.0", layout.display()))
        .output_within(RUN);
    let config: serde_json::Value = serde_json::from_slice(&config.stdout)
        .unwrap_or_else(|e| panic!("{e}: {}", text(&config.stderr)));
    assert_eq!(
        config["config"]["Entrypoint"],
        serde_json::json!(["/usr/local/bin/demo"])
    );
    assert_eq!(config["config"]["User"], "65532:65532");

    // The pipeline runs in that image, as on a cluster: each step in its
    // container (podman), the image the pipeline names mapped to the layout.
    let in_containers = run(&[
        "--engine=podman",
        &format!(
            "--image-map=registry.example.com/demo:0.1.0=oci:{}:0.1.0",
            layout.display()
        ),
        "--workdir",
        &tmp.path().join("in-containers").display().to_string(),
    ]);
    assert!(
        row(&in_containers, "generate").contains(" ok "),
        "{in_containers}"
    );
    assert!(
        row(&in_containers, "fit").contains(" ok "),
        "{in_containers}"
    );
    assert!(in_containers.contains("fit metrics"), "{in_containers}");
}
