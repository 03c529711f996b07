//! The pipelines `kpipe` knows.

use kpipe_compiler::Pipeline;

/// Which variant of a pipeline to build.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Profile {
    /// What runs on a cluster: secrets mounted, images pushed, data committed
    /// and pushed on master, the model rolled out.
    Cluster,
    /// The embedded defaults of `kpipe run --local`: the data repository is
    /// `repo` (a local path or URL), nothing is pushed or rolled out, and the
    /// GitHub API is not contacted.
    Local {
        /// The data repository to check out.
        repo: String,
        /// The local kpipe-step binary (what the serving image contains).
        step_binary: String,
    },
}

impl Profile {
    /// True for [`Profile::Local`].
    pub fn is_local(&self) -> bool {
        matches!(self, Profile::Local { .. })
    }
}

/// A named pipeline.
#[derive(Clone, Copy, Debug)]
pub struct PipelineEntry {
    /// Name, as given to `kpipe compile NAME`.
    pub name: &'static str,
    /// One line shown by `kpipe compile --list`.
    pub summary: &'static str,
    /// Builds the pipeline.
    pub build: fn(&Profile) -> Pipeline,
}

/// Every pipeline, in the order `--list` shows them.
pub fn all() -> Vec<PipelineEntry> {
    vec![PipelineEntry {
        name: crate::kubernetes_analysis::NAME,
        summary: crate::kubernetes_analysis::SUMMARY,
        build: crate::kubernetes_analysis::pipeline,
    }]
}

/// The pipeline named `name`.
pub fn find<'a>(registry: &'a [PipelineEntry], name: &str) -> Option<&'a PipelineEntry> {
    registry.iter().find(|p| p.name == name)
}
