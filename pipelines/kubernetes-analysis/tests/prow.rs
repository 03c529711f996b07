//! `kpipe prow`: the generated job config and plugins.yaml entries validate
//! against closed schemas built from Prow's own documentation (its
//! documented job examples, plugin config and the ProwJob CRD's pod spec),
//! and every job's container command, run as Prow and Kubernetes would run
//! it, submits the pipeline through the fake Kubernetes API server of
//! `submit_argo` with the right parameters.

use std::path::Path;
use std::process::{Command, Output};

use serde_json::{Map, Value, json};

use crate::submit_argo::{Event, SUFFIX, apiserver, kubeconfig, lock};
use kpipe_testkit::schema::{errors, validator};
use kpipe_testkit::{CommandExt, RUN};

const KPIPE: &str = env!("CARGO_BIN_EXE_kpipe");
const REPO: &str = "kpipe/kubernetes-analysis";
const IMAGE: &str = "ghcr.io/kpipe/kpipe-step:0.1.0";

fn fixture(name: &str) -> String {
    let path = Path::new(env!("CARGO_MANIFEST_DIR"))
        .join("tests/fixtures/prow")
        .join(name);
    std::fs::read_to_string(&path).unwrap_or_else(|e| panic!("{}: {e}", path.display()))
}

fn yaml(text: &str) -> Value {
    kpipe_compiler::lint::parse_yaml(text).unwrap_or_else(|e| panic!("{e:?}\n{text}"))
}

/// The ```yaml blocks of a Markdown document.
fn yaml_blocks(md: &str) -> Vec<String> {
    let mut blocks = Vec::new();
    let mut current: Option<String> = None;
    for line in md.lines() {
        match (&mut current, line.trim_start()) {
            (None, "```yaml") => current = Some(String::new()),
            (Some(b), "```") => {
                blocks.push(std::mem::take(b));
                current = None;
            }
            (Some(b), _) => {
                b.push_str(line);
                b.push('\n');
            }
            (None, _) => {}
        }
    }
    blocks
}

/// A closed schema from a documented example: every field the example
/// shows, typed by its example value; a mapping keyed by `""` or `org/repo`
/// is a map; an empty mapping is any object.
fn schema_of(example: &Value) -> Value {
    match example {
        Value::Object(o) if o.is_empty() => json!({"type": "object"}),
        Value::Object(o) if o.len() == 1 && o.keys().all(|k| k.is_empty() || k.contains('/')) => {
            let value = o.values().next().unwrap_or(&Value::Null);
            json!({"type": "object", "additionalProperties": schema_of(value)})
        }
        Value::Object(o) => {
            let properties: Map<String, Value> =
                o.iter().map(|(k, v)| (k.clone(), schema_of(v))).collect();
            json!({"type": "object", "properties": properties, "additionalProperties": false})
        }
        Value::Array(a) => match a.first() {
            Some(first) => json!({"type": "array", "items": schema_of(first)}),
            None => json!({"type": "array"}),
        },
        Value::String(_) => json!({"type": "string"}),
        Value::Bool(_) => json!({"type": "boolean"}),
        Value::Number(n) if n.is_i64() || n.is_u64() => json!({"type": "integer"}),
        Value::Number(_) => json!({"type": "number"}),
        Value::Null => json!({}),
    }
}

/// The job object inside a block's schema (the object with a `name`).
fn job_mut(schema: &mut Value) -> &mut Value {
    if schema["properties"].get("name").is_some() {
        return schema;
    }
    let next = if let Some(p) = schema["properties"].as_object().filter(|p| p.len() == 1) {
        p.keys().next().cloned().map(|k| ("properties", k))
    } else if schema.get("items").is_some() {
        Some(("items", String::new()))
    } else {
        Some(("additionalProperties", String::new()))
    };
    match next {
        Some(("properties", key)) => job_mut(&mut schema["properties"][key.as_str()]),
        Some((field, _)) => job_mut(&mut schema[field]),
        None => panic!("no job object in {schema}"),
    }
}

