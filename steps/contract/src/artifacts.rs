//! The artifact types that flow between kpipe's steps.

use kpipe::ArtifactType;

/// A checked-out git working tree (the data repository).
#[derive(Debug)]
pub enum Repo {}
impl ArtifactType for Repo {
    const KIND: &'static str = "repository";
}

/// The compressed store of exported GitHub issues and pull requests.
#[derive(Debug)]
pub enum ApiStore {}
impl ArtifactType for ApiStore {
    const KIND: &'static str = "api-store";
}

/// The typed data set (issues, pull requests, release notes) built from the store.
#[derive(Debug)]
pub enum Dataset {}
impl ArtifactType for Dataset {
    const KIND: &'static str = "dataset";
}

/// The analysis charts (SVG and PNG).
#[derive(Debug)]
pub enum Assets {}
impl ArtifactType for Assets {
    const KIND: &'static str = "assets";
}

/// A trained model directory (config, vocabulary, selector, weights, metrics).
#[derive(Debug)]
pub enum Model {}
impl ArtifactType for Model {
    const KIND: &'static str = "model";
}

/// An OCI image layout directory (the serving image).
#[derive(Debug)]
pub enum ImageLayout {}
impl ArtifactType for ImageLayout {
    const KIND: &'static str = "oci-layout";
}
