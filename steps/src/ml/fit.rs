//! The fit loop: epochs of mini-batches through the sparse first layer and
//! burn's head, validation after each epoch, early stopping with the best
//! weights kept.
//!
//! The network is an MLP over TF-IDF features: `layers` hidden layers of
//! `units` ReLU units with dropout, one sigmoid output, plus an optional
//! linear ("wide") path from the inputs straight to the output logit. The
//! first layer is [`SparseLayer`] (kpipe's, see its module), everything above
//! it is [`Head`] (burn's).

use std::time::Instant;

use burn::module::AutodiffModule;
use burn::optim::{AdamConfig, GradientsParams, Optimizer};
use burn::tensor::backend::{AutodiffBackend, Backend};
use burn::tensor::{Tensor, TensorData};
use rand::SeedableRng;
use rand::rngs::StdRng;
use rand::seq::SliceRandom;
use serde::{Deserialize, Serialize};

use super::head::{Head, bce_with_logits};
use super::metrics::roc_auc;
use super::net_config::NetConfig;
use super::sparse::Csr;
use super::sparse_layer::{EPSILON, SparseLayer};
use super::weights::{Weights, sigmoid};

/// What a fit learns from: the feature matrix, every row's label, and which
/// rows train and which validate (early stopping). No validation rows: train
/// exactly `max_epochs` epochs and keep the last.
#[derive(Clone, Copy, Debug)]
pub struct TrainSet<'a> {
    /// Features of every example.
    pub x: &'a Csr,
    /// Every example's label (bug or not).
    pub y: &'a [bool],
    /// Rows to train on.
    pub train: &'a [usize],
    /// Rows to validate on.
    pub val: &'a [usize],
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
    /// Wall time of the epoch: in the log, not in `history.json`, so that
    /// the same data and seed write the same model directory byte for byte
    /// (and the serving image built from it has the same digest).
    #[serde(skip)]
    pub seconds: f64,
}

impl Epoch {
    /// The progress line, as Keras prints it. A refit epoch has no
    /// validation split, so it shows no `val_` numbers (they are NaN).
    pub fn line(&self, max_epochs: usize) -> String {
        let mut line = format!(
            "Epoch {}/{max_epochs} - {:.2}s - loss: {:.4}",
            self.epoch, self.seconds, self.loss
        );
        if !self.val_loss.is_nan() {
            line.push_str(&format!(
                " - val_loss: {:.4} - val_auc: {:.4}",
                self.val_loss, self.val_auc
            ));
        }
        line
    }
}

/// What a fit produced.
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

/// Runs the epochs of one fit on backend `B`, stopping early on the
/// validation rows, and keeps the best epoch's weights.
pub fn fit_epochs<B: AutodiffBackend>(
    device: &B::Device,
    set: &TrainSet<'_>,
    cfg: &NetConfig,
    seed: u64,
    on_epoch: &mut dyn FnMut(&Epoch),
) -> anyhow::Result<Trained> {
    let TrainSet { x, y, train, val } = *set;
    B::seed(device, seed);
    let mut rng = StdRng::seed_from_u64(seed);
    let width = cfg.first_width();
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
        let z = Tensor::<B, 2>::from_data(TensorData::new(z, [chunk.len(), first.width()]), device);
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
    let (hidden, output) = head.export()?;
    Ok(Weights {
        first: first.export(),
        units: head.units(),
        hidden,
        output,
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

    #[test]
    fn epoch_lines_show_validation_only_when_there_is_one() {
        let mut e = Epoch {
            epoch: 3,
            loss: 0.25,
            val_loss: 0.4,
            val_auc: 0.9,
            seconds: 1.5,
        };
        assert_eq!(
            e.line(100),
            "Epoch 3/100 - 1.50s - loss: 0.2500 - val_loss: 0.4000 - val_auc: 0.9000"
        );
        e.val_loss = f64::NAN;
        e.val_auc = f64::NAN;
        assert_eq!(e.line(2), "Epoch 3/2 - 1.50s - loss: 0.2500");
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

    /// Fits the toy problem on rows `..split`, validating on the rest.
    fn fit_toy(
        x: &Csr,
        y: &[bool],
        split: usize,
        units: usize,
        epochs: usize,
        seed: u64,
    ) -> Trained {
        let train: Vec<usize> = (0..split).collect();
        let val: Vec<usize> = (split..x.rows()).collect();
        let set = TrainSet {
            x,
            y,
            train: &train,
            val: &val,
        };
        let cfg = NetConfig {
            units,
            max_epochs: epochs,
            ..NetConfig::default()
        };
        fit_epochs::<B>(&NdArrayDevice::Cpu, &set, &cfg, seed, &mut |_| {})
            .unwrap_or_else(|e| panic!("{e:#}"))
    }

    #[test]
    fn learns_and_exported_weights_match_burn() {
        let _serial = lock();
        let (x, y) = toy();
        let trained = fit_toy(&x, &y, 160, 8, 30, 7);
        let val_rows: Vec<usize> = (160..200).collect();
        let last = &trained.history[trained.best_epoch - 1];
        assert!(last.val_auc > 0.99, "{:?}", trained.history);
        assert_eq!(trained.weights.check_shapes(), Ok(()));
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
        let set = TrainSet {
            x: &x,
            y: &y,
            train: &rows,
            val: &val,
        };
        let cfg = NetConfig {
            units: 4,
            max_epochs: 3,
            ..NetConfig::default()
        };
        let run =
            || fit_epochs::<B>(&NdArrayDevice::Cpu, &set, &cfg, 3, &mut |_| {}).map(|t| t.weights);
        match (run(), run()) {
            (Ok(a), Ok(b)) => assert_eq!(a, b),
            (a, b) => panic!("{:?} {:?}", a.err(), b.err()),
        }
    }
}
