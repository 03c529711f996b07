//! Running one DAG task as a local process.

use std::collections::BTreeMap;
use std::io::{BufRead, BufReader};
use std::path::{Path, PathBuf};
use std::process::{Command, Stdio};
use std::time::{Duration, Instant};

use anyhow::{Context as _, bail};
use kpipe_compiler::argo::{DagTask, Template};

use super::{Shared, Status, TaskReport, expr};

#[derive(Clone, Debug)]
pub(crate) struct Context {
    pub(crate) params: BTreeMap<String, String>,
    pub(crate) templates: Vec<Template>,
    pub(crate) workdir: PathBuf,
    pub(crate) programs: BTreeMap<String, PathBuf>,
    pub(crate) workflow_name: String,
}

/// What a finished task leaves for later tasks.
#[derive(Clone, Debug, Default)]
pub(crate) struct Finished {
    /// Output artifact name → local path.
    pub(crate) artifacts: BTreeMap<String, PathBuf>,
    /// Output parameter name → value.
    pub(crate) params: BTreeMap<String, String>,
}

/// The local executable for a container's program.
pub(crate) fn map_program(programs: &BTreeMap<String, PathBuf>, program: &str) -> PathBuf {
    programs
        .get(program)
        .cloned()
        .unwrap_or_else(|| PathBuf::from(program))
}

/// Replaces Argo's `{{…}}` references the DAG level can resolve.
fn substitute(
    text: &str,
    ctx: &Context,
    shared: &Shared,
    item: Option<&serde_json::Value>,
) -> anyhow::Result<String> {
    let mut out = String::new();
    let mut rest = text;
    while let Some(start) = rest.find("{{") {
        out.push_str(&rest[..start]);
        let after = &rest[start + 2..];
        let Some(end) = after.find("}}") else {
            out.push_str(&rest[start..]);
            return Ok(out);
        };
        let key = after[..end].trim();
        let value = if let Some(p) = key.strip_prefix("workflow.parameters.") {
            ctx.params
                .get(p)
                .cloned()
                .with_context(|| format!("unknown parameter `{p}`"))?
        } else if key == "workflow.status" {
            ctx.params
                .get("\u{0}workflow.status")
                .cloned()
                .unwrap_or_else(|| "Running".to_owned())
        } else if key == "workflow.name" {
            ctx.workflow_name.clone()
        } else if key == "item" {
            match item {
                Some(serde_json::Value::String(s)) => s.clone(),
                Some(v) => v.to_string(),
                None => bail!("`{{{{item}}}}` outside a loop"),
            }
        } else if let Some(field) = key.strip_prefix("item.") {
            match item.and_then(|i| i.get(field)) {
                Some(serde_json::Value::String(s)) => s.clone(),
                Some(v) => v.to_string(),
                None => bail!("the loop item has no field `{field}`"),
            }
        } else if let Some(rest) = key.strip_prefix("tasks.") {
            let mut parts = rest.splitn(4, '.');
            let (task, kind, name) = (parts.next(), parts.nth(1), parts.next());
            let finished = shared
                .finished
                .lock()
                .map_err(|_| anyhow::anyhow!("lock poisoned"))?;
            match (task.and_then(|t| finished.get(t)), kind, name) {
                (Some(f), Some("parameters"), Some(n)) => f
                    .params
                    .get(n)
                    .cloned()
                    .with_context(|| format!("`{key}` is not available"))?,
                _ => bail!("`{key}` is not available locally"),
            }
        } else {
            bail!("`{{{{{key}}}}}` cannot be resolved by a local run");
        };
        out.push_str(&value);
        rest = &after[end + 2..];
    }
    out.push_str(rest);
    Ok(out)
}

/// Local path of container path `p` in the task's root.
fn local(root: &Path, p: &str) -> PathBuf {
    root.join(p.trim_start_matches('/'))
}

