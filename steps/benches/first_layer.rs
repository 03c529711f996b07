//! Sparse first layer (kpipe) vs burn's dense first layer, one epoch each on
//! the real features of the bundled training notes.
//!
//! `cargo bench -p kpipe-steps --bench first_layer`
//!
//! The features are word 1–2-grams plus character 2–5-grams (95k inputs,
//! ~360 non-zeros per note). Both train the same 2 × 64 MLP with Adam and batch 128. The dense variant
//! materialises each batch as a `[128 × features]` tensor and lets burn
//! differentiate and update the full first layer; kpipe's layer multiplies
//! only the non-zeros and updates only the touched weight rows. Peak RSS is
//! read from /proc after each phase (sparse runs first).

use std::time::Instant;

use burn::backend::Autodiff;
use burn::backend::ndarray::{NdArray, NdArrayDevice};
use burn::module::Module;
use burn::nn::{Dropout, DropoutConfig, Linear, LinearConfig};
use burn::optim::{AdamConfig, GradientsParams, Optimizer};
use burn::tensor::activation::relu;
use burn::tensor::backend::Backend;
use burn::tensor::{Tensor, TensorData};
use kpipe_steps::ml::data;
use kpipe_steps::ml::features::{FeatureConfig, Features};
use kpipe_steps::ml::fit::{TrainSet, fit_epochs};
use kpipe_steps::ml::head::bce_with_logits;
use kpipe_steps::ml::net_config::NetConfig;

type B = Autodiff<NdArray<f32>>;

#[derive(Module, Debug)]
struct DenseMlp<B: Backend> {
    first: Linear<B>,
    second: Linear<B>,
    output: Linear<B>,
    dropout: Dropout,
}

impl<B: Backend> DenseMlp<B> {
    fn forward(&self, x: Tensor<B, 2>) -> Tensor<B, 2> {
        let h = self.dropout.forward(relu(self.first.forward(x)));
        let h = self.dropout.forward(relu(self.second.forward(h)));
        self.output.forward(h)
    }
}

fn peak_rss_mib() -> f64 {
    std::fs::read_to_string("/proc/self/status")
        .ok()
        .and_then(|s| {
            s.lines()
                .find(|l| l.starts_with("VmHWM:"))
                .and_then(|l| l.split_whitespace().nth(1))
                .and_then(|kb| kb.parse::<f64>().ok())
        })
        .map_or(f64::NAN, |kb| kb / 1024.0)
}

fn main() -> anyhow::Result<()> {
    let root = std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("..");
    let notes = data::load(
        &root.join("pipelines/kubernetes-analysis/data/release-notes-train-1.14-1.27.jsonl"),
    )?;
    let docs: Vec<&str> = notes.iter().map(|n| n.text.as_str()).collect();
    let y: Vec<bool> = notes.iter().map(|n| n.bug).collect();
    let (features, x) = Features::fit(&FeatureConfig::with_char_ngrams(), &docs, &y);
    let inputs = features.dim();
    let nnz = x.indices.len() as f64 / x.rows() as f64;
    println!(
        "{} notes, {inputs} features, {nnz:.0} non-zeros per note; one epoch, batch 128, 2 × 64 MLP",
        x.rows()
    );
    let rss0 = peak_rss_mib();

    let rows: Vec<usize> = (0..x.rows()).collect();
    let cfg = NetConfig {
        max_epochs: 1,
        wide: false,
        ..NetConfig::default()
    };
    let t = Instant::now();
    let set = TrainSet {
        x: &x,
        y: &y,
        train: &rows,
        val: &[],
    };
    fit_epochs::<B>(&NdArrayDevice::Cpu, &set, &cfg, 1, &mut |_| {})?;
    let sparse = t.elapsed().as_secs_f64();
    let rss_sparse = peak_rss_mib();

    let device = NdArrayDevice::Cpu;
    let mut model = DenseMlp::<B> {
        first: LinearConfig::new(inputs, 64).init(&device),
        second: LinearConfig::new(64, 64).init(&device),
        output: LinearConfig::new(64, 1).init(&device),
        dropout: DropoutConfig::new(0.2).init(),
    };
    let mut optim = AdamConfig::new().init();
    let t = Instant::now();
    for batch in rows.chunks(128) {
        let mut dense = vec![0.0f32; batch.len() * inputs];
        for (i, &r) in batch.iter().enumerate() {
            let (c, v) = x.row(r);
            for (&c, &v) in c.iter().zip(v) {
                dense[i * inputs + c as usize] = v as f32;
            }
        }
        let xb = Tensor::<B, 2>::from_data(TensorData::new(dense, [batch.len(), inputs]), &device);
        let yb: Vec<f32> = batch.iter().map(|&i| f32::from(u8::from(y[i]))).collect();
        let yb = Tensor::<B, 2>::from_data(TensorData::new(yb, [batch.len(), 1]), &device);
        let logits = model.forward(xb);
        let loss = bce_with_logits(logits, yb);
        let grads = GradientsParams::from_grads(loss.backward(), &model);
        model = optim.step(1e-3, model, grads);
    }
    let dense = t.elapsed().as_secs_f64();
    let rss_dense = peak_rss_mib();
    println!(
        "{:<28} {:>10} {:>16}",
        "first layer", "epoch", "peak RSS after"
    );
    println!(
        "{:<28} {:>9.2}s {:>13.0} MiB",
        "kpipe sparse + lazy Adam", sparse, rss_sparse
    );
    println!(
        "{:<28} {:>9.2}s {:>13.0} MiB",
        "burn dense Linear + Adam", dense, rss_dense
    );
    println!(
        "sparse is {:.1}× faster per epoch (features alone: {rss0:.0} MiB)",
        dense / sparse
    );
    Ok(())
}
