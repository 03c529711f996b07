//! `kpipe run --local --engine podman`: every step in its image, as its pod
//! would run it (ignored: needs podman with runc, mmdebstrap and skopeo;
//! `.ci/run` installs them and runs these). The images are the step image
//! `kpipe image build` makes from this workspace's binaries (a Debian base):
//! kubernetes-analysis runs in it, and the examples' public images are
//! mapped to it.

use std::collections::BTreeMap;
use std::path::{Path, PathBuf};
use std::process::Command;
use std::sync::OnceLock;
use std::time::Duration;

use kpipe::run::{Engine, Layout, LocalRun, Podman, PodmanSettings, Status, Stop, TaskReport};
use kpipe::{CompileOptions, ContainerStep, Pipeline};
use kpipe_testkit::{CommandExt, RUN, text};

use crate::image::{build_step_image, lower_case_tempdir};
use crate::local_run::{run, step_binary};

/// The step image of this workspace's binaries, as an OCI layout (built
/// once per test binary): `oci:LAYOUT:TAG`.
fn step_image() -> &'static str {
    static IMAGE: OnceLock<(tempfile::TempDir, String)> = OnceLock::new();
    let (_, reference) = IMAGE.get_or_init(|| {
        let dir = lower_case_tempdir("podman-step");
        let layout = dir.path().join("image");
        build_step_image(&["-o", &layout.display().to_string()]);
        let tag = env!("CARGO_PKG_VERSION");
        let reference = format!("oci:{}:{tag}", layout.display());
        (dir, reference)
    });
    reference
}

fn step_image_map() -> String {
    format!(
        "--image-map={}={}",
        kpipe_pipelines::kubernetes_analysis::STEP_IMAGE,
        step_image()
    )
}

/// The SHA-256 of every file under `dir` (relative paths).
fn tree(dir: &Path) -> BTreeMap<PathBuf, String> {
    (kpipe_testkit::files(dir).into_iter())
        .map(|p| {
            let digest = sha256(&std::fs::read(&p).unwrap_or_default());
            (p.strip_prefix(dir).unwrap_or(&p).to_path_buf(), digest)
        })
        .collect()
}

fn sha256(bytes: &[u8]) -> String {
    let out = Command::new("sha256sum")
        .stdin(std::process::Stdio::piped())
        .stdout(std::process::Stdio::piped())
        .spawn()
        .and_then(|mut c| {
            use std::io::Write;
            if let Some(mut i) = c.stdin.take() {
                i.write_all(bytes)?;
            }
            c.wait_with_output()
        })
        .unwrap_or_else(|e| panic!("sha256sum: {e}"));
    text(&out.stdout)
}

/// The serving image's digest a `build-image` log names.
fn serving_digest(workdir: &Path) -> String {
    let log = std::fs::read_to_string(Layout::log(
        &Layout::new(workdir).task_dir("build-image", None),
    ))
    .unwrap_or_else(|e| panic!("{e}"));
    log.lines()
        .find_map(|l| l.strip_prefix("Built "))
        .and_then(|l| l.split_whitespace().next())
        .unwrap_or_else(|| panic!("no digest in the build-image log:\n{log}"))
        .to_owned()
}

#[test]
#[ignore = "needs podman with runc, mmdebstrap and skopeo (.ci/run installs them)"]
fn kubernetes_analysis_in_containers_makes_what_the_processes_make() {
    let tmp = tempfile::tempdir().unwrap_or_else(|e| panic!("{e}"));
    let (processes, containers) = (tmp.path().join("processes"), tmp.path().join("containers"));
    let out = run(&processes, step_binary(), &[]);
    assert!(out.status.success(), "{}", text(&out.stderr));
    let map = step_image_map();
    let out = run(&containers, step_binary(), &["--engine=podman", &map]);
    let (stdout, stderr) = (text(&out.stdout), text(&out.stderr));
    assert!(out.status.success(), "{stdout}\n{stderr}");
    for task in crate::kubernetes_analysis::TASKS {
        assert!(
            stderr.contains(&format!("[{task}] in container kpipe-")),
            "{task} did not say it ran in a container:\n{stderr}"
        );
    }
    let steps = |w: &Path, p: &str| w.join("steps").join(p).join("root/kpipe/outputs");
    for (task, output) in [
        ("update-data", "dataset"),
        ("train", "model"),
        ("train", "mlpipeline-metrics.json"),
    ] {
        assert_eq!(
            tree(&steps(&processes, task).join(output)),
            tree(&steps(&containers, task).join(output)),
            "{task}'s {output} differs"
        );
    }
    assert_eq!(serving_digest(&processes), serving_digest(&containers));
    // A second run: every step cached, but for checkout and update-api,
    // which read the world (`.cache(false)`), and commit-changes, which
    // commits to the checkout made again (reused only when the new
    // checkout's files, git's index included, are byte for byte the old).
    let out = run(&containers, step_binary(), &["--engine=podman", &map]);
    let stdout = text(&out.stdout);
    assert!(out.status.success(), "{stdout}");
    let mut rows = 0;
    for line in stdout
        .lines()
        .skip_while(|l| !l.starts_with("step "))
        .skip(1)
        .take_while(|l| !l.starts_with("total"))
    {
        rows += 1;
        let step = line.split_whitespace().next().unwrap_or_default();
        let expected: &[&str] = match step {
            "checkout" | "update-api" => &[" ok "],
            "commit-changes" => &[" ok ", " cached "],
            _ => &[" cached "],
        };
        assert!(
            expected.iter().any(|e| line.contains(e)),
            "{step} is not {expected:?}: {line}\n{stdout}"
        );
    }
    assert_eq!(rows, 9, "{stdout}");
}

