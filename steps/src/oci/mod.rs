//! OCI images without a container engine: reproducible layers, config and
//! manifest, an OCI image layout on disk, and a push over the OCI
//! distribution API (chunked uploads, existing-blob checks, basic or bearer
//! token auth).

pub mod challenge;
pub mod credentials;
pub mod image;
pub mod layer;
pub mod reference;
pub mod registry;
pub mod upload;
