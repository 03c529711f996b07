//! `update-api` and `update-data` against the replay server.

use std::path::{Path, PathBuf};
use std::process::{Command, Output, Stdio};
use std::time::{Duration, Instant};

use crate::replay::{Fault, PAGE_SIZE, Replay, fixture_items};
use kpipe_testkit::{CommandExt, RUN};

const BIN: &str = env!("CARGO_BIN_EXE_kpipe-step");

fn run(args: &[String]) -> Output {
    Command::new(BIN)
        .args(args)
        .env("KPIPE_GITHUB_BACKOFF_MS", "20")
        .env_remove("GITHUB_TOKEN")
        .output_within(RUN)
}

fn update_api(server: &Replay, store: &Path, extra: &[&str]) -> Output {
    let mut args = vec![
        "update-api".to_owned(),
        "--repo=kubernetes/kubernetes".to_owned(),
        format!("--store={}", store.display()),
        format!("--api-url={}", server.url()),
    ];
    args.extend(extra.iter().map(|s| (*s).to_owned()));
    run(&args)
}

fn err(o: &Output) -> String {
    String::from_utf8_lossy(&o.stderr).into_owned()
}

fn tmp() -> tempfile::TempDir {
    match tempfile::tempdir() {
        Ok(d) => d,
        Err(e) => panic!("{e}"),
    }
}

/// The committed store files, as (name, length, SHA-like digest) for
/// readable comparisons.
fn snapshot(store: &Path) -> Vec<(String, usize, u64)> {
    use std::hash::{Hash, Hasher};
    ["store.json", ".update", "items.jsonl.zst"]
        .iter()
        .map(|n| {
            let bytes = std::fs::read(store.join(n)).unwrap_or_default();
            let mut h = std::collections::hash_map::DefaultHasher::new();
            bytes.hash(&mut h);
            ((*n).to_owned(), bytes.len(), h.finish())
        })
        .collect()
}

/// The token the tests give update-api: sent to GitHub, never shown.
const SECRET_TOKEN: &str = "ghp_not_a_real_token";

fn token_file(dir: &Path) -> PathBuf {
    let p = dir.join("token");
    std::fs::write(&p, format!("{SECRET_TOKEN}\n")).ok();
    p
}

#[test]
fn exports_every_page_then_updates_conditionally() {
    let items = fixture_items();
    let server = Replay::start(items.clone());
    let dir = tmp();
    let store = dir.path().join("store");
    let token = token_file(dir.path());
    let out = update_api(
        &server,
        &store,
        &[&format!("--token-file={}", token.display())],
    );
    assert!(out.status.success(), "{}", err(&out));
    let pages = items.len().div_ceil(PAGE_SIZE);
    {
        let s = server.script();
        assert_eq!(s.seen.len(), pages, "one request per page: {:?}", s.seen);
        assert!(s.seen.iter().all(|(_, _, auth)| *auth), "the token is sent");
        assert!(
            s.seen[0]
                .0
                .contains("state=all&sort=updated&direction=asc&per_page=100")
        );
    }
    assert!(
        !err(&out).contains("ghp_not_a_real_token"),
        "the token is never printed"
    );
    let state: serde_json::Value =
        serde_json::from_slice(&std::fs::read(store.join("store.json")).unwrap_or_default())
            .unwrap_or_default();
    assert_eq!(state["items"], items.len());
    let last = items
        .iter()
        .filter_map(|i| i["updated_at"].as_str())
        .max()
        .unwrap_or("");
    assert_eq!(state["updated_until"], last);
    assert_eq!(
        std::fs::read_to_string(store.join(".update"))
            .unwrap_or_default()
            .trim(),
        last
    );
    assert!(!store.join("progress.json").exists() && !store.join("pages").exists());

    // An update since the newest item re-reads only the boundary page…
    server.script().seen.clear();
    let out = update_api(&server, &store, &[]);
    assert!(out.status.success(), "{}", err(&out));
    assert!(err(&out).contains("(0 new, 0 updated)"), "{}", err(&out));
    assert_eq!(server.script().seen.len(), 1);
    // …and when nothing changed, the same query is conditional → 304.
    let before = snapshot(&store);
    server.script().seen.clear();
    let out = update_api(&server, &store, &[]);
    assert!(out.status.success(), "{}", err(&out));
    assert!(err(&out).contains("Not Modified"), "{}", err(&out));
    {
        let s = server.script();
        assert_eq!(s.seen.len(), 1);
        assert!(
            s.seen[0].0.contains(&format!("since={last}")),
            "{:?}",
            s.seen
        );
        assert!(s.seen[0].1.is_some(), "If-None-Match sent");
    }
    assert_eq!(snapshot(&store), before, "store unchanged");

    // Two items change: the incremental update merges them, keeping the newest.
    {
        let mut all = server.items.lock().unwrap_or_else(|e| e.into_inner());
        all[3]["title"] = "changed title".into();
        all[3]["updated_at"] = "2021-06-01T00:00:00Z".into();
        all[50]["updated_at"] = "2021-06-02T00:00:00Z".into();
    }
    let out = update_api(&server, &store, &[]);
    assert!(out.status.success(), "{}", err(&out));
    let state: serde_json::Value =
        serde_json::from_slice(&std::fs::read(store.join("store.json")).unwrap_or_default())
            .unwrap_or_default();
    assert_eq!(state["updated_until"], "2021-06-02T00:00:00Z");
    assert_eq!(state["items"], items.len());

    // update-data: typed items, legacy `pull_request` keys are not PRs.
    let dataset = dir.path().join("dataset");
    let out = run(&[
        "update-data".into(),
        format!("--store={}", store.display()),
        format!("--out={}", dataset.display()),
    ]);
    assert!(out.status.success(), "{}", err(&out));
    // 9 + 7 modern PRs, and 7 legacy ones: all 25 legacy items carry a
    // `pull_request` key, but only 7 have URLs (`/pull/N`); the 18 with null
    // URLs are issues.
    let prs = 23;
    assert!(
        err(&out).contains(&format!(
            "Parsed {} issues and {prs} pull requests ({} items)",
            items.len() - prs,
            items.len()
        )),
        "{}",
        err(&out)
    );
    let ds =
        kpipe_steps::data::dataset::Dataset::read(&dataset).unwrap_or_else(|e| panic!("{e:#}"));
    let changed = ds
        .items
        .iter()
        .find(|i| i.number == 4)
        .map(|i| i.title.clone());
    assert_eq!(changed.as_deref(), Some("changed title"));
}