#[test]
#[ignore = "needs podman with runc, mmdebstrap and skopeo (.ci/run installs them)"]
fn the_examples_run_in_containers() {
    let tmp = tempfile::tempdir().unwrap_or_else(|e| panic!("{e}"));
    let image = step_image();
    let maps = [
        format!("--image-map=alpine:3.20={image}"),
        format!("--image-map=nvcr.io/nvidia/pytorch:24.08-py3={image}"),
    ];
    for name in [
        "hello",
        "diamond",
        "loops",
        "sweep",
        "condition",
        "exit_handler",
        "retries",
        "gpu",
    ] {
        let out = Command::new(env!("CARGO_BIN_EXE_kpipe"))
            .args(["run", name, "--local", "--engine=podman"])
            .arg(format!("--workdir={}", tmp.path().join(name).display()))
            .args(&maps)
            .output_within(RUN);
        assert!(
            out.status.success(),
            "{name}:\n{}\n{}",
            text(&out.stdout),
            text(&out.stderr)
        );
        assert!(text(&out.stderr).contains("in container kpipe-"), "{name}");
    }
    let join = tmp
        .path()
        .join("diamond/steps/join/root/kpipe/outputs/text");
    assert_eq!(
        std::fs::read_to_string(join).unwrap_or_default(),
        "HELLO\thello\nTYPED\ttyped\nPIPELINES\tpipelines\n"
    );
}

#[test]
#[ignore = "needs podman with runc, mmdebstrap and skopeo (.ci/run installs them)"]
fn without_podman_an_image_or_a_secret_the_run_says_what_to_do() {
    let tmp = tempfile::tempdir().unwrap_or_else(|e| panic!("{e}"));
    let kpipe = |args: &[&str], path: Option<&Path>| {
        let mut cmd = Command::new(env!("CARGO_BIN_EXE_kpipe"));
        cmd.args(["run", "hello", "--local"])
            .arg(format!("--workdir={}", tmp.path().join("w").display()))
            .args(args);
        if let Some(p) = path {
            cmd.env("PATH", p);
        }
        let out = cmd.output_within(RUN);
        (out.status.code(), text(&out.stderr))
    };
    let empty = tmp.path().join("empty-path");
    std::fs::create_dir_all(&empty).unwrap_or_else(|e| panic!("{e}"));
    let (code, err) = kpipe(&["--engine=podman"], Some(&empty));
    assert_eq!(code, Some(1), "{err}");
    assert!(
        err.contains("--engine podman needs podman, which is not on this machine's PATH: install it (apt-get install podman runc)"),
        "{err}"
    );
    let (code, err) = kpipe(
        &[
            "--engine=podman",
            "--image-map=alpine:3.20=localhost/kpipe-no-such-image:1",
        ],
        None,
    );
    assert_eq!(code, Some(1), "{err}");
    assert!(
        err.contains("step `greet`: its image localhost/kpipe-no-such-image:1 is not in podman's store and cannot be pulled"),
        "{err}"
    );
    assert!(err.contains("--image-map alpine:3.20=LOCAL"), "{err}");
    let (code, err) = kpipe(&["--secret=ssh-key=/no/such/key"], None);
    assert_eq!(code, Some(1), "{err}");
    assert!(
        err.contains("secret `ssh-key`: /no/such/key does not exist"),
        "{err}"
    );
}

