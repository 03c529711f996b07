//! The retry plan against the cases Argo's own tests pin
//! (`TestFormulateRetryWorkflow` and friends in `workflow/util/util_test.go`,
//! v3.6.19: the same inputs, the same expected nodes and pod counts), and
//! the shapes kpipe's workflows take (DAG with `when`, retries, loops, exit
//! handler, container sets, steps).

use serde_json::{Value, json};

use super::*;

const NOW: &str = "2026-11-27T09:00:00Z";

/// A node: id, name, type, phase, boundary and children.
fn node(id: &str, name: &str, kind: &str, phase: &str, boundary: &str, children: &[&str]) -> Value {
    let mut n = json!({"id": id, "name": name, "displayName": name.rsplit('.').next().unwrap_or(name),
        "type": kind, "phase": phase, "startedAt": "2026-11-26T10:00:00Z"});
    if phase != "Running" {
        n["finishedAt"] = json!("2026-11-26T10:05:00Z");
    }
    if !boundary.is_empty() {
        n["boundaryID"] = json!(boundary);
    }
    if !children.is_empty() {
        n["children"] = json!(children);
    }
    n
}

fn workflow(name: &str, phase: &str, nodes: &[Value]) -> Value {
    let nodes: Map<String, Value> = nodes
        .iter()
        .map(|n| (n["id"].as_str().unwrap_or("").to_owned(), n.clone()))
        .collect();
    json!({
        "apiVersion": "argoproj.io/v1alpha1", "kind": "Workflow",
        "metadata": {"name": name, "namespace": "ci", "resourceVersion": "7",
            "labels": {PHASE_LABEL: phase, COMPLETED_LABEL: "true"}},
        "spec": {"entrypoint": "main"},
        "status": {"phase": phase, "message": "child failed", "startedAt": "2026-11-26T10:00:00Z",
            "finishedAt": "2026-11-26T10:05:00Z", "nodes": nodes},
    })
}

fn retry(wf: &Value, nodes: &[&str]) -> Plan {
    let restart = Restart {
        nodes: nodes.iter().map(|n| (*n).to_owned()).collect(),
    };
    plan(wf, &restart, NOW).unwrap_or_else(|e| panic!("{e}"))
}

/// (id, phase) of every node left, by id.
fn phases(plan: &Plan) -> Vec<(String, String)> {
    plan.workflow["status"]["nodes"]
        .as_object()
        .into_iter()
        .flatten()
        .map(|(id, n)| (id.clone(), n["phase"].as_str().unwrap_or("").to_owned()))
        .collect()
}

/// `"ID=PHASE ID=PHASE …"` as (id, phase) pairs, as [`phases`] lists them.
fn expect(phases: &str) -> Vec<(String, String)> {
    phases
        .split_whitespace()
        .map(|pair| match pair.split_once('=') {
            Some((id, phase)) => (id.to_owned(), phase.to_owned()),
            None => panic!("`{pair}` is not ID=PHASE"),
        })
        .collect()
}

#[test]
fn argo_a_failed_dag_alone_keeps_its_node() {
    let wf = workflow(
        "my-dag",
        "Failed",
        &[node("my-dag", "my-dag", "DAG", "Failed", "", &[])],
    );
    let plan = retry(&wf, &[]);
    assert_eq!(phases(&plan), expect("my-dag=Failed"));
    assert!(plan.pods.is_empty());
}

