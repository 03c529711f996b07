//! GitHub data: the typed data set `update-data` writes and later steps read.

pub mod bulk;
pub mod dataset;
pub mod github_item;
pub mod release_note;
pub mod store;
