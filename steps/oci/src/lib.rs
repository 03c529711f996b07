//! OCI images without a container engine, shared by the pipeline step that
//! builds the serving image (`kpipe-step build-image`) and by
//! `kpipe image build` (an app's step image).
//!
//! - [`layer`]: reproducible layers (tar entries in a fixed order, owned by
//!   their numeric ids, dated at the epoch; gzip without a name or a
//!   timestamp): the same files give the same digest.
//! - [`rootfs`]: a root file system tarball (mmdebstrap's) rewritten as
//!   such a layer; [`user`]: the layer that adds a non-root user to a base;
//!   [`ldd`]: the shared libraries and glibc a binary needs.
//! - [`image`]: config and manifest over a list of layers;
//!   [`layout`]: an OCI image layout on disk (what `podman run oci:DIR`,
//!   skopeo and umoci read); [`store`]: a content-addressed blob directory
//!   (a layout's `blobs/`, or a cache).
//! - [`reference`](mod@reference): image references, normalised as docker does.
//! - `registry` (feature `registry`): the OCI distribution API: push and
//!   pull with basic or bearer-token authentication.
//!
//! Blobs are held in memory or as files ([`Blob`]), so a base image of a
//! few GiB is streamed, never loaded. Errors are `anyhow` errors with
//! context saying what failed and where: every caller is an application
//! that prints the chain once.

pub mod blob;
pub mod digest;
pub mod image;
pub mod layer;
pub mod layout;
pub mod ldd;
pub mod reference;
#[cfg(feature = "registry")]
pub mod registry;
pub mod rootfs;
pub mod store;
pub mod user;

pub use blob::Blob;
pub use digest::sha256;
pub use image::{Config, Image};
pub use layer::{Entry, Layer};
pub use reference::{ImageRef, Reference};
pub use store::Store;
