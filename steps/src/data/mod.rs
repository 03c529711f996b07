//! GitHub data: the typed data set `update-data` writes and later steps read.

pub mod dataset;
