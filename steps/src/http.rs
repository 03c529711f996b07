//! The one HTTP client builder of the steps (GitHub, registries, the model
//! server): rustls with ring, kpipe's user agent, a connect timeout.

use std::time::Duration;

use anyhow::Context;

/// The user agent of every request the steps send.
pub const USER_AGENT: &str = concat!("kpipe/", env!("CARGO_PKG_VERSION"));

/// A client whose requests fail after `timeout` (connecting: 20 s at most).
pub fn client(timeout: Duration) -> anyhow::Result<reqwest::Client> {
    kpipe_runtime::tls::install_crypto_provider();
    reqwest::Client::builder()
        .user_agent(USER_AGENT)
        .connect_timeout(timeout.min(Duration::from_secs(20)))
        .timeout(timeout)
        .build()
        .context("cannot set up the HTTP client (TLS)")
}

/// An `authorization` header value that HTTP/2 never indexes and debug
/// output hides.
pub fn sensitive_header(value: &str) -> anyhow::Result<reqwest::header::HeaderValue> {
    let mut v = reqwest::header::HeaderValue::from_str(value)
        .context("a credential holds characters an HTTP header cannot carry")?;
    v.set_sensitive(true);
    Ok(v)
}
