//! The release-note classifier: scikit-learn-compatible TF-IDF features, a
//! burn-trained MLP, metrics, and the model directory format.
//!
//! Training: [`trainer::train_model`] (split, features, network, threshold)
//! → [`device::fit_on_device`] (picks the burn backend) →
//! [`fit::fit_epochs`] (the epoch loop over [`sparse_layer`] and [`head`]).
//! Prediction: [`model::Model`] → [`weights::Weights`], no burn involved.

pub mod data;
pub mod device;
pub mod features;
pub mod fit;
pub mod head;
pub mod kfp;
pub mod metrics;
pub mod model;
pub mod net_config;
pub mod select;
pub mod sparse;
pub mod sparse_layer;
pub mod split;
pub mod text;
pub mod tfidf;
pub mod trainer;
pub mod weights;