fn copy_tree(from: &Path, to: &Path) -> std::io::Result<()> {
    if from.is_dir() {
        std::fs::create_dir_all(to)?;
        for e in std::fs::read_dir(from)? {
            let e = e?;
            let ty = e.file_type()?;
            let dest = to.join(e.file_name());
            if ty.is_dir() {
                copy_tree(&e.path(), &dest)?;
            } else if ty.is_symlink() {
                let target = std::fs::read_link(e.path())?;
                std::os::unix::fs::symlink(target, dest)?;
            } else {
                std::fs::copy(e.path(), dest)?;
            }
        }
        Ok(())
    } else {
        if let Some(p) = to.parent() {
            std::fs::create_dir_all(p)?;
        }
        std::fs::copy(from, to).map(|_| ())
    }
}

pub(crate) fn execute(t: &DagTask, ctx: &Context, shared: &Shared) -> TaskReport {
    let started = Instant::now();
    let status = match run_task(t, ctx, shared) {
        Ok(s) => s,
        Err(e) => Status::Failed(format!("{e:#}")),
    };
    match &status {
        Status::Succeeded => shared.say(
            &t.name,
            &format!("succeeded in {:.1}s", started.elapsed().as_secs_f64()),
        ),
        Status::Failed(why) => shared.say(&t.name, &format!("FAILED: {why}")),
        Status::Skipped(why) => shared.say(&t.name, &format!("skipped: {why}")),
        Status::NotRun(_) => {}
    }
    TaskReport {
        name: t.name.clone(),
        status,
        duration: started.elapsed(),
    }
}

fn run_task(t: &DagTask, ctx: &Context, shared: &Shared) -> anyhow::Result<Status> {
    if let Some(when) = &t.when {
        let expr_text = substitute(when, ctx, shared, None)?;
        if !expr::evaluate(&expr_text)? {
            return Ok(Status::Skipped(format!("when `{when}` is false")));
        }
    }
    let template = ctx
        .templates
        .iter()
        .find(|x| x.name == t.template)
        .with_context(|| format!("template `{}` does not exist", t.template))?;
    let items: Vec<Option<serde_json::Value>> = match (&t.with_items, &t.with_param) {
        (Some(items), _) => items.iter().cloned().map(Some).collect(),
        (None, Some(list)) => {
            let text = substitute(list, ctx, shared, None)?;
            let v: Vec<serde_json::Value> = serde_json::from_str(&text)
                .with_context(|| format!("withParam `{list}` is not a JSON list: {text}"))?;
            v.into_iter().map(Some).collect()
        }
        (None, None) => vec![None],
    };
    let looped = items.len() > 1 || t.with_items.is_some() || t.with_param.is_some();
    for (k, item) in items.iter().enumerate() {
        let dir = if looped {
            ctx.workdir.join("steps").join(format!("{}-{k}", t.name))
        } else {
            ctx.workdir.join("steps").join(&t.name)
        };
        let status = run_once(t, template, ctx, shared, &dir, item.as_ref())?;
        if status != Status::Succeeded {
            return Ok(status);
        }
    }
    Ok(Status::Succeeded)
}

