//! `checkout` and `commit-changes` against real git repositories: a bare
//! "GitHub" repository with `refs/pull/N/head`, cloned over file://.

use kpipe_testkit::{CommandExt, RUN};
use std::path::{Path, PathBuf};
use std::process::{Command, Output};

const BIN: &str = env!("CARGO_BIN_EXE_kpipe-step");

/// git as the fixtures' author (kpipe's identity), with a deadline.
fn sh(dir: &Path, args: &[&str]) -> String {
    let (name, email) = kpipe_steps::git::IDENTITY;
    let out = Command::new("git")
        .args(args)
        .current_dir(dir)
        .env("GIT_AUTHOR_NAME", name)
        .env("GIT_AUTHOR_EMAIL", email)
        .env("GIT_COMMITTER_NAME", name)
        .env("GIT_COMMITTER_EMAIL", email)
        .output_within(RUN);
    assert!(
        out.status.success(),
        "git {args:?}: {}",
        String::from_utf8_lossy(&out.stderr)
    );
    String::from_utf8_lossy(&out.stdout).trim().to_owned()
}

fn step(args: &[String]) -> Output {
    Command::new(BIN).args(args).output_within(RUN)
}

fn err(o: &Output) -> String {
    String::from_utf8_lossy(&o.stderr).into_owned()
}

/// origin.git with master (README.md, data/x) and two pull requests:
/// #7 adds a file, #8 conflicts with master on README.md.
fn github(root: &Path) -> PathBuf {
    let origin = root.join("origin.git");
    let work = root.join("work");
    std::fs::create_dir_all(&work).ok();
    sh(
        root,
        &[
            "init",
            "-q",
            "--bare",
            "-b",
            "master",
            &origin.to_string_lossy(),
        ],
    );
    sh(&work, &["init", "-q", "-b", "master"]);
    std::fs::write(work.join("README.md"), "data\n").ok();
    std::fs::create_dir_all(work.join("data")).ok();
    std::fs::write(work.join("data/x"), "1\n").ok();
    sh(&work, &["add", "."]);
    sh(&work, &["commit", "-q", "-m", "base"]);
    sh(
        &work,
        &["remote", "add", "origin", &origin.to_string_lossy()],
    );
    sh(&work, &["push", "-q", "origin", "master"]);
    sh(&work, &["checkout", "-q", "-b", "pr7"]);
    std::fs::write(work.join("feature.txt"), "from PR 7\n").ok();
    sh(&work, &["add", "."]);
    sh(&work, &["commit", "-q", "-m", "pr 7"]);
    sh(&work, &["push", "-q", "origin", "pr7:refs/pull/7/head"]);
    sh(&work, &["checkout", "-q", "master"]);
    sh(&work, &["checkout", "-q", "-b", "pr8"]);
    std::fs::write(work.join("README.md"), "changed by PR 8\n").ok();
    sh(&work, &["commit", "-q", "-am", "pr 8"]);
    sh(&work, &["push", "-q", "origin", "pr8:refs/pull/8/head"]);
    sh(&work, &["checkout", "-q", "master"]);
    std::fs::write(work.join("README.md"), "changed on master\n").ok();
    sh(&work, &["commit", "-q", "-am", "master moves on"]);
    sh(&work, &["push", "-q", "origin", "master"]);
    origin
}

fn checkout(origin: &Path, out: &Path, pr: &str) -> Output {
    step(&[
        "checkout".into(),
        format!("--repo={}", origin.display()),
        format!("--pr={pr}"),
        format!("--out={}", out.display()),
    ])
}

