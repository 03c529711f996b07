//! The one HTTP client builder of `kpipe submit` (Kubeflow Pipelines, the
//! Argo Server's lint): rustls on ring, kpipe's user agent, a deadline per
//! request.

use std::time::Duration;

use anyhow::Context;

/// An HTTP client whose requests give up after `timeout`.
pub(crate) fn client(timeout: Duration) -> anyhow::Result<reqwest::Client> {
    crate::tls::install_crypto_provider();
    reqwest::Client::builder()
        .user_agent(concat!("kpipe/", env!("CARGO_PKG_VERSION")))
        .timeout(timeout)
        .build()
        .context("cannot set up the HTTP client")
}
