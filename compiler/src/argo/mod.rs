//! The first target: Argo Workflows (what Kubeflow Pipelines v1 runs). The
//! typed IR is lowered to the wire types of [`model`] (in `lower`); pieces,
//! values and conditions become Argo's `{{…}}` text and govaluate
//! expressions in one place (`text`).

pub(crate) mod lower;
#[allow(missing_docs)]
pub mod model;
pub(crate) mod text;

pub use lower::KFP_PIPELINE_SPEC;
pub use model::*;
