//! TLS: rustls with the ring provider (no OpenSSL, no aws-lc), shared by
//! every HTTPS and Kubernetes client of kpipe and its step binary.

/// Installs ring as rustls' process-wide crypto provider (once; later calls
/// are no-ops). kube's and reqwest's clients both use it.
pub fn install_crypto_provider() {
    let _ = rustls::crypto::ring::default_provider().install_default();
}
