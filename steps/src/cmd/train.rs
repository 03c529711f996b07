//! `kpipe-step train`: fit the classifier (or `--eval` a labelled file).

use std::path::Path;
use std::time::Instant;

use anyhow::{Context, bail};
use kpipe_step_contract::TrainArgs;

use crate::ml::data::{self, check_trainable};
use crate::ml::features::FeatureConfig;
use crate::ml::kfp;
use crate::ml::kfp_v2::{self, ExecutorInput};
use crate::ml::metrics::{Metrics, RocPoint};
use crate::ml::model::Model;
use crate::ml::net_config::NetConfig;
use crate::ml::trainer::{self, TrainOptions};
use kpipe_runtime::fsutil::write_bytes_durably;

/// Share of the training data held out for early stopping and the threshold.
const VALIDATION_SHARE: f64 = 0.1;

/// Runs `train`.
pub(super) fn run(args: TrainArgs) -> anyhow::Result<()> {
    if let Some(eval) = &args.eval {
        let Some(model) = &args.model else {
            bail!("--eval needs --model DIR");
        };
        let metrics = evaluate(eval, model)?;
        println!("{}", serde_json::to_string_pretty(&metrics)?);
        return Ok(());
    }
    let (Some(data), Some(out)) = (&args.data, &args.out) else {
        bail!("train needs --data FILE and --out DIR (or --eval FILE --model DIR)");
    };
    // Before training: a bad executor input fails in a second, not after it.
    let kfp_input = args
        .kfp_executor_input
        .as_deref()
        .map(ExecutorInput::parse)
        .transpose()?;
    let started = Instant::now();
    let examples = data::load(data)?;
    check_trainable(&examples, data)?;
    let bugs = examples.iter().filter(|e| e.bug).count();
    eprintln!(
        "Training on {} release notes ({bugs} kind/bug) from {}, device {}",
        examples.len(),
        data.display(),
        args.device
    );
    let mut network = NetConfig::default();
    if let Some(l) = args.layers {
        if l == 0 {
            bail!("--layers must be at least 1");
        }
        network.layers = l;
    }
    if let Some(u) = args.units {
        if u == 0 {
            bail!("--units must be at least 1");
        }
        network.units = u;
    }
    if let Some(d) = args.dropout {
        if !(0.0..1.0).contains(&d) {
            bail!("--dropout must be in [0, 1), got {d}");
        }
        network.dropout = d;
    }
    if let Some(e) = args.max_epochs {
        network.max_epochs = e.max(1);
    }
    let opts = TrainOptions {
        features: FeatureConfig::kpipe(),
        network,
        seed: args.seed,
        device: *args.device.get(),
        validation_share: VALIDATION_SHARE,
        refit: true,
    };
    let mut log = |line: &str| eprintln!("{line}");
    let (outcome, tuning) = if args.tune {
        let (o, rows) = trainer::tune(&examples, &opts, &mut log)?;
        (o, Some(rows))
    } else {
        (trainer::train_model(&examples, &opts, &mut log)?, None)
    };
    outcome
        .model
        .save(out, &outcome.metrics, &outcome.history)
        .with_context(|| format!("cannot save the model to {}", out.display()))?;
    if let Some(rows) = &tuning {
        write_bytes_durably(&out.join("tune.json"), &serde_json::to_vec_pretty(rows)?)?;
        let mut md = String::from(
            "| layers | units | val AUC | val F1 | val loss | epoch | seconds |\n|---|---|---|---|---|---|---|\n",
        );
        for r in rows {
            md.push_str(&format!(
                "| {} | {} | {:.4} | {:.4} | {:.4} | {} | {:.1} |\n",
                r.layers, r.units, r.val_auc, r.val_f1, r.val_loss, r.best_epoch, r.seconds
            ));
        }
        write_bytes_durably(&out.join("tune.md"), md.as_bytes())?;
        eprintln!("Tuning results: {}", out.join("tune.md").display());
    }
    let kfp_dir = args.kfp_out.as_deref().unwrap_or(out);
    let kfp_metrics = args
        .kfp_metrics
        .clone()
        .unwrap_or_else(|| kfp_dir.join("mlpipeline-metrics.json"));
    let kfp_ui = args
        .kfp_ui_metadata
        .clone()
        .unwrap_or_else(|| kfp_dir.join("mlpipeline-ui-metadata.json"));
    write_kfp(&kfp_metrics, &kfp_ui, &outcome.metrics, &outcome.roc)?;
    if let Some(input) = kfp_input {
        write_kfp_v2(input, &outcome.metrics, &outcome.roc)?;
    }
    let m = &outcome.metrics;
    eprintln!(
        "Validation: accuracy {:.4}, ROC AUC {:.4}, F1 {:.4}, precision {:.4}, recall {:.4} at threshold {:.2} (n = {})",
        m.accuracy, m.roc_auc, m.f1, m.precision, m.recall, m.threshold, m.n
    );
    eprintln!(
        "Saved model to {} (epoch {}; features {:.1}s, network {:.1}s, total {:.1}s)",
        out.display(),
        outcome.model.manifest.best_epoch,
        outcome.feature_seconds,
        outcome.network_seconds,
        started.elapsed().as_secs_f64()
    );
    println!("{}", serde_json::to_string(m)?);
    Ok(())
}

/// Scores the labelled file `data` with the model in `model_dir`.
pub fn evaluate(data: &Path, model_dir: &Path) -> anyhow::Result<Metrics> {
    let model = Model::load(model_dir)?;
    let examples = data::load(data)?;
    if examples.is_empty() {
        bail!(
            "{} holds no labelled release notes to evaluate",
            data.display()
        );
    }
    let probs: Vec<f64> = examples.iter().map(|e| model.predict(&e.text)).collect();
    let labels: Vec<bool> = examples.iter().map(|e| e.bug).collect();
    Ok(Metrics::compute(&probs, &labels, model.manifest.threshold))
}

fn write_kfp(
    metrics_path: &Path,
    ui_path: &Path,
    m: &Metrics,
    roc: &[RocPoint],
) -> anyhow::Result<()> {
    let metrics = serde_json::to_vec_pretty(&kfp::metrics(m))?;
    let ui = serde_json::to_vec_pretty(&kfp::ui_metadata(m, roc))?;
    for (path, bytes) in [(metrics_path, metrics), (ui_path, ui)] {
        if let Some(dir) = path.parent().filter(|d| !d.as_os_str().is_empty()) {
            std::fs::create_dir_all(dir)
                .with_context(|| format!("cannot create {}", dir.display()))?;
        }
        write_bytes_durably(path, &bytes)
            .with_context(|| format!("cannot write {}", path.display()))?;
    }
    Ok(())
}

/// Writes the KFP v2 executor output: the metrics as artifact metadata.
fn write_kfp_v2(input: ExecutorInput, m: &Metrics, roc: &[RocPoint]) -> anyhow::Result<()> {
    let (path, output) = kfp_v2::executor_output(input, m, roc)?;
    write_bytes_durably(&path, &serde_json::to_vec_pretty(&output)?).with_context(|| {
        format!(
            "cannot write the KFP executor output {} (outputs.outputFile of --kfp-executor-input)",
            path.display()
        )
    })?;
    eprintln!(
        "Reported the metrics to Kubeflow Pipelines as metadata of {} in {}",
        output
            .artifacts
            .keys()
            .map(String::as_str)
            .collect::<Vec<_>>()
            .join(" and "),
        path.display()
    );
    Ok(())
}
