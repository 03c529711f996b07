//! One module per step: its DSL struct, its command-line struct, and the
//! rendering between them.

pub(crate) mod analyze;
pub(crate) mod bot;
pub(crate) mod build_image;
pub(crate) mod checkout;
pub(crate) mod commit_changes;
pub(crate) mod predict;
pub(crate) mod rollout;
pub(crate) mod serve;
pub(crate) mod train;
pub(crate) mod update_api;
pub(crate) mod update_data;
