//! Running one task of the IR: its `when`, its loop, and one iteration per
//! item ([`iteration`](super::iteration)).

use std::time::Instant;

use anyhow::Context as _;
use kpipe_compiler::ir::{EnvSource, Loop, OUTPUTS_ROOT, TaskNode, Value, VolumeSource};

use super::iteration::{self, Outcome};
use super::resolve::Scope;
use super::workspace::{Fill, LocalMount};
use super::{Finished, RunContext, Shared, Status, TaskReport};

/// Runs `t` and reports how it ended.
pub(crate) fn execute(t: &TaskNode, ctx: &RunContext, shared: &Shared) -> TaskReport {
    let started = Instant::now();
    let mut report = TaskReport::new(&t.name, Status::Succeeded);
    let status = match run_task(t, ctx, shared, &mut report) {
        Ok(s) => s,
        Err(e) => Status::Failed(format!("{e:#}")),
    };
    let took = started.elapsed().as_secs_f64();
    match &status {
        Status::Succeeded => shared.say(&t.name, &format!("succeeded in {took:.1}s")),
        Status::Cached => shared.say(&t.name, &format!("cached: {}", super::REUSED)),
        Status::Failed(why) => shared.say(&t.name, &format!("FAILED: {why}")),
        Status::Skipped(why) => shared.say(&t.name, &format!("skipped: {why}")),
        Status::NotRun(_) | Status::Reused => {}
    }
    report.status = status;
    // (the time spent hashing for the cache is shown apart)
    report.duration = started.elapsed().saturating_sub(report.hashing);
    report
}

fn run_task(
    t: &TaskNode,
    ctx: &RunContext,
    shared: &Shared,
    report: &mut TaskReport,
) -> anyhow::Result<Status> {
    let finished = shared.finished();
    let scope = ctx.scope(&finished, None);
    let looped = t.settings.looped.is_some();
    // A `when` that reads the loop item is decided per item, as Argo and
    // KFP decide it inside the loop.
    let per_item = t.settings.when.as_ref().is_some_and(|(c, _)| {
        c.values()
            .iter()
            .flat_map(|v| v.leaves())
            .any(|v| matches!(v, Value::Item | Value::ItemField(_)))
    });
    if let Some((cond, _)) = t.settings.when.as_ref().filter(|_| !per_item) {
        let (holds, shown) = scope.holds(cond)?;
        if !holds {
            // (with the values, as Argo words it: the condition itself is
            // in the pipeline and on its graph)
            return Ok(Status::Skipped(format!("when `{shown}` evaluated false")));
        }
    }
    for note in notes(t, ctx) {
        shared.say(&t.name, &format!("note: {note}"));
    }
    let items = items(t, &scope)?;
    if looped {
        remove_stale_items(ctx, &t.name, items.len());
    }
    if looped && items.is_empty() {
        shared.say(&t.name, "the loop has no items: nothing to run");
        // (a fan-in of it collects an empty list)
        shared.finish(&t.name, Finished::default());
        return Ok(Status::Succeeded);
    }
    let (mut cached, mut skipped) = (0, 0);
    // What the task leaves: its (last) item's outputs, and every item's
    // output parameters for a fan-in.
    let mut left = Finished::default();
    let mut failed: Vec<String> = Vec::new();
    // The first failed item's exit code (the report's, not the last item's).
    let mut failed_code = None;
    for (k, item) in items.iter().enumerate() {
        if ctx.interrupt.is_raised() {
            return Ok(Status::Failed(format!(
                "{}: {k} of {} iterations ran",
                ctx.interrupt.reason(),
                items.len()
            )));
        }
        let label = item.as_ref().map(item_label);
        if let (true, Some((cond, _))) = (per_item, &t.settings.when) {
            let (holds, shown) = ctx.scope(&finished, item.as_ref()).holds(cond)?;
            if !holds {
                let label = label.as_deref().unwrap_or_default();
                shared.say(
                    &t.name,
                    &format!("item {label}: skipped: when `{shown}` evaluated false"),
                );
                skipped += 1;
                continue;
            }
        }
        let dir = ctx.layout.task_dir(&t.name, looped.then_some(k));
        report.dirs.push(dir.clone());
        report.items.push(label.clone());
        let mounts = mounts(t, ctx);
        // Every item runs, whatever the others did (as Argo and KFP run a
        // loop's items); the task fails when one did.
        let outcome = iteration::run(t, ctx, shared, dir, mounts, item.as_ref(), report)?;
        if matches!(outcome, Outcome::Cached(_)) {
            cached += 1;
        }
        match outcome {
            Outcome::Ran(f) | Outcome::Cached(f) => {
                left.items.push(f.params.clone());
                left.artifacts = f.artifacts;
                left.params = f.params;
            }
            Outcome::Failed(why) => {
                if failed.is_empty() {
                    failed_code = Some(report.exit_code);
                }
                match &label {
                    Some(label) => {
                        shared.say(&t.name, &format!("item {label} FAILED: {why}"));
                        failed.push(format!("item {label}: {why}"));
                    }
                    None => failed.push(why),
                }
            }
        }
    }
    if let Some(code) = failed_code {
        report.exit_code = code;
    }
    if !failed.is_empty() {
        return Ok(Status::Failed(failed.join("; ")));
    }
    if skipped == items.len() {
        return Ok(Status::Skipped(
            "every item's `when` evaluated false".to_owned(),
        ));
    }
    shared.finish(&t.name, left);
    Ok(if cached + skipped == items.len() {
        Status::Cached
    } else {
        Status::Succeeded
    })
}

