//! The network's and optimiser's settings, stored in the model manifest.

use serde::{Deserialize, Serialize};

/// Network and optimiser settings.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct NetConfig {
    /// Hidden layers (≥ 1).
    pub layers: usize,
    /// Units per hidden layer.
    pub units: usize,
    /// Dropout rate after each hidden layer.
    pub dropout: f64,
    /// Add the linear path from inputs to output.
    pub wide: bool,
    /// Adam learning rate.
    pub learning_rate: f64,
    /// Examples per step.
    pub batch_size: usize,
    /// Most epochs; early stopping usually ends sooner.
    pub max_epochs: usize,
    /// Epochs without validation-loss improvement before stopping.
    pub patience: usize,
}

impl NetConfig {
    /// Width of the first layer: the hidden units plus the wide column.
    pub fn first_width(&self) -> usize {
        self.units + usize::from(self.wide)
    }
}

impl Default for NetConfig {
    fn default() -> Self {
        Self {
            layers: 2,
            units: 64,
            dropout: 0.2,
            wide: true,
            learning_rate: 1e-3,
            batch_size: 128,
            max_epochs: 100,
            patience: 5,
        }
    }
}
