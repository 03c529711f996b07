//! The release-note classifier: scikit-learn-compatible TF-IDF features, a
//! burn-trained MLP, metrics, and the model directory format.

pub mod data;
pub mod device;
pub mod features;
pub mod metrics;
pub mod model;
pub mod network;
pub mod select;
pub mod sparse;
pub mod text;
pub mod tfidf;
pub mod trainer;
