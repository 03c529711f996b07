//! The artifact types that flow between kpipe's steps.

use kpipe::{ArtifactType, KFP_DATASET, KFP_MODEL};

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
    const KFP_TYPE: &'static str = KFP_DATASET;
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
    const KFP_TYPE: &'static str = KFP_MODEL;
}

/// An OCI image layout directory (the serving image).
#[derive(Debug)]
pub enum ImageLayout {}
impl ArtifactType for ImageLayout {
    const KIND: &'static str = "oci-layout";
}
