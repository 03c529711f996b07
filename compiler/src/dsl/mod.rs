//! The DSL: what a pipeline's author writes. Builders record the typed IR
//! (`crate::ir`); nothing here is read by a target.

pub(crate) mod arg;
pub(crate) mod arg_value;
pub(crate) mod artifact;
pub(crate) mod container_step;
pub(crate) mod into_arg;
pub(crate) mod output_param;
pub(crate) mod param;
pub(crate) mod pipeline;
pub(crate) mod step;
pub(crate) mod task;
