//! Unit tests of the KFP target on small pipelines. The examples and
//! kubernetes-analysis are snapshotted (snapshot-tests) and checked with
//! kfp 2.17.3's own parsers (pipelines/kubernetes-analysis/tests/kfp_ir.rs).

use serde_json::Value as Json;

use crate::lint::lint_kfp;
use crate::{
    Artifact, ArtifactType, CompileError, Compiled, ContainerStep, DiagnosticKind, Io, KFP_DATASET,
    KfpFeature, KfpOptions, Memoize, Pipeline, PodGc, Resources, Retry, RetryPolicy, Schedule,
    Severity, Step, Target, Ttl, Value, Volume,
};

fn compile(p: &Pipeline) -> Compiled {
    match p.compile_kfp(&KfpOptions::default()) {
        Ok(c) => {
            let problems = lint_kfp(&c.yaml);
            assert!(problems.is_empty(), "{problems:#?}\n{}", c.yaml);
            c
        }
        Err(e) => panic!("{e}"),
    }
}

/// The first document as JSON.
fn spec(c: &Compiled) -> Json {
    match crate::emit::parse_yaml_documents(&c.yaml) {
        Ok(docs) => docs.into_iter().next().unwrap_or(Json::Null),
        Err(e) => panic!("{e:?}"),
    }
}

fn platform(c: &Compiled) -> Json {
    match crate::emit::parse_yaml_documents(&c.yaml) {
        Ok(docs) => docs.into_iter().nth(1).unwrap_or(Json::Null),
        Err(e) => panic!("{e:?}"),
    }
}

/// The KFP features of every diagnostic of a pipeline that must not compile,
/// after checking that validation reports the same.
fn errors(p: &Pipeline) -> Vec<(Option<String>, KfpFeature)> {
    let validated = p.validate_for(&Target::Kfp(KfpOptions::default()));
    match p.compile_kfp(&KfpOptions::default()) {
        Err(CompileError::Invalid(d)) => {
            assert_eq!(
                validated.as_ref().err(),
                Some(&d),
                "validate_for and compile_kfp disagree"
            );
            d.items()
                .iter()
                .filter_map(|d| match &d.kind {
                    DiagnosticKind::Kfp { task, feature } => Some((task.clone(), feature.clone())),
                    _ => None,
                })
                .collect()
        }
        other => panic!("expected diagnostics, got {other:?}"),
    }
}

fn warnings(c: &Compiled) -> Vec<KfpFeature> {
    c.warnings
        .iter()
        .map(|w| {
            assert_eq!(w.kind.severity(), Severity::Warning);
            match &w.kind {
                DiagnosticKind::Kfp { feature, .. } => feature.clone(),
                other => panic!("not a KFP warning: {other:?}"),
            }
        })
        .collect()
}

fn echo(name: &str) -> ContainerStep {
    ContainerStep::new(name, ["echo", name])
}

#[derive(Debug)]
enum Data {}
impl ArtifactType for Data {
    const KIND: &'static str = "data";
    const KFP_TYPE: &'static str = KFP_DATASET;
}

struct Produce;
impl Step for Produce {
    type Args = Vec<String>;
    type Outputs = (Artifact<Data>, crate::OutputParam);
    fn name(&self) -> String {
        "produce".to_owned()
    }
    fn wire(self, io: &mut Io<'_>) -> (Vec<String>, Self::Outputs) {
        let (path, data) = io.output::<Data>("data");
        let (count_path, count) = io.output_param("count");
        let args = vec![
            format!("--out={}", path.display()),
            format!("--index={}/index.json", path.display()),
            format!("--count={}", count_path.display()),
        ];
        (args, (data, count))
    }
}

struct Consume<'a>(&'a Artifact<Data>);
impl Step for Consume<'_> {
    type Args = Vec<String>;
    type Outputs = ();
    fn name(&self) -> String {
        "consume".to_owned()
    }
    fn wire(self, io: &mut Io<'_>) -> (Vec<String>, ()) {
        let path = io.input("data", self.0);
        (vec![format!("--in={}", path.display())], ())
    }
}

