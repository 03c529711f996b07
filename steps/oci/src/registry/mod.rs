//! The OCI distribution API (feature `registry`): a [`Client`] that answers
//! the registry's authentication challenge (basic credentials, or a bearer
//! token from the token service it names), [`push()`] of an image (chunked
//! blob uploads, blobs the registry has skipped) and [`pull()`] of one
//! (an index resolved to this machine's platform, every blob checked
//! against its digest).
//!
//! The caller builds the `reqwest::Client` (its TLS provider, user agent and
//! proxy settings are the application's).

pub mod challenge;
pub mod client;
pub mod credentials;
pub mod pull;
pub mod push;
mod upload;

pub use client::Client;
pub use credentials::Credentials;
pub use pull::{Pulled, pull};
pub use push::push;
