//! Running one DAG task: its `when`, its loop, its cache entry, its
//! attempts (retry policy and backoff) and its outputs.

use std::collections::BTreeMap;
use std::path::PathBuf;
use std::time::{Duration, Instant};

use anyhow::{Context as _, bail};
use kpipe_compiler::argo::{Container, DagTask, Template};

use super::cache::{self, KeyBuilder, Lookup};
use super::process::{self, Failure, Launch};
use super::retry::Retry;
use super::scope::Scope;
use super::workspace::{Workspace, copy_tree};
use super::{Finished, RunContext, Shared, Status, TaskReport};

/// Runs `t` and reports how it ended.
pub(crate) fn execute(t: &DagTask, ctx: &RunContext, shared: &Shared) -> TaskReport {
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
        Status::NotRun(_) => {}
    }
    report.status = status;
    report.duration = started.elapsed();
    report
}

/// How one loop iteration ended.
enum Iteration {
    Ran,
    Cached,
    Failed(String),
}

fn run_task(
    t: &DagTask,
    ctx: &RunContext,
    shared: &Shared,
    report: &mut TaskReport,
) -> anyhow::Result<Status> {
    let finished = shared.finished();
    let scope = Scope {
        params: &ctx.params,
        workflow_name: &ctx.workflow_name,
        workflow_status: ctx.workflow_status.as_deref(),
        finished: &finished,
        inputs: None,
        item: None,
        retries: None,
    };
    if let Some(when) = &t.when {
        let text = scope.resolve(when)?;
        if !super::evaluate(&text)? {
            // (with the parameters' values, as Argo words it: the condition
            // itself is in the pipeline and on its graph)
            return Ok(Status::Skipped(format!("when `{text}` evaluated false")));
        }
    }
    let template = ctx
        .templates
        .get(&t.template)
        .with_context(|| format!("template `{}` does not exist", t.template))?;
    let Some(container) = &template.container else {
        bail!(
            "template `{}` is not a container; local runs execute container steps",
            template.name
        );
    };
    for note in notes(template, container, ctx) {
        shared.say(&t.name, &format!("note: {note}"));
    }
    let items: Vec<Option<serde_json::Value>> = match (&t.with_items, &t.with_param) {
        (Some(items), _) => items.iter().cloned().map(Some).collect(),
        (None, Some(list)) => {
            let text = scope.resolve(list)?;
            let v: Vec<serde_json::Value> = serde_json::from_str(&text)
                .with_context(|| format!("withParam `{list}` is not a JSON list: {text}"))?;
            v.into_iter().map(Some).collect()
        }
        (None, None) => vec![None],
    };
    let looped = t.with_items.is_some() || t.with_param.is_some();
    if looped && items.is_empty() {
        shared.say(&t.name, "the loop has no items: nothing to run");
        return Ok(Status::Succeeded);
    }
    let mut cached = 0;
    for (k, item) in items.iter().enumerate() {
        if ctx.interrupt.is_raised() {
            return Ok(Status::Failed(format!(
                "{}: {k} of {} iterations ran",
                ctx.interrupt.reason(),
                items.len()
            )));
        }
        let dir = if looped {
            ctx.workdir.join("steps").join(format!("{}-{k}", t.name))
        } else {
            ctx.workdir.join("steps").join(&t.name)
        };
        report.dirs.push(dir.clone());
        match run_iteration(
            t,
            template,
            container,
            ctx,
            shared,
            dir,
            item.as_ref(),
            report,
        )? {
            Iteration::Ran => {}
            Iteration::Cached => cached += 1,
            Iteration::Failed(why) => return Ok(Status::Failed(why)),
        }
    }
    Ok(if cached == items.len() {
        Status::Cached
    } else {
        Status::Succeeded
    })
}

/// What a local run leaves out, said once per task.
fn notes(template: &Template, container: &Container, ctx: &RunContext) -> Vec<String> {
    let mut notes = Vec::new();
    if let Some(r) = &container.resources {
        let all: Vec<String> = r
            .requests
            .iter()
            .map(|(k, v)| format!("{k}={v} requested"))
            .chain(r.limits.iter().map(|(k, v)| format!("{k}={v} limit")))
            .collect();
        if !all.is_empty() {
            notes.push(format!(
                "resources are ignored locally ({}); the step runs with what this machine has",
                all.join(", ")
            ));
        }
    }
    if !template.node_selector.is_empty() || !template.tolerations.is_empty() {
        notes.push("node selector and tolerations are ignored locally".to_owned());
    }
    for e in &container.env {
        if e.value.is_none() {
            notes.push(format!(
                "env {} comes from a secret, not set locally",
                e.name
            ));
        }
    }
    for m in &container.volume_mounts {
        let secret = ctx.secret_volumes.get(&m.name).cloned().or_else(|| {
            template
                .volumes
                .iter()
                .find(|v| v.name == m.name)
                .and_then(|v| v.secret.as_ref().map(|s| s.secret_name.clone()))
        });
        if let Some(secret) = secret {
            notes.push(format!(
                "the secret `{secret}` is not available locally; {} is an empty directory",
                m.mount_path
            ));
        }
    }
    notes
}

