//! The starter-app pipeline: `generate` writes a data set, `fit` fits a line
//! to it and reports how well it fits. The data set is the artifact edge
//! between them; `rows` and `test-share` are parameters a run can change
//! (`-p rows=500`).

use kpipe::{Pipeline, Retry};

use super::steps::{Fit, Generate};

/// The pipeline's name (`starter-app compile starter-app`).
pub const NAME: &str = "starter-app";
/// What `compile --list` says about it.
pub const SUMMARY: &str = "generate a data set and fit a line to it";

/// The image every step runs: this crate's binary (see Containerfile).
pub const IMAGE: &str = "registry.example.com/starter-app:0.1.0";

/// Builds the pipeline.
pub fn pipeline() -> Pipeline {
    let p = Pipeline::new(NAME);
    p.description(SUMMARY).image(IMAGE);
    let rows = p.int_param("rows", 200);
    let data = p.add(Generate {
        rows: &rows,
        seed: 7,
    });
    p.add(Fit {
        data: &data.out.data,
        test_share: &p.float_param("test-share", 0.2),
    })
    .retry(Retry::limit(2));
    p
}
