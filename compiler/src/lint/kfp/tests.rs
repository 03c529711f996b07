use crate::lint::{Format, LintIssue, format_of, lint_kfp};

/// kfp 2.17.3's output for `testdata/kfp2-small.py`.
const SMALL: &str = include_str!("testdata/kfp2-small.yaml");

/// `SMALL` with `from` replaced by `to` (which must occur).
fn broken(from: &str, to: &str) -> String {
    assert!(SMALL.contains(from), "fixture lacks `{from}`");
    SMALL.replacen(from, to, 1)
}

fn problems(text: &str) -> Vec<String> {
    lint_kfp(text).iter().map(LintIssue::to_string).collect()
}

/// Exactly one problem, at `path`, whose message contains `words`.
fn assert_one(text: &str, path: &str, words: &str) {
    let found = problems(text);
    assert_eq!(found.len(), 1, "{found:#?}");
    assert!(
        found[0].starts_with(&format!("{path}: ")) && found[0].contains(words),
        "{found:#?}"
    );
}

#[test]
fn accepts_kfps_own_output() {
    assert_eq!(problems(SMALL), Vec::<String>::new());
    assert_eq!(format_of(SMALL), Format::KfpIr);
}

#[test]
fn tells_ir_from_argo() {
    assert_eq!(
        format_of("apiVersion: argoproj.io/v1alpha1\nkind: Workflow\n"),
        Format::Argo
    );
    assert_eq!(format_of("pipelineInfo:\n  name: x\n"), Format::KfpIr);
    assert_eq!(format_of("a: [1"), Format::Argo);
}

#[test]
fn misspelt_keys_everywhere() {
    assert_one(
        &broken(
            "        taskInfo:\n          name: full-run",
            "        taskInfos:\n          name: full-run",
        ),
        "root.dag.tasks[condition-1].taskInfos",
        "unknown key `taskInfos`: PipelineTaskSpec has no such field",
    );
    // deploymentSpec is a Struct in the proto; KFP's backend drops unknown
    // keys there silently.
    assert_one(
        &broken(
            "        image: example.invalid/kpipe/tools:1.0\n        resources:\n          cpuLimit: 1.0",
            "        image: example.invalid/kpipe/tools:1.0\n        resources:\n          cpuLimt: 1.0",
        ),
        "deploymentSpec.executors[exec-make-data].container.resources.cpuLimt",
        "unknown key `cpuLimt`",
    );
    // So is each platform executor; the apiserver ignores a platform
    // document that does not parse.
    assert_one(
        &broken(
            "          - mountPath: /secrets/api",
            "          - mountPth: /secrets/api",
        ),
        "platforms[kubernetes].deploymentSpec.executors[exec-use-data].secretAsVolume[0].mountPth",
        "unknown key `mountPth`: SecretAsVolume has no such field (known: mountPath,",
    );
    assert_one(
        &broken(
            "platforms:\n  kubernetes:\n    deploymentSpec:",
            "platforms:\n  kubernetes:\n    deploymentSpecs:",
        ),
        "platforms[kubernetes].deploymentSpecs",
        "unknown key",
    );
}

#[test]
fn kinds_enums_oneofs_and_snake_case_names() {
    assert_one(
        &broken("maxRetryCount: 2", "maxRetryCount: two"),
        "root.dag.tasks[make-data].retryPolicy.maxRetryCount",
        "expected an integer, found \"two\"",
    );
    assert_one(
        &broken("backoffDuration: 30s", "backoffDuration: 30 seconds"),
        "root.dag.tasks[make-data].retryPolicy.backoffDuration",
        "expected a duration",
    );
    assert_one(
        &broken(
            "parameterType: NUMBER_INTEGER\n  comp-use-data",
            "parameterType: INTEGER\n  comp-use-data",
        ),
        "components[comp-make-data].outputDefinitions.parameters[rows].parameterType",
        "expected one of",
    );
    assert_one(
        &broken(
            "                componentInputParameter: pipelinechannel--mode\n              rows",
            "                componentInputParameter: pipelinechannel--mode\n                runtimeValue:\n                  constant: x\n              rows",
        ),
        "components[comp-condition-1].dag.tasks[use-data].inputs.parameters[mode].runtimeValue",
        "oneof `kind`",
    );
    // Protobuf's JSON parsers accept the proto field name too.
    assert_eq!(
        problems(&broken("maxRetryCount: 2", "max_retry_count: 2")),
        Vec::<String>::new()
    );
}

