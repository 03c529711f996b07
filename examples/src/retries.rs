//! Failure handling: retries with exponential backoff, a timeout, and
//! memoization so a re-run skips a step whose inputs did not change.

use kpipe_compiler::{ContainerStep, Memoize, Pipeline, Retry, RetryPolicy, Value};

/// The example pipeline.
pub fn pipeline() -> Pipeline {
    let p = Pipeline::new("retries");
    p.description("retries with backoff, timeouts and memoization")
        .image("curlimages/curl:8.10.1");
    let url = p.string_param("url", "https://example.com/data.csv");
    let fetch = p
        .add(ContainerStep::new("fetch", ["curl", "-fsSL", "-o", "/tmp/data.csv"]).arg(&url))
        .retry(
            Retry::limit(5)
                .policy(RetryPolicy::OnTransientError)
                .backoff("10s", 2, Some("5m")),
        )
        .timeout_seconds(600)
        .memoize(Memoize::new(Value::from(&url), "fetch-cache", "24h"));
    p.add(ContainerStep::new("summarise", ["echo", "fetched"]).arg(&url))
        .after(&fetch)
        .retry(Retry::limit(2));
    p
}