#[test]
fn argo_continue_on_failed_keeps_a_failure_that_something_succeeded_after() {
    let root = "continue-on-failed-workflow";
    let mut top = node(root, root, "DAG", "Failed", "", &["1"]);
    top["outboundNodes"] = json!(["3", "5"]);
    let wf = workflow(
        root,
        "Failed",
        &[
            top,
            node("1", "node1", "Pod", "Succeeded", root, &["2", "4"]),
            node("2", "node2", "Pod", "Failed", root, &["3"]),
            node("3", "node3", "Pod", "Succeeded", root, &[]),
            node("4", "node4", "Pod", "Failed", root, &["5"]),
            node("5", "node5", "Skipped", "Omitted", root, &[]),
        ],
    );
    let plan = retry(&wf, &[]);
    assert_eq!(
        phases(&plan),
        expect(&format!("1=Succeeded 2=Failed 3=Succeeded {root}=Running"))
    );
    assert_eq!(plan.pods.len(), 1);
    let nodes = &plan.workflow["status"]["nodes"];
    assert_eq!(nodes["1"]["children"], json!(["2"]));
    assert_eq!(nodes[root]["outboundNodes"], json!(["3"]));
    assert_eq!(plan.steps, ["node4"]);

    // Choosing node 3 runs it, 2 (nothing after it succeeds now) and 4.
    let plan = retry(&wf, &["3"]);
    assert_eq!(
        phases(&plan),
        expect(&format!("1=Succeeded {root}=Running"))
    );
    assert_eq!(plan.pods.len(), 3);
    assert!(
        plan.workflow["status"]["nodes"]["1"]
            .get("children")
            .is_none()
    );
}

#[test]
fn argo_nested_groups_are_reset_up_to_the_workflow() {
    let nested = |name: &str, two: &str, phase: &str| {
        workflow(
            name,
            phase,
            &[
                node(name, name, "DAG", "Succeeded", "", &["1"]),
                node("1", "1", "TaskGroup", "Succeeded", name, &["2", "4"]),
                node("2", "2", two, "Succeeded", "1", &["3"]),
                node("3", "3", "Pod", "Succeeded", "2", &[]),
                node(
                    "4",
                    "4",
                    "Pod",
                    if phase == "Failed" {
                        "Failed"
                    } else {
                        "Succeeded"
                    },
                    "1",
                    &[],
                ),
            ],
        )
    };
    // "Nested DAG with Non-group Node Selected"
    let plan = retry(&nested("my-nested-dag-1", "TaskGroup", "Failed"), &["3"]);
    assert_eq!(
        phases(&plan),
        expect("1=Running 2=Running my-nested-dag-1=Running")
    );
    // "Nested DAG without Node Selected"
    let plan = retry(&nested("my-nested-dag-2", "Pod", "Failed"), &[]);
    assert_eq!(
        phases(&plan),
        expect("1=Running 2=Succeeded 3=Succeeded my-nested-dag-2=Running")
    );
    // "Retry successful workflow with restartSuccessful and nodeFieldSelector"
    let plan = retry(
        &nested("successful-workflow-2", "TaskGroup", "Succeeded"),
        &["4"],
    );
    assert_eq!(
        phases(&plan),
        expect("1=Running 2=Succeeded 3=Succeeded successful-workflow-2=Running")
    );
}

#[test]
fn argo_a_chosen_suspend_node_goes_and_a_skipped_node_stays_skipped() {
    let root = "wf-with-skipped-and-suspended-nodes";
    let mut suspended = node("suspended", "", "Suspend", "Succeeded", root, &["child"]);
    suspended["outputs"] =
        json!({"parameters": [{"name": "param-1", "value": "3", "valueFrom": {"supplied": {}}}]});
    let wf = workflow(
        root,
        "Failed",
        &[
            node(
                root,
                root,
                "DAG",
                "Succeeded",
                "",
                &["suspended", "skipped"],
            ),
            suspended,
            node("child", "", "Skipped", "Skipped", "suspended", &[]),
            node("skipped", "", "Skipped", "Skipped", "entrypoint", &[]),
        ],
    );
    let plan = retry(&wf, &["suspended"]);
    assert_eq!(
        phases(&plan),
        expect(&format!("skipped=Skipped {root}=Running"))
    );
}

