//! `kpipe retry` (Argo) against the fake Kubernetes API server of
//! `submit_argo`, through kube's real client: the Workflow written back has
//! exactly the changes `argo retry` makes (and validates against Argo's CRD
//! like every write), the failed step's pod is deleted before it, a `409
//! Conflict` reads the Workflow again, `--restart-successful --node` runs
//! chosen succeeded steps again, the retried workflow is followed to its end
//! with `submit`'s exit codes, and the refusals say what to do.

use std::path::Path;
use std::process::{Command, Output};

use kpipe_testkit::{CommandExt, RUN, text};
use serde_json::{Value, json};

use crate::submit_argo::{Cluster, Event, apiserver, crd_validator, kubeconfig, lock, named_pod};

const KPIPE: &str = env!("CARGO_BIN_EXE_kpipe");
const WF: &str = "ci-x7k2p";
const NS: &str = "ci";
/// Argo's node ids and pod names end in the FNV-1a hash of the node's name
/// (`ci-x7k2p.train` → 622743060).
const CHECKOUT: &str = "ci-x7k2p-3756223330";
const LINT: &str = "ci-x7k2p-1214829767";
const TRAIN: &str = "ci-x7k2p-622743060";
const PREDICT: &str = "ci-x7k2p-2352168839";
const TRAIN_POD: &str = "ci-x7k2p-train-622743060";
const CHECKOUT_POD: &str = "ci-x7k2p-checkout-3756223330";
const PREDICT_POD: &str = "ci-x7k2p-predict-2352168839";

fn container(name: &str) -> Value {
    json!({"name": name, "container": {"image": "ghcr.io/kpipe/kpipe-step:0.1.0",
        "command": ["kpipe-step"], "args": [name]}})
}

fn step(id: &str, name: &str, kind: &str, phase: &str, children: &[&str]) -> Value {
    let mut n = json!({"id": id, "name": format!("{WF}.{name}"), "displayName": name,
        "type": kind, "phase": phase, "boundaryID": WF, "templateName": name,
        "templateScope": format!("local/{WF}"), "startedAt": "2026-11-26T10:00:08Z",
        "finishedAt": "2026-11-26T10:00:20Z"});
    if !children.is_empty() {
        n["children"] = json!(children);
    }
    n
}

/// Workflow `ci-x7k2p` as the controller leaves it: `checkout` succeeded,
/// `lint` was skipped by its `when`, `train` failed and `predict` (after
/// train) was omitted. With `succeeded`, every step but `lint` succeeded.
fn finished(succeeded: bool) -> Value {
    let (phase, train, predict) = if succeeded {
        ("Succeeded", "Succeeded", ("Pod", "Succeeded"))
    } else {
        ("Failed", "Failed", ("Skipped", "Omitted"))
    };
    let mut train = step(TRAIN, "train", "Pod", train, &[PREDICT]);
    let mut lint = step(LINT, "lint", "Skipped", "Skipped", &[]);
    lint["message"] = json!("when ''42' == ''' evaluated false");
    let mut predict = step(PREDICT, "predict", predict.0, predict.1, &[]);
    let mut root = json!({"id": WF, "name": WF, "displayName": WF, "type": "DAG", "phase": phase,
        "templateName": "main", "templateScope": format!("local/{WF}"), "children": [CHECKOUT],
        "outboundNodes": [LINT, PREDICT], "startedAt": "2026-11-26T10:00:00Z",
        "finishedAt": "2026-11-26T10:00:21Z"});
    let mut status = json!({"phase": phase, "startedAt": "2026-11-26T10:00:00Z",
        "finishedAt": "2026-11-26T10:00:21Z", "progress": "2/3",
        "conditions": [{"type": "PodRunning", "status": "False"}, {"type": "Completed", "status": "True"}]});
    if !succeeded {
        train["message"] = json!("Error (exit code 1)");
        predict["message"] = json!("omitted: depends condition not met");
        let failed = format!("child '{TRAIN}' failed");
        root["message"] = json!(failed);
        status["message"] = json!(failed);
    }
    status["nodes"] = json!({
        WF: root,
        CHECKOUT: step(CHECKOUT, "checkout", "Pod", "Succeeded", &[LINT, TRAIN]),
        LINT: lint,
        TRAIN: train,
        PREDICT: predict,
    });
    json!({
        "apiVersion": "argoproj.io/v1alpha1",
        "kind": "Workflow",
        "metadata": {
            "name": WF, "namespace": NS, "uid": "0b6f3c1e", "resourceVersion": "41",
            "creationTimestamp": "2026-11-26T10:00:00Z",
            "labels": {"workflows.argoproj.io/completed": "true", "workflows.argoproj.io/phase": phase},
            "annotations": {"workflows.argoproj.io/pod-name-format": "v2"},
        },
        "spec": {
            "entrypoint": "main",
            "arguments": {"parameters": [{"name": "pr", "value": "42"}]},
            "templates": [
                {"name": "main", "dag": {"tasks": [
                    {"name": "checkout", "template": "checkout"},
                    {"name": "lint", "template": "lint", "depends": "checkout",
                     "when": "'{{workflow.parameters.pr}}' == ''"},
                    {"name": "train", "template": "train", "depends": "checkout"},
                    {"name": "predict", "template": "predict", "depends": "train"},
                ]}},
                container("checkout"), container("lint"), container("train"), container("predict"),
            ],
        },
        "status": status,
    })
}