/// The ProwJob CRD's pod spec, closed like the API server's pruning. Prow
/// names the container of a single-container job itself (the original
/// project's config has no names), so `name` is required only with several.
fn pod_spec_schema() -> Value {
    let mut spec: Value = serde_json::from_str(&fixture("prowjob-pod_spec.openapi.json"))
        .unwrap_or_else(|e| panic!("{e}"));
    kpipe_testkit::schema::close(&mut spec);
    if let Some(items) = spec["properties"]["containers"]["items"].as_object_mut() {
        items.remove("required");
    }
    spec
}

/// Closed schema of a job config (`presubmits`, `postsubmits`, `periodics`)
/// from the examples of Prow's jobs.md, with the fields it documents in
/// comments (`# cron: …`) and its job name regex.
fn jobs_schema() -> Value {
    let md = fixture("jobs.md");
    let name_regex = md
        .split_once("must match the regex ")
        .and_then(|(_, rest)| rest.split_whitespace().next())
        .unwrap_or_else(|| panic!("jobs.md no longer documents the job name regex"))
        .to_owned();
    let mut top = Map::new();
    // The first block of each kind is its reference example; later ones
    // are elided snippets (`...`).
    for block in yaml_blocks(&md) {
        let Ok(doc) = kpipe_compiler::lint::parse_yaml(&block) else {
            continue;
        };
        let Some(kind) = doc
            .as_object()
            .and_then(|o| o.keys().next())
            .filter(|k| ["presubmits", "postsubmits", "periodics"].contains(&k.as_str()))
            .filter(|k| !top.contains_key(k.as_str()))
            .cloned()
        else {
            continue;
        };
        let mut schema = schema_of(&doc);
        let job = job_mut(&mut schema);
        for line in block.lines() {
            let Some(commented) = line.trim_start().strip_prefix("# ") else {
                continue;
            };
            if let Some((key, value)) = yaml(commented).as_object().and_then(|o| o.iter().next())
                && key.chars().all(|c| c.is_ascii_lowercase() || c == '_')
            {
                job["properties"][key.as_str()] = schema_of(value);
            }
        }
        job["properties"]["name"]["pattern"] = json!(name_regex);
        job["properties"]["spec"] = pod_spec_schema();
        job["required"] = json!(["name", "spec"]);
        top.insert(kind.clone(), schema["properties"][kind.as_str()].take());
    }
    assert_eq!(top.len(), 3, "jobs.md documents the three job kinds");
    assert!(
        top["periodics"]["items"]["properties"]
            .get("cron")
            .is_some()
    );
    json!({"type": "object", "properties": top, "additionalProperties": false})
}

/// Closed schema of plugins.yaml from plugin-config-documented.yaml, with
/// the `external_plugins` entry of the plugins documentation.
fn plugins_schema() -> Value {
    let mut schema = schema_of(&yaml(&fixture("plugin-config-documented.yaml")));
    let example = yaml_blocks(&fixture("plugins.md"))
        .iter()
        .map(|b| yaml(b))
        .find(|d| d.get("external_plugins").is_some())
        .unwrap_or_else(|| panic!("plugins.md has no external_plugins example"));
    let mut external = schema_of(&example)["properties"]["external_plugins"].take();
    external["additionalProperties"]["items"]["required"] = json!(["name"]);
    schema["properties"]["external_plugins"] = external;
    schema
}

fn kpipe_prow(args: &[&str]) -> Output {
    Command::new(KPIPE)
        .args(["prow", "--repo", REPO, "--image", IMAGE])
        .args(args)
        .output_within(RUN)
}