#[test]
fn the_token_reaches_github_and_no_output() {
    let dir = tmp();
    let token = token_file(dir.path());
    let output = |o: &Output| {
        format!(
            "{}{}",
            String::from_utf8_lossy(&o.stdout),
            String::from_utf8_lossy(&o.stderr)
        )
    };
    let cases = [
        (None, true),
        (Some(Fault::ServerError(502)), true),
        (Some(Fault::RateLimitReset), true),
        (Some(Fault::Unauthorized), false),
        (Some(Fault::NotJson), false),
    ];
    for (fault, succeeds) in cases {
        let server = Replay::start(fixture_items());
        let store = dir.path().join(format!("store-{fault:?}"));
        match &fault {
            Some(Fault::Unauthorized | Fault::NotJson) => {
                server.script().always = fault.clone();
            }
            Some(f) => server.script().next.push_back(f.clone()),
            None => {}
        }
        let by_file = update_api(
            &server,
            &store,
            &[&format!("--token-file={}", token.display())],
        );
        assert_eq!(
            by_file.status.success(),
            succeeds,
            "{fault:?}: {}",
            err(&by_file)
        );
        let by_env = Command::new(BIN)
            .args([
                "update-api",
                "--repo=kubernetes/kubernetes",
                &format!(
                    "--store={}",
                    dir.path().join(format!("env-{fault:?}")).display()
                ),
                &format!("--api-url={}", server.url()),
            ])
            .env("KPIPE_GITHUB_BACKOFF_MS", "20")
            .env("GITHUB_TOKEN", SECRET_TOKEN)
            .output_within(RUN);
        assert_eq!(
            by_env.status.success(),
            succeeds,
            "{fault:?}: {}",
            err(&by_env)
        );
        assert!(
            server.script().seen.iter().all(|(_, _, auth)| *auth),
            "{fault:?}: the token is sent"
        );
        for out in [&by_file, &by_env] {
            let text = output(out);
            assert!(
                !text.contains(SECRET_TOKEN),
                "{fault:?}: the token shows: {text}"
            );
        }
    }
}

#[test]
fn waits_out_rate_limits_and_retries_server_errors() {
    let server = Replay::start(fixture_items());
    {
        let mut s = server.script();
        s.next.extend([
            Fault::ServerError(502),
            Fault::RateLimitReset,
            Fault::RetryAfter,
            Fault::ServerError(500),
            Fault::Truncated,
        ]);
    }
    let dir = tmp();
    let store = dir.path().join("store");
    let started = Instant::now();
    let out = update_api(&server, &store, &[]);
    let log = err(&out);
    assert!(out.status.success(), "{log}");
    assert!(log.contains("HTTP 502; retry 1/"), "{log}");
    assert!(
        log.contains("GitHub rate limit reached (403): waiting"),
        "{log}"
    );
    assert!(
        log.contains("GitHub rate limit reached (429): waiting 1s"),
        "{log}"
    );
    assert!(log.contains("not a JSON array"), "{log}");
    assert!(
        started.elapsed() >= Duration::from_secs(2),
        "both rate-limit waits were honoured"
    );
    assert!(log.contains("Stored 103 items"), "{log}");
}