/// kpipe's DAG: `checkout` succeeded, `lint` was skipped by its `when`,
/// `train` failed and `predict` after it was omitted.
fn dag() -> Value {
    let wf = "ci-x7k2p";
    let mut top = node(wf, wf, "DAG", "Failed", "", &["c"]);
    top["outboundNodes"] = json!(["l", "p"]);
    let mut lint = node("l", "ci-x7k2p.lint", "Skipped", "Skipped", wf, &[]);
    lint["message"] = json!("when 'false' evaluated false");
    let mut train = node("t", "ci-x7k2p.train", "Pod", "Failed", wf, &["p"]);
    train["templateName"] = json!("train");
    train["message"] = json!("Error (exit code 1)");
    let mut checkout = node(
        "c",
        "ci-x7k2p.checkout",
        "Pod",
        "Succeeded",
        wf,
        &["l", "t"],
    );
    checkout["templateName"] = json!("checkout");
    workflow(
        wf,
        "Failed",
        &[
            top,
            checkout,
            lint,
            train,
            node("p", "ci-x7k2p.predict", "Skipped", "Omitted", wf, &[]),
        ],
    )
}

#[test]
fn a_failed_step_and_what_follows_it_run_again() {
    let wf = dag();
    let plan = retry(&wf, &[]);
    let mut expected = wf["status"]["nodes"].clone();
    let nodes = expected.as_object_mut().unwrap_or_else(|| panic!("nodes"));
    nodes.remove("t");
    nodes.remove("p");
    nodes["c"]["children"] = json!(["l"]);
    let top = &mut nodes["ci-x7k2p"];
    top["phase"] = json!("Running");
    top["startedAt"] = json!(NOW);
    top["outboundNodes"] = json!(["l"]);
    top.as_object_mut().map(|o| o.remove("finishedAt"));
    assert_eq!(plan.workflow["status"]["nodes"], expected);
    assert_eq!(plan.pods, [format!("ci-x7k2p-train-{}", 622_743_060)]);
    assert_eq!(plan.steps, ["train"]);
}

#[test]
fn chosen_steps_run_again_with_everything_after_them() {
    let plan = retry(&dag(), &["checkout"]);
    assert_eq!(phases(&plan), expect("ci-x7k2p=Running"));
    let top = &plan.workflow["status"]["nodes"]["ci-x7k2p"];
    assert!(
        top.get("children").is_none() && top.get("outboundNodes").is_none(),
        "{top}"
    );
    assert_eq!(plan.steps, ["checkout", "train"]);
    assert_eq!(plan.pods.len(), 2);
    // by full name or id too
    assert_eq!(retry(&dag(), &["ci-x7k2p.checkout"]).pods, plan.pods);
    assert_eq!(retry(&dag(), &["c"]).pods, plan.pods);
}

#[test]
fn the_workflow_runs_again() {
    let mut wf = dag();
    wf["metadata"]["labels"][ARCHIVING_LABEL] = json!("Pending");
    wf["spec"]["shutdown"] = json!("Stop");
    wf["spec"]["activeDeadlineSeconds"] = json!(0);
    wf["status"]["conditions"] = json!([
        {"type": "PodRunning", "status": "False"},
        {"type": "Completed", "status": "True", "message": "done"},
    ]);
    wf["status"]["storedWorkflowTemplateSpec"] = json!({"entrypoint": "main", "shutdown": "Stop"});
    wf["status"]["persistentVolumeClaims"] = json!([{"name": "work"}]);
    let got = retry(&wf, &[]).workflow;
    assert_eq!(got["metadata"]["labels"], json!({PHASE_LABEL: "Running"}));
    assert_eq!(got["metadata"]["resourceVersion"], "7");
    assert_eq!(got["spec"], json!({"entrypoint": "main"}));
    let status = &got["status"];
    assert_eq!(status["phase"], "Running");
    assert_eq!(status["startedAt"], NOW);
    for gone in ["message", "finishedAt", "persistentVolumeClaims"] {
        assert!(status.get(gone).is_none(), "{gone}: {status}");
    }
    assert_eq!(
        status["conditions"],
        json!([{"type": "PodRunning", "status": "False"}, {"type": "Completed", "status": "False"}])
    );
    assert_eq!(
        status["storedWorkflowTemplateSpec"],
        json!({"entrypoint": "main"})
    );
    // a deadline someone set stays
    wf["spec"]["activeDeadlineSeconds"] = json!(600);
    assert_eq!(
        retry(&wf, &[]).workflow["spec"]["activeDeadlineSeconds"],
        600
    );
    // nothing is added to a workflow that did not have it
    let plain = retry(&dag(), &[]).workflow;
    assert!(
        plain["status"].get("storedWorkflowTemplateSpec").is_none(),
        "{plain}"
    );
}

