//! Training end to end: split, features, network, threshold, metrics.

use std::time::Instant;

use anyhow::bail;
use kpipe_step_contract::Device;
use serde::Serialize;

use super::data::Example;
use super::features::{FeatureConfig, Features};
use super::fit::{Epoch, TrainSet, Trained};
use super::metrics::{Metrics, RocPoint, best_f1_threshold, prior_shift_threshold, roc_curve};
use super::model::{Manifest, Model};
use super::net_config::NetConfig;
use super::sparse::Csr;
use super::split::split;

/// What to train.
#[derive(Clone, Debug)]
pub struct TrainOptions {
    /// Feature settings.
    pub features: FeatureConfig,
    /// Network settings.
    pub network: NetConfig,
    /// Seed of every random choice.
    pub seed: u64,
    /// Where to train.
    pub device: Device,
    /// Share of the training data held out for early stopping and the threshold.
    pub validation_share: f64,
    /// After early stopping, retrain on all the data for the chosen number of
    /// epochs (the validation split is the newest data: too valuable to drop).
    pub refit: bool,
}

/// A trained model with its validation metrics and history.
#[derive(Clone, Debug)]
pub struct Outcome {
    /// The model.
    pub model: Model,
    /// Metrics on the validation split at the model's threshold.
    pub metrics: Metrics,
    /// The ROC curve on the validation split.
    pub roc: Vec<RocPoint>,
    /// Per-epoch numbers.
    pub history: Vec<Epoch>,
    /// Seconds spent on features and on the network.
    pub feature_seconds: f64,
    /// Seconds spent training the network.
    pub network_seconds: f64,
}

/// One configuration of a `--tune` run.
#[derive(Clone, Debug, Serialize)]
pub struct TuneRow {
    /// Hidden layers.
    pub layers: usize,
    /// Units per layer.
    pub units: usize,
    /// Validation ROC AUC.
    pub val_auc: f64,
    /// Validation F1 at the configuration's threshold.
    pub val_f1: f64,
    /// Validation loss of the kept epoch.
    pub val_loss: f64,
    /// Kept epoch.
    pub best_epoch: usize,
    /// Training seconds.
    pub seconds: f64,
}

/// The `--tune` grid.
pub const TUNE_LAYERS: [usize; 3] = [1, 2, 3];
/// The `--tune` grid.
pub const TUNE_UNITS: [usize; 5] = [8, 16, 32, 64, 128];

/// Trains one model: split, features, network, refit, threshold.
pub fn train_model(
    examples: &[Example],
    opts: &TrainOptions,
    log: &mut dyn FnMut(&str),
) -> anyhow::Result<Outcome> {
    let (train_rows, val_rows) = split(examples, opts.validation_share, opts.seed);
    if val_rows.is_empty() || train_rows.is_empty() {
        bail!(
            "cannot hold out a validation split from {} examples",
            examples.len()
        );
    }
    let started = Instant::now();
    let (features, x) = fit_features(examples, &train_rows, &opts.features);
    let feature_seconds = started.elapsed().as_secs_f64();
    log(&format!(
        "Features: {} inputs from {} training notes ({} held out for validation) in {:.2}s",
        features.dim(),
        train_rows.len(),
        val_rows.len(),
        feature_seconds
    ));
    let y: Vec<bool> = examples.iter().map(|e| e.bug).collect();
    let set = TrainSet {
        x: &x,
        y: &y,
        train: &train_rows,
        val: &val_rows,
    };
    let fitted = timed_fit(&set, &opts.network, opts, log)?;
    if !opts.refit {
        return finish(
            examples,
            opts,
            features,
            fitted,
            &val_rows,
            train_rows.len(),
            feature_seconds,
        );
    }
    refit(examples, opts, fitted, &val_rows, feature_seconds, log)
}

/// Retrains on every example (features refitted too) for the epochs early
/// stopping chose; keeps the validation run's threshold and metrics.
fn refit(
    examples: &[Example],
    opts: &TrainOptions,
    validated: Fitted,
    val_rows: &[usize],
    feature_seconds: f64,
    log: &mut dyn FnMut(&str),
) -> anyhow::Result<Outcome> {
    let epochs = validated.trained.best_epoch;
    log(&format!(
        "Refitting on all {} notes for {epochs} epoch(s)",
        examples.len()
    ));
    let all: Vec<usize> = (0..examples.len()).collect();
    let started = Instant::now();
    let (features, x) = fit_features(examples, &all, &opts.features);
    let feature_seconds = feature_seconds + started.elapsed().as_secs_f64();
    let y: Vec<bool> = examples.iter().map(|e| e.bug).collect();
    let net = NetConfig {
        max_epochs: epochs,
        ..opts.network.clone()
    };
    let set = TrainSet {
        x: &x,
        y: &y,
        train: &all,
        val: &[],
    };
    let full = timed_fit(&set, &net, opts, log)?;
    let mut outcome = finish(
        examples,
        opts,
        features,
        validated,
        val_rows,
        examples.len(),
        feature_seconds,
    )?;
    outcome.model.weights = full.trained.weights;
    outcome.history.extend(full.trained.history);
    outcome.network_seconds += full.seconds;
    Ok(outcome)
}

