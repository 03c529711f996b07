//! The classifier network and its training loop.
//!
//! The network is an MLP over TF-IDF features: `layers` hidden layers of
//! `units` ReLU units with dropout, one sigmoid output, plus an optional
//! linear ("wide") path from the inputs straight to the output logit.
//!
//! burn 0.21 has no sparse tensors or sparse gradients, and the first layer
//! (tens of thousands of inputs, ~100–300 non-zeros per note) dominates both
//! memory and time when it is dense: a dense batch is 1 GB and the dense Adam
//! update of the first layer's millions of weights runs every step. So the
//! first layer is sparse and kpipe's own: its forward pass multiplies only
//! the non-zero inputs, its gradient touches only their weight rows, and a
//! lazy Adam updates only those rows (TensorFlow's LazyAdam). burn runs
//! everything above it — hidden layers, dropout, output, loss, autodiff and
//! Adam — on any burn backend (ndarray on CPU, CUDA with `--features cuda`);
//! the first layer's output enters burn as a leaf tensor whose gradient comes
//! back to the sparse update. `cargo bench -p kpipe-steps --bench train`
//! measures this against burn's dense layer.

use std::time::Instant;

use burn::module::{AutodiffModule, Module};
use burn::nn::{Dropout, DropoutConfig, Initializer, Linear, LinearConfig};
use burn::optim::{AdamConfig, GradientsParams, Optimizer};
use burn::tensor::activation::relu;
use burn::tensor::backend::{AutodiffBackend, Backend};
use burn::tensor::{Tensor, TensorData};
use rand::rngs::StdRng;
use rand::seq::SliceRandom;
use rand::{Rng, SeedableRng};
use serde::{Deserialize, Serialize};

use super::metrics::roc_auc;
use super::sparse::Csr;

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

    fn from_linear<B: Backend>(l: &Linear<B>) -> anyhow::Result<Self> {
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
        Ok(Self {
            inputs,
            outputs,
            w,
            b,
        })
    }
}

/// Trained weights, independent of any framework: what the model directory
/// stores and what inference evaluates.
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
}

fn sigmoid(x: f32) -> f32 {
    1.0 / (1.0 + (-x).exp())
}

/// The part of the network burn trains.
#[derive(Module, Debug)]
pub struct Head<B: Backend> {
    hidden: Vec<Linear<B>>,
    output: Linear<B>,
    dropout: Dropout,
    units: usize,
}

impl<B: Backend> Head<B> {
    fn new(cfg: &NetConfig, device: &B::Device) -> Self {
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
}

/// Mean binary cross-entropy of `logits` against 0/1 `targets`, computed
/// stably: `max(x, 0) - x·y + ln(1 + e^-|x|)`.
fn bce_with_logits<B: Backend>(logits: Tensor<B, 2>, targets: Tensor<B, 2>) -> Tensor<B, 1> {
    let loss =
        logits.clone().clamp_min(0.0) - logits.clone() * targets + logits.abs().neg().exp().log1p();
    loss.mean()
}

/// The sparse first layer with its lazy-Adam state.
struct SparseLayer {
    inputs: usize,
    width: usize,
    w: Vec<f32>,
    b: Vec<f32>,
    m: Vec<f32>,
    v: Vec<f32>,
    mb: Vec<f32>,
    vb: Vec<f32>,
    t: i32,
    // scratch: feature → slot in `grad`, u32::MAX when untouched
    slot: Vec<u32>,
    touched: Vec<u32>,
    grad: Vec<f32>,
}

const BETA1: f32 = 0.9;
const BETA2: f32 = 0.999;
const EPSILON: f32 = 1e-7;

impl SparseLayer {
    fn new(inputs: usize, width: usize, units: usize, rng: &mut StdRng) -> Self {
        // Glorot-uniform for the hidden units (as Keras' Dense), zero for the wide path.
        let limit = (6.0 / (inputs + units) as f64).sqrt() as f32;
        let mut w = vec![0.0f32; inputs * width];
        for row in w.chunks_mut(width) {
            for x in row.iter_mut().take(units) {
                *x = rng.random_range(-limit..limit);
            }
        }
        Self {
            inputs,
            width,
            m: vec![0.0; w.len()],
            v: vec![0.0; w.len()],
            w,
            b: vec![0.0; width],
            mb: vec![0.0; width],
            vb: vec![0.0; width],
            t: 0,
            slot: vec![u32::MAX; inputs],
            touched: Vec::new(),
            grad: Vec::new(),
        }
    }

