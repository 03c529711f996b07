//! OCI images without a container engine: reproducible layers, config and
//! manifest, an OCI image layout on disk, and a push over the OCI
//! distribution API (chunked uploads, existing-blob checks, basic or bearer
//! token auth).

pub mod image;
pub mod layer;
pub mod registry;