#[test]
fn bad_answers_fail_clearly_and_leave_the_store_untouched() {
    let items = fixture_items();
    let cases = [
        (Fault::Truncated, "not a JSON array of items"),
        (Fault::NotJson, "not a JSON array of items"),
        (Fault::Unauthorized, "401 Bad credentials"),
        (Fault::NotFound, "404 Not Found"),
    ];
    for (fault, needle) in cases {
        let server = Replay::start(items.clone());
        let dir = tmp();
        let store = dir.path().join("store");
        let out = update_api(&server, &store, &[]);
        assert!(out.status.success(), "{}", err(&out));
        let before = snapshot(&store);
        {
            let mut all = server.items.lock().unwrap_or_else(|e| e.into_inner());
            all[0]["updated_at"] = "2030-01-01T00:00:00Z".into();
        }
        server.script().always = Some(fault.clone());
        let out = update_api(&server, &store, &[]);
        assert_eq!(out.status.code(), Some(1), "{fault:?}");
        assert!(err(&out).contains(needle), "{fault:?}: {}", err(&out));
        assert_eq!(snapshot(&store), before, "{fault:?}: the store changed");
    }
}

#[test]
fn a_killed_export_resumes_to_the_same_store() {
    // Uninterrupted run.
    let slow = Replay::start(fixture_items());
    let dir = tmp();
    let expected = dir.path().join("expected");
    let out = update_api(&slow, &expected, &[]);
    assert!(out.status.success(), "{}", err(&out));

    // Interrupted run against the same server: kill -9 once a few pages are stored.
    slow.script().seen.clear();
    slow.script().delay = Duration::from_millis(150);
    let store = dir.path().join("store");
    let mut child = match Command::new(BIN)
        .args([
            "update-api",
            "--repo=kubernetes/kubernetes",
            &format!("--store={}", store.display()),
            &format!("--api-url={}", slow.url()),
        ])
        .env_remove("GITHUB_TOKEN")
        .stderr(Stdio::null())
        .spawn()
    {
        Ok(c) => c,
        Err(e) => panic!("{e}"),
    };
    kpipe_testkit::wait_until("update-api to store 3 pages", kpipe_testkit::WAIT, || {
        let progress = std::fs::read_to_string(store.join("progress.json")).unwrap_or_default();
        let done = serde_json::from_str::<serde_json::Value>(&progress)
            .ok()
            .and_then(|p| p["pages_done"].as_u64())
            .unwrap_or(0);
        (done >= 3).then_some(())
    });
    child.kill().ok(); // SIGKILL
    child.wait().ok();
    assert!(store.join("progress.json").exists(), "killed mid-export");
    assert!(!store.join("store.json").exists());
    let requests_before = slow.script().seen.len();

    slow.script().delay = Duration::ZERO;
    let out = update_api(&slow, &store, &[]);
    assert!(out.status.success(), "{}", err(&out));
    assert!(
        err(&out).contains("Resuming the unfinished update"),
        "{}",
        err(&out)
    );
    let pages = fixture_items().len().div_ceil(PAGE_SIZE);
    let total_requests = slow.script().seen.len();
    // Every page was fetched once, except at most the one in flight at the kill.
    assert!(
        total_requests <= pages + 1,
        "{total_requests} requests for {pages} pages"
    );
    assert!(
        total_requests - requests_before < pages,
        "stored pages were refetched"
    );
    assert_eq!(
        snapshot(&store),
        snapshot(&expected),
        "resumed store differs from an uninterrupted one"
    );
}

#[test]
fn offline_keeps_or_seeds_the_store() {
    let server = Replay::start(fixture_items());
    let dir = tmp();
    let seed = dir.path().join("seed");
    assert!(update_api(&server, &seed, &[]).status.success());
    let store = dir.path().join("store");
    let out = update_api(
        &server,
        &store,
        &["--offline", &format!("--from={}", seed.display())],
    );
    assert!(out.status.success(), "{}", err(&out));
    assert!(
        err(&out).contains("Offline: keeping the store as it is (103 items"),
        "{}",
        err(&out)
    );
    assert_eq!(snapshot(&store), snapshot(&seed));
    let empty = dir.path().join("empty");
    let out = update_api(&server, &empty, &["--offline"]);
    assert_eq!(out.status.code(), Some(1));
    assert!(err(&out).contains("nothing to keep"));
    let out = run(&[
        "update-api".into(),
        "--repo=nope".into(),
        format!("--store={}", empty.display()),
    ]);
    assert_eq!(out.status.code(), Some(1));
    assert!(err(&out).contains("--repo must be OWNER/NAME"));
}