    fn forward(&self, x: &Csr, rows: &[usize]) -> Vec<f32> {
        let width = self.width;
        let mut z = Vec::with_capacity(rows.len() * width);
        for &r in rows {
            let start = z.len();
            z.extend_from_slice(&self.b);
            let out = &mut z[start..start + width];
            let (cols, vals) = x.row(r);
            for (&c, &v) in cols.iter().zip(vals) {
                let row = &self.w[c as usize * width..(c as usize + 1) * width];
                let v = v as f32;
                for (o, &w) in out.iter_mut().zip(row) {
                    *o += v * w;
                }
            }
        }
        z
    }

    /// Applies `dz` (`rows.len() × width`, the gradient of the mean loss) with
    /// lazy Adam: only weight rows of features present in the batch move.
    fn step(&mut self, x: &Csr, rows: &[usize], dz: &[f32], lr: f32) {
        let width = self.width;
        self.t += 1;
        let t = self.t;
        let step = lr * (1.0 - BETA2.powi(t)).sqrt() / (1.0 - BETA1.powi(t));
        self.grad.clear();
        self.touched.clear();
        let mut db = vec![0.0f32; width];
        for (i, &r) in rows.iter().enumerate() {
            let g = &dz[i * width..(i + 1) * width];
            for (d, &gi) in db.iter_mut().zip(g) {
                *d += gi;
            }
            let (cols, vals) = x.row(r);
            for (&c, &v) in cols.iter().zip(vals) {
                let s = &mut self.slot[c as usize];
                if *s == u32::MAX {
                    *s = self.touched.len() as u32;
                    self.touched.push(c);
                    self.grad.extend(std::iter::repeat_n(0.0, width));
                }
                let at = *s as usize * width;
                let v = v as f32;
                for (acc, &gi) in self.grad[at..at + width].iter_mut().zip(g) {
                    *acc += v * gi;
                }
            }
        }
        for (k, &c) in self.touched.iter().enumerate() {
            let c = c as usize;
            self.slot[c] = u32::MAX;
            let g = &self.grad[k * width..(k + 1) * width];
            let range = c * width..(c + 1) * width;
            adam(
                &mut self.w[range.clone()],
                &mut self.m[range.clone()],
                &mut self.v[range],
                g,
                step,
            );
        }
        adam(&mut self.b, &mut self.mb, &mut self.vb, &db, step);
    }

    fn export(&self) -> Dense {
        Dense {
            inputs: self.inputs,
            outputs: self.width,
            w: self.w.clone(),
            b: self.b.clone(),
        }
    }
}

fn adam(w: &mut [f32], m: &mut [f32], v: &mut [f32], g: &[f32], step: f32) {
    for (((w, m), v), &g) in w.iter_mut().zip(m.iter_mut()).zip(v.iter_mut()).zip(g) {
        *m = BETA1 * *m + (1.0 - BETA1) * g;
        *v = BETA2 * *v + (1.0 - BETA2) * g * g;
        *w -= step * *m / (v.sqrt() + EPSILON);
    }
}

/// One epoch's numbers.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct Epoch {
    /// 1-based epoch.
    pub epoch: usize,
    /// Mean training loss.
    pub loss: f64,
    /// Validation loss.
    pub val_loss: f64,
    /// Validation ROC AUC.
    pub val_auc: f64,
    /// Wall time of the epoch.
    pub seconds: f64,
}

/// What training produced.
#[derive(Clone, Debug)]
pub struct Trained {
    /// The weights of the best epoch.
    pub weights: Weights,
    /// Every epoch.
    pub history: Vec<Epoch>,
    /// The epoch whose weights were kept.
    pub best_epoch: usize,
    /// Validation probabilities of the kept weights.
    pub val_probs: Vec<f64>,
}

