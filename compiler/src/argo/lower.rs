//! IR → Argo model. Runs only on a validated pipeline.

use serde::Serialize;

use super::model::{self as argo, Manifest};
use super::text;
use crate::ir::{
    EnvSource, Loop, OUTPUTS_ROOT, PipelineData, TaskNode, Volume, VolumeSource, go_duration,
};
use crate::options::{ArgoVersion, CompileOptions, OutputKind};

/// The annotation Kubeflow Pipelines v1 reads a pipeline's parameters from.
pub const KFP_PIPELINE_SPEC: &str = "pipelines.kubeflow.org/pipeline_spec";
/// The scratch volume a step's outputs are written to.
const OUTPUTS_VOLUME: &str = "kpipe-outputs";

/// Lowers a pipeline that passed validation for the Argo target.
pub(crate) fn lower(d: &PipelineData, opts: &CompileOptions) -> Manifest {
    let schedule = opts
        .schedule
        .clone()
        .or_else(|| d.schedule.as_ref().map(|s| s.cron.clone()));

    let spec = workflow_spec(d, opts);
    let mut metadata = argo::ObjectMeta {
        annotations: d.annotations.clone(),
        labels: d.labels.clone(),
        ..argo::ObjectMeta::default()
    };
    metadata
        .annotations
        .insert(KFP_PIPELINE_SPEC.to_owned(), pipeline_spec(d));
    match opts.kind {
        OutputKind::Workflow => {
            metadata.generate_name = Some(format!("{}-", d.name));
            Manifest::Workflow(argo::Workflow {
                api_version: argo::API_VERSION.to_owned(),
                kind: "Workflow".to_owned(),
                metadata,
                spec,
            })
        }
        OutputKind::WorkflowTemplate => {
            metadata.name = Some(d.name.clone());
            Manifest::WorkflowTemplate(argo::Workflow {
                api_version: argo::API_VERSION.to_owned(),
                kind: "WorkflowTemplate".to_owned(),
                metadata,
                spec,
            })
        }
        OutputKind::CronWorkflow => {
            metadata.name = Some(d.name.clone());
            let s = d.schedule.as_ref();
            let cron = schedule.unwrap_or_default();
            let (schedule, schedules) = match opts.argo {
                ArgoVersion::V3 => (Some(cron), None),
                ArgoVersion::V4 => (None, Some(vec![cron])),
            };
            Manifest::CronWorkflow(Box::new(argo::CronWorkflow {
                api_version: argo::API_VERSION.to_owned(),
                kind: "CronWorkflow".to_owned(),
                metadata,
                spec: argo::CronWorkflowSpec {
                    schedule,
                    schedules,
                    timezone: s.and_then(|s| s.timezone.clone()),
                    concurrency_policy: s
                        .and_then(|s| s.concurrency)
                        .map(|c| c.as_str().to_owned()),
                    starting_deadline_seconds: s.and_then(|s| s.starting_deadline_seconds),
                    workflow_metadata: argo::ObjectMeta {
                        labels: d.labels.clone(),
                        ..argo::ObjectMeta::default()
                    },
                    workflow_spec: spec,
                },
            }))
        }
    }
}

fn image_of(d: &PipelineData, t: &TaskNode, opts: &CompileOptions) -> Option<String> {
    d.image_of(t, opts.image.as_deref()).map(str::to_owned)
}

/// The KFP v1 `pipeline_spec` annotation: the pipeline's name, description
/// and parameters as JSON.
fn pipeline_spec(d: &PipelineData) -> String {
    #[derive(Serialize)]
    struct Input<'a> {
        default: &'a str,
        name: &'a str,
        optional: bool,
        #[serde(rename = "type")]
        kind: &'a str,
    }
    #[derive(Serialize)]
    struct Spec<'a> {
        #[serde(skip_serializing_if = "Option::is_none")]
        description: Option<&'a str>,
        inputs: Vec<Input<'a>>,
        name: &'a str,
    }
    let spec = Spec {
        description: d.description.as_deref(),
        inputs: d
            .params
            .iter()
            .map(|p| Input {
                default: &p.default,
                name: &p.name,
                optional: true,
                kind: p.kind.kfp_v1_name(),
            })
            .collect(),
        name: d.display_name.as_deref().unwrap_or(&d.name),
    };
    serde_json::to_string(&spec).unwrap_or_default()
}

