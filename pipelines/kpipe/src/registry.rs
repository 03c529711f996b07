//! The pipelines an [`App`](crate::App) knows: lookup, the default, and
//! how a local run binds what differs between a laptop and a cluster (a
//! preparation hook and a profile; never a second pipeline).

use std::collections::BTreeMap;
use std::panic::Location;
use std::path::{Path, PathBuf};

use kpipe_compiler::Pipeline;

/// Where a local run happens: its working directory, and the programs the
/// steps' commands name, found on this machine.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct LocalEnv {
    /// Every step's files go under `workdir/steps/<task>/`.
    pub workdir: PathBuf,
    /// Program name (a container command's first word) → local executable,
    /// for programs not found by name (the app itself, `--program`).
    pub programs: BTreeMap<String, PathBuf>,
}

impl LocalEnv {
    /// The local executable for `program`: given with `--program` (or the
    /// app's own binary), next to this binary, or on `PATH`; `None` when it
    /// is not on this machine.
    pub fn program(&self, program: &str) -> Option<PathBuf> {
        if let Some(p) = self.programs.get(program) {
            return Some(p.clone());
        }
        if program.contains('/') {
            let p = Path::new(program);
            return p.is_file().then(|| p.to_path_buf());
        }
        if let Ok(me) = std::env::current_exe()
            && let Some(sibling) = me.parent().map(|d| d.join(program))
            && sibling.is_file()
        {
            return Some(sibling);
        }
        std::env::split_paths(&std::env::var_os("PATH").unwrap_or_default())
            .map(|d| d.join(program))
            .find(|p| p.is_file())
    }
}

/// What a local run's preparation provides: parameter values (used unless
/// the profile or `-p` sets them) and host paths the steps read (a
/// container engine mounts them at the same path).
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct LocalPrep {
    /// Parameter values.
    pub params: Vec<(String, String)>,
    /// Host paths the steps read, by the same path, in their containers.
    pub shared: Vec<PathBuf>,
}

impl LocalPrep {
    /// Nothing yet.
    pub fn new() -> Self {
        Self::default()
    }

    /// Sets parameter `name` (unless the profile or `-p` does).
    pub fn param(mut self, name: impl Into<String>, value: impl Into<String>) -> Self {
        self.params.push((name.into(), value.into()));
        self
    }

    /// Makes host path `path` visible to the steps at the same path.
    pub fn share(mut self, path: impl Into<PathBuf>) -> Self {
        self.shared.push(path.into());
        self
    }
}

type PrepareFn = Box<dyn Fn(&LocalEnv) -> anyhow::Result<LocalPrep>>;

/// A registered pipeline.
pub struct Entry {
    pub(crate) name: String,
    pub(crate) summary: String,
    pub(crate) build: Box<dyn Fn() -> Pipeline>,
    pub(crate) prepare_local: Option<PrepareFn>,
    pub(crate) local_profile: Option<(&'static str, &'static Location<'static>)>,
    pub(crate) prow_bot: Option<String>,
    pub(crate) location: &'static Location<'static>,
}

impl std::fmt::Debug for Entry {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Entry")
            .field("name", &self.name)
            .field("summary", &self.summary)
            .finish_non_exhaustive()
    }
}

impl Entry {
    /// Pipeline `name` (what `compile NAME` takes), described by `summary`
    /// (`compile --list`), built by `build`.
    #[track_caller]
    pub fn new(
        name: impl Into<String>,
        summary: impl Into<String>,
        build: impl Fn() -> Pipeline + 'static,
    ) -> Self {
        Self {
            name: name.into(),
            summary: summary.into(),
            build: Box::new(build),
            prepare_local: None,
            local_profile: None,
            prow_bot: None,
            location: Location::caller(),
        }
    }

    /// Runs before a local run (e.g. to create a local data repository in
    /// the workdir); returns parameter values to use unless the profile or
    /// `-p` sets them, and host paths the steps read.
    pub fn prepare_local(
        mut self,
        prepare: impl Fn(&LocalEnv) -> anyhow::Result<LocalPrep> + 'static,
    ) -> Self {
        self.prepare_local = Some(Box::new(prepare));
        self
    }

    /// The local profile a local run uses unless `--profile` names another:
    /// YAML text with `params:` (name: value) and `secrets:` (name: path),
    /// usually a file kept next to the pipeline
    /// (`include_str!("local.yaml")`). See [`LocalProfile`](crate::LocalProfile).
    #[track_caller]
    pub fn local_profile(mut self, yaml: &'static str) -> Self {
        self.local_profile = Some((yaml, Location::caller()));
        self
    }

    /// The endpoint of the pipeline's bot, which `prow --plugins` registers
    /// as an external plugin for issue and pull request events.
    pub fn prow_bot(mut self, endpoint: impl Into<String>) -> Self {
        self.prow_bot = Some(endpoint.into());
        self
    }