#[test]
fn paths_and_parameters_become_placeholders() {
    let p = Pipeline::new("paths");
    p.image("alpine:3.20");
    let who = p.string_param("who", "world");
    let made = p.add(Produce);
    let count = made.out.1.clone();
    p.add(Consume(&made.out.0));
    p.add(echo("print").arg(&who).arg(&count));
    let c = compile(&p);
    let s = spec(&c);
    let exec = &s["deploymentSpec"]["executors"];
    assert_eq!(
        exec["exec-produce"]["container"]["args"],
        serde_json::json!([
            "--out={{$.outputs.artifacts['data'].path}}",
            "--index={{$.outputs.artifacts['data'].path}}/index.json",
            "--count={{$.outputs.parameters['count'].output_file}}"
        ])
    );
    assert_eq!(
        exec["exec-consume"]["container"]["args"][0],
        "--in={{$.inputs.artifacts['data'].path}}"
    );
    assert_eq!(
        exec["exec-print"]["container"]["args"],
        serde_json::json!([
            "{{$.inputs.parameters['who']}}",
            "{{$.inputs.parameters['produce-count']}}"
        ])
    );
    let data = &s["components"]["comp-produce"]["outputDefinitions"]["artifacts"]["data"];
    assert_eq!(data["artifactType"]["schemaTitle"], "system.Dataset");
    let tasks = &s["root"]["dag"]["tasks"];
    assert_eq!(
        tasks["print"]["inputs"]["parameters"]["produce-count"]["taskOutputParameter"],
        serde_json::json!({"outputParameterKey": "count", "producerTask": "produce"})
    );
    assert_eq!(
        tasks["print"]["dependentTasks"],
        serde_json::json!(["produce"])
    );
    assert_eq!(
        tasks["consume"]["inputs"]["artifacts"]["data"]["taskOutputArtifact"]["producerTask"],
        "produce"
    );
    // Same input, same bytes.
    assert_eq!(compile(&p).yaml, c.yaml);
}

/// A step that reports metadata to KFP v2: the executor input only on KFP.
struct Report;
impl Step for Report {
    type Args = Vec<String>;
    type Outputs = ();
    fn name(&self) -> String {
        "report".to_owned()
    }
    fn wire(self, io: &mut Io<'_>) -> (Vec<String>, ()) {
        let metrics = io.kfp_metrics();
        let input = io.kfp_executor_input();
        let args = vec![
            format!("--metrics={}", metrics.display()),
            format!("--kfp-executor-input={input}"),
            "--seed=1".to_owned(),
        ];
        (args, ())
    }
}

#[test]
fn the_executor_input_is_a_kfp_only_argument() {
    let p = Pipeline::new("report");
    p.image("alpine:3.20");
    p.add(Report);
    let s = spec(&compile(&p));
    assert_eq!(
        s["deploymentSpec"]["executors"]["exec-report"]["container"]["args"],
        serde_json::json!([
            "--metrics={{$.outputs.artifacts['mlpipeline-metrics'].path}}",
            "--kfp-executor-input={{$}}",
            "--seed=1"
        ])
    );
    // Argo has no executor input: the argument is left out, the rest kept.
    assert_eq!(
        argo_args(&p, "report"),
        serde_json::json!([
            "--metrics=/kpipe/outputs/mlpipeline-metrics.json",
            "--seed=1"
        ])
    );
    // A `{{$}}` the step did not ask for through `Io` stays where it is.
    let q = Pipeline::new("raw");
    q.image("alpine:3.20");
    q.add(ContainerStep::new("raw", ["echo"]).arg("{{$}}"));
    assert_eq!(argo_args(&q, "raw"), serde_json::json!(["{{$}}"]));
}