/// The fake cluster with `workflow` and the pods of its steps that ran.
fn with_workflow(
    workflow: Value,
    setup: impl FnOnce(&mut Cluster),
) -> (String, crate::submit_argo::Shared, tokio::runtime::Runtime) {
    let succeeded = workflow["status"]["phase"] == "Succeeded";
    apiserver(move |c| {
        c.pods = vec![
            named_pod(NS, WF, "checkout", CHECKOUT_POD),
            named_pod(NS, WF, "train", TRAIN_POD),
        ];
        if succeeded {
            c.pods.push(named_pod(NS, WF, "predict", PREDICT_POD));
        }
        c.workflow = Some(workflow);
        setup(c);
    })
}

fn retry(kubeconfig: &Path, args: &[&str]) -> Output {
    Command::new(KPIPE)
        .args(["retry", "--poll-ms=50"])
        .args(args)
        .env("KUBECONFIG", kubeconfig)
        .env_remove("KUBERNETES_SERVICE_HOST")
        .output_within(RUN)
}

/// The requests of `method`, in order.
fn sent<'a>(c: &'a Cluster, method: &str) -> Vec<&'a (String, String, String, Value)> {
    c.requests.iter().filter(|r| r.0 == method).collect()
}

/// `node`'s `startedAt` was set when kpipe ran (not before `since`):
/// replaced by `NOW` for comparison.
fn started_now(node: &mut Value, since: &str) {
    let at = node["startedAt"].as_str().unwrap_or("").to_owned();
    assert!(
        at.len() == 20 && at.ends_with('Z') && at.as_str() >= since,
        "startedAt {at} is not a time since {since}"
    );
    node["startedAt"] = json!("NOW");
}

fn now() -> String {
    let out = Command::new("date")
        .args(["-u", "+%Y-%m-%dT%H:%M:%SZ"])
        .output_within(RUN);
    text(&out.stdout).trim().to_owned()
}