/// Trains the `--tune` grid on one split and returns the best model (by
/// validation AUC) with every configuration's numbers.
pub fn tune(
    examples: &[Example],
    opts: &TrainOptions,
    log: &mut dyn FnMut(&str),
) -> anyhow::Result<(Outcome, Vec<TuneRow>)> {
    let (train_rows, val_rows) = split(examples, opts.validation_share, opts.seed);
    let started = Instant::now();
    let (features, x) = fit_features(examples, &train_rows, &opts.features);
    let feature_seconds = started.elapsed().as_secs_f64();
    let y: Vec<bool> = examples.iter().map(|e| e.bug).collect();
    let val_y: Vec<bool> = val_rows.iter().map(|&i| y[i]).collect();
    let mut rows = Vec::new();
    let set = TrainSet {
        x: &x,
        y: &y,
        train: &train_rows,
        val: &val_rows,
    };
    let mut best: Option<(f64, NetConfig, Fitted)> = None;
    for layers in TUNE_LAYERS {
        for units in TUNE_UNITS {
            let net = NetConfig {
                layers,
                units,
                ..opts.network.clone()
            };
            log(&format!("Tuning: {layers} layer(s) × {units} units"));
            let fitted = timed_fit(&set, &net, opts, &mut |_| {})?;
            let t = best_f1_threshold(&fitted.trained.val_probs, &val_y, 0.2, 0.8);
            let m = Metrics::compute(&fitted.trained.val_probs, &val_y, t);
            let kept = &fitted.trained.history[fitted.trained.best_epoch - 1];
            let row = TuneRow {
                layers,
                units,
                val_auc: m.roc_auc,
                val_f1: m.f1,
                val_loss: kept.val_loss,
                best_epoch: fitted.trained.best_epoch,
                seconds: fitted.seconds,
            };
            log(&format!(
                "  val_auc {:.4}  val_f1 {:.4}  val_loss {:.4}  epoch {}  {:.1}s",
                row.val_auc, row.val_f1, row.val_loss, row.best_epoch, row.seconds
            ));
            if best.as_ref().is_none_or(|(auc, ..)| m.roc_auc > *auc) {
                best = Some((m.roc_auc, net, fitted));
            }
            rows.push(row);
        }
    }
    let Some((_, net, fitted)) = best else {
        bail!("the tuning grid is empty");
    };
    let opts = TrainOptions {
        network: net,
        ..opts.clone()
    };
    let outcome = finish(
        examples,
        &opts,
        features,
        fitted,
        &val_rows,
        train_rows.len(),
        feature_seconds,
    )?;
    Ok((outcome, rows))
}

/// The model's decision threshold. With a time-ordered validation split (the
/// newest notes), the probabilities learnt at the training bug share are
/// moved to the newest share (label shift); without an order, 0.5.
fn decision_threshold(examples: &[Example], val_rows: &[usize]) -> f64 {
    if !examples.iter().all(|e| e.order.is_some()) || val_rows.is_empty() {
        return 0.5;
    }
    let share = |rows: &mut dyn Iterator<Item = &Example>| {
        let (n, bugs) = rows.fold((0usize, 0usize), |(n, b), e| {
            (n + 1, b + usize::from(e.bug))
        });
        bugs as f64 / n.max(1) as f64
    };
    let all = share(&mut examples.iter());
    let newest = share(&mut val_rows.iter().map(|&i| &examples[i]));
    prior_shift_threshold(all, newest)
}

fn fit_features(examples: &[Example], rows: &[usize], cfg: &FeatureConfig) -> (Features, Csr) {
    let docs: Vec<&str> = rows.iter().map(|&i| examples[i].text.as_str()).collect();
    let labels: Vec<bool> = rows.iter().map(|&i| examples[i].bug).collect();
    let (features, _) = Features::fit(cfg, &docs, &labels);
    let all: Vec<&str> = examples.iter().map(|e| e.text.as_str()).collect();
    let x = features.transform(&all);
    (features, x)
}

struct Fitted {
    trained: Trained,
    seconds: f64,
}

/// One fit on the configured device, timed.
fn timed_fit(
    set: &TrainSet<'_>,
    net: &NetConfig,
    opts: &TrainOptions,
    log: &mut dyn FnMut(&str),
) -> anyhow::Result<Fitted> {
    let started = Instant::now();
    let max = net.max_epochs;
    let mut on_epoch = |e: &Epoch| log(&e.line(max));
    let trained = super::device::fit_on_device(opts.device, set, net, opts.seed, &mut on_epoch)?;
    Ok(Fitted {
        trained,
        seconds: started.elapsed().as_secs_f64(),
    })
}

fn finish(
    examples: &[Example],
    opts: &TrainOptions,
    features: Features,
    fitted: Fitted,
    val_rows: &[usize],
    train_examples: usize,
    feature_seconds: f64,
) -> anyhow::Result<Outcome> {
    let val_y: Vec<bool> = val_rows.iter().map(|&i| examples[i].bug).collect();
    let trained = fitted.trained;
    let threshold = decision_threshold(examples, val_rows);
    let metrics = Metrics::compute(&trained.val_probs, &val_y, threshold);
    let roc = roc_curve(&trained.val_probs, &val_y);
    let manifest = Manifest {
        seed: opts.seed,
        best_epoch: trained.best_epoch,
        train_examples,
        validation_examples: val_rows.len(),
        ..Manifest::new(opts.features.clone(), opts.network.clone(), threshold)
    };
    Ok(Outcome {
        model: Model {
            manifest,
            features,
            weights: trained.weights,
        },
        metrics,
        roc,
        history: trained.history,
        feature_seconds,
        network_seconds: fitted.seconds,
    })
}
