//! A task's directory: the container paths it uses (artifacts, output
//! parameters, volume mounts), mapped into `<workdir>/steps/<task>/root`.

use std::path::{Path, PathBuf};

use anyhow::Context as _;
use kpipe_compiler::argo::Template;

/// One run of a task (one loop iteration) on disk.
#[derive(Debug)]
pub(crate) struct Workspace {
    /// `<workdir>/steps/<task>` (or `<task>-<k>` in a loop).
    pub(crate) dir: PathBuf,
    /// `dir/root`: where container paths land.
    pub(crate) root: PathBuf,
    /// The container paths to rewrite, longest first.
    mapped: Vec<String>,
    /// Volume mount points, created before the step runs.
    mounts: Vec<String>,
}

impl Workspace {
    pub(crate) fn new(dir: PathBuf, template: &Template) -> Self {
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
            .collect();
        let mounts: Vec<String> = template
            .container
            .iter()
            .flat_map(|c| &c.volume_mounts)
            .map(|m| m.mount_path.clone())
            .collect();
        mapped.extend(mounts.iter().cloned());
        mapped.sort_by_key(|p| std::cmp::Reverse(p.len()));
        mapped.dedup();
        Self {
            root: dir.join("root"),
            dir,
            mapped,
            mounts,
        }
    }

    /// Where container path `p` is on this machine.
    pub(crate) fn local(&self, p: &str) -> PathBuf {
        self.root.join(p.trim_start_matches('/'))
    }

    /// `arg` with every mapped container path replaced by its local path.
    pub(crate) fn rewrite(&self, arg: &str) -> String {
        rewrite_paths(arg, &self.mapped, &self.root)
    }

    /// Empties the directory and creates the root and the mount points.
    pub(crate) fn reset(&self) -> anyhow::Result<()> {
        if self.dir.exists() {
            std::fs::remove_dir_all(&self.dir)
                .with_context(|| format!("cannot clear {}", self.dir.display()))?;
        }
        std::fs::create_dir_all(&self.root)
            .with_context(|| format!("cannot create {}", self.root.display()))?;
        for m in &self.mounts {
            let dir = self.local(m);
            std::fs::create_dir_all(&dir).with_context(|| {
                format!("cannot create {} for the volume mount {m}", dir.display())
            })?;
        }
        Ok(())
    }
}

/// Copies a file or directory tree (symlinks as symlinks).
pub(crate) fn copy_tree(from: &Path, to: &Path) -> std::io::Result<()> {
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

/// Rewrites occurrences of the container paths in `mapped` (longest first)
/// to `root`, on path boundaries only.
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
                result.push_str(&root.join(m.trim_start_matches('/')).to_string_lossy());
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
