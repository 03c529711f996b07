//! Exit handlers: `notify` runs after everything else, whether the run
//! succeeded or failed, and sees how it ended (`Value::WorkflowStatus`) and
//! the run's parameters. A skipped task does not fail a run; a failed one
//! does, and the tasks after it do not run.

use kpipe::Value;

use crate::model::{Fate, echo, fail};
use crate::{Col, Row, report, run_row};

const FINAL_STATUS: &str = "PipelineTaskFinalStatus JSON";

/// What KFP's exit handler sees: its group's final status, as JSON.
fn final_status(state: &str) -> String {
    serde_json::json!({
        "error": {},
        "pipelineJobResourceName": "semantics-abcde",
        "pipelineTaskName": "exit-handler-1",
        "state": state,
    })
    .to_string()
}

fn table() -> Vec<Row> {
    vec![
        Row {
            given: &[("who", "you")],
            kfp: Col::Loss(FINAL_STATUS),
            kfp_expect: Some(|| {
                vec![
                    ("work", Fate::once(&[])),
                    ("maybe", Fate::Skipped),
                    ("notify", Fate::once(&[&final_status("SUCCEEDED"), "you"])),
                ]
            }),
            ..Row::new(
                "after a success (one task skipped)",
                |p, _| {
                    let who = p.string_param("who", "me");
                    let flag = p.bool_param("flag", false);
                    p.add(echo("work", []));
                    p.add(echo("maybe", [])).when(flag.is_true());
                    p.on_exit(echo("notify", [Value::WorkflowStatus, Value::from(&who)]));
                },
                || {
                    vec![
                        ("work", Fate::once(&[])),
                        ("maybe", Fate::Skipped),
                        ("notify", Fate::once(&["Succeeded", "you"])),
                    ]
                },
            )
        },
        Row {
            kfp: Col::Loss(FINAL_STATUS),
            kfp_expect: Some(|| {
                vec![
                    ("work", Fate::Failed(vec![vec![]])),
                    ("after", Fate::NotRun),
                    ("other", Fate::once(&[])),
                    ("notify", Fate::once(&[&final_status("FAILED"), "me"])),
                ]
            }),
            ..Row::new(
                "after a failure (its dependant not run, an independent task run)",
                |p, b| {
                    let who = p.string_param("who", "me");
                    let work = p.add(fail(b, "work", []));
                    p.add(echo("after", [])).after(&work);
                    p.add(echo("other", []));
                    p.on_exit(echo("notify", [Value::WorkflowStatus, Value::from(&who)]));
                },
                || {
                    vec![
                        ("work", Fate::Failed(vec![vec![]])),
                        ("after", Fate::NotRun),
                        ("other", Fate::once(&[])),
                        ("notify", Fate::once(&["Failed", "me"])),
                    ]
                },
            )
        },
    ]
}

#[test]
fn the_exit_handler_runs_last_and_sees_how_the_run_ended() {
    let mut lines = Vec::new();
    let mut problems = Vec::new();
    for row in table() {
        let (ran, line) = run_row(&row, &mut problems);
        // Argo: `onExit` names the handler's template; KFP: the handler
        // waits for the group of every other task, whatever its end.
        let succeeded = (row.expect)()
            .iter()
            .any(|(t, f)| *t == "notify" && *f == Fate::once(&["Succeeded", "you"]));
        if let Ok(run) = &ran.argo {
            let status = if succeeded { "Succeeded" } else { "Failed" };
            if run.status != status {
                problems.push(format!(
                    "{}: Argo's workflow.status {}",
                    row.name, run.status
                ));
            }
        }
        if let Ok((_, run)) = &ran.kfp
            && run.succeeded != succeeded
        {
            problems.push(format!(
                "{}: KFP's root DAG succeeded: {}",
                row.name, run.succeeded
            ));
        }
        let on_exit = &ran.workflow["spec"]["onExit"];
        if on_exit != "notify" {
            problems.push(format!("{}: Argo onExit is {on_exit}", row.name));
        }
        if let Ok((spec, _)) = &ran.kfp {
            let notify = &spec["root"]["dag"]["tasks"]["notify"];
            let wanted = serde_json::json!({
                "dependentTasks": ["exit-handler-1"],
                "strategy": "ALL_UPSTREAM_TASKS_COMPLETED",
                "status": {"taskFinalStatus": {"producerTask": "exit-handler-1"}},
            });
            let got = serde_json::json!({
                "dependentTasks": notify["dependentTasks"],
                "strategy": notify["triggerPolicy"]["strategy"],
                "status": notify["inputs"]["parameters"]["workflow-status"],
            });
            if got != wanted {
                problems.push(format!("{}: KFP's notify: {got:#}", row.name));
            }
        }
        lines.push(line);
    }
    report("exit handlers", &lines, &problems);
}