/// Trains on rows `train` of `x`, stopping early on rows `val`; with no
/// validation rows it trains exactly `max_epochs` epochs and keeps the last.
#[allow(clippy::too_many_arguments)]
pub fn train<B: AutodiffBackend>(
    device: &B::Device,
    cfg: &NetConfig,
    x: &Csr,
    y: &[bool],
    train: &[usize],
    val: &[usize],
    seed: u64,
    on_epoch: &mut dyn FnMut(&Epoch),
) -> anyhow::Result<Trained> {
    B::seed(device, seed);
    let mut rng = StdRng::seed_from_u64(seed);
    let width = cfg.units + usize::from(cfg.wide);
    let mut first = SparseLayer::new(x.cols, width, cfg.units, &mut rng);
    let mut head: Head<B> = Head::new(cfg, device);
    let mut optim = AdamConfig::new().with_epsilon(EPSILON).init();
    let lr = cfg.learning_rate;
    let val_y: Vec<bool> = val.iter().map(|&i| y[i]).collect();

    let mut order: Vec<usize> = train.to_vec();
    let mut history = Vec::new();
    let mut best: Option<(f64, usize, Weights, Vec<f64>)> = None;
    for epoch in 1..=cfg.max_epochs {
        let start = Instant::now();
        order.shuffle(&mut rng);
        let mut loss_sum = 0.0;
        for batch in order.chunks(cfg.batch_size.max(1)) {
            let n = batch.len();
            let z = first.forward(x, batch);
            let z =
                Tensor::<B, 2>::from_data(TensorData::new(z, [n, width]), device).require_grad();
            let targets: Vec<f32> = batch.iter().map(|&i| f32::from(u8::from(y[i]))).collect();
            let targets = Tensor::<B, 2>::from_data(TensorData::new(targets, [n, 1]), device);
            let loss = bce_with_logits(head.forward(z.clone()), targets);
            loss_sum += f64::from(scalar(loss.clone().inner())?) * n as f64;
            let grads = loss.backward();
            let dz = match z.grad(&grads) {
                Some(g) => g
                    .into_data()
                    .to_vec::<f32>()
                    .map_err(|e| anyhow::anyhow!("cannot read the input gradient: {e:?}"))?,
                None => anyhow::bail!("kpipe bug: no gradient reached the sparse layer"),
            };
            let params = GradientsParams::from_grads(grads, &head);
            head = optim.step(lr, head, params);
            first.step(x, batch, &dz, lr as f32);
        }
        let valid = head.valid();
        if val.is_empty() {
            // Fixed-length refit: no validation, keep the last epoch.
            let record = Epoch {
                epoch,
                loss: loss_sum / train.len().max(1) as f64,
                val_loss: f64::NAN,
                val_auc: f64::NAN,
                seconds: start.elapsed().as_secs_f64(),
            };
            on_epoch(&record);
            history.push(record);
            best = Some((f64::NAN, epoch, export(&first, &valid)?, Vec::new()));
            continue;
        }
        let val_probs = probabilities(&first, &valid, x, val, device)?;
        let val_loss = log_loss(&val_probs, &val_y);
        let record = Epoch {
            epoch,
            loss: loss_sum / train.len().max(1) as f64,
            val_loss,
            val_auc: roc_auc(&val_probs, &val_y),
            seconds: start.elapsed().as_secs_f64(),
        };
        on_epoch(&record);
        history.push(record);
        let improved = best.as_ref().is_none_or(|(l, ..)| val_loss < *l - 1e-6);
        if improved {
            best = Some((val_loss, epoch, export(&first, &valid)?, val_probs));
        } else if best
            .as_ref()
            .is_some_and(|(_, e, ..)| epoch - e >= cfg.patience)
        {
            break;
        }
    }
    match best {
        Some((_, best_epoch, weights, val_probs)) => Ok(Trained {
            weights,
            history,
            best_epoch,
            val_probs,
        }),
        None => anyhow::bail!("training ran no epoch (max_epochs is 0)"),
    }
}

fn scalar<B: Backend>(t: Tensor<B, 1>) -> anyhow::Result<f32> {
    t.into_data()
        .to_vec::<f32>()
        .map_err(|e| anyhow::anyhow!("cannot read the loss: {e:?}"))?
        .first()
        .copied()
        .ok_or_else(|| anyhow::anyhow!("empty loss tensor"))
}

