//! The README's first pipeline: a parameter, a retry, an ordering edge and a
//! condition.

use kpipe::{ContainerStep, Pipeline, Retry};

/// The example pipeline.
pub fn pipeline() -> Pipeline {
    let p = Pipeline::new("hello");
    p.image("alpine:3.20");
    let who = p.string_param("who", "world");
    let greet = p
        .add(ContainerStep::new("greet", ["echo", "hello"]).arg(&who))
        .retry(Retry::limit(2));
    p.add(ContainerStep::new("cheer", ["echo", "hooray for"]).arg(&who))
        .after(&greet)
        .when(who.ne("nobody"));
    p
}