#[test]
fn a_retried_step_in_a_loop_resets_its_retry_and_loop_nodes() {
    let wf = "lp";
    let mut attempts = Vec::new();
    for i in 0..2 {
        let mut a = node(
            &format!("a{i}"),
            &format!("lp.fetch(1:b)({i})"),
            "Pod",
            "Failed",
            wf,
            &[],
        );
        a["nodeFlag"] = json!({"retried": true});
        a["templateName"] = json!("fetch");
        attempts.push(a);
    }
    let mut nodes = vec![
        node(wf, wf, "DAG", "Failed", "", &["g"]),
        node("g", "lp.fetch", "TaskGroup", "Failed", wf, &["f0", "f1"]),
        node("f0", "lp.fetch(0:a)", "Pod", "Succeeded", wf, &[]),
        node("f1", "lp.fetch(1:b)", "Retry", "Failed", wf, &["a0", "a1"]),
    ];
    nodes.extend(attempts);
    let plan = retry(&workflow(wf, "Failed", &nodes), &[]);
    assert_eq!(
        phases(&plan),
        expect("f0=Succeeded f1=Running g=Running lp=Running")
    );
    assert!(
        plan.workflow["status"]["nodes"]["f1"]
            .get("children")
            .is_none()
    );
    assert_eq!(plan.pods.len(), 2);
    assert!(
        plan.pods.iter().all(|p| p.starts_with("lp-fetch-")),
        "{:?}",
        plan.pods
    );
}

#[test]
fn a_failed_step_of_a_steps_template_resets_its_group() {
    let wf = "st";
    let plan = retry(
        &workflow(
            wf,
            "Failed",
            &[
                node(wf, wf, "Steps", "Failed", "", &["g0"]),
                node("g0", "st[0]", "StepGroup", "Succeeded", wf, &["a"]),
                node("a", "st[0].a", "Pod", "Succeeded", wf, &["g1"]),
                node("g1", "st[1]", "StepGroup", "Failed", wf, &["b", "c"]),
                node("b", "st[1].b", "Pod", "Failed", wf, &[]),
                node("c", "st[1].c", "Pod", "Succeeded", wf, &[]),
            ],
        ),
        &[],
    );
    assert_eq!(
        phases(&plan),
        expect("a=Succeeded c=Succeeded g0=Succeeded g1=Running st=Running")
    );
    assert_eq!(
        plan.workflow["status"]["nodes"]["g1"]["children"],
        json!(["c"])
    );
}

#[test]
fn the_exit_handler_runs_again_and_a_failed_container_takes_its_pod() {
    let wf = "ex";
    let mut exit = node("x", "ex.onExit", "Pod", "Succeeded", "", &[]);
    exit["templateName"] = json!("notify");
    let plan = retry(
        &workflow(
            wf,
            "Failed",
            &[
                node(wf, wf, "DAG", "Failed", "", &["p"]),
                node("p", "ex.p", "Pod", "Failed", wf, &["m1", "m2"]),
                node("m1", "ex.p.m1", "Container", "Succeeded", wf, &[]),
                node("m2", "ex.p.m2", "Container", "Failed", wf, &[]),
                exit,
            ],
        ),
        &[],
    );
    assert_eq!(phases(&plan), expect("ex=Running"));
    assert_eq!(plan.pods.len(), 2);
    assert!(plan.pods[1].starts_with("ex-notify-"), "{:?}", plan.pods);
}