#[test]
fn a_failed_step_runs_again_with_argos_changes_and_is_followed() {
    let (server, cluster, _rt) = with_workflow(finished(false), |c| {
        c.script = vec![Event::Phase("Running"), Event::Phase("Succeeded")];
    });
    let tmp = tempfile::tempdir().unwrap_or_else(|e| panic!("{e}"));
    let kc = kubeconfig(tmp.path(), &server);
    let since = now();
    let out = retry(&kc, &[WF, "-n", NS, "--logs"]);
    let (stdout, stderr) = (text(&out.stdout), text(&out.stderr));
    assert_eq!(out.status.code(), Some(0), "{stdout}\n{stderr}");
    for line in [
        &format!("Deleted pod {TRAIN_POD}"),
        &format!("Retrying workflow {NS}/{WF}: train run again"),
        "step train: Succeeded",
        &format!("workflow {NS}/{WF} succeeded"),
    ] {
        assert!(stderr.contains(line), "missing `{line}` in:\n{stderr}");
    }
    // Only the step that ran again is streamed: checkout's pod is the
    // earlier attempt's.
    assert!(stdout.contains("train | epoch 2 loss 0.33"), "{stdout}");
    assert!(!stdout.contains("checkout |"), "{stdout}");

    let c = lock(&cluster);
    assert!(c.schema_errors.is_empty(), "{:#?}", c.schema_errors);
    let methods: Vec<&str> = (c.requests.iter()).map(|r| r.0.as_str()).collect();
    assert_eq!(methods, ["DELETE", "PUT"], "the pod goes first");
    assert_eq!(
        c.requests[0].1,
        format!("/namespaces/{NS}/pods/{TRAIN_POD}")
    );
    let (_, path, content_type, body) = &c.requests[1];
    assert_eq!(path, &format!("/namespaces/{NS}/workflows/{WF}"));
    assert!(
        content_type.starts_with("application/json"),
        "{content_type}"
    );
    // The check can fail: a field the API server would prune.
    let mut typo = body.clone();
    typo["status"]["nodes"][WF]["phsae"] = json!("Running");
    assert!(!crd_validator().is_valid(&typo));

    // Exactly what `argo retry` changes: train and predict (after it) are
    // gone, the DAG runs again, the rest is kept without them.
    let before = finished(false);
    let mut expected = before["status"]["nodes"].clone();
    let nodes = expected.as_object_mut().unwrap_or_else(|| panic!("nodes"));
    nodes.remove(TRAIN);
    nodes.remove(PREDICT);
    nodes[CHECKOUT]["children"] = json!([LINT]);
    let root = &mut nodes[WF];
    root["phase"] = json!("Running");
    root["startedAt"] = json!("NOW");
    root["outboundNodes"] = json!([LINT]);
    let root = root.as_object_mut().unwrap_or_else(|| panic!("root"));
    root.remove("finishedAt");
    root.remove("message");
    let mut written = body["status"]["nodes"].clone();
    started_now(&mut written[WF], &since);
    assert_eq!(written, expected);

    // The workflow runs again, written at the version it was read at.
    assert_eq!(body["metadata"]["resourceVersion"], "41");
    assert_eq!(
        body["metadata"]["labels"],
        json!({"workflows.argoproj.io/phase": "Running"})
    );
    let status = &body["status"];
    assert_eq!(status["phase"], "Running");
    assert!(
        status.get("finishedAt").is_none() && status.get("message").is_none(),
        "{status}"
    );
    assert!(
        status["startedAt"].as_str() >= Some(since.as_str()),
        "{status}"
    );
    assert_eq!(
        status["conditions"],
        json!([{"type": "PodRunning", "status": "False"}, {"type": "Completed", "status": "False"}])
    );
    // Everything else is as it was.
    for (key, value) in before.as_object().into_iter().flatten() {
        if key != "metadata" && key != "status" {
            assert_eq!(&body[key], value, "{key}");
        }
    }
}