fn run_once(
    t: &DagTask,
    template: &Template,
    ctx: &Context,
    shared: &Shared,
    dir: &Path,
    item: Option<&serde_json::Value>,
) -> anyhow::Result<Status> {
    let Some(container) = &template.container else {
        bail!(
            "template `{}` is not a container; local runs execute container steps",
            template.name
        );
    };
    if dir.exists() {
        std::fs::remove_dir_all(dir).with_context(|| format!("cannot clear {}", dir.display()))?;
    }
    let root = dir.join("root");
    std::fs::create_dir_all(&root).with_context(|| format!("cannot create {}", root.display()))?;
    // Inputs: parameters from the task's arguments, artifacts copied from producers.
    let mut inputs: BTreeMap<String, String> = BTreeMap::new();
    for p in &t.arguments.parameters {
        inputs.insert(
            p.name.clone(),
            substitute(p.value.as_deref().unwrap_or(""), ctx, shared, item)?,
        );
    }
    for a in &t.arguments.artifacts {
        let from = a.from.as_deref().unwrap_or("");
        // {{tasks.PRODUCER.outputs.artifacts.NAME}}
        let inner = from
            .trim()
            .trim_start_matches("{{")
            .trim_end_matches("}}")
            .trim();
        let parts: Vec<&str> = inner.splitn(5, '.').collect();
        let (producer, name) = match parts.as_slice() {
            ["tasks", producer, "outputs", "artifacts", name] => (Some(*producer), Some(*name)),
            _ => (None, None),
        };
        let src = {
            let finished = shared
                .finished
                .lock()
                .map_err(|_| anyhow::anyhow!("lock poisoned"))?;
            producer
                .and_then(|p| finished.get(p))
                .and_then(|f| name.and_then(|n| f.artifacts.get(n)))
                .cloned()
                .with_context(|| {
                    format!(
                        "input artifact `{}` comes from `{from}`, which is not available",
                        a.name
                    )
                })?
        };
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
        copy_tree(&src, &local(&root, &target))
            .with_context(|| format!("cannot copy artifact `{}` from {}", a.name, src.display()))?;
    }
    // Paths the container sees, mapped into the task's root (longest first).
    let mut mapped: Vec<String> = template
        .inputs
        .artifacts
        .iter()
        .chain(&template.outputs.artifacts)
        .filter_map(|a| a.path.clone())
        .chain(
            template
                .outputs
                .parameters
                .iter()
                .filter_map(|p| p.value_from.as_ref().map(|v| v.path.clone())),
        )
        .chain(container.volume_mounts.iter().map(|m| m.mount_path.clone()))
        .collect();
    mapped.sort_by_key(|p| std::cmp::Reverse(p.len()));
    mapped.dedup();
    for m in &container.volume_mounts {
        let dir = local(&root, &m.mount_path);
        std::fs::create_dir_all(&dir).with_context(|| {
            format!(
                "cannot create {} for the volume mount {}",
                dir.display(),
                m.mount_path
            )
        })?;
    }
    let render = |s: &str| -> anyhow::Result<String> {
        let mut s = s.to_owned();
        for (name, value) in &inputs {
            s = s.replace(&format!("{{{{inputs.parameters.{name}}}}}"), value);
        }
        let s = substitute(&s, ctx, shared, item)?;
        Ok(rewrite_paths(&s, &mapped, &root))
    };
    let mut argv: Vec<String> = container
        .command
        .iter()
        .chain(&container.args)
        .map(|a| render(a))
        .collect::<anyhow::Result<_>>()?;
    if argv.is_empty() {
        bail!("the container has no command");
    }
    let program = map_program(&ctx.programs, &argv.remove(0));
    let mut env: Vec<(String, String)> = Vec::new();
    for e in &container.env {
        match &e.value {
            Some(v) => env.push((e.name.clone(), render(v)?)),
            None => shared.say(
                &t.name,
                &format!("note: env {} comes from a secret, not set locally", e.name),
            ),
        }
    }
    let attempts = template
        .retry_strategy
        .as_ref()
        .and_then(|r| r.limit.parse::<u32>().ok())
        .unwrap_or(0)
        + 1;
    let deadline = template
        .active_deadline_seconds
        .map(|s| Duration::from_secs(s.max(0) as u64));
    let mut last = String::new();
    for attempt in 1..=attempts {
        if attempt > 1 {
            shared.say(
                &t.name,
                &format!("retry {}/{} after: {last}", attempt - 1, attempts - 1),
            );
        }
        match spawn(&t.name, &program, &argv, &env, dir, deadline, shared) {
            Ok(()) => {
                let mut finished = super::task::Finished::default();
                for o in &template.outputs.artifacts {
                    let Some(p) = &o.path else { continue };
                    let path = local(&root, p);
                    if !path.exists() {
                        if o.optional == Some(true) {
                            continue;
                        }
                        return Ok(Status::Failed(format!(
                            "it did not write output artifact `{}` ({p})",
                            o.name
                        )));
                    }
                    finished.artifacts.insert(o.name.clone(), path);
                }
                for p in &template.outputs.parameters {
                    if let Some(v) = &p.value_from {
                        let path = local(&root, &v.path);
                        let value = std::fs::read_to_string(&path).with_context(|| {
                            format!(
                                "output parameter `{}`: cannot read {}",
                                p.name,
                                path.display()
                            )
                        })?;
                        finished
                            .params
                            .insert(p.name.clone(), value.trim_end().to_owned());
                    }
                }
                if let Ok(mut f) = shared.finished.lock() {
                    f.insert(t.name.clone(), finished);
                }
                return Ok(Status::Succeeded);
            }
            Err(e) => last = format!("{e:#}"),
        }
    }
    Ok(Status::Failed(last))
}