    /// The pipeline's registered name.
    pub fn name(&self) -> &str {
        &self.name
    }

    /// Builds the pipeline.
    pub fn build(&self) -> Pipeline {
        (self.build)()
    }
}

/// The registered pipelines and which one commands use by default.
#[derive(Debug, Default)]
pub(crate) struct Registry {
    pub(crate) entries: Vec<Entry>,
    pub(crate) default: Option<String>,
}

impl Registry {
    /// Problems with the registrations, as error messages.
    pub(crate) fn problems(&self) -> Vec<String> {
        let mut out = Vec::new();
        for (i, a) in self.entries.iter().enumerate() {
            if let Some(b) = self.entries[..i].iter().find(|b| b.name == a.name) {
                out.push(format!(
                    "two pipelines are registered as `{}` ({}:{} and {}:{}); register each under its own name",
                    a.name,
                    b.location.file(),
                    b.location.line(),
                    a.location.file(),
                    a.location.line()
                ));
            }
            if a.name.is_empty() || a.name.chars().any(char::is_whitespace) {
                out.push(format!(
                    "a pipeline is registered as `{}` ({}:{}); a name is one word, e.g. `fraud-daily`",
                    a.name,
                    a.location.file(),
                    a.location.line()
                ));
            }
        }
        if let Some(d) = &self.default
            && !self.entries.iter().any(|e| &e.name == d)
        {
            out.push(format!(
                "the default pipeline `{d}` is not registered; known pipelines: {}",
                self.known()
            ));
        }
        out
    }

    fn known(&self) -> String {
        if self.entries.is_empty() {
            "none".to_owned()
        } else {
            self.entries
                .iter()
                .map(|e| e.name.as_str())
                .collect::<Vec<_>>()
                .join(", ")
        }
    }

    /// The entry for `name`, the default one when `name` is `None`, or an
    /// error listing the known pipelines.
    pub(crate) fn lookup(&self, name: Option<&str>) -> anyhow::Result<&Entry> {
        let name = match (name, &self.default, self.entries.as_slice()) {
            (Some(n), _, _) => n,
            (None, Some(d), _) => d.as_str(),
            (None, None, [only]) => only.name.as_str(),
            (None, None, _) => anyhow::bail!(
                "name a pipeline; known pipelines: {} (see `compile --list`)",
                self.known()
            ),
        };
        self.entries.iter().find(|e| e.name == name).ok_or_else(|| {
            anyhow::anyhow!(
                "unknown pipeline `{name}`; known pipelines: {} (see `compile --list`)",
                self.known()
            )
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn pipeline() -> Pipeline {
        Pipeline::new("p")
    }

    fn registry(names: &[&str], default: Option<&str>) -> Registry {
        Registry {
            entries: names
                .iter()
                .map(|n| Entry::new(*n, "s", pipeline))
                .collect(),
            default: default.map(str::to_owned),
        }
    }

    #[test]
    fn lookup_uses_the_name_the_default_or_the_only_pipeline() {
        let one = registry(&["a"], None);
        assert_eq!(
            one.lookup(None).map(|e| e.name.clone()).ok().as_deref(),
            Some("a")
        );
        let two = registry(&["a", "b"], Some("b"));
        assert_eq!(
            two.lookup(None).map(|e| e.name.clone()).ok().as_deref(),
            Some("b")
        );
        assert_eq!(
            two.lookup(Some("a"))
                .map(|e| e.name.clone())
                .ok()
                .as_deref(),
            Some("a")
        );
        let err = |r: &Registry, n: Option<&str>| {
            r.lookup(n).err().map(|e| e.to_string()).unwrap_or_default()
        };
        assert_eq!(
            err(&two, Some("c")),
            "unknown pipeline `c`; known pipelines: a, b (see `compile --list`)"
        );
        assert_eq!(
            err(&registry(&["a", "b"], None), None),
            "name a pipeline; known pipelines: a, b (see `compile --list`)"
        );
        assert!(err(&Registry::default(), None).contains("known pipelines: none"));
    }

    #[test]
    fn two_pipelines_under_one_name_and_a_missing_default_are_problems() {
        assert!(registry(&["a", "b"], Some("a")).problems().is_empty());
        let dup = registry(&["a", "b", "a"], None).problems();
        assert_eq!(dup.len(), 1, "{dup:?}");
        assert!(
            dup[0].starts_with(
                "two pipelines are registered as `a` (pipelines/kpipe/src/registry.rs:"
            ),
            "{}",
            dup[0]
        );
        let missing = registry(&["a"], Some("z")).problems();
        assert_eq!(
            missing,
            ["the default pipeline `z` is not registered; known pipelines: a"]
        );
        assert_eq!(registry(&["two words"], None).problems().len(), 1);
    }
}