#[test]
fn reset_nodes_run_again_and_suspend_outputs_wait_to_be_supplied() {
    let mut n = node("s", "wf.s", "Suspend", "Succeeded", "", &[]);
    n["message"] = json!("resumed");
    n["outputs"] =
        json!({"parameters": [{"name": "ok", "value": "yes", "valueFrom": {"supplied": {}}}]});
    let reset = reset_node(&n, NOW);
    assert_eq!(reset["phase"], "Running");
    assert_eq!(reset["startedAt"], NOW);
    assert!(reset.get("message").is_none() && reset.get("finishedAt").is_none());
    assert_eq!(
        reset["outputs"]["parameters"],
        json!([{"name": "ok", "valueFrom": {"supplied": {}}}])
    );
    let skipped = reset_node(&node("k", "wf.k", "Skipped", "Skipped", "", &[]), NOW);
    assert_eq!(skipped["phase"], "Skipped");
    // nothing is added to a node that had no outputs
    let bare = reset_node(&node("s", "wf.s", "Suspend", "Succeeded", "", &[]), NOW);
    assert!(bare.get("outputs").is_none(), "{bare}");
}

#[test]
fn unfinished_succeeded_offloaded_and_broken_workflows_are_refused() {
    let refusal = |wf: &Value, nodes: &[&str]| {
        let restart = Restart {
            nodes: nodes.iter().map(|n| (*n).to_owned()).collect(),
        };
        plan(wf, &restart, NOW).err()
    };
    for phase in ["Running", "Pending", ""] {
        let mut wf = dag();
        wf["status"]["phase"] = json!(phase);
        assert_eq!(
            refusal(&wf, &[]),
            Some(Refusal::NotFinished {
                phase: phase.to_owned()
            })
        );
    }
    let mut wf = dag();
    wf["status"]["phase"] = json!("Succeeded");
    assert_eq!(refusal(&wf, &[]), Some(Refusal::Succeeded));
    assert_eq!(refusal(&wf, &["train"]), None);

    assert_eq!(
        refusal(&dag(), &["train", "deploy", "tran"]),
        Some(Refusal::UnknownNodes {
            names: vec!["deploy".into(), "tran".into()],
            steps: vec!["checkout".into(), "train".into()],
        })
    );

    let mut wf = dag();
    wf["status"]["offloadNodeStatusVersion"] = json!("fnv:1234");
    assert_eq!(refusal(&wf, &[]), Some(Refusal::Offloaded));
    let mut wf = dag();
    wf["status"]["compressedNodes"] = json!("H4sIAAAA");
    assert_eq!(refusal(&wf, &[]), Some(Refusal::Compressed));

    let mut wf = dag();
    wf["status"]["nodes"]["t"]["children"] = json!(["gone"]);
    let Some(Refusal::Inconsistent(why)) = refusal(&wf, &[]) else {
        panic!("a missing child is accepted")
    };
    assert!(why.contains("gone"), "{why}");
    let mut wf = dag();
    wf["status"]["nodes"]["c"]["children"] = json!(["l"]);
    let Some(Refusal::Inconsistent(why)) = refusal(&wf, &[]) else {
        panic!("an orphan is accepted")
    };
    assert!(
        why.contains("node t (ci-x7k2p.train) has no parent"),
        "{why}"
    );
    let mut wf = dag();
    wf["status"]["nodes"]["c"]["boundaryID"] = json!("nowhere");
    wf["status"]["nodes"]["c"]["type"] = json!("DAG");
    let Some(Refusal::Inconsistent(_)) = refusal(&wf, &[]) else {
        panic!("a boundary that is no ancestor is accepted")
    };
    // messages say what to do
    assert!(
        Refusal::Offloaded.to_string().contains("argo retry"),
        "{}",
        Refusal::Offloaded
    );
    assert!(
        Refusal::Succeeded
            .to_string()
            .contains("--restart-successful --node")
    );
}

#[test]
fn a_workflow_without_nodes_just_runs_again() {
    let mut wf = dag();
    wf["status"]["phase"] = json!("Error");
    wf["status"].as_object_mut().map(|s| s.remove("nodes"));
    let plan = retry(&wf, &[]);
    assert_eq!(plan.workflow["status"]["phase"], "Running");
    assert!(plan.workflow["status"].get("nodes").is_none());
    assert!(plan.pods.is_empty());
}