/// Rewrites occurrences of the container paths in `mapped` to the task root.
fn rewrite_paths(arg: &str, mapped: &[String], root: &Path) -> String {
    let mut out = arg.to_owned();
    for m in mapped {
        let mut result = String::new();
        let mut rest = out.as_str();
        while let Some(i) = rest.find(m.as_str()) {
            let end = i + m.len();
            let boundary_after = rest[end..].chars().next().is_none_or(|c| {
                c == '/' || !(c.is_alphanumeric() || c == '-' || c == '_' || c == '.')
            });
            let boundary_before = i == 0
                || !rest[..i].ends_with(|c: char| {
                    c.is_alphanumeric() || c == '/' || c == '_' || c == '-' || c == '.'
                });
            result.push_str(&rest[..i]);
            if boundary_after && boundary_before {
                result.push_str(&local(root, m).to_string_lossy());
            } else {
                result.push_str(m);
            }
            rest = &rest[end..];
        }
        result.push_str(rest);
        out = result;
    }
    out
}

fn spawn(
    task: &str,
    program: &Path,
    args: &[String],
    env: &[(String, String)],
    dir: &Path,
    deadline: Option<Duration>,
    shared: &Shared,
) -> anyhow::Result<()> {
    let mut child = Command::new(program)
        .args(args)
        .envs(env.iter().cloned())
        .current_dir(dir)
        .stdin(Stdio::null())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .with_context(|| {
            format!(
                "cannot start `{}` (is it built and on PATH?)",
                program.display()
            )
        })?;
    let stdout = child.stdout.take();
    let stderr = child.stderr.take();
    let started = Instant::now();
    std::thread::scope(|scope| {
        if let Some(o) = stdout {
            scope.spawn(|| {
                for line in BufReader::new(o).lines().map_while(Result::ok) {
                    shared.say(task, &line);
                }
            });
        }
        if let Some(e) = stderr {
            scope.spawn(|| {
                for line in BufReader::new(e).lines().map_while(Result::ok) {
                    shared.say(task, &line);
                }
            });
        }
        loop {
            match child.try_wait() {
                Ok(Some(status)) => {
                    return if status.success() {
                        Ok(())
                    } else {
                        Err(anyhow::anyhow!(
                            "`{}` exited with {status}",
                            program.display()
                        ))
                    };
                }
                Ok(None) => {}
                Err(e) => {
                    return Err(anyhow::anyhow!(
                        "cannot wait for `{}`: {e}",
                        program.display()
                    ));
                }
            }
            if deadline.is_some_and(|d| started.elapsed() > d) {
                let _ = child.kill();
                let _ = child.wait();
                return Err(anyhow::anyhow!(
                    "timed out after {}s (activeDeadlineSeconds)",
                    deadline.map_or(0, |d| d.as_secs())
                ));
            }
            std::thread::sleep(Duration::from_millis(20));
        }
    })
}

#[cfg(test)]
mod tests {
    use super::rewrite_paths;
    use std::path::Path;

    #[test]
    fn rewrites_container_paths_on_boundaries_only() {
        let mapped = vec![
            "/kpipe/outputs/model".to_owned(),
            "/kpipe/outputs".to_owned(),
        ];
        let root = Path::new("/w/root");
        assert_eq!(
            rewrite_paths("--out=/kpipe/outputs/model", &mapped, root),
            "--out=/w/root/kpipe/outputs/model"
        );
        assert_eq!(
            rewrite_paths("--kfp-out=/kpipe/outputs", &mapped, root),
            "--kfp-out=/w/root/kpipe/outputs"
        );
        assert_eq!(
            rewrite_paths("/kpipe/outputs/modelx", &mapped, root),
            "/w/root/kpipe/outputs/modelx"
        );
        assert_eq!(
            rewrite_paths("/x/kpipe/outputs", &mapped, root),
            "/x/kpipe/outputs"
        );
    }
}
