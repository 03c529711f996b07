//! Partial runs: `--from`, `--only`, `--until`. Which tasks run, which
//! reuse what the workdir's last run left, and which are left out.

use std::collections::BTreeSet;
use std::path::PathBuf;

use anyhow::bail;
use kpipe_compiler::ir::PipelineData;

use super::Finished;
use super::cache;
use super::record::Record;

/// Which part of the pipeline a run runs.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct Selection {
    /// `--from`: these tasks and everything downstream run, even when
    /// cached; their upstream is reused from the workdir, or runs when it
    /// left nothing there.
    pub from: Vec<String>,
    /// `--only`: just these tasks run; their inputs come from the
    /// workdir's last run.
    pub only: Vec<String>,
    /// `--until`: this task and its upstream; nothing after it.
    pub until: Option<String>,
}

/// What a run does with one task.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) enum Plan {
    /// Runs, cached as usual.
    Auto,
    /// Runs, even when cached (selected with `--from` or `--only`).
    Force,
    /// Not selected: reuses the last run's outputs (runs when there are
    /// none and `runs_otherwise`).
    Reuse { runs_otherwise: bool },
    /// Not selected and not needed: left out.
    Skip,
}

impl Selection {
    /// Whether the whole pipeline runs.
    pub fn is_all(&self) -> bool {
        self.from.is_empty() && self.only.is_empty() && self.until.is_none()
    }

    /// How the flags read (`--from train`), for messages.
    pub fn describe(&self) -> String {
        let mut parts = Vec::new();
        if !self.from.is_empty() {
            parts.push(format!("--from {}", self.from.join(",")));
        }
        if !self.only.is_empty() {
            parts.push(format!("--only {}", self.only.join(",")));
        }
        if let Some(u) = &self.until {
            parts.push(format!("--until {u}"));
        }
        parts.join(" ")
    }

    /// Each task's plan (by index), or why the selection is wrong.
    pub(crate) fn plans(&self, d: &PipelineData) -> anyhow::Result<Vec<Plan>> {
        let n = d.tasks.len();
        if self.is_all() {
            return Ok(vec![Plan::Auto; n]);
        }
        let names: Vec<&str> = d.tasks.iter().map(|t| t.name.as_str()).collect();
        let index = |name: &str| -> anyhow::Result<usize> {
            match names.iter().position(|n| *n == name) {
                Some(i) => Ok(i),
                None => bail!(
                    "{}: `{name}` is not a step of {}; its steps: {}",
                    self.describe(),
                    d.name,
                    names.join(", ")
                ),
            }
        };
        let deps = d.dependencies();
        let upstream = |roots: &[usize]| closure(roots, |i| deps[i].iter().copied().collect());
        let downstream = |roots: &[usize]| {
            closure(roots, |i| {
                (0..n).filter(|&j| deps[j].contains(&i)).collect::<Vec<_>>()
            })
        };
        let mut plans = vec![Plan::Auto; n];
        if !self.from.is_empty() {
            let roots = self
                .from
                .iter()
                .map(|s| index(s))
                .collect::<anyhow::Result<Vec<_>>>()?;
            let selected = downstream(&roots);
            for (i, p) in plans.iter_mut().enumerate() {
                *p = if selected.contains(&i) {
                    Plan::Force
                } else {
                    Plan::Reuse {
                        runs_otherwise: true,
                    }
                };
            }
        }
        if !self.only.is_empty() {
            let only = self
                .only
                .iter()
                .map(|s| index(s))
                .collect::<anyhow::Result<BTreeSet<_>>>()?;
            let needed = upstream(&only.iter().copied().collect::<Vec<_>>());
            for (i, p) in plans.iter_mut().enumerate() {
                *p = if only.contains(&i) {
                    Plan::Force
                } else if needed.contains(&i) {
                    Plan::Reuse {
                        runs_otherwise: false,
                    }
                } else {
                    Plan::Skip
                };
            }
        }
        if let Some(until) = &self.until {
            let keep = upstream(&[index(until)?]);
            for (i, p) in plans.iter_mut().enumerate() {
                if !keep.contains(&i) {
                    *p = Plan::Skip;
                }
            }
        }
        Ok(plans)
    }
}

