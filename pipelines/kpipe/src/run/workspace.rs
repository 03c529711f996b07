//! A task's directory: the container paths it uses (artifacts, output
//! parameters, volume mounts), mapped into `<task dir>/root`, and the
//! volumes it mounts there (scratch space, secrets from `--secret`).

use std::path::{Path, PathBuf};

use anyhow::Context as _;

use super::layout::Layout;

/// What a volume mount holds locally.
#[derive(Clone, Debug, PartialEq, Eq)]
pub(crate) enum Fill {
    /// An empty directory (scratch space; a volume kind a local run does
    /// not have).
    Empty,
    /// Scratch space in memory (an `emptyDir` with medium `Memory`): a
    /// tmpfs in a container, a directory for a process.
    Tmpfs { size: Option<String> },
    /// The files of a secret given with `--secret` (`None`: not given, so
    /// empty, as an optional secret volume is), at `mode`.
    Secret {
        name: String,
        files: Option<PathBuf>,
        mode: u32,
    },
}

/// A volume mounted into the task.
#[derive(Clone, Debug, PartialEq, Eq)]
pub(crate) struct LocalMount {
    /// Where, in the container.
    pub(crate) path: String,
    pub(crate) fill: Fill,
    pub(crate) read_only: bool,
}

/// One run of a task (one loop item) on disk.
#[derive(Debug)]
pub(crate) struct Workspace {
    /// `<workdir>/steps/<task>` (or `<task>-<k>` in a loop).
    pub(crate) dir: PathBuf,
    /// `dir/root`: where container paths land.
    pub(crate) root: PathBuf,
    pub(crate) mounts: Vec<LocalMount>,
    /// Who speaks in the terminal's `[…]` lines: the task's name, and a loop
    /// item's value after it (`sweep 0.01`).
    pub(crate) label: String,
}

impl Workspace {
    pub(crate) fn new(dir: PathBuf, mounts: Vec<LocalMount>, label: String) -> Self {
        Self {
            root: Layout::root(&dir),
            dir,
            mounts,
            label,
        }
    }

    /// Where container path `p` is on this machine.
    pub(crate) fn local(&self, p: &str) -> PathBuf {
        Layout::local(&self.dir, p)
    }

    /// `text` with every mount path in it replaced by its local path (what
    /// a process sees of the container's file system).
    pub(crate) fn rewrite(&self, text: &str) -> String {
        let mut mapped: Vec<String> = self.mounts.iter().map(|m| m.path.clone()).collect();
        mapped.sort_by_key(|p| std::cmp::Reverse(p.len()));
        rewrite_paths(text, &mapped, &self.root)
    }

    /// Empties the directory and creates the root and the mounts (secrets
    /// copied in at their volume's mode).
    pub(crate) fn reset(&self) -> anyhow::Result<()> {
        if self.dir.exists() {
            std::fs::remove_dir_all(&self.dir)
                .with_context(|| format!("cannot clear {}", self.dir.display()))?;
        }
        std::fs::create_dir_all(&self.root)
            .with_context(|| format!("cannot create {}", self.root.display()))?;
        for m in &self.mounts {
            let dir = self.local(&m.path);
            std::fs::create_dir_all(&dir).with_context(|| {
                format!(
                    "cannot create {} for the volume mount {}",
                    dir.display(),
                    m.path
                )
            })?;
            if let Fill::Secret {
                files: Some(from),
                mode,
                name,
            } = &m.fill
            {
                copy_secret(from, &dir, *mode).with_context(|| {
                    format!("cannot put secret `{name}` into {}", dir.display())
                })?;
            }
        }
        Ok(())
    }
}

/// Copies the keys of a staged secret (one file each) into `to` at `mode`.
pub(crate) fn copy_secret(from: &Path, to: &Path, mode: u32) -> std::io::Result<()> {
    for e in std::fs::read_dir(from)? {
        let e = e?;
        if !e.file_type()?.is_file() {
            continue;
        }
        let dest = to.join(e.file_name());
        std::fs::copy(e.path(), &dest)?;
        set_mode(&dest, mode)?;
    }
    Ok(())
}

#[cfg(unix)]
pub(crate) fn set_mode(path: &Path, mode: u32) -> std::io::Result<()> {
    use std::os::unix::fs::PermissionsExt;
    std::fs::set_permissions(path, std::fs::Permissions::from_mode(mode))
}

#[cfg(not(unix))]
pub(crate) fn set_mode(_: &Path, _: u32) -> std::io::Result<()> {
    Ok(())
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
        for (text, rewritten) in [
            (
                "--out=/kpipe/outputs/model",
                "--out=/w/root/kpipe/outputs/model",
            ),
            (
                "--kfp-out=/kpipe/outputs",
                "--kfp-out=/w/root/kpipe/outputs",
            ),
            ("/kpipe/outputs/modelx", "/w/root/kpipe/outputs/modelx"),
            ("/x/kpipe/outputs", "/x/kpipe/outputs"),
        ] {
            assert_eq!(rewrite_paths(text, &mapped, root), rewritten, "{text}");
        }
    }
}
