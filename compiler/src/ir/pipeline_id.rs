//! The identity of a pipeline value, shared by every handle it hands out.

use std::sync::atomic::{AtomicU64, Ordering};

/// Identity of one `Pipeline` value, so handles from another pipeline are
/// recognised as foreign.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub(crate) struct PipelineId(u64);

impl PipelineId {
    pub(crate) fn next() -> Self {
        static NEXT: AtomicU64 = AtomicU64::new(1);
        Self(NEXT.fetch_add(1, Ordering::Relaxed))
    }
}