/// The container args of Argo template `name`.
fn argo_args(p: &Pipeline, name: &str) -> Json {
    let yaml = p
        .compile(&crate::CompileOptions::default())
        .unwrap_or_else(|e| panic!("{e}"));
    let docs = crate::emit::parse_yaml_documents(&yaml).unwrap_or_else(|e| panic!("{e:?}"));
    docs[0]["spec"]["templates"]
        .as_array()
        .and_then(|ts| ts.iter().find(|t| t["name"] == name))
        .map(|t| t["container"]["args"].clone())
        .unwrap_or_else(|| panic!("no template {name}:\n{yaml}"))
}

#[test]
fn tasks_with_one_condition_share_a_dag_unless_that_makes_a_cycle() {
    let p = Pipeline::new("grouped");
    p.image("alpine:3.20");
    let pr = p.string_param("pr", "");
    let a = p.add(echo("a")).when(pr.is_empty());
    let b = p.add(echo("b")).after(&a).when(pr.is_empty());
    p.add(echo("c")).after(&b);
    let s = spec(&compile(&p));
    let root = &s["root"]["dag"]["tasks"];
    assert_eq!(
        root["condition-1"]["triggerPolicy"]["condition"],
        "inputs.parameter_values['pipelinechannel--pr'] == ''"
    );
    assert_eq!(
        root["c"]["dependentTasks"],
        serde_json::json!(["condition-1"])
    );
    let inner = &s["components"]["comp-condition-1"]["dag"]["tasks"];
    assert_eq!(inner["b"]["dependentTasks"], serde_json::json!(["a"]));
    assert!(s["components"].get("comp-condition-2").is_none());

    // a → x → b with a and b under the same condition: one DAG for both
    // would wait for x, which waits for it.
    let p = Pipeline::new("split");
    p.image("alpine:3.20");
    let pr = p.string_param("pr", "");
    let a = p.add(echo("a")).when(pr.is_empty());
    let x = p.add(echo("x")).after(&a);
    p.add(echo("b")).after(&x).when(pr.is_empty());
    let s = spec(&compile(&p));
    let root = &s["root"]["dag"]["tasks"];
    assert_eq!(
        root["x"]["dependentTasks"],
        serde_json::json!(["condition-1"])
    );
    assert_eq!(
        root["condition-2"]["dependentTasks"],
        serde_json::json!(["x"])
    );
}

#[test]
fn loops_iterate_and_conditions_nest_inside_them() {
    let p = Pipeline::new("loops");
    p.image("alpine:3.20");
    let list =
        p.add(ContainerStep::new("list", ["sh", "-c", "echo '[1]' > $0"]).output_param("names"));
    let names = list.out.param("names").cloned();
    p.add(echo("shard").arg(Value::item_field("region")))
        .with_items([
            serde_json::json!({"region": "eu", "n": 1}),
            serde_json::json!({"region": "us", "n": 2}),
        ])
        .when(crate::Cond::compare(
            crate::CmpOp::Ne,
            crate::Kind::Integer,
            Value::item_field("n"),
            "2",
        ));
    if let Some(names) = &names {
        p.add(echo("each").arg(Value::item())).with_param(names);
    }
    let s = spec(&compile(&p));
    let root = &s["root"]["dag"]["tasks"];
    assert_eq!(
        root["for-loop-1"]["parameterIterator"],
        serde_json::json!({
            "itemInput": "pipelinechannel--loop-item-param-1",
            "items": {"raw": "[{\"n\":1,\"region\":\"eu\"},{\"n\":2,\"region\":\"us\"}]"}
        })
    );
    let loop_dag = &s["components"]["comp-for-loop-1"];
    assert_eq!(
        loop_dag["inputDefinitions"]["parameters"]["pipelinechannel--loop-item-param-1"]["parameterType"],
        "STRUCT"
    );
    let cond = &loop_dag["dag"]["tasks"]["condition-2"];
    assert_eq!(
        cond["triggerPolicy"]["condition"],
        "int(inputs.parameter_values['pipelinechannel--loop-item-param-1']['n']) != 2"
    );
    let shard = &s["components"]["comp-condition-2"]["dag"]["tasks"]["shard"];
    assert_eq!(
        shard["inputs"]["parameters"]["item-region"]["parameterExpressionSelector"],
        "parseJson(string_value)[\"region\"]"
    );
    assert_eq!(
        root["for-loop-3"]["parameterIterator"]["items"]["inputParameter"],
        "pipelinechannel--list-names"
    );
    assert_eq!(
        s["components"]["comp-list"]["outputDefinitions"]["parameters"]["names"]["parameterType"],
        "LIST"
    );
}

