//! `kpipe-step rollout`: roll a model image out as a KServe canary, wait
//! until it serves, then promote it to all traffic (or roll back).

use std::time::{Duration, Instant};

use anyhow::{Context, bail};
use kpipe_step_contract::RolloutArgs;
use kube::api::{Api, DynamicObject, Patch, PatchParams, PostParams};
use kube::core::{ApiResource, GroupVersionKind};
use kube::runtime::wait::await_condition;
use serde_json::{Value, json};

/// The InferenceService API resource (serving.kserve.io/v1beta1).
pub fn inference_service() -> ApiResource {
    ApiResource::from_gvk_with_plural(
        &GroupVersionKind::gvk("serving.kserve.io", "v1beta1", "InferenceService"),
        "inferenceservices",
    )
}

fn container(image: &str) -> Value {
    json!({
        "name": "kserve-container",
        "image": image,
        "ports": [{"containerPort": 8080, "protocol": "TCP"}],
        "readinessProbe": {"httpGet": {"path": "/v2/health/ready", "port": 8080}},
    })
}

/// The whole InferenceService serving `image` (first rollout).
pub fn desired(args: &RolloutArgs) -> Value {
    json!({
        "apiVersion": "serving.kserve.io/v1beta1",
        "kind": "InferenceService",
        "metadata": {
            "name": args.name,
            "namespace": args.namespace,
            "labels": {"app.kubernetes.io/managed-by": "kpipe"},
        },
        "spec": {"predictor": {"minReplicas": 1, "containers": [container(&args.image)]}},
    })
}

/// The patch that starts a canary of `image` at `percent`.
pub fn canary_patch(image: &str, percent: u8) -> Value {
    json!({"spec": {"predictor": {"canaryTrafficPercent": percent, "containers": [container(image)]}}})
}

/// The patch that sends all traffic to the latest revision.
pub fn promote_patch() -> Value {
    json!({"spec": {"predictor": {"canaryTrafficPercent": null}}})
}

fn validate_image(image: &str) -> anyhow::Result<()> {
    let tag_or_digest = image.contains('@')
        || image
            .rsplit('/')
            .next()
            .is_some_and(|l| l.contains(':') && !l.ends_with(':'));
    if image.trim().is_empty() || image.ends_with(':') || !tag_or_digest {
        bail!(
            "--image must name a tag or digest (REPOSITORY:TAG or @sha256:…), got `{image}`; pass the commit (-p commit=SHA)"
        );
    }
    Ok(())
}

/// Runs `rollout`.
pub(super) fn run(args: RolloutArgs) -> anyhow::Result<()> {
    validate_image(&args.image)?;
    if *args.dry_run.get() {
        let print = |title: &str, v: &Value| {
            println!(
                "# {title}\n{}",
                serde_json::to_string_pretty(v).unwrap_or_default()
            )
        };
        eprintln!("Dry run: nothing is applied");
        print("create when absent", &desired(&args));
        print(
            &format!("canary patch (merge) at {}%", args.canary_percent),
            &canary_patch(&args.image, args.canary_percent),
        );
        print("promote patch (merge)", &promote_patch());
        return Ok(());
    }
    let runtime = tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()
        .context("cannot start the async runtime")?;
    runtime.block_on(rollout(&args))
}

