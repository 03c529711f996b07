//! The implementations of kpipe's pipeline steps, one module per subcommand
//! under [`cmd`]. The command-line structs live in `kpipe-step-contract`,
//! shared with the compiler that renders them.

pub mod analyze;
pub mod bot;
pub mod cmd;
pub mod data;
pub mod git;
pub mod github;
pub mod http;
pub mod ml;
pub mod secret;
pub mod serve;

pub use cmd::steps;
