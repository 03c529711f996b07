//! One run of a task (one loop item): its values resolved and its command
//! rendered, the cache looked up, its inputs restored, its attempts made and
//! its outputs collected — each concept in its own module (`cache`,
//! `attempts`, `collect`), in that order here.

use std::collections::BTreeMap;
use std::path::PathBuf;

use anyhow::{Context as _, bail};
use kpipe_compiler::ir::{EnvSource, Piece, Pieces, TaskNode};

use super::attempts;
use super::cache::{self, KeyInputs, Lookup};
use super::collect;
use super::store::{self, Store};
use super::workspace::{LocalMount, Workspace, copy_tree};
use super::{Finished, RunContext, Shared, TaskReport};

/// How one iteration ended, and what it left for later tasks.
pub(crate) enum Outcome {
    Ran(Finished),
    Cached(Finished),
    Failed(String),
}

/// A task's values for one iteration, and how to render its pieces.
struct Render<'a> {
    t: &'a TaskNode,
    ws: &'a Workspace,
    ctx: &'a RunContext,
    /// Each run-time input's text.
    inputs: BTreeMap<String, String>,
}

impl Render<'_> {
    /// `p` as the step sees it on attempt `attempt`; `None` for an argument
    /// that holds KFP's executor input (Argo and local runs leave it out).
    fn pieces(&self, p: &Pieces, attempt: u32) -> anyhow::Result<Option<String>> {
        if p.has_executor_input() {
            return Ok(None);
        }
        p.try_render(|piece| {
            Ok(match piece {
                Piece::Text(text) => self.ctx.engine.text(self.ws, text),
                Piece::Input(name) => self
                    .inputs
                    .get(name)
                    .cloned()
                    .with_context(|| format!("the step has no run-time input `{name}`"))?,
                Piece::InputArtifact(_) | Piece::OutputArtifact(_) | Piece::OutputParam(_) => {
                    let path = self
                        .t
                        .path_of(piece)
                        .with_context(|| format!("`{}` names no declared path", p.describe()))?;
                    self.ctx.engine.path(self.ws, path)
                }
                Piece::Retries => attempt.to_string(),
                Piece::ExecutorInput => String::new(),
            })
        })
        .map(Some)
    }

    /// The command line (program first) for attempt `attempt`.
    fn argv(&self, attempt: u32) -> anyhow::Result<Vec<String>> {
        let mut argv = Vec::new();
        for p in self.t.command.iter().chain(&self.t.args) {
            if let Some(a) = self.pieces(p, attempt)? {
                argv.push(a);
            }
        }
        Ok(argv)
    }

    /// The environment: values, and secret keys this run was given.
    fn env(&self) -> anyhow::Result<Vec<(String, String)>> {
        let mut env = Vec::new();
        for (name, source) in &self.t.settings.env {
            match source {
                EnvSource::Value(v) => {
                    if let Some(value) = self.pieces(v, 0)? {
                        env.push((name.clone(), value));
                    }
                }
                EnvSource::Secret { secret, key } => {
                    if let Some(value) = self.ctx.secret_value(secret, key)? {
                        env.push((name.clone(), value));
                    }
                }
            }
        }
        Ok(env)
    }
}