#[test]
fn the_exit_handler_waits_for_a_group_of_everything_else() {
    let p = Pipeline::new("exit");
    p.image("alpine:3.20");
    let channel = p.string_param("channel", "#ml");
    p.add(echo("work").arg(&channel));
    p.on_exit(
        echo("notify")
            .arg(Value::WorkflowName)
            .arg(Value::WorkflowStatus)
            .arg(&channel),
    );
    let c = compile(&p);
    let s = spec(&c);
    let root = &s["root"]["dag"]["tasks"];
    assert_eq!(
        root["exit-handler-1"]["inputs"]["parameters"]["pipelinechannel--channel"]["componentInputParameter"],
        "channel"
    );
    let notify = &root["notify"];
    assert_eq!(
        notify["dependentTasks"],
        serde_json::json!(["exit-handler-1"])
    );
    assert_eq!(
        notify["triggerPolicy"]["strategy"],
        "ALL_UPSTREAM_TASKS_COMPLETED"
    );
    assert_eq!(
        notify["inputs"]["parameters"]["workflow-status"]["taskFinalStatus"]["producerTask"],
        "exit-handler-1"
    );
    assert_eq!(
        notify["inputs"]["parameters"]["workflow-name"]["runtimeValue"]["constant"],
        "{{$.pipeline_job_name}}"
    );
    assert_eq!(
        s["components"]["comp-notify"]["inputDefinitions"]["parameters"]["workflow-status"],
        serde_json::json!({"isOptional": true, "parameterType": "TASK_FINAL_STATUS"})
    );
    assert!(s["components"]["comp-exit-handler-1"]["dag"]["tasks"]["work"].is_object());
    assert_eq!(warnings(&c), [KfpFeature::FinalStatusFormat]);
}

#[test]
fn generated_dag_names_avoid_task_names() {
    let p = Pipeline::new("names");
    p.image("alpine:3.20");
    let pr = p.string_param("pr", "");
    p.add(echo("condition-1"));
    p.add(echo("b")).when(pr.is_set());
    let s = spec(&compile(&p));
    assert!(s["root"]["dag"]["tasks"]["condition-2"]["componentRef"]["name"] == "comp-condition-2");
}

#[test]
fn parameters_are_typed_and_conditions_compare_typed_values() {
    let p = Pipeline::new("typed");
    p.image("alpine:3.20");
    let n = p.int_param("n", 3);
    let rate = p.float_param("rate", 0.5);
    let dry = p.bool_param("dry-run", false);
    p.add(echo("a").arg(&n).arg(&rate))
        .when(n.eq(3).and(dry.eq(false)).and(rate.ne(0.5)));
    let s = spec(&compile(&p));
    let params = &s["root"]["inputDefinitions"]["parameters"];
    assert_eq!(
        params["n"],
        serde_json::json!({"defaultValue": 3, "isOptional": true, "parameterType": "NUMBER_INTEGER"})
    );
    assert_eq!(params["rate"]["defaultValue"], 0.5);
    assert_eq!(params["dry-run"]["defaultValue"], false);
    assert_eq!(
        s["root"]["dag"]["tasks"]["condition-1"]["triggerPolicy"]["condition"],
        "((int(inputs.parameter_values['pipelinechannel--n']) == 3) && (inputs.parameter_values['pipelinechannel--dry-run'] == false)) && (double(inputs.parameter_values['pipelinechannel--rate']) != 0.5)"
    );
    assert_eq!(
        s["components"]["comp-a"]["inputDefinitions"]["parameters"]["rate"]["parameterType"],
        "NUMBER_DOUBLE"
    );
}

