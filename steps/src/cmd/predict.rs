//! `kpipe-step predict`: the bug probability of a release note; `--test` is
//! the pipeline's predict-test.

use std::io::Read;
use std::time::Instant;

use anyhow::{Context, bail};
use kpipe_step_contract::PredictArgs;

use crate::ml::model::{Model, checked_threshold};

/// The original project's positive test: the release note of
/// <https://github.com/kubernetes/kubernetes/pull/65327> (kind/bug).
pub const POSITIVE_TEST_TEXT: &str = "
        Fix concurrent map access panic
        Don't watch .mount cgroups to reduce number of inotify watches
        Fix NVML initialization race condition
        Fix brtfs disk metrics when using a subdirectory of a subvolume
    ";

/// The original project's negative test: the release note of
/// <https://github.com/kubernetes/kubernetes/pull/85363> (not kind/bug).
pub const NEGATIVE_TEST_TEXT: &str = "
        action required
        1. Currently, if users were to explicitly specify CacheSize of 0 for
           KMS provider, they would end-up with a provider that caches up to
           1000 keys. This PR changes this behavior.
           Post this PR, when users supply 0 for CacheSize this will result in
           a validation error.
        2. CacheSize type was changed from int32 to *int32. This allows
           defaulting logic to differentiate between cases where users
           explicitly supplied 0 vs. not supplied any value.
        3. KMS Provider's endpoint (path to Unix socket) is now validated when
           the EncryptionConfiguration files is loaded. This used to be handled
           by the GRPCService.
    ";

/// Runs `predict`.
pub(super) fn run(args: PredictArgs) -> anyhow::Result<()> {
    let flag = checked_threshold(args.threshold)?;
    let started = Instant::now();
    let model = Model::load(&args.model)?;
    let threshold = model.threshold(flag);
    eprintln!(
        "Loaded model from {} in {:.1} ms; deciding at threshold {threshold} ({})",
        args.model.display(),
        started.elapsed().as_secs_f64() * 1e3,
        if flag.is_some() {
            "--threshold"
        } else {
            "the model's"
        }
    );
    if args.test {
        let mut misses = Vec::new();
        for (name, text, bug) in [
            (
                "positive (kubernetes/kubernetes#65327)",
                POSITIVE_TEST_TEXT,
                true,
            ),
            (
                "negative (kubernetes/kubernetes#85363)",
                NEGATIVE_TEST_TEXT,
                false,
            ),
        ] {
            let p = model.predict(text);
            let predicted = p >= threshold;
            let ok = predicted == bug;
            eprintln!(
                "Testing {name} text: probability {p:.4} → {} (expected {}) {}",
                if predicted { "bug" } else { "not bug" },
                if bug { "bug" } else { "not bug" },
                if ok { "ok" } else { "MISS" }
            );
            if !ok {
                misses.push(name);
            }
        }
        if !misses.is_empty() {
            bail!(
                "predict-test failed at threshold {threshold}: the model misclassifies the {} text",
                misses.join(" and the ")
            );
        }
        eprintln!("Both test texts matched their expected prediction");
        return Ok(());
    }
    let text = match args.text.as_deref() {
        Some("-") => {
            let mut s = String::new();
            std::io::stdin()
                .read_to_string(&mut s)
                .context("cannot read the text from standard input")?;
            s
        }
        Some(t) => t.to_owned(),
        None => bail!("give a TEXT to score, `-` to read it from standard input, or --test"),
    };
    if text.trim().is_empty() {
        bail!("the text to score is empty");
    }
    let started = Instant::now();
    let p = model.predict(&text);
    eprintln!(
        "Predicted in {:.3} ms: {}",
        started.elapsed().as_secs_f64() * 1e3,
        if p >= threshold { "bug" } else { "not bug" }
    );
    println!("{p:.6}");
    Ok(())
}