fn generated(args: &[&str]) -> Value {
    let out = kpipe_prow(args);
    assert_eq!(
        out.status.code(),
        Some(0),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    yaml(&String::from_utf8_lossy(&out.stdout))
}

#[test]
fn jobs_validate_against_prows_documented_schema() {
    let v = validator(&jobs_schema());
    for args in [
        &[][..],
        &["--kfp", "http://ml-pipeline.kubeflow:8888"][..],
        &[
            "--kfp",
            "http://ml-pipeline.kubeflow:8888",
            "--kfp-api",
            "v1",
        ][..],
    ] {
        let jobs = generated(args);
        assert!(errors(&v, &jobs).is_empty(), "{:#?}", errors(&v, &jobs));
    }
    // The original project's real job config passes as well (minus its
    // ProwConfig keys), and the check can fail.
    let reference = yaml(include_str!("fixtures/reference/ci_config.yaml"));
    let reference_jobs: Map<String, Value> = reference
        .as_object()
        .into_iter()
        .flatten()
        .filter(|(k, _)| ["presubmits", "postsubmits", "periodics"].contains(&k.as_str()))
        .map(|(k, v)| (k.clone(), v.clone()))
        .collect();
    assert_eq!(reference_jobs.len(), 3);
    let reference_jobs = Value::Object(reference_jobs);
    assert!(
        errors(&v, &reference_jobs).is_empty(),
        "{:#?}",
        errors(&v, &reference_jobs)
    );
    let jobs = generated(&[]);
    for (path, value) in [
        (
            "/presubmits/kpipe~1kubernetes-analysis/0/alwaysRun",
            json!(true),
        ),
        ("/periodics/0/interval", json!(24)),
        ("/periodics/0/name", json!("nightly run")),
        ("/periodics/0/spec/containers/0/args", json!("submit")),
        (
            "/postsubmits/kpipe~1kubernetes-analysis/0/spec/serviceAcountName",
            json!("x"),
        ),
    ] {
        let mut broken = jobs.clone();
        let (parent, key) = path.rsplit_once('/').unwrap_or_default();
        match broken.pointer_mut(parent) {
            Some(Value::Object(o)) => {
                o.insert(key.replace("~1", "/"), value);
            }
            other => panic!("{parent}: {other:?}"),
        }
        assert!(!v.is_valid(&broken), "{path} should be invalid");
    }
}

#[test]
fn plugins_validate_against_prows_documented_schema() {
    let v = validator(&plugins_schema());
    let plugins = generated(&["--plugins", "--bot-endpoint", "http://bot.prow/hook"]);
    assert!(
        errors(&v, &plugins).is_empty(),
        "{:#?}",
        errors(&v, &plugins)
    );
    assert_eq!(plugins["plugins"][REPO]["plugins"], json!(["trigger"]));
    assert_eq!(
        plugins["external_plugins"][REPO][0],
        json!({"name": "kubernetes-analysis-bot", "endpoint": "http://bot.prow/hook", "events": ["issues", "pull_request"]})
    );
    let reference = yaml(include_str!("fixtures/reference/ci_plugins.yaml"));
    assert!(
        v.is_valid(&json!({"triggers": reference["triggers"], "external_plugins": reference["external_plugins"]}))
    );
    // The deployment manifests' entry passes too.
    let deployed = yaml(include_str!("../deploy/plugins.yaml"));
    assert!(
        errors(&v, &deployed).is_empty(),
        "{:#?}",
        errors(&v, &deployed)
    );
    let mut broken = plugins.clone();
    broken["external_plugins"][REPO][0]["url"] = json!("http://bot");
    assert!(!v.is_valid(&broken));
    let mut broken = plugins;
    broken["triggers"][0]["repo"] = json!(REPO);
    assert!(!v.is_valid(&broken));
}

/// Kubernetes' expansion of `$(VAR)` in a container's command and args
/// (`$$` escapes; unknown variables stay as written).
fn expand(s: &str, env: &[(&str, &str)]) -> String {
    let mut out = String::new();
    let mut rest = s;
    while let Some(i) = rest.find('$') {
        out.push_str(&rest[..i]);
        let tail = &rest[i..];
        if let Some(after) = tail.strip_prefix("$$") {
            out.push('$');
            rest = after;
        } else if let Some((name, after)) = tail
            .strip_prefix("$(")
            .and_then(|t| t.split_once(')'))
            .and_then(|(n, a)| env.iter().find(|(k, _)| *k == n).map(|(_, v)| (*v, a)))
        {
            out.push_str(name);
            rest = after;
        } else {
            out.push('$');
            rest = &tail[1..];
        }
    }
    out.push_str(rest);
    out
}

fn strings(v: &Value) -> Vec<String> {
    v.as_array()
        .into_iter()
        .flatten()
        .filter_map(Value::as_str)
        .map(str::to_owned)
        .collect()
}

/// Runs a job's container as its pod would: command + args after
/// Kubernetes' `$(VAR)` expansion, Prow's job environment, `kpipe` on PATH.
fn run_job(job: &Value, env: &[(&str, &str)], kubeconfig: &Path, cwd: &Path) -> Output {
    let container = &job["spec"]["containers"][0];
    let argv: Vec<String> = strings(&container["command"])
        .into_iter()
        .chain(strings(&container["args"]))
        .map(|a| expand(&a, env))
        .collect();
    // `kpipe` on PATH polls fast (the hidden --poll-ms) and is otherwise
    // the binary under test.
    let bin = tempfile::tempdir().unwrap_or_else(|e| panic!("{e}"));
    let wrapper = bin.path().join("kpipe");
    std::fs::write(
        &wrapper,
        format!(
            "#!/bin/sh\nif [ \"$1\" = submit ]; then shift; exec '{KPIPE}' submit --poll-ms=50 \"$@\"; fi\nexec '{KPIPE}' \"$@\"\n"
        ),
    )
    .unwrap_or_else(|e| panic!("{e}"));
    std::fs::set_permissions(
        &wrapper,
        std::os::unix::fs::PermissionsExt::from_mode(0o755),
    )
    .unwrap_or_else(|e| panic!("{e}"));
    let path = format!(
        "{}:{}",
        bin.path().display(),
        std::env::var("PATH").unwrap_or_default()
    );
    let program = if argv[0] == "kpipe" {
        wrapper.to_string_lossy().into_owned()
    } else {
        argv[0].clone()
    };
    Command::new(program)
        .args(&argv[1..])
        .envs(env.iter().copied())
        .env("PATH", path)
        .env("KUBECONFIG", kubeconfig)
        .env_remove("KUBERNETES_SERVICE_HOST")
        .env_remove("ARGO_TOKEN")
        .current_dir(cwd)
        .output_within(RUN)
}

fn submitted_params(cluster: &crate::submit_argo::Shared) -> Value {
    let c = lock(cluster);
    assert!(c.schema_errors.is_empty(), "{:#?}", c.schema_errors);
    let create = c
        .requests
        .iter()
        .find(|r| r.0 == "POST")
        .unwrap_or_else(|| panic!("nothing was submitted"));
    create.3["spec"]["arguments"]["parameters"].clone()
}

fn git(dir: &Path, args: &[&str]) {
    let ok = Command::new("git")
        .args([
            "-c",
            "user.name=kpipe",
            "-c",
            "user.email=kpipe@example.com",
        ])
        .args(args)
        .current_dir(dir)
        .status()
        .unwrap_or_else(|e| panic!("git: {e}"))
        .success();
    assert!(ok, "git {args:?}");
}

#[test]
fn every_job_submits_the_pipeline_as_prow_runs_it() {
    let jobs = generated(&[]);
    let tmp = tempfile::tempdir().unwrap_or_else(|e| panic!("{e}"));

    // Presubmit: the PR's number and head commit, logs streamed.
    let (server, cluster, _rt) = apiserver(|c| {
        c.script = vec![Event::Phase("Running"), Event::Phase("Succeeded")];
    });
    let kc = kubeconfig(tmp.path(), &server);
    let presubmit = &jobs["presubmits"][REPO][0];
    let env = [
        ("JOB_TYPE", "presubmit"),
        ("PULL_NUMBER", "1234"),
        ("PULL_PULL_SHA", "0123abcdef"),
        ("PULL_BASE_SHA", "fedcba9876"),
    ];
    let out = run_job(presubmit, &env, &kc, tmp.path());
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert_eq!(out.status.code(), Some(0), "{stderr}");
    assert!(
        stderr.contains(&format!("kubeflow/test-1234-0123abcdef-{SUFFIX}")),
        "{stderr}"
    );
    assert!(String::from_utf8_lossy(&out.stdout).contains("train | epoch 2 loss 0.33"));
    assert_eq!(
        submitted_params(&cluster),
        json!([{"name": "pr", "value": "1234"}, {"name": "commit", "value": "0123abcdef"}, {"name": "repo", "value": "git@github.com:kpipe/kubernetes-analysis-data.git"}, {"name": "offline", "value": "false"}, {"name": "push", "value": "true"}, {"name": "dry-run", "value": "false"}, {"name": "device", "value": "auto"}])
    );

    // Postsubmit: Prow's clone of the pushed commit; the pipeline's own data
    // commits (`[skip]`) do not run it again.
    let clone = tmp.path().join("clone");
    std::fs::create_dir(&clone).unwrap_or_else(|e| panic!("{e}"));
    git(&clone, &["init", "-q"]);
    git(
        &clone,
        &["commit", "-q", "--allow-empty", "-m", "Update data [skip]"],
    );
    let (server, cluster, _rt) = apiserver(|c| {
        c.script = vec![Event::Phase("Succeeded")];
    });
    let kc = kubeconfig(tmp.path(), &server);
    let postsubmit = &jobs["postsubmits"][REPO][0];
    let env = [("JOB_TYPE", "postsubmit"), ("PULL_BASE_SHA", "5678beef")];
    let out = run_job(postsubmit, &env, &kc, &clone);
    assert_eq!(out.status.code(), Some(0));
    assert!(
        String::from_utf8_lossy(&out.stdout).contains("commit message contains [skip]"),
        "{}",
        String::from_utf8_lossy(&out.stdout)
    );
    assert!(lock(&cluster).requests.is_empty());
    git(
        &clone,
        &["commit", "-q", "--allow-empty", "-m", "Tune the model"],
    );
    let out = run_job(postsubmit, &env, &kc, &clone);
    assert_eq!(
        out.status.code(),
        Some(0),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    assert_eq!(
        submitted_params(&cluster),
        json!([{"name": "pr", "value": ""}, {"name": "commit", "value": "5678beef"}, {"name": "repo", "value": "git@github.com:kpipe/kubernetes-analysis-data.git"}, {"name": "offline", "value": "false"}, {"name": "push", "value": "true"}, {"name": "dry-run", "value": "false"}, {"name": "device", "value": "auto"}])
    );

    // Periodic: the full pipeline on its defaults; a failed workflow fails
    // the job.
    let (server, cluster, _rt) = apiserver(|c| {
        c.script = vec![Event::Phase("Running"), Event::Phase("Failed")];
    });
    let kc = kubeconfig(tmp.path(), &server);
    let out = run_job(
        &jobs["periodics"][0],
        &[("JOB_TYPE", "periodic")],
        &kc,
        tmp.path(),
    );
    assert_eq!(out.status.code(), Some(1));
    assert_eq!(
        submitted_params(&cluster),
        json!([{"name": "pr", "value": ""}, {"name": "commit", "value": ""}, {"name": "repo", "value": "git@github.com:kpipe/kubernetes-analysis-data.git"}, {"name": "offline", "value": "false"}, {"name": "push", "value": "true"}, {"name": "dry-run", "value": "false"}, {"name": "device", "value": "auto"}])
    );
}

/// With --kfp the jobs submit to Kubeflow Pipelines: through v2beta1 (the
/// pipeline's IR, typed parameters) by default, through v1beta1 (the Argo
/// Workflow) with --kfp-api v1; each run as Prow runs it against the fake
/// KFP API server of that version.
#[test]
fn kfp_jobs_submit_through_either_api() {
    use crate::kfp_fake::{Step, TOKEN, lock, yaml_value};
    let tmp = tempfile::tempdir().unwrap_or_else(|e| panic!("{e}"));
    // No Kubernetes API is used: a kubeconfig that would fail if it were.
    let kc = kubeconfig(tmp.path(), "http://127.0.0.1:1");
    let env = [
        ("JOB_TYPE", "presubmit"),
        ("PULL_NUMBER", "1234"),
        ("PULL_PULL_SHA", "0123abcdef"),
        ("PULL_BASE_SHA", "fedcba9876"),
        ("KPIPE_KFP_TOKEN", TOKEN),
    ];

    let (url, kfp, _rt) = crate::submit_kfp_v2::server(|k| {
        k.script = vec![Step::State("SUCCEEDED")];
    });
    let jobs = generated(&["--kfp", &url]);
    let presubmit = &jobs["presubmits"][REPO][0];
    let args = strings(&presubmit["spec"]["containers"][0]["args"]);
    assert!(!args.iter().any(|a| a.starts_with("--kfp-api")), "{args:?}");
    let out = run_job(presubmit, &env, &kc, tmp.path());
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert_eq!(out.status.code(), Some(0), "{stderr}");
    assert!(
        stderr.contains("Created run test-1234-0123abcdef (r-1)"),
        "{stderr}"
    );
    {
        let c = lock(&kfp);
        assert!(c.schema_errors.is_empty(), "{:#?}", c.schema_errors);
        assert_eq!(
            c.runs[0]["runtime_config"]["parameters"],
            json!({"pr": "1234", "commit": "0123abcdef"})
        );
        let ir = &c.uploads[0].yaml;
        let spec = yaml_value(ir.split("\n---\n").next().unwrap_or(""));
        assert_eq!(spec["schemaVersion"], "2.1.0", "{ir}");
    }

    let (url, kfp, _rt) = crate::submit_kfp::server(|k| k.script = vec![Step::State("Succeeded")]);
    let jobs = generated(&["--kfp", &url, "--kfp-api", "v1"]);
    let presubmit = &jobs["presubmits"][REPO][0];
    let args = strings(&presubmit["spec"]["containers"][0]["args"]);
    assert!(args.contains(&"--kfp-api=v1".to_owned()), "{args:?}");
    let out = run_job(presubmit, &env, &kc, tmp.path());
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert_eq!(out.status.code(), Some(0), "{stderr}");
    let c = lock(&kfp);
    assert!(c.schema_errors.is_empty(), "{:#?}", c.schema_errors);
    assert_eq!(
        c.runs[0]["pipeline_spec"]["parameters"],
        json!([{"name": "pr", "value": "1234"}, {"name": "commit", "value": "0123abcdef"}])
    );
}

#[test]
fn bad_options_are_refused() {
    let out = Command::new(KPIPE)
        .args(["prow", "--repo", "kubernetes", "--image", IMAGE])
        .output_within(RUN);
    assert_eq!(out.status.code(), Some(1));
    assert!(String::from_utf8_lossy(&out.stderr).contains("--repo must be ORG/REPO"));
    let out = kpipe_prow(&["--interval", "daily"]);
    assert_eq!(out.status.code(), Some(1));
    assert!(String::from_utf8_lossy(&out.stderr).contains("--interval must be a Go duration"));
    let out = kpipe_prow(&["nope"]);
    assert_eq!(out.status.code(), Some(1));
    assert!(String::from_utf8_lossy(&out.stderr).contains("unknown pipeline `nope`"));
}
