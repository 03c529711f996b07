//! A step's outputs after it succeeded: its artifacts (a required one that
//! is missing fails the step) and its output parameters, for the tasks
//! after it and for the cache.

use anyhow::Context as _;
use kpipe_compiler::ir::TaskNode;

use super::Finished;
use super::cache::{self, Entry};
use super::workspace::Workspace;

/// The outputs `t` left in `ws`, and its cache entry (artifacts hashed when
/// `hash`); `Err(why)` when the step did not write a required artifact.
pub(crate) fn outputs(
    t: &TaskNode,
    ws: &Workspace,
    hash: bool,
) -> anyhow::Result<Result<(Finished, Entry), String>> {
    let mut f = Finished::default();
    let mut entry = Entry::default();
    for o in &t.outputs {
        let path = ws.local(&o.path);
        if !path.exists() {
            if o.optional {
                continue;
            }
            return Ok(Err(format!(
                "it did not write output artifact `{}` ({})",
                o.name, o.path
            )));
        }
        if hash {
            let digest = cache::hash_tree(&path)?;
            entry
                .artifacts
                .insert(o.name.clone(), (path.clone(), digest));
        }
        f.artifacts.insert(o.name.clone(), path);
    }
    for p in &t.output_params {
        let path = ws.local(&p.path);
        let value = std::fs::read_to_string(&path).with_context(|| {
            format!(
                "output parameter `{}`: cannot read {}",
                p.name,
                path.display()
            )
        })?;
        f.params.insert(p.name.clone(), value.trim_end().to_owned());
    }
    entry.params = f.params.clone();
    Ok(Ok((f, entry)))
}