#[test]
fn kubernetes_settings_go_to_the_platform_document() {
    let p = Pipeline::new("k8s");
    p.image("alpine:3.20")
        .ttl(Ttl::after_completion(60).after_failure(600));
    p.volume(Volume::secret("token", "api-token").optional());
    p.add(echo("a"))
        .gpus(2)
        .memory("1Gi")
        .node_selector("pool", "gpu")
        .toleration(
            crate::Toleration::equal("gpu", "yes")
                .effect(crate::TaintEffect::NoExecute)
                .for_seconds(30),
        )
        .image_pull_policy("Always")
        .env("MODE", "fast")
        .env_secret("TOKEN", "api-token", "token")
        .env_secret("USER", "api-token", "user")
        .mount("token", "/secrets/token")
        .volume(Volume::memory_dir("shm", "1Gi"))
        .mount_writable("shm", "/dev/shm")
        .volume(Volume::config_map("conf", "settings"))
        .mount("conf", "/etc/conf")
        .annotation("a", "b")
        .label("team", "ml")
        .timeout_seconds(600);
    let c = compile(&p);
    assert_eq!(warnings(&c), []);
    let s = spec(&c);
    let container = &s["deploymentSpec"]["executors"]["exec-a"]["container"];
    assert_eq!(
        container["env"],
        serde_json::json!([{"name": "MODE", "value": "fast"}])
    );
    assert_eq!(container["resources"]["accelerator"]["resourceCount"], "2");
    assert_eq!(container["resources"]["resourceMemoryRequest"], "1Gi");
    let k = &platform(&c)["platforms"]["kubernetes"];
    assert_eq!(
        k["pipelineConfig"],
        serde_json::json!({"resourceTtlOnCompletion": 60, "resourceTtlOnFailure": 600})
    );
    let e = &k["deploymentSpec"]["executors"]["exec-a"];
    assert_eq!(e["activeDeadlineSeconds"], "600");
    assert_eq!(e["imagePullPolicy"], "Always");
    assert_eq!(e["nodeSelector"]["labels"]["pool"], "gpu");
    assert_eq!(
        e["tolerations"],
        serde_json::json!([{"effect": "NoExecute", "key": "gpu", "operator": "Equal", "tolerationSeconds": "30", "value": "yes"}])
    );
    assert_eq!(
        e["secretAsEnv"][0]["keyToEnv"],
        serde_json::json!([{"envVar": "TOKEN", "secretKey": "token"}, {"envVar": "USER", "secretKey": "user"}])
    );
    assert_eq!(e["secretAsVolume"][0]["optional"], true);
    assert_eq!(
        e["emptyDirMounts"][0],
        serde_json::json!({"medium": "Memory", "mountPath": "/dev/shm", "sizeLimit": "1Gi", "volumeName": "shm"})
    );
    assert_eq!(e["configMapAsVolume"][0]["configMapName"], "settings");
    assert_eq!(
        e["podMetadata"],
        serde_json::json!({"annotations": {"a": "b"}, "labels": {"team": "ml"}})
    );
    // Without Kubernetes settings there is no second document.
    let bare = Pipeline::new("bare");
    bare.image("alpine:3.20");
    bare.add(echo("a"));
    assert!(!compile(&bare).yaml.contains("---"));
}