#[test]
fn a_conflict_reads_the_workflow_again() {
    let (server, cluster, _rt) = with_workflow(finished(false), |c| c.conflict_once = true);
    let tmp = tempfile::tempdir().unwrap_or_else(|e| panic!("{e}"));
    let kc = kubeconfig(tmp.path(), &server);
    // NAMESPACE/NAME, as `submit` prints it; without --wait the name is printed.
    let out = retry(&kc, &[&format!("{NS}/{WF}")]);
    let stderr = text(&out.stderr);
    assert_eq!(out.status.code(), Some(0), "{stderr}");
    assert_eq!(text(&out.stdout).trim(), WF);
    assert!(
        stderr.contains(&format!(
            "workflow {NS}/{WF} changed since kpipe read it (409 Conflict"
        )),
        "{stderr}"
    );
    let c = lock(&cluster);
    assert!(c.schema_errors.is_empty(), "{:#?}", c.schema_errors);
    assert_eq!(c.reads, 2, "read again after the conflict");
    let puts = sent(&c, "PUT");
    assert_eq!(puts.len(), 2);
    assert_eq!(puts[0].3["metadata"]["resourceVersion"], "41");
    // The second write starts from the fresh read: its version, and what
    // the controller wrote in between.
    let second = &puts[1].3;
    assert_eq!(second["metadata"]["resourceVersion"], "42");
    assert_eq!(
        second["metadata"]["annotations"]["controller.example/touched"],
        "true"
    );
    assert_eq!(second["status"]["phase"], "Running");
    assert!(second["status"]["nodes"].get(TRAIN).is_none());
    // The pod was deleted the first time; the second time it is gone already.
    let deletes = sent(&c, "DELETE");
    assert_eq!(deletes.len(), 2, "{deletes:?}");
    assert!(deletes.iter().all(|d| d.1.ends_with(TRAIN_POD)));
    assert_eq!(c.watches, 0, "not followed without --wait");
}

#[test]
fn restart_successful_runs_the_chosen_steps_again() {
    let (server, cluster, _rt) = with_workflow(finished(true), |c| {
        c.script = vec![Event::Phase("Running"), Event::Phase("Failed")];
    });
    let tmp = tempfile::tempdir().unwrap_or_else(|e| panic!("{e}"));
    let kc = kubeconfig(tmp.path(), &server);
    // A succeeded workflow is only retried with steps chosen...
    let out = retry(&kc, &[WF, "-n", NS]);
    let stderr = text(&out.stderr);
    assert_eq!(out.status.code(), Some(1), "{stderr}");
    assert!(
        stderr.contains(&format!("cannot retry workflow {NS}/{WF}: it succeeded, so nothing failed; to run chosen steps again, add --restart-successful --node STEP")),
        "{stderr}"
    );
    // ...that it has.
    let out = retry(
        &kc,
        &[WF, "-n", NS, "--restart-successful", "--node", "trian"],
    );
    let stderr = text(&out.stderr);
    assert_eq!(out.status.code(), Some(1), "{stderr}");
    assert!(
        stderr.contains("--node trian: no such step in it; its steps: checkout, predict, train"),
        "{stderr}"
    );
    assert!(lock(&cluster).requests.is_empty());

    let since = now();
    let out = retry(
        &kc,
        &[
            WF,
            "-n",
            NS,
            "--wait",
            "--restart-successful",
            "--node",
            "train",
        ],
    );
    let stderr = text(&out.stderr);
    // It fails this time: submit's exit code for a failed workflow.
    assert_eq!(out.status.code(), Some(1), "{stderr}");
    assert!(
        stderr.contains(&format!(
            "Retrying workflow {NS}/{WF}: train, predict run again"
        )),
        "{stderr}"
    );
    assert!(
        stderr.contains(&format!(
            "error: workflow {NS}/{WF} failed: step train failed"
        )),
        "{stderr}"
    );
    let c = lock(&cluster);
    assert!(c.schema_errors.is_empty(), "{:#?}", c.schema_errors);
    let deleted: Vec<&str> = (sent(&c, "DELETE").iter())
        .map(|d| d.1.rsplit('/').next().unwrap_or(""))
        .collect();
    assert_eq!(deleted, [TRAIN_POD, PREDICT_POD]);
    let body = &sent(&c, "PUT")[0].3;
    let mut expected = finished(true)["status"]["nodes"].clone();
    let nodes = expected.as_object_mut().unwrap_or_else(|| panic!("nodes"));
    nodes.remove(TRAIN);
    nodes.remove(PREDICT);
    nodes[CHECKOUT]["children"] = json!([LINT]);
    nodes[WF]["phase"] = json!("Running");
    nodes[WF]["startedAt"] = json!("NOW");
    nodes[WF]["outboundNodes"] = json!([LINT]);
    nodes[WF].as_object_mut().map(|o| o.remove("finishedAt"));
    let mut written = body["status"]["nodes"].clone();
    started_now(&mut written[WF], &since);
    assert_eq!(written, expected);
}

