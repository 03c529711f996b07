//! TLS: rustls with the ring provider (no OpenSSL, no aws-lc), shared by
//! every HTTPS and Kubernetes client of kpipe and its step binary.

/// Installs ring as rustls' process-wide crypto provider (once; later calls
/// are no-ops). kube's and reqwest's clients both use it.
pub fn install_crypto_provider() {
    // rustls 0.23.48 deprecates ring's provider ("no support for
    // post-quantum algorithms"; aws-lc-rs has them). kpipe keeps ring on
    // purpose: aws-lc-rs builds a C library (a C compiler and cmake), which
    // kpipe's builds do without. The allowance keeps a user's build of a
    // crate that depends on kpipe (a path dependency, whose warnings cargo
    // shows) free of the warning, whichever 0.23 release it resolves.
    #[allow(deprecated)]
    let provider = rustls::crypto::ring::default_provider();
    let _ = provider.install_default();
}