fn workflow_spec(d: &PipelineData, opts: &CompileOptions) -> argo::WorkflowSpec {
    let deps = d.dependencies();
    let order = d.order();
    let names: Vec<&str> = d.tasks.iter().map(|t| t.name.as_str()).collect();
    let taken = |n: &str| names.contains(&n) || d.exits.iter().any(|e| e.name == n);
    let entrypoint = if taken(&d.name) {
        format!("{}-dag", d.name)
    } else {
        d.name.clone()
    };

    let dag_tasks = order
        .iter()
        .map(|&i| dag_task(d, &d.tasks[i], &deps[i]))
        .collect();
    let mut templates = vec![argo::Template {
        name: entrypoint.clone(),
        dag: Some(argo::Dag { tasks: dag_tasks }),
        ..argo::Template::default()
    }];
    templates.extend(
        order
            .iter()
            .map(|&i| container_template(d, &d.tasks[i], opts, false)),
    );
    let exit = d.exits.first();
    templates.extend(exit.map(|t| container_template(d, t, opts, true)));

    argo::WorkflowSpec {
        entrypoint,
        arguments: argo::Arguments {
            parameters: d
                .params
                .iter()
                .map(|p| argo::Parameter {
                    name: p.name.clone(),
                    value: Some(p.default.clone()),
                    value_from: None,
                })
                .collect(),
            artifacts: Vec::new(),
        },
        service_account_name: d.service_account.clone(),
        on_exit: exit.map(|t| t.name.clone()),
        pod_gc: d.pod_gc.map(|s| argo::PodGc {
            strategy: s.as_str().to_owned(),
        }),
        ttl_strategy: d.ttl.map(|t| argo::TtlStrategy {
            seconds_after_completion: t.after_completion,
            seconds_after_success: t.after_success,
            seconds_after_failure: t.after_failure,
        }),
        volumes: d.volumes.iter().map(|(v, _)| volume(v)).collect(),
        templates,
    }
}

fn dag_task(
    d: &PipelineData,
    t: &TaskNode,
    deps: &std::collections::BTreeSet<usize>,
) -> argo::DagTask {
    let mut dependencies: Vec<String> = deps.iter().map(|&i| d.tasks[i].name.clone()).collect();
    dependencies.sort();
    let (with_items, with_param) = match &t.settings.looped {
        Some((Loop::Items(items), _)) => (Some(items.clone()), None),
        Some((Loop::Param(v), _)) => (None, Some(text::dag_expr(v))),
        None => (None, None),
    };
    argo::DagTask {
        name: t.name.clone(),
        template: t.name.clone(),
        dependencies,
        when: t.settings.when.as_ref().map(|(c, _)| text::cond(c)),
        with_items,
        with_param,
        arguments: argo::Arguments {
            parameters: t
                .params
                .iter()
                .map(|p| argo::Parameter {
                    name: p.name.clone(),
                    value: Some(text::dag_expr(&p.value)),
                    value_from: None,
                })
                .collect(),
            artifacts: t
                .inputs
                .iter()
                .map(|i| argo::Artifact {
                    name: i.name.clone(),
                    path: None,
                    from: Some(format!(
                        "{{{{tasks.{}.outputs.artifacts.{}}}}}",
                        d.tasks[i.from.task].name, i.from.output
                    )),
                    optional: None,
                })
                .collect(),
        },
    }
}