#[test]
fn refusals_say_what_to_do() {
    let tmp = tempfile::tempdir().unwrap_or_else(|e| panic!("{e}"));
    // Still running: nothing is changed.
    let mut running = finished(false);
    running["status"]["phase"] = json!("Running");
    let (server, cluster, _rt) = with_workflow(running, |_| {});
    let kc = kubeconfig(tmp.path(), &server);
    let out = retry(&kc, &[WF, "-n", NS, "--wait"]);
    let stderr = text(&out.stderr);
    assert_eq!(out.status.code(), Some(1), "{stderr}");
    assert!(
        stderr.contains(&format!("error: cannot retry workflow {NS}/{WF}: it has not finished (phase Running): only a failed workflow is retried; wait for it to end")),
        "{stderr}"
    );
    assert!(lock(&cluster).requests.is_empty());

    // No such workflow (a KFP run id, say).
    let out = retry(&kc, &["nope", "-n", NS]);
    let stderr = text(&out.stderr);
    assert_eq!(out.status.code(), Some(1), "{stderr}");
    assert!(
        stderr.contains("no workflow nope in namespace ci (workflows.argoproj.io \"nope\" not found): check the name and -n"),
        "{stderr}"
    );
    assert!(stderr.contains("--kfp URL and its run id"), "{stderr}");
    // Not a Workflow name at all: nothing is contacted.
    let out = retry(&kc, &["3F2C7A1E_run"]);
    assert_eq!(out.status.code(), Some(1));
    assert!(
        text(&out.stderr).contains("is not a Workflow name"),
        "{}",
        text(&out.stderr)
    );
    // --node needs --restart-successful (a usage error).
    let out = retry(&kc, &[WF, "--node", "train"]);
    assert_eq!(out.status.code(), Some(2), "{}", text(&out.stderr));

    // Node status offloaded to Argo's database.
    let mut offloaded = finished(false);
    offloaded["status"]["offloadNodeStatusVersion"] = json!("fnv:3431546536");
    offloaded["status"]
        .as_object_mut()
        .map(|s| s.remove("nodes"));
    let (server, cluster, _rt) = with_workflow(offloaded, |_| {});
    let kc = kubeconfig(tmp.path(), &server);
    let out = retry(&kc, &[WF, "-n", NS]);
    let stderr = text(&out.stderr);
    assert_eq!(out.status.code(), Some(1), "{stderr}");
    assert!(stderr.contains("offloaded to Argo's database"), "{stderr}");
    assert!(stderr.contains("`argo retry`"), "{stderr}");
    assert!(lock(&cluster).requests.is_empty());

    // RBAC refuses the pod deletion: the workflow is left as it was.
    let (server, cluster, _rt) = with_workflow(finished(false), |c| c.forbid_pod_delete = true);
    let kc = kubeconfig(tmp.path(), &server);
    let out = retry(&kc, &[WF, "-n", NS]);
    let stderr = text(&out.stderr);
    assert_eq!(out.status.code(), Some(1), "{stderr}");
    assert!(
        stderr.contains(&format!("not allowed to delete pod {TRAIN_POD} in namespace {NS} (a step that runs again) (403 Forbidden)")),
        "{stderr}"
    );
    assert!(stderr.contains("delete on pods"), "{stderr}");
    assert!(sent(&lock(&cluster), "PUT").is_empty());
}