#[test]
fn references_dependencies_and_cycles() {
    assert_one(
        &broken(
            "        dependentTasks:\n        - make-data",
            "        dependentTasks:\n        - make-dat",
        ),
        "root.dag.tasks[condition-1].dependentTasks[0]",
        "`make-dat` is not a task of this DAG",
    );
    assert_one(
        &broken(
            "          name: comp-use-data",
            "          name: comp-use-dat",
        ),
        "components[comp-condition-1].dag.tasks[use-data].componentRef.name",
        "component `comp-use-dat` is not in components",
    );
    assert_one(
        &broken(
            "executorLabel: exec-use-data",
            "executorLabel: exec-use-dat",
        ),
        "components[comp-use-data].executorLabel",
        "executor `exec-use-dat` is not in deploymentSpec.executors",
    );
    let cycle = broken(
        "      make-data:\n        cachingOptions:",
        "      make-data:\n        dependentTasks:\n        - condition-1\n        cachingOptions:",
    );
    assert_one(
        &cycle,
        "root.dag.tasks",
        "dependencies form a cycle: condition-1 → make-data → condition-1",
    );
    assert_one(
        &broken("outputArtifactKey: data", "outputArtifactKey: dat"),
        "root.dag.tasks[condition-1].inputs.artifacts[pipelinechannel--make-data-data].taskOutputArtifact.outputArtifactKey",
        "task `make-data` has no output artifact `dat`",
    );
    assert_one(
        &broken(
            "              componentInputParameter: mode",
            "              componentInputParameter: mod",
        ),
        "root.dag.tasks[condition-1].inputs.parameters[pipelinechannel--mode].componentInputParameter",
        "`mod` is not an input parameter of the enclosing component",
    );
}

#[test]
fn placeholders_and_conditions_name_declared_inputs() {
    assert_one(
        &broken(
            "'{{$.inputs.parameters[''greeting'']}}'",
            "'{{$.inputs.parameters[''greting'']}}'",
        ),
        "deploymentSpec.executors[exec-make-data].container.args[1]",
        "placeholder names input parameter `greting`",
    );
    assert_one(
        &broken(
            "'{{$.outputs.parameters[''rows''].output_file}}'",
            "'{{$.outputs.parameters[''row''].output_file}}'",
        ),
        "deploymentSpec.executors[exec-make-data].container.args[3]",
        "output parameter `row`",
    );
    assert_one(
        &broken(
            "condition: inputs.parameter_values['pipelinechannel--mode']",
            "condition: inputs.parameter_values['pipelinechannel--mod']",
        ),
        "root.dag.tasks[condition-1].triggerPolicy.condition",
        "reads `pipelinechannel--mod`, which is not an input parameter of this task",
    );
}

#[test]
fn every_problem_at_once_and_bad_documents() {
    let many = broken("maxRetryCount: 2", "maxRetryCount: two")
        .replacen("executorLabel: exec-use-data", "executorLabel: nope", 1)
        .replacen("schemaVersion: 2.1.0", "schemaVersion: 2.0.0", 1);
    assert_eq!(problems(&many).len(), 3, "{:#?}", problems(&many));
    assert_one("a: [1", "line 1, column 4", "not valid YAML");
    assert_one(
        "---\na: 1\n---\nb: 2\n---\nc: 3\n",
        "document",
        "found 3 documents",
    );
}