#[test]
fn checkout_master_and_merge_a_pull_request() {
    let tmp = tempfile::tempdir().unwrap_or_else(|e| panic!("{e}"));
    let origin = github(tmp.path());
    let master = tmp.path().join("master");
    let out = checkout(&origin, &master, "");
    assert!(out.status.success(), "{}", err(&out));
    assert_eq!(
        std::fs::read_to_string(master.join("README.md")).unwrap_or_default(),
        "changed on master\n"
    );
    assert_eq!(
        sh(&master, &["rev-list", "--count", "HEAD"]),
        "1",
        "shallow clone"
    );

    let pr = tmp.path().join("pr7");
    let out = checkout(&origin, &pr, "7");
    assert!(out.status.success(), "{}", err(&out));
    assert!(err(&out).contains("+ pull request #7"), "{}", err(&out));
    assert_eq!(
        std::fs::read_to_string(pr.join("feature.txt")).unwrap_or_default(),
        "from PR 7\n"
    );
    assert_eq!(
        std::fs::read_to_string(pr.join("README.md")).unwrap_or_default(),
        "changed on master\n"
    );
    assert_eq!(
        sh(&pr, &["log", "-1", "--format=%s"]),
        "Merge pull request #7 onto master"
    );
}

#[test]
fn conflicts_and_bad_repos_fail_clearly() {
    let tmp = tempfile::tempdir().unwrap_or_else(|e| panic!("{e}"));
    let origin = github(tmp.path());
    let out = checkout(&origin, &tmp.path().join("pr8"), "8");
    assert_eq!(out.status.code(), Some(1));
    assert!(
        err(&out)
            .contains("pull request #8 does not merge cleanly onto master: conflicts in README.md"),
        "{}",
        err(&out)
    );
    let out = checkout(&origin, &tmp.path().join("pr9"), "9");
    assert_eq!(out.status.code(), Some(1));
    assert!(
        err(&out).contains("cannot fetch pull request #9"),
        "{}",
        err(&out)
    );
    let out = checkout(&tmp.path().join("nope.git"), &tmp.path().join("x"), "");
    assert_eq!(out.status.code(), Some(1));
    assert!(err(&out).contains("cannot clone"), "{}", err(&out));
    let out = checkout(&origin, &tmp.path().join("y"), "12; rm -rf /");
    assert_eq!(out.status.code(), Some(1));
    assert!(err(&out).contains("--pr must be a pull request number"));
}

fn commit(repo: &Path, store: &Path, push: bool) -> Output {
    let mut args = vec![
        "commit-changes".to_owned(),
        format!("--repo={}", repo.display()),
        format!("--api-store={}", store.display()),
    ];
    if push {
        args.push("--push".into());
    }
    step(&args)
}

#[test]
fn commit_changes_pushes_only_when_told() {
    let tmp = tempfile::tempdir().unwrap_or_else(|e| panic!("{e}"));
    let origin = github(tmp.path());
    let before = sh(&origin, &["rev-parse", "master"]);
    let store = tmp.path().join("store");
    std::fs::create_dir_all(&store).ok();
    std::fs::write(store.join("store.json"), "{}").ok();

    // A PR checkout: committed locally, never pushed.
    let pr = tmp.path().join("pr7");
    assert!(checkout(&origin, &pr, "7").status.success());
    let out = commit(&pr, &store, false);
    assert!(out.status.success(), "{}", err(&out));
    assert!(err(&out).contains("Not pushing"));
    assert_eq!(sh(&pr, &["log", "-1", "--format=%s"]), "Update data [skip]");
    assert_eq!(sh(&origin, &["rev-parse", "master"]), before);

    // Master: committed and pushed; a second run with no change commits empty.
    let master = tmp.path().join("master");
    assert!(checkout(&origin, &master, "").status.success());
    let out = commit(&master, &store, true);
    assert!(out.status.success(), "{}", err(&out));
    let pushed = sh(&origin, &["rev-parse", "master"]);
    assert_ne!(pushed, before);
    assert_eq!(
        sh(&origin, &["log", "-1", "--format=%s", "master"]),
        "Update data [skip]"
    );
    let committed = format!("master:{}/store.json", kpipe_step_contract::REPO_STORE_DIR);
    assert_eq!(sh(&origin, &["show", &committed]), "{}");
    let out = commit(&master, &store, true);
    assert!(out.status.success(), "{}", err(&out));
    assert!(err(&out).contains("(0 files changed)"), "{}", err(&out));
    assert_ne!(
        sh(&origin, &["rev-parse", "master"]),
        pushed,
        "empty commit pushed too"
    );

    let out = commit(tmp.path(), &store, false);
    assert_eq!(out.status.code(), Some(1));
    assert!(err(&out).contains("is not a git working tree"));
}