#[allow(clippy::too_many_arguments)]
fn run_iteration(
    t: &DagTask,
    template: &Template,
    container: &Container,
    ctx: &RunContext,
    shared: &Shared,
    dir: PathBuf,
    item: Option<&serde_json::Value>,
    report: &mut TaskReport,
) -> anyhow::Result<Iteration> {
    let ws = Workspace::new(dir, template);
    let finished = shared.finished();
    let dag_scope = Scope {
        params: &ctx.params,
        workflow_name: &ctx.workflow_name,
        workflow_status: ctx.workflow_status.as_deref(),
        finished: &finished,
        inputs: None,
        item,
        retries: None,
    };
    // The task's arguments: parameters, and artifacts from their producers.
    let mut inputs: BTreeMap<String, String> = BTreeMap::new();
    for p in &t.arguments.parameters {
        inputs.insert(
            p.name.clone(),
            dag_scope.resolve(p.value.as_deref().unwrap_or(""))?,
        );
    }
    let mut artifacts: Vec<(String, PathBuf, PathBuf)> = Vec::new();
    for a in &t.arguments.artifacts {
        let from = a.from.as_deref().unwrap_or("");
        let src = producer_artifact(from, &finished).with_context(|| {
            format!(
                "input artifact `{}` comes from `{from}`, which is not available",
                a.name
            )
        })?;
        let target = template
            .inputs
            .artifacts
            .iter()
            .find(|i| i.name == a.name)
            .and_then(|i| i.path.clone())
            .with_context(|| {
                format!(
                    "template `{}` has no input artifact `{}`",
                    template.name, a.name
                )
            })?;
        artifacts.push((a.name.clone(), src, ws.local(&target)));
    }
    let render = |text: &str, attempt: u32| -> anyhow::Result<String> {
        let scope = Scope {
            inputs: Some(&inputs),
            retries: Some(attempt),
            ..dag_scope
        };
        Ok(ws.rewrite(&scope.resolve(text)?))
    };
    let argv = |attempt: u32| -> anyhow::Result<Vec<String>> {
        container
            .command
            .iter()
            .chain(&container.args)
            .map(|a| render(a, attempt))
            .collect()
    };
    let first = argv(0)?;
    let Some(name) = first.first() else {
        bail!("the container has no command");
    };
    let program = ctx.env.program(name).with_context(|| {
        format!(
            "step `{}`: the program `{name}` is not on this machine. A local run executes each step's command here and does not pull its image ({}); install `{name}`, or point the run at it with --program {name}=PATH",
            t.name, container.image
        )
    })?;
    let mut env: Vec<(String, String)> = Vec::new();
    for e in &container.env {
        if let Some(v) = &e.value {
            env.push((e.name.clone(), render(v, 0)?));
        }
    }

    let key = if ctx.cache {
        let mut k = KeyBuilder::new(&t.name);
        k.text("program", &shared.programs.identity(&program)?);
        for (i, a) in first.iter().enumerate().skip(1) {
            k.text(&format!("arg{i}"), a);
        }
        for (n, v) in &env {
            k.text(&format!("env {n}"), v);
        }
        if let Some(item) = item {
            k.text("item", &item.to_string());
        }
        for (name, src, _) in &artifacts {
            k.tree(&format!("input {name}"), src)?;
        }
        Some(k.finish())
    } else {
        None
    };
    if let Some(key) = &key {
        match cache::lookup(&ws.dir, key) {
            Lookup::Hit(entry) => {
                let mut f = Finished::default();
                for (name, (path, _)) in entry.artifacts {
                    f.artifacts.insert(name, path);
                }
                f.params = entry.params;
                register(shared, &t.name, f);
                report.command = std::iter::once(program.display().to_string())
                    .chain(first.iter().skip(1).cloned())
                    .collect();
                return Ok(Iteration::Cached);
            }
            Lookup::Miss => {}
            Lookup::Corrupt(why) => shared.say(
                &t.name,
                &format!("warning: ignoring its cache entry ({why}); running the step"),
            ),
        }
    }

    ws.reset()?;
    for (name, src, target) in &artifacts {
        copy_tree(src, target)
            .with_context(|| format!("cannot copy artifact `{name}` from {}", src.display()))?;
    }
    let retry = Retry::of(template.retry_strategy.as_ref())?;
    let deadline = template
        .active_deadline_seconds
        .map(|s| Duration::from_secs(s.max(0) as u64));
    let log = ws.dir.join("log.txt");
    let started = Instant::now();
    let mut attempt = 0u32;
    loop {
        let args = argv(attempt)?;
        report.command = std::iter::once(program.display().to_string())
            .chain(args.iter().skip(1).cloned())
            .collect();
        report.attempts += 1;
        let launched = process::run(
            &Launch {
                task: &t.name,
                program: &program,
                args: &args[1..],
                env: &env,
                dir: &ws.dir,
                log: &log,
                deadline,
                interrupt: &ctx.interrupt,
            },
            shared,
        );
        let failure = match launched {
            Ok(()) => {
                report.exit_code = Some(0);
                break;
            }
            Err(f) => {
                report.exit_code = match &f {
                    Failure::Exit(_, code) => *code,
                    Failure::Start(_) | Failure::Timeout(_) | Failure::Interrupted(_) => None,
                };
                f
            }
        };
        match retry.next_delay(attempt, &failure, started.elapsed()) {
            Ok(delay) => {
                attempt += 1;
                report.retries += 1;
                shared.say(
                    &t.name,
                    &format!(
                        "retry {attempt}/{} in {:.1}s after: {}",
                        retry.limit,
                        delay.as_secs_f64(),
                        failure.message()
                    ),
                );
                if !ctx.interrupt.sleep(delay) {
                    return Ok(Iteration::Failed(format!(
                        "{}; no retry: {}",
                        failure.message(),
                        ctx.interrupt.reason()
                    )));
                }
            }
            Err(stop) => {
                let why = match stop {
                    Some(reason) => format!("{} ({reason})", failure.message()),
                    None => failure.message().to_owned(),
                };
                return Ok(Iteration::Failed(why));
            }
        }
    }

    let mut f = Finished::default();
    let mut entry = cache::Entry::default();
    for o in &template.outputs.artifacts {
        let Some(p) = &o.path else { continue };
        let path = ws.local(p);
        if !path.exists() {
            if o.optional == Some(true) {
                continue;
            }
            return Ok(Iteration::Failed(format!(
                "it did not write output artifact `{}` ({p})",
                o.name
            )));
        }
        if key.is_some() {
            entry
                .artifacts
                .insert(o.name.clone(), (path.clone(), cache::hash_tree(&path)?));
        }
        f.artifacts.insert(o.name.clone(), path);
    }
    for p in &template.outputs.parameters {
        if let Some(v) = &p.value_from {
            let path = ws.local(&v.path);
            let value = std::fs::read_to_string(&path).with_context(|| {
                format!(
                    "output parameter `{}`: cannot read {}",
                    p.name,
                    path.display()
                )
            })?;
            f.params.insert(p.name.clone(), value.trim_end().to_owned());
        }
    }
    entry.params = f.params.clone();
    register(shared, &t.name, f);
    if let Some(key) = &key
        && let Err(e) = cache::store(&ws.dir, key, &entry)
    {
        shared.say(
            &t.name,
            &format!("warning: {e:#}; it will run again next time"),
        );
    }
    Ok(Iteration::Ran)
}

fn register(shared: &Shared, task: &str, f: Finished) {
    if let Ok(mut all) = shared.finished.lock() {
        all.insert(task.to_owned(), f);
    }
}

/// `{{tasks.PRODUCER.outputs.artifacts.NAME}}` → the producer's local path.
fn producer_artifact(from: &str, finished: &BTreeMap<String, Finished>) -> Option<PathBuf> {
    let inner = from
        .trim()
        .trim_start_matches("{{")
        .trim_end_matches("}}")
        .trim();
    match inner.splitn(5, '.').collect::<Vec<_>>().as_slice() {
        ["tasks", producer, "outputs", "artifacts", name] => {
            finished.get(*producer)?.artifacts.get(*name).cloned()
        }
        _ => None,
    }
}