/// Runs one iteration of `t` in `dir`.
#[allow(clippy::too_many_arguments)]
pub(crate) fn run(
    t: &TaskNode,
    ctx: &RunContext,
    shared: &Shared,
    dir: PathBuf,
    mounts: Vec<LocalMount>,
    item: Option<&serde_json::Value>,
    report: &mut TaskReport,
) -> anyhow::Result<Outcome> {
    let label = match item {
        Some(item) => format!("{} {}", t.name, super::task::item_label(item)),
        None => t.name.clone(),
    };
    let ws = Workspace::new(dir, mounts, label);
    let finished = shared.finished();
    let scope = ctx.scope(&finished, item);
    let mut inputs = BTreeMap::new();
    for p in &t.params {
        let value = scope
            .value(&p.value)
            .with_context(|| format!("cannot resolve its input `{}`", p.name))?;
        inputs.insert(p.name.clone(), value);
    }
    let artifacts = input_artifacts(t, ctx, &finished, &ws)?;
    let render = Render {
        t,
        ws: &ws,
        ctx,
        inputs,
    };
    let first = render.argv(0)?;
    let env = render.env()?;
    let prepared = ctx.engine.prepare(t, ctx, &first)?;
    report.command = prepared.shown(&first);

    let hashing = std::time::Instant::now();
    let key = if ctx.cache {
        let sources: Vec<(String, PathBuf)> = artifacts
            .iter()
            .map(|(name, src, _)| (name.clone(), src.clone()))
            .collect();
        // A step that declares its code version is keyed by it, not by
        // the program: rebuilding the program for another step does not
        // run it again.
        let identity = match &t.settings.code_version {
            Some(v) => format!("code version {v}"),
            None => shared.programs.identity(&prepared.identity)?,
        };
        Some(cache::key(&KeyInputs {
            task: &t.name,
            identity: &identity,
            args: first.get(1..).unwrap_or_default(),
            env: &env,
            item,
            inputs: &sources,
        })?)
    } else {
        None
    };
    report.hashing += hashing.elapsed();
    let store = Store::of(&ctx.layout, &ws.dir);
    // (a step a partial run selected runs even when cached)
    if let Some(key) = key.as_ref().filter(|_| !ctx.forced.contains(&t.name)) {
        match cache::lookup(&ws.dir, key) {
            Lookup::Hit(entry) => {
                let mut f = Finished::default();
                for (name, (path, _)) in entry.artifacts {
                    f.artifacts.insert(name, path);
                }
                f.params = entry.params;
                return Ok(Outcome::Cached(f));
            }
            Lookup::Miss => {}
            Lookup::Corrupt(why) => shared.say(
                &ws.label,
                &format!("warning: ignoring its cache entry ({why}); running the step"),
            ),
        }
        // An earlier result for this key (another parameter value since).
        if let Lookup::Hit(entry) = store.lookup(key) {
            ws.reset()?;
            let (f, here) = store::restore(t, &entry, &ws)?;
            cache::store(&ws.dir, key, &here)?;
            return Ok(Outcome::Cached(f));
        }
    }

    ws.reset()?;
    for (name, src, target) in &artifacts {
        copy_tree(src, target)
            .with_context(|| format!("cannot copy artifact `{name}` from {}", src.display()))?;
    }
    let argv = |attempt: u32| render.argv(attempt);
    if let Err(why) = attempts::run(t, ctx, shared, &ws, &prepared, &argv, &env, report)? {
        return Ok(Outcome::Failed(why));
    }
    let (f, entry) = match collect::outputs(t, &ws, key.is_some())? {
        Ok(collected) => collected,
        Err(why) => return Ok(Outcome::Failed(why)),
    };
    if let Some(key) = &key
        && let Err(e) = cache::store(&ws.dir, key, &entry).and_then(|()| store.keep(key, &entry))
    {
        shared.say(
            &ws.label,
            &format!("warning: {e:#}; it will run again next time"),
        );
    }
    Ok(Outcome::Ran(f))
}

/// Each input artifact: its name, where its producer left it, and where
/// this task's container sees it.
fn input_artifacts(
    t: &TaskNode,
    ctx: &RunContext,
    finished: &BTreeMap<String, Finished>,
    ws: &Workspace,
) -> anyhow::Result<Vec<(String, PathBuf, PathBuf)>> {
    let mut out = Vec::new();
    for a in &t.inputs {
        let (producer, output) = a.producer();
        let Some(from) = ctx.plan.tasks.get(producer) else {
            bail!(
                "input artifact `{}` comes from a task this pipeline does not have",
                a.name
            );
        };
        let Some(src) = finished
            .get(&from.name)
            .and_then(|f| f.artifacts.get(output))
        else {
            bail!(
                "input artifact `{}` comes from `{}.{output}`, which is not available",
                a.name,
                from.name
            );
        };
        out.push((a.name.clone(), src.clone(), ws.local(&a.path)));
    }
    Ok(out)
}
