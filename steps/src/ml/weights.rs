//! Trained weights, independent of any framework: what the model directory
//! stores and what inference evaluates (no burn on the prediction path).

use serde::{Deserialize, Serialize};

/// A dense layer's exported weights, row-major `[inputs × outputs]`.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct Dense {
    /// Inputs.
    pub inputs: usize,
    /// Outputs.
    pub outputs: usize,
    /// Weights.
    pub w: Vec<f32>,
    /// Biases.
    pub b: Vec<f32>,
}

impl Dense {
    /// A layer with fixed, patterned weights (no training): what tests and
    /// benchmarks build small models from.
    pub fn patterned(inputs: usize, outputs: usize) -> Self {
        Self {
            inputs,
            outputs,
            w: (0..inputs * outputs)
                .map(|i| (i % 7) as f32 / 10.0 - 0.3)
                .collect(),
            b: vec![0.01; outputs],
        }
    }

    fn apply(&self, x: &[f32], out: &mut Vec<f32>) {
        out.clear();
        out.extend_from_slice(&self.b);
        for (i, &xi) in x.iter().enumerate().take(self.inputs) {
            if xi != 0.0 {
                let row = &self.w[i * self.outputs..(i + 1) * self.outputs];
                for (o, &w) in out.iter_mut().zip(row) {
                    *o += xi * w;
                }
            }
        }
    }
}

/// The network's weights.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct Weights {
    /// The sparse first layer: `inputs × width` (`width` = units, plus one
    /// wide column when `wide`).
    pub first: Dense,
    /// Units of the first layer that are hidden ReLU units (the rest is wide).
    pub units: usize,
    /// Hidden layers after the first.
    pub hidden: Vec<Dense>,
    /// The output layer (`units × 1`).
    pub output: Dense,
}

impl Weights {
    /// A network of [`Dense::patterned`] layers over `inputs` features:
    /// `units` hidden ReLU units and a wide column in the first layer, one
    /// hidden layer of `units`, one output.
    pub fn patterned(inputs: usize, units: usize) -> Self {
        Self {
            first: Dense::patterned(inputs, units + 1),
            units,
            hidden: vec![Dense::patterned(units, units)],
            output: Dense::patterned(units, 1),
        }
    }

    /// The output logit for one sparse input row.
    pub fn logit(&self, x: &[(u32, f32)]) -> f32 {
        let width = self.first.outputs;
        let mut z = self.first.b.clone();
        for &(c, v) in x {
            let c = c as usize;
            if c < self.first.inputs {
                let row = &self.first.w[c * width..(c + 1) * width];
                for (o, &w) in z.iter_mut().zip(row) {
                    *o += v * w;
                }
            }
        }
        let wide: f32 = z[self.units..].iter().sum();
        let mut h: Vec<f32> = z[..self.units].iter().map(|&v| v.max(0.0)).collect();
        let mut next = Vec::with_capacity(self.units);
        for layer in &self.hidden {
            layer.apply(&h, &mut next);
            for v in &mut next {
                *v = v.max(0.0);
            }
            std::mem::swap(&mut h, &mut next);
        }
        self.output.apply(&h, &mut next);
        next.first().copied().unwrap_or(0.0) + wide
    }

    /// The bug probability for one sparse input row.
    pub fn predict(&self, x: &[(u32, f32)]) -> f32 {
        sigmoid(self.logit(x))
    }

    /// Checks that the layers chain: each layer takes what the one before
    /// gives, and the output is one logit. `Err` names the first mismatch.
    pub fn check_shapes(&self) -> Result<(), String> {
        if self.units > self.first.outputs {
            return Err(format!(
                "the first layer has {} outputs but {} hidden units",
                self.first.outputs, self.units
            ));
        }
        let mut width = self.units;
        for (i, layer) in self.hidden.iter().chain([&self.output]).enumerate() {
            let name = if i < self.hidden.len() {
                format!("hidden layer {i}")
            } else {
                "the output layer".to_owned()
            };
            if layer.inputs != width {
                return Err(format!(
                    "{name} takes {} inputs but gets {width}",
                    layer.inputs
                ));
            }
            if layer.w.len() != layer.inputs * layer.outputs || layer.b.len() != layer.outputs {
                return Err(format!("{name} has the wrong number of weights"));
            }
            width = layer.outputs;
        }
        let first = &self.first;
        if first.w.len() != first.inputs * first.outputs || first.b.len() != first.outputs {
            return Err("the first layer has the wrong number of weights".to_owned());
        }
        if self.output.outputs != 1 {
            return Err(format!(
                "the output layer gives {} values instead of one logit",
                self.output.outputs
            ));
        }
        Ok(())
    }
}

/// The logistic function.
pub fn sigmoid(x: f32) -> f32 {
    1.0 / (1.0 + (-x).exp())
}
