//! The implementations of kpipe's pipeline steps, one module per subcommand
//! under [`cmd`]. The command-line structs live in `kpipe-step-contract`,
//! shared with the compiler that renders them.

pub mod analyze;
pub mod bot;
pub mod cmd;
pub mod data;
pub mod fsutil;
pub mod git;
pub mod github;
pub mod ml;
pub mod oci;
pub mod serve;
pub mod tls;

pub use cmd::run;

/// Base64 (RFC 4648, padded), shared by git and registry auth headers.
pub fn git_base64(bytes: &[u8]) -> String {
    git::base64(bytes)
}