/// A run of `p` with the podman engine in `workdir`, its image `image`.
fn podman_run(p: &Pipeline, workdir: &Path, image: &str, stop: &Stop) -> Vec<TaskReport> {
    let plan = p
        .ir(&CompileOptions::default())
        .unwrap_or_else(|d| panic!("{d}"));
    let podman = Podman::detect(PodmanSettings {
        image_map: BTreeMap::from([("kpipe-test".to_owned(), image.to_owned())]),
        run_id: format!("t{}", std::process::id()),
        workdir: workdir.to_path_buf(),
        shared: Vec::new(),
    })
    .unwrap_or_else(|e| panic!("{e:#}"));
    let cfg = LocalRun {
        engine: Engine::Podman(Box::new(podman)),
        cache: false,
        interrupt: stop.clone(),
        ..LocalRun::new(workdir, BTreeMap::new())
    };
    kpipe::run::run(&plan, &cfg, Box::new(std::io::sink())).unwrap_or_else(|e| panic!("{e:#}"))
}

/// The names of the containers labelled with `workdir`.
fn containers(workdir: &Path) -> Vec<String> {
    let out = Command::new("podman")
        .args(["ps", "--all", "--format", "{{.Names}}", "--filter"])
        .arg(format!("label=kpipe.workdir={}", workdir.display()))
        .output_within(RUN);
    text(&out.stdout).lines().map(str::to_owned).collect()
}

#[test]
#[ignore = "needs podman with runc, mmdebstrap and skopeo (.ci/run installs them)"]
fn over_its_memory_limit_a_step_is_oom_killed_and_ctrl_c_removes_containers() {
    let tmp = tempfile::tempdir().unwrap_or_else(|e| panic!("{e}"));
    let image = step_image();
    // More memory than the limit: ended as Kubernetes ends it.
    let p = Pipeline::new("hungry");
    p.image("kpipe-test");
    p.add(ContainerStep::new(
        "hog",
        ["sh", "-c", "head -c 400000000 /dev/zero | tail > /dev/null"],
    ))
    .memory_limit("64Mi");
    let w = tmp.path().join("oom");
    let reports = podman_run(&p, &w, image, &Stop::new());
    assert!(
        matches!(&reports[0].status, Status::Failed(w) if w.starts_with("OOMKilled: the step used more than its memory limit (64Mi)")),
        "{:?}",
        reports[0].status
    );
    assert!(containers(&w).is_empty(), "{:?}", containers(&w));

    // Ctrl-C while a container runs: stopped and removed.
    let p = Pipeline::new("slow");
    p.image("kpipe-test");
    p.add(ContainerStep::new("wait", ["sleep", "120"]));
    let w = tmp.path().join("interrupted");
    let stop = Stop::new();
    let (w2, stop2) = (w.clone(), stop.clone());
    let watcher = std::thread::spawn(move || {
        kpipe_testkit::wait_until("the container to start", kpipe_testkit::WAIT, || {
            (!containers(&w2).is_empty()).then_some(())
        });
        stop2.raise(kpipe::run::Interrupt::Int);
    });
    let started = std::time::Instant::now();
    let reports = podman_run(&p, &w, image, &stop);
    let _ = watcher.join();
    assert!(
        started.elapsed() < Duration::from_secs(60),
        "the step was stopped"
    );
    assert!(
        matches!(&reports[0].status, Status::Failed(w) if w.contains("interrupted")),
        "{:?}",
        reports[0].status
    );
    assert!(containers(&w).is_empty(), "{:?}", containers(&w));

    // What a killed run left: removed by the next run in its workdir.
    let w = tmp.path().join("killed");
    std::fs::create_dir_all(&w).unwrap_or_else(|e| panic!("{e}"));
    let pulled = Command::new("podman")
        .args(["pull", "--quiet", image])
        .output_within(RUN);
    let id = text(&pulled.stdout).trim().to_owned();
    let left = Command::new("podman")
        .args([
            "run",
            "-d",
            "--name",
            "kpipe-left-behind",
            "--ulimit",
            "nofile=4096:4096",
            "--ulimit",
            "nproc=4096:4096",
        ])
        .arg(format!("--label=kpipe.workdir={}", w.display()))
        .args(["--entrypoint", "sleep", &id, "300"])
        .output_within(RUN);
    assert!(left.status.success(), "{}", text(&left.stderr));
    assert_eq!(containers(&w), ["kpipe-left-behind"]);
    let p = Pipeline::new("after");
    p.image("kpipe-test");
    p.add(ContainerStep::new("ok", ["true"]));
    let reports = podman_run(&p, &w, image, &Stop::new());
    assert_eq!(reports[0].status, Status::Succeeded);
    assert!(containers(&w).is_empty(), "{:?}", containers(&w));
}
