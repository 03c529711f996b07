//! The part of the network burn trains: hidden layers, dropout, the output
//! layer and the loss, on any burn backend (ndarray on CPU, CUDA with
//! `--features cuda`). Its input is the sparse first layer's output.

use burn::module::Module;
use burn::nn::{Dropout, DropoutConfig, Initializer, Linear, LinearConfig};
use burn::tensor::Tensor;
use burn::tensor::activation::relu;
use burn::tensor::backend::Backend;

use super::net_config::NetConfig;
use super::weights::Dense;

/// Hidden layers after the first, dropout and the output layer.
#[derive(Module, Debug)]
pub struct Head<B: Backend> {
    hidden: Vec<Linear<B>>,
    output: Linear<B>,
    dropout: Dropout,
    units: usize,
}

impl<B: Backend> Head<B> {
    /// A freshly initialised head (Glorot-uniform, as Keras' Dense).
    pub fn new(cfg: &NetConfig, device: &B::Device) -> Self {
        let init = Initializer::XavierUniform { gain: 1.0 };
        let linear = |i, o| {
            LinearConfig::new(i, o)
                .with_initializer(init.clone())
                .init(device)
        };
        Self {
            hidden: (1..cfg.layers)
                .map(|_| linear(cfg.units, cfg.units))
                .collect(),
            output: linear(cfg.units, 1),
            dropout: DropoutConfig::new(cfg.dropout).init(),
            units: cfg.units,
        }
    }

    /// Logits `[n, 1]` from the first layer's pre-activations `z` `[n, width]`.
    pub fn forward(&self, z: Tensor<B, 2>) -> Tensor<B, 2> {
        let [n, width] = z.dims();
        let deep = z.clone().slice([0..n, 0..self.units]);
        let mut h = self.dropout.forward(relu(deep));
        for layer in &self.hidden {
            h = self.dropout.forward(relu(layer.forward(h)));
        }
        let out = self.output.forward(h);
        if width > self.units {
            out + z.slice([0..n, self.units..width]).sum_dim(1)
        } else {
            out
        }
    }

    /// Hidden units of the first layer.
    pub fn units(&self) -> usize {
        self.units
    }

    /// The hidden and output layers' weights, framework-free.
    pub fn export(&self) -> anyhow::Result<(Vec<Dense>, Dense)> {
        let hidden = self
            .hidden
            .iter()
            .map(dense)
            .collect::<anyhow::Result<_>>()?;
        Ok((hidden, dense(&self.output)?))
    }
}

fn dense<B: Backend>(l: &Linear<B>) -> anyhow::Result<Dense> {
    let [inputs, outputs] = l.weight.val().dims();
    let w = l
        .weight
        .val()
        .into_data()
        .to_vec::<f32>()
        .map_err(|e| anyhow::anyhow!("cannot read layer weights: {e:?}"))?;
    let b = match &l.bias {
        Some(b) => b
            .val()
            .into_data()
            .to_vec::<f32>()
            .map_err(|e| anyhow::anyhow!("cannot read layer bias: {e:?}"))?,
        None => vec![0.0; outputs],
    };
    Ok(Dense {
        inputs,
        outputs,
        w,
        b,
    })
}

/// Mean binary cross-entropy of `logits` against 0/1 `targets`, computed
/// stably: `max(x, 0) - x·y + ln(1 + e^-|x|)`.
pub fn bce_with_logits<B: Backend>(logits: Tensor<B, 2>, targets: Tensor<B, 2>) -> Tensor<B, 1> {
    let loss =
        logits.clone().clamp_min(0.0) - logits.clone() * targets + logits.abs().neg().exp().log1p();
    loss.mean()
}