#[test]
fn what_kfp_loses_is_a_warning() {
    let p = Pipeline::new("lossy");
    p.image("alpine:3.20")
        .service_account("runner")
        .pod_gc(PodGc::OnPodSuccess)
        .label("team", "ml")
        .schedule(Schedule::cron("0 3 * * *"));
    let key = p.string_param("key", "k");
    p.volume(Volume::secret("ssh", "ssh-key").default_mode(0o400));
    p.add(echo("a"))
        .retry(Retry::limit(2).policy(RetryPolicy::OnError))
        .memoize(Memoize::new(&key, "cache", "1h"))
        .mount("ssh", "/ssh")
        .volume(Volume::empty_dir("scratch"))
        .mount("scratch", "/scratch")
        .volume(Volume::claim("data", "claim", true))
        .mount_writable("data", "/data");
    p.add(echo("b"))
        .memoize(Memoize::new("fixed", "cache", "1h"));
    let c = compile(&p);
    assert_eq!(
        warnings(&c),
        [
            KfpFeature::ServiceAccount {
                name: "runner".into()
            },
            KfpFeature::PodGc,
            KfpFeature::WorkflowMetadata,
            KfpFeature::Schedule,
            KfpFeature::SecretDefaultMode {
                volume: "ssh".into(),
                mode: 0o400
            },
            KfpFeature::ReadOnlyMount {
                volume: "scratch".into()
            },
            KfpFeature::ReadOnlyMount {
                volume: "data".into()
            },
            KfpFeature::RetryPolicy { policy: "OnError" },
            KfpFeature::Memoize {
                detail: "config map `cache`, maximum age 1h, run-time key".into()
            },
            KfpFeature::Memoize {
                detail: "config map `cache`, maximum age 1h".into()
            },
        ]
    );
    let rendered = c.warnings[4].to_string();
    assert!(rendered.starts_with("warning[kpipe::kfp-loss]: step `a` (target kfp): secret volume `ssh` asks for file mode 0400"), "{rendered}");
    let s = spec(&c);
    assert_eq!(
        s["root"]["dag"]["tasks"]["b"]["cachingOptions"],
        serde_json::json!({"cacheKey": "fixed", "enableCache": true})
    );
    assert_eq!(
        s["root"]["dag"]["tasks"]["a"]["cachingOptions"],
        serde_json::json!({"enableCache": true})
    );
}

#[test]
fn what_kfp_cannot_express_is_an_error_naming_task_and_feature() {
    let p = Pipeline::new("broken");
    p.image("alpine:3.20");
    let n = p.int_param("n", 1);
    p.add(echo("retries").arg(Value::retries()));
    p.add(echo("env")).env("N", &n);
    p.add(echo("argo").arg("{{workflow.name}}"));
    p.add(echo("disk"))
        .resources(Resources::default().request("ephemeral-storage", "1Gi"));
    p.add(echo("mixed").arg(Value::item()))
        .with_items([serde_json::json!(1), serde_json::json!("a")]);
    p.add(echo("over-param").arg(Value::item()))
        .with_param(&p.string_param("names", "[]"));
    p.add(echo("status").arg(Value::WorkflowStatus));
    p.add(echo("compare"))
        .when(crate::Cond::text_eq(Value::WorkflowName, "x"));
    let made = p.add(Produce).when(n.eq(2));
    p.add(Consume(&made.out.0));
    p.on_exit(echo("exit").arg(&made.out.1)).when(n.eq(1));
    let found = errors(&p);
    let names: Vec<(&str, &KfpFeature)> = found
        .iter()
        .map(|(t, f)| (t.as_deref().unwrap_or(""), f))
        .collect();
    let expect: Vec<(&str, KfpFeature)> = vec![
        ("env", KfpFeature::EnvFromValue { name: "N".into() }),
        (
            "argo",
            KfpFeature::ArgoExpression {
                expr: "{{workflow.name}}".into(),
            },
        ),
        (
            "disk",
            KfpFeature::Resource {
                name: "ephemeral-storage".into(),
                detail: "has no KFP resource field".into(),
            },
        ),
        ("retries", KfpFeature::Retries),
        (
            "compare",
            KfpFeature::Condition {
                detail: "reads the workflow's name or status".into(),
            },
        ),
        (
            "mixed",
            KfpFeature::Loop {
                detail: "mixes NUMBER_INTEGER and STRING items".into(),
            },
        ),
        (
            "over-param",
            KfpFeature::Loop {
                detail: "iterates over parameter `names`, a STRING: KFP iterates over a LIST only; have a step write the list to an output parameter and loop over that".into(),
            },
        ),
        ("status", KfpFeature::StatusOutsideExitHandler),
        (
            "consume",
            KfpFeature::OutputLeavesGroup {
                producer: "produce".into(),
                output: "data".into(),
            },
        ),
        ("exit", KfpFeature::ExitHandlerControl),
        (
            "exit",
            KfpFeature::ExitHandlerValue {
                detail: "another step's output".into(),
            },
        ),
    ];
    for (task, feature) in &expect {
        assert!(
            names.contains(&(*task, feature)),
            "missing {task}: {feature:?} in {names:#?}"
        );
    }
    assert_eq!(names.len(), expect.len(), "{names:#?}");
    let text = match p.compile_kfp(&KfpOptions::default()) {
        Err(e) => e.to_string(),
        Ok(_) => String::new(),
    };
    assert!(text.contains("error[kpipe::kfp-unsupported]: step `env` (target kfp): environment variable `N` is set from a run-time value"), "{text}");
}

