//! What kpipe's integration tests share (dev-only; never a dependency of a
//! shipped crate).
//!
//! Every wait here is on a condition with a deadline and a message naming
//! what was awaited: a test that cannot get what it waits for fails with
//! that message instead of hanging. Nothing sleeps to synchronise.
//!
//! - [`SharedBuf`]: a writer whose bytes the test reads back.
//! - [`wait`]: poll a condition until a deadline ([`wait_until`]).
//! - [`govaluate`]: an oracle for Argo's `when` — substitute `{{…}}` the way
//!   the workflow controller does ([`govaluate::substitute`]), then evaluate
//!   the expression as govaluate does ([`govaluate::evaluate`]).
//! - [`process`]: run a command with a deadline ([`output_within`]), follow a
//!   child's log lines ([`LogLines`]).
//! - [`http`]: one raw HTTP/1.1 exchange with socket timeouts ([`exchange`]).
//! - [`oci`]: a real registry (docker-registry) and podman as it runs here.
//! - [`server`]: fake API servers ([`serve`]), kubeconfigs pointing at them
//!   ([`kubeconfig`]), RFC 7386 merge patches ([`merge_patch`]), uploaded
//!   files ([`form_file`]).
//! - [`fuzz`]: JSON of any shape for property tests ([`fuzz::any_json`]).
//! - [`schema`]: closed JSON schemas, the real APIs' ([`swagger_validator`],
//!   [`schema::close`]).

mod buf;
pub mod fuzz;
pub mod govaluate;
pub mod http;
pub mod oci;
pub mod process;
pub mod schema;
pub mod server;
pub mod wait;

pub use buf::SharedBuf;
pub use http::{Response, exchange};
pub use process::{
    CommandExt, LogLines, RUN, exit_within, files, finish_within, output_within, text,
};
pub use schema::swagger_validator;
pub use server::{FormFile, form_file, kubeconfig, merge_patch, serve};
pub use wait::{WAIT, wait_until};