/// `roots` and everything `next` reaches from them.
fn closure(roots: &[usize], next: impl Fn(usize) -> Vec<usize>) -> BTreeSet<usize> {
    let mut seen: BTreeSet<usize> = roots.iter().copied().collect();
    let mut stack: Vec<usize> = roots.to_vec();
    while let Some(i) = stack.pop() {
        for j in next(i) {
            if seen.insert(j) {
                stack.push(j);
            }
        }
    }
    seen
}

/// What the workdir's last run left of task `name`: its outputs (from the
/// cache entries of its directories, unchanged since) and the directories,
/// or `None` when it left nothing usable.
pub(crate) fn last_outputs(
    last: Option<&Record>,
    name: &str,
    dirs: &[PathBuf],
) -> Option<(Finished, Vec<PathBuf>)> {
    let dirs: Vec<PathBuf> = match last.and_then(|r| r.tasks.iter().find(|t| t.name == name)) {
        Some(t)
            if matches!(t.status.as_str(), "succeeded" | "cached" | "reused")
                && !t.dirs.is_empty() =>
        {
            t.dirs.clone()
        }
        Some(_) => return None,
        None => dirs.to_vec(),
    };
    let mut f = Finished::default();
    for dir in &dirs {
        let entry = cache::outputs(dir)?;
        for (name, (path, _)) in entry.artifacts {
            f.artifacts.insert(name, path);
        }
        f.items.push(entry.params.clone());
        f.params.extend(entry.params);
    }
    Some((f, dirs))
}

#[cfg(test)]
mod tests {
    use super::*;
    use kpipe_compiler::{CompileOptions, ContainerStep, Pipeline};

    fn chain() -> std::sync::Arc<PipelineData> {
        // a → b → c, a → d
        let p = Pipeline::new("chain");
        p.image("alpine:3.20");
        let a = p.add(ContainerStep::new("a", ["true"]));
        let b = p.add(ContainerStep::new("b", ["true"])).after(&a);
        p.add(ContainerStep::new("c", ["true"])).after(&b);
        p.add(ContainerStep::new("d", ["true"])).after(&a);
        p.ir(&CompileOptions::default())
            .unwrap_or_else(|d| panic!("{d}"))
    }

    fn plans(s: Selection) -> Vec<Plan> {
        s.plans(&chain()).unwrap_or_else(|e| panic!("{e:#}"))
    }

    #[test]
    fn from_only_and_until_choose_what_runs() {
        let d = chain();
        let at = |name: &str| {
            d.tasks
                .iter()
                .position(|t| t.name == name)
                .unwrap_or(usize::MAX)
        };
        let reuse = Plan::Reuse {
            runs_otherwise: true,
        };
        let from = plans(Selection {
            from: vec!["b".into()],
            ..Selection::default()
        });
        assert_eq!(
            [from[at("a")], from[at("b")], from[at("c")], from[at("d")]],
            [reuse, Plan::Force, Plan::Force, reuse]
        );
        let only = plans(Selection {
            only: vec!["c".into()],
            ..Selection::default()
        });
        let needed = Plan::Reuse {
            runs_otherwise: false,
        };
        assert_eq!(
            [only[at("a")], only[at("b")], only[at("c")], only[at("d")]],
            [needed, needed, Plan::Force, Plan::Skip]
        );
        let until = plans(Selection {
            until: Some("b".into()),
            ..Selection::default()
        });
        assert_eq!(
            [
                until[at("a")],
                until[at("b")],
                until[at("c")],
                until[at("d")]
            ],
            [Plan::Auto, Plan::Auto, Plan::Skip, Plan::Skip]
        );
        let err = Selection {
            only: vec!["nope".into()],
            ..Selection::default()
        }
        .plans(&d)
        .err()
        .map(|e| e.to_string())
        .unwrap_or_default();
        assert_eq!(
            err,
            "--only nope: `nope` is not a step of chain; its steps: a, b, c, d"
        );
    }
}
