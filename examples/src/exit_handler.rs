//! An exit handler that always runs and reports how the workflow ended, plus
//! workflow lifecycle settings: service account, pod GC and TTL.

use kpipe::{ContainerStep, Pipeline, PodGc, Ttl, Value};

/// The example pipeline.
pub fn pipeline() -> Pipeline {
    let p = Pipeline::new("exit-handler");
    p.description("an exit handler that reports the workflow status; pod GC and TTL")
        .image("alpine:3.20")
        .service_account("workflow-runner")
        .pod_gc(PodGc::OnPodSuccess)
        .ttl(Ttl::after_completion(86_400).after_failure(604_800));
    let channel = p.string_param("channel", "#ml-builds");
    p.add(ContainerStep::new(
        "work",
        ["sh", "-c", "echo working; exit 0"],
    ));
    p.on_exit(
        ContainerStep::new("notify", ["echo"])
            .arg(Value::WorkflowName)
            .arg("finished with status")
            .arg(Value::WorkflowStatus)
            .arg("to")
            .arg(&channel),
    );
    p
}