/// A step that declares KFP's metrics files, written always or not.
struct Metrics {
    name: &'static str,
    always: bool,
}
impl Step for Metrics {
    type Args = Vec<String>;
    type Outputs = ();
    fn name(&self) -> String {
        self.name.to_owned()
    }
    fn wire(self, io: &mut Io<'_>) -> (Vec<String>, ()) {
        let (metrics, ui) = if self.always {
            (io.kfp_metrics_always(), io.kfp_ui_metadata_always())
        } else {
            (io.kfp_metrics(), io.kfp_ui_metadata())
        };
        let args = vec![
            format!("--metrics={}", metrics.display()),
            format!("--ui={}", ui.display()),
        ];
        (args, ())
    }
}

#[test]
fn metrics_a_step_always_writes_are_required_everywhere_and_lose_nothing() {
    let p = Pipeline::new("metrics");
    p.image("alpine:3.20");
    p.add(Metrics {
        name: "sometimes",
        always: false,
    });
    p.add(Metrics {
        name: "always",
        always: true,
    });
    let c = compile(&p);
    let lost: Vec<(Option<String>, KfpFeature)> = c
        .warnings
        .iter()
        .filter_map(|w| match &w.kind {
            DiagnosticKind::Kfp { task, feature } => Some((task.clone(), feature.clone())),
            _ => None,
        })
        .collect();
    let optional = |output: &str| {
        (
            Some("sometimes".to_owned()),
            KfpFeature::OptionalOutput {
                output: output.into(),
            },
        )
    };
    assert_eq!(
        lost,
        [
            optional("mlpipeline-metrics"),
            optional("mlpipeline-ui-metadata")
        ]
    );
    // Argo: optional only where the step may leave them out.
    let yaml = p
        .compile(&crate::CompileOptions::default())
        .unwrap_or_else(|e| panic!("{e}"));
    let argo = crate::emit::parse_yaml(&yaml).unwrap_or_else(|e| panic!("{e:?}"));
    for (task, optional) in [("sometimes", Some(true)), ("always", None)] {
        let template = argo["spec"]["templates"]
            .as_array()
            .and_then(|ts| ts.iter().find(|t| t["name"] == task))
            .unwrap_or_else(|| panic!("no template {task}"));
        for artifact in template["outputs"]["artifacts"]
            .as_array()
            .into_iter()
            .flatten()
        {
            assert_eq!(
                artifact["optional"].as_bool(),
                optional,
                "{task}: {artifact}"
            );
        }
    }
}
