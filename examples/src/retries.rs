//! Failure handling: retries with exponential backoff, a timeout, and
//! memoization so a re-run skips a step whose inputs did not change.

use std::time::Duration;

use kpipe::{ContainerStep, Memoize, Pipeline, Retry, RetryPolicy, Value};

/// The example pipeline.
pub fn pipeline() -> Pipeline {
    let p = Pipeline::new("retries");
    p.description("retries with backoff, timeouts and memoization")
        .image("alpine:3.20");
    let url = p.string_param("url", "https://example.com/data.csv");
    // A flaky download: the first two attempts fail, the third succeeds.
    // `Value::retries()` is the attempt number (0, 1, …; Argo's
    // `{{retries}}`); KFP v2 has none, so this example compiles for Argo
    // only (`--target kfp` says why).
    let fetch = p
        .add(
            ContainerStep::new(
                "fetch",
                [
                    "sh",
                    "-c",
                    "echo \"attempt $0: fetching $1\"; \
                     if [ \"$0\" -lt 2 ]; then echo 'the server is busy' >&2; exit 1; fi; \
                     echo 'region,sales' > /tmp/data.csv && echo fetched",
                ],
            )
            .arg(Value::retries())
            .arg(&url),
        )
        .retry(Retry::limit(3).policy(RetryPolicy::OnFailure).backoff(
            Duration::from_secs(1),
            2,
            Some(Duration::from_secs(60)),
        ))
        .timeout_seconds(600)
        .memoize(Memoize::new(Value::from(&url), "fetch-cache", "24h"));
    p.add(ContainerStep::new("summarise", ["echo", "fetched"]).arg(&url))
        .after(&fetch)
        .retry(Retry::limit(2));
    p
}
