//! Where a local run keeps its files: the one module that knows the
//! workdir's layout (the runner, the cache, the report and the record all
//! ask it).
//!
//! ```text
//! <workdir>/
//!   run.json            the run record (record.rs): what ran, how it ended
//!   report.html         the run report, rendered from the record
//!   workflow.yaml       the Argo Workflow this run executed (its parameters bound)
//!   lock                the running kpipe's pid and its steps' process groups
//!   secrets/<secret>/   local copies of the `--secret` files, at the volume's mode
//!   cache/<dir>/<key>/  earlier results of a task directory, by key (store.rs)
//!   cache/programs.json the digests of the programs steps ran, by file metadata
//!   steps/<task>/       one task, or <task>.<k> for item k of a loop
//!     log.txt           everything the step printed, stdout and stderr in order
//!     cache.json        the cache entry of its last successful run
//!     root/             the container's paths: root/kpipe/inputs/NAME,
//!                       root/kpipe/outputs/NAME, root/<mount path>
//! ```

use std::path::{Path, PathBuf};

/// The files of one local run.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Layout {
    workdir: PathBuf,
}

impl Layout {
    /// The layout under `workdir`.
    pub fn new(workdir: impl Into<PathBuf>) -> Self {
        Self {
            workdir: workdir.into(),
        }
    }

    /// The run's directory.
    pub fn workdir(&self) -> &Path {
        &self.workdir
    }

    /// Where every step's directory is.
    pub fn steps(&self) -> PathBuf {
        self.workdir.join("steps")
    }

    /// The directory of task `task`, or of its loop item `item`.
    pub fn task_dir(&self, task: &str, item: Option<usize>) -> PathBuf {
        match item {
            // ('.' is in no task name: a DNS label)
            Some(k) => self.steps().join(format!("{task}.{k}")),
            None => self.steps().join(task),
        }
    }

    /// The store of earlier results of task directory `dir_name`.
    pub fn store(&self, dir_name: &str) -> PathBuf {
        self.workdir.join("cache").join(dir_name)
    }

    /// The digests of programs steps ran, by file metadata.
    pub fn program_digests(&self) -> PathBuf {
        self.workdir.join("cache").join("programs.json")
    }

    /// The run record.
    pub fn record(&self) -> PathBuf {
        self.workdir.join("run.json")
    }

    /// The run report.
    pub fn report(&self) -> PathBuf {
        self.workdir.join("report.html")
    }

    /// The workflow the run executed.
    pub fn workflow(&self) -> PathBuf {
        self.workdir.join("workflow.yaml")
    }

    /// The lock of the kpipe running in this workdir.
    pub fn lock(&self) -> PathBuf {
        self.workdir.join("lock")
    }

    /// The local copy of secret `name`.
    pub fn secret(&self, name: &str) -> PathBuf {
        self.workdir.join("secrets").join(name)
    }

    /// A task directory's log.
    pub fn log(dir: &Path) -> PathBuf {
        dir.join("log.txt")
    }

    /// A task directory's cache entry.
    pub fn cache_entry(dir: &Path) -> PathBuf {
        dir.join("cache.json")
    }

    /// Where a task directory keeps the container's paths.
    pub fn root(dir: &Path) -> PathBuf {
        dir.join("root")
    }

    /// Where container path `path` of a task directory is on this machine.
    pub fn local(dir: &Path, path: &str) -> PathBuf {
        Self::root(dir).join(path.trim_start_matches('/'))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn every_path_is_under_the_workdir() {
        let l = Layout::new("/w");
        assert_eq!(l.task_dir("train", None), Path::new("/w/steps/train"));
        assert_eq!(l.task_dir("sweep", Some(2)), Path::new("/w/steps/sweep.2"));
        let dir = l.task_dir("train", None);
        assert_eq!(
            Layout::local(&dir, "/kpipe/outputs/model"),
            Path::new("/w/steps/train/root/kpipe/outputs/model")
        );
        assert_eq!(Layout::log(&dir), Path::new("/w/steps/train/log.txt"));
        assert_eq!(l.secret("ssh-key"), Path::new("/w/secrets/ssh-key"));
    }
}
