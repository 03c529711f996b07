//! Typed artifacts: the data edges of the step graph.

use std::fmt;
use std::marker::PhantomData;

use crate::ir::KFP_ARTIFACT;
use crate::ir::value::OutputRef;

/// A kind of artifact that flows between steps (a repository checkout, a data
/// set, a model directory …).
///
/// Implement it on a marker type; the type parameter of [`Artifact`] then makes
/// wiring a `Model` into a `Dataset` input a compile-time error.
pub trait ArtifactType: 'static {
    /// Human-readable kind, used in diagnostics and in `kpipe graph`.
    const KIND: &'static str;
    /// The artifact's type in Kubeflow Pipelines v2 (an MLMD schema title:
    /// `system.Dataset`, `system.Model`, …); [`KFP_ARTIFACT`] unless the
    /// type says otherwise.
    const KFP_TYPE: &'static str = KFP_ARTIFACT;
}

/// A handle to an artifact of type `T`, produced by one step and consumed by
/// others. Only [`Io::output`](crate::Io::output) creates one.
pub struct Artifact<T: ArtifactType> {
    pub(crate) source: OutputRef,
    kind: PhantomData<fn() -> T>,
}

impl<T: ArtifactType> Artifact<T> {
    pub(crate) fn new(source: OutputRef) -> Self {
        Self {
            source,
            kind: PhantomData,
        }
    }

    /// The name of the output on its producing step.
    pub fn name(&self) -> &str {
        &self.source.output
    }
}

impl<T: ArtifactType> Clone for Artifact<T> {
    fn clone(&self) -> Self {
        Self::new(self.source.clone())
    }
}

impl<T: ArtifactType> fmt::Debug for Artifact<T> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(
            f,
            "Artifact<{}>({}.{})",
            T::KIND,
            self.source.task_name,
            self.source.output
        )
    }
}