fn container_template(
    d: &PipelineData,
    t: &TaskNode,
    opts: &CompileOptions,
    exit: bool,
) -> argo::Template {
    let s = &t.settings;
    // An exit handler is invoked without arguments: its run-time values are
    // global variables it reads directly.
    let render = |p: &crate::ir::Pieces| text::pieces(t, p, exit);
    let has_outputs = !t.outputs.is_empty() || !t.output_params.is_empty();
    let mut mounts: Vec<argo::VolumeMount> = s
        .mounts
        .iter()
        .map(|(m, _)| argo::VolumeMount {
            name: m.volume.clone(),
            mount_path: m.path.clone(),
            read_only: m.read_only.then_some(true),
        })
        .collect();
    let mut volumes: Vec<argo::Volume> = s.volumes.iter().map(|(v, _)| volume(v)).collect();
    if has_outputs {
        mounts.push(argo::VolumeMount {
            name: OUTPUTS_VOLUME.to_owned(),
            mount_path: OUTPUTS_ROOT.to_owned(),
            read_only: None,
        });
        volumes.push(volume(&Volume::empty_dir(OUTPUTS_VOLUME)));
    }
    let env = s
        .env
        .iter()
        .map(|(name, src)| match src {
            EnvSource::Value(v) => argo::EnvVar {
                name: name.clone(),
                value: Some(render(v)),
                value_from: None,
            },
            EnvSource::Secret { secret, key } => argo::EnvVar {
                name: name.clone(),
                value: None,
                value_from: Some(argo::EnvVarSource {
                    secret_key_ref: argo::KeySelector {
                        name: secret.clone(),
                        key: key.clone(),
                    },
                }),
            },
        })
        .collect();
    argo::Template {
        name: t.name.clone(),
        inputs: argo::Io {
            parameters: if exit {
                Vec::new()
            } else {
                t.params
                    .iter()
                    .map(|p| argo::Parameter {
                        name: p.name.clone(),
                        value: None,
                        value_from: None,
                    })
                    .collect()
            },
            artifacts: t
                .inputs
                .iter()
                .map(|i| argo::Artifact {
                    name: i.name.clone(),
                    path: Some(i.path.clone()),
                    from: None,
                    optional: None,
                })
                .collect(),
        },
        outputs: argo::Io {
            parameters: t
                .output_params
                .iter()
                .map(|p| argo::Parameter {
                    name: p.name.clone(),
                    value: None,
                    value_from: Some(argo::ValueFrom {
                        path: p.path.clone(),
                    }),
                })
                .collect(),
            artifacts: t
                .outputs
                .iter()
                .map(|o| argo::Artifact {
                    name: o.name.clone(),
                    path: Some(o.path.clone()),
                    from: None,
                    optional: o.optional.then_some(true),
                })
                .collect(),
        },
        metadata: argo::Metadata {
            annotations: s.annotations.clone(),
            labels: s.labels.clone(),
        },
        dag: None,
        container: Some(argo::Container {
            image: image_of(d, t, opts).unwrap_or_default(),
            image_pull_policy: s.image_pull_policy.clone(),
            command: t.command.iter().map(render).collect(),
            // (KFP v2's executor input exists only there)
            args: t
                .args
                .iter()
                .filter(|a| !a.has_executor_input())
                .map(render)
                .collect(),
            env,
            resources: (!s.resources.is_empty()).then(|| argo::Resources {
                requests: s.resources.requests.clone(),
                limits: s.resources.limits.clone(),
            }),
            volume_mounts: mounts,
        }),
        node_selector: s.node_selector.clone(),
        tolerations: s
            .tolerations
            .iter()
            .map(|t| argo::Toleration {
                key: t.key.clone(),
                operator: if t.value.is_some() { "Equal" } else { "Exists" }.to_owned(),
                value: t.value.clone(),
                effect: t.effect.map(|e| e.as_str().to_owned()),
                toleration_seconds: t.seconds,
            })
            .collect(),
        retry_strategy: s.retry.as_ref().map(|r| argo::RetryStrategy {
            limit: r.limit.to_string(),
            retry_policy: r.policy.map(|p| p.as_str().to_owned()),
            backoff: r.backoff.as_ref().map(|b| argo::Backoff {
                duration: go_duration(b.duration),
                factor: b.factor.to_string(),
                max_duration: b.max_duration.map(go_duration),
            }),
        }),
        active_deadline_seconds: s.timeout_seconds,
        memoize: s.memoize.as_ref().map(|(m, key)| argo::Memoize {
            key: render(key),
            cache: argo::Cache {
                config_map: argo::CacheConfigMap {
                    name: m.config_map.clone(),
                    key: match opts.argo {
                        ArgoVersion::V3 => Some(t.name.clone()),
                        ArgoVersion::V4 => None,
                    },
                },
            },
            max_age: m.max_age.clone(),
        }),
        volumes,
    }
}

fn volume(v: &Volume) -> argo::Volume {
    let mut out = argo::Volume {
        name: v.name.clone(),
        secret: None,
        empty_dir: None,
        config_map: None,
        persistent_volume_claim: None,
    };
    match &v.source {
        VolumeSource::Secret {
            secret_name,
            default_mode,
            optional,
        } => {
            out.secret = Some(argo::SecretVolume {
                secret_name: secret_name.clone(),
                default_mode: *default_mode,
                optional: optional.then_some(true),
            })
        }
        VolumeSource::EmptyDir { medium, size_limit } => {
            out.empty_dir = Some(argo::EmptyDir {
                medium: medium.clone(),
                size_limit: size_limit.clone(),
            })
        }
        VolumeSource::ConfigMap { name } => {
            out.config_map = Some(argo::ConfigMapVolume { name: name.clone() })
        }
        VolumeSource::PersistentVolumeClaim {
            claim_name,
            read_only,
        } => {
            out.persistent_volume_claim = Some(argo::ClaimVolume {
                claim_name: claim_name.clone(),
                read_only: read_only.then_some(true),
            })
        }
    }
    out
}