async fn rollout(args: &RolloutArgs) -> anyhow::Result<()> {
    kpipe_runtime::tls::install_crypto_provider();
    let client = kube::Client::try_default()
        .await
        .context("cannot reach Kubernetes: no in-cluster service account and no usable kubeconfig (set KUBECONFIG)")?;
    let api: Api<DynamicObject> =
        Api::namespaced_with(client, &args.namespace, &inference_service());
    let timeout = Duration::from_secs(args.timeout_seconds);
    let poll = Duration::from_millis(args.poll_ms.unwrap_or(2000));
    let what = format!("InferenceService {}/{}", args.namespace, args.name);
    let existing = api
        .get_opt(&args.name)
        .await
        .with_context(|| format!("cannot read {what}"))?;
    let Some(existing) = existing else {
        let obj: DynamicObject = serde_json::from_value(desired(args))?;
        api.create(&PostParams::default(), &obj)
            .await
            .with_context(|| format!("cannot create {what}"))?;
        eprintln!("Created {what} serving {}", args.image);
        wait_ready(&api, &args.name, timeout, poll, &what).await?;
        eprintln!("{what} is Ready");
        return Ok(());
    };
    let old_image = existing.data["spec"]["predictor"]["containers"][0]["image"]
        .as_str()
        .map(str::to_owned);
    if old_image.as_deref() == Some(args.image.as_str()) {
        eprintln!(
            "{what} already serves {}; making sure all traffic goes to it",
            args.image
        );
    }
    let params = PatchParams::default();
    api.patch(
        &args.name,
        &params,
        &Patch::Merge(canary_patch(&args.image, args.canary_percent)),
    )
    .await
    .with_context(|| format!("cannot start the canary on {what}"))?;
    eprintln!(
        "Canary: {}% of traffic to {} (rest: {})",
        args.canary_percent,
        args.image,
        old_image.as_deref().unwrap_or("previous revision")
    );
    if let Err(e) = wait_ready(&api, &args.name, timeout, poll, &what).await {
        if let Some(old) = &old_image {
            let back = json!({"spec": {"predictor": {"canaryTrafficPercent": null, "containers": [container(old)]}}});
            match api.patch(&args.name, &params, &Patch::Merge(back)).await {
                Ok(_) => eprintln!("Rolled back {what} to {old}"),
                Err(r) => eprintln!("Rolling back {what} to {old} failed too: {r}"),
            }
        }
        return Err(e.context(format!(
            "the canary of {} did not become Ready; rolled back",
            args.image
        )));
    }
    api.patch(&args.name, &params, &Patch::Merge(promote_patch()))
        .await
        .with_context(|| format!("cannot promote {what}"))?;
    wait_ready(&api, &args.name, timeout, poll, &what).await?;
    eprintln!("Promoted {} to 100% of {what}", args.image);
    Ok(())
}

/// The Ready condition and whether the status describes the current spec.
fn readiness(obj: &DynamicObject) -> (bool, String) {
    let status = &obj.data["status"];
    let generation = obj.metadata.generation.unwrap_or(0);
    let observed = status["observedGeneration"].as_i64();
    let cond = status["conditions"]
        .as_array()
        .into_iter()
        .flatten()
        .find(|c| c["type"] == "Ready");
    let ready =
        cond.is_some_and(|c| c["status"] == "True") && observed.is_none_or(|o| o >= generation);
    let detail = match cond {
        Some(c) => format!(
            "Ready={} {} {}",
            c["status"].as_str().unwrap_or("?"),
            c["reason"].as_str().unwrap_or(""),
            c["message"].as_str().unwrap_or("")
        ),
        None => "no Ready condition yet".to_owned(),
    };
    (ready, detail.trim().to_owned())
}

/// Waits until `name` is Ready for its current spec: a watch through
/// kube's `await_condition`, under our own deadline. A watch that fails
/// (the API server restarts, RBAC lacks `watch`) is tried again after `poll`
/// until the deadline; at the deadline one read says why it is not Ready.
async fn wait_ready(
    api: &Api<DynamicObject>,
    name: &str,
    timeout: Duration,
    poll: Duration,
    what: &str,
) -> anyhow::Result<()> {
    let deadline = Instant::now() + timeout;
    let ready_or_gone = |obj: Option<&DynamicObject>| obj.is_none_or(|o| readiness(o).0);
    let mut watch_error = None;
    loop {
        let left = deadline.saturating_duration_since(Instant::now());
        match tokio::time::timeout(left, await_condition(api.clone(), name, ready_or_gone)).await {
            Ok(Ok(Some(_))) => return Ok(()),
            Ok(Ok(None)) => bail!("{what} was deleted while waiting for it"),
            Ok(Err(e)) => watch_error = Some(e),
            Err(_) => break,
        }
        if Instant::now() + poll >= deadline {
            break;
        }
        tokio::time::sleep(poll).await;
    }
    let last = match api.get_opt(name).await {
        Ok(Some(obj)) => readiness(&obj).1,
        Ok(None) => bail!("{what} was deleted while waiting for it"),
        Err(e) => format!("cannot read it: {e}"),
    };
    let last = match watch_error {
        Some(w) => format!("{last}; the last watch failed: {w}"),
        None => last,
    };
    bail!("{what} is not Ready after {}s: {last}", timeout.as_secs())
}
