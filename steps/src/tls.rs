//! TLS setup: rustls with the ring provider (no OpenSSL, no aws-lc).

/// Installs ring as rustls' process-wide crypto provider (once; later calls
/// are no-ops).
pub fn install_crypto_provider() {
    let _ = rustls::crypto::ring::default_provider().install_default();
}