fn probabilities<B: Backend>(
    first: &SparseLayer,
    head: &Head<B>,
    x: &Csr,
    rows: &[usize],
    device: &B::Device,
) -> anyhow::Result<Vec<f64>> {
    let mut out = Vec::with_capacity(rows.len());
    for chunk in rows.chunks(1024) {
        let z = first.forward(x, chunk);
        let z = Tensor::<B, 2>::from_data(TensorData::new(z, [chunk.len(), first.width]), device);
        let logits = head
            .forward(z)
            .into_data()
            .to_vec::<f32>()
            .map_err(|e| anyhow::anyhow!("cannot read logits: {e:?}"))?;
        out.extend(logits.into_iter().map(|l| f64::from(sigmoid(l))));
    }
    Ok(out)
}

fn log_loss(probs: &[f64], y: &[bool]) -> f64 {
    let n = probs.len().max(1) as f64;
    probs
        .iter()
        .zip(y)
        .map(|(&p, &y)| {
            let p = p.clamp(1e-7, 1.0 - 1e-7);
            if y { -p.ln() } else { -(1.0 - p).ln() }
        })
        .sum::<f64>()
        / n
}

fn export<B: Backend>(first: &SparseLayer, head: &Head<B>) -> anyhow::Result<Weights> {
    Ok(Weights {
        first: first.export(),
        units: head.units,
        hidden: head
            .hidden
            .iter()
            .map(Dense::from_linear)
            .collect::<anyhow::Result<_>>()?,
        output: Dense::from_linear(&head.output)?,
    })
}

#[cfg(test)]
mod tests {
    use burn::backend::Autodiff;
    use burn::backend::ndarray::{NdArray, NdArrayDevice};

    use super::*;

    type B = Autodiff<NdArray<f32>>;

    /// burn's NdArray backend seeds one process-wide RNG: tests that train
    /// must not interleave or they change each other's dropout masks.
    static TRAINING: std::sync::Mutex<()> = std::sync::Mutex::new(());

    fn lock() -> std::sync::MutexGuard<'static, ()> {
        TRAINING.lock().unwrap_or_else(|e| e.into_inner())
    }

    /// A separable toy problem: feature 0 means bug, feature 1 means not.
    fn toy() -> (Csr, Vec<bool>) {
        let mut x = Csr::new(6);
        let mut y = Vec::new();
        for i in 0..200u32 {
            let bug = i % 2 == 0;
            let noise = 2 + (i % 4);
            x.push_row([(u32::from(!bug), 0.8), (noise, 0.6)]);
            y.push(bug);
        }
        (x, y)
    }

    #[test]
    fn learns_and_exported_weights_match_burn() {
        let _serial = lock();
        let (x, y) = toy();
        let train_rows: Vec<usize> = (0..160).collect();
        let val_rows: Vec<usize> = (160..200).collect();
        let cfg = NetConfig {
            units: 8,
            max_epochs: 30,
            ..NetConfig::default()
        };
        let trained = match train::<B>(
            &NdArrayDevice::Cpu,
            &cfg,
            &x,
            &y,
            &train_rows,
            &val_rows,
            7,
            &mut |_| {},
        ) {
            Ok(t) => t,
            Err(e) => panic!("{e:#}"),
        };
        let last = &trained.history[trained.best_epoch - 1];
        assert!(last.val_auc > 0.99, "{:?}", trained.history);
        // The framework-free inference reproduces burn's validation forward pass.
        for (k, &row) in val_rows.iter().enumerate() {
            let (c, v) = x.row(row);
            let sparse: Vec<(u32, f32)> = c.iter().zip(v).map(|(&c, &v)| (c, v as f32)).collect();
            let ours = f64::from(trained.weights.predict(&sparse));
            assert!(
                (ours - trained.val_probs[k]).abs() < 1e-5,
                "{ours} vs {}",
                trained.val_probs[k]
            );
        }
    }

    #[test]
    fn same_seed_same_weights() {
        let _serial = lock();
        let (x, y) = toy();
        let rows: Vec<usize> = (0..150).collect();
        let val: Vec<usize> = (150..200).collect();
        let cfg = NetConfig {
            units: 4,
            max_epochs: 3,
            ..NetConfig::default()
        };
        let run = || {
            train::<B>(
                &NdArrayDevice::Cpu,
                &cfg,
                &x,
                &y,
                &rows,
                &val,
                3,
                &mut |_| {},
            )
            .map(|t| t.weights)
        };
        match (run(), run()) {
            (Ok(a), Ok(b)) => assert_eq!(a, b),
            (a, b) => panic!("{:?} {:?}", a.err(), b.err()),
        }
    }
}