/// A loop item as people read it, shortened: strings bare, an object as
/// `key:value,…` (as Argo names a loop's nodes), anything else as JSON.
pub(crate) fn item_label(item: &serde_json::Value) -> String {
    let text = match item {
        serde_json::Value::Object(fields) => fields
            .iter()
            .map(|(k, v)| {
                let v = kpipe_compiler::ir::item_text(v, None).unwrap_or_default();
                format!("{k}:{v}")
            })
            .collect::<Vec<_>>()
            .join(","),
        _ => kpipe_compiler::ir::item_text(item, None).unwrap_or_default(),
    };
    if text.chars().count() > 40 {
        let cut: String = text.chars().take(39).collect();
        format!("{cut}…")
    } else {
        text
    }
}

/// Removes the directories of loop items past `items` a loop of an earlier
/// run left (`<task>.<k>`).
fn remove_stale_items(ctx: &RunContext, task: &str, items: usize) {
    let prefix = format!("{task}.");
    let Ok(entries) = std::fs::read_dir(ctx.layout.steps()) else {
        return;
    };
    for e in entries.flatten() {
        let name = e.file_name().to_string_lossy().into_owned();
        let stale = name
            .strip_prefix(&prefix)
            .and_then(|k| k.parse::<usize>().ok())
            .is_some_and(|k| k >= items);
        if stale {
            let _ = std::fs::remove_dir_all(e.path());
        }
    }
}

/// The loop's items (`[None]` without a loop).
fn items(t: &TaskNode, scope: &Scope<'_>) -> anyhow::Result<Vec<Option<serde_json::Value>>> {
    Ok(match &t.settings.looped {
        Some((Loop::Items(items), _)) => items.iter().cloned().map(Some).collect(),
        Some((Loop::Param(list), _)) => {
            let text = scope
                .value(list)
                .context("cannot read the list the loop iterates over")?;
            let v: Vec<serde_json::Value> = serde_json::from_str(&text).with_context(|| {
                format!(
                    "the loop iterates over `{}`, which is not a JSON list: {text}",
                    list.describe()
                )
            })?;
            v.into_iter().map(Some).collect()
        }
        None => vec![None],
    })
}

/// The volumes `t` mounts, as a local run provides them: its own, and the
/// scratch directory its outputs are written to (as the Argo lowering
/// mounts one).
fn mounts(t: &TaskNode, ctx: &RunContext) -> Vec<LocalMount> {
    let outputs = (!t.outputs.is_empty() || !t.output_params.is_empty()).then(|| LocalMount {
        path: OUTPUTS_ROOT.to_owned(),
        fill: Fill::Empty,
        read_only: false,
    });
    t.settings
        .mounts
        .iter()
        .map(|(m, _)| {
            let volume = t
                .settings
                .volumes
                .iter()
                .chain(&ctx.plan.volumes)
                .find(|(v, _)| v.name == m.volume)
                .map(|(v, _)| &v.source);
            let fill = match volume {
                Some(VolumeSource::Secret {
                    secret_name,
                    default_mode,
                    ..
                }) => Fill::Secret {
                    name: secret_name.clone(),
                    files: ctx.secrets.get(secret_name).cloned(),
                    mode: default_mode.unwrap_or(0o644),
                },
                Some(VolumeSource::EmptyDir {
                    medium: Some(medium),
                    size_limit,
                }) if medium == "Memory" => Fill::Tmpfs {
                    size: size_limit.clone(),
                },
                _ => Fill::Empty,
            };
            LocalMount {
                path: m.path.clone(),
                fill,
                read_only: m.read_only,
            }
        })
        .chain(outputs)
        .collect()
}

/// What a local run does differently from a cluster, said once per task.
fn notes(t: &TaskNode, ctx: &RunContext) -> Vec<String> {
    let s = &t.settings;
    let mut notes = Vec::new();
    let r = &s.resources;
    match &ctx.engine {
        super::Engine::Process => {
            let all: Vec<String> = r
                .requests
                .iter()
                .map(|(k, v)| format!("{k}={v} requested"))
                .chain(r.limits.iter().map(|(k, v)| format!("{k}={v} limit")))
                .collect();
            if !all.is_empty() {
                notes.push(format!(
                    "resources are ignored by the process engine ({}); the step runs with what this machine has",
                    all.join(", ")
                ));
            }
        }
        super::Engine::Podman(p) => {
            if !r.requests.is_empty() {
                let all: Vec<String> = r.requests.iter().map(|(k, v)| format!("{k}={v}")).collect();
                notes.push(format!(
                    "requests are scheduling hints a local run has no use for ({}); limits are applied",
                    all.join(", ")
                ));
            }
            if let Some(note) = p.gpu_note(t) {
                notes.push(note);
            }
        }
    }
    if !s.node_selector.is_empty() || !s.tolerations.is_empty() {
        notes.push("node selector and tolerations are ignored locally".to_owned());
    }
    for (name, source) in &s.env {
        if let EnvSource::Secret { secret, key } = source
            && !ctx.secret_has(secret, key)
        {
            notes.push(format!(
                "env {name} comes from secret `{secret}` (key `{key}`), which this run was not given (--secret {secret}=PATH); it is not set"
            ));
        }
    }
    for m in mounts(t, ctx) {
        if let Fill::Secret {
            name, files: None, ..
        } = &m.fill
        {
            notes.push(format!(
                "the secret `{name}` was not given (--secret {name}=PATH); {} is an empty directory, as an optional secret volume is",
                m.path
            ));
        }
    }
    notes
}
