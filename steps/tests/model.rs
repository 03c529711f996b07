//! `kpipe-step train` and `predict` as a user runs them: a real (small)
//! training run on the bundled notes, and every bad input.

use kpipe_testkit::{CommandExt, RUN};
use std::path::{Path, PathBuf};
use std::process::{Command, Output};

const BIN: &str = env!("CARGO_BIN_EXE_kpipe-step");

fn data(name: &str) -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR"))
        .join("../pipelines/kubernetes-analysis/data")
        .join(name)
}

fn step(args: &[&str]) -> Output {
    Command::new(BIN).args(args).output_within(RUN)
}

fn stderr(o: &Output) -> String {
    String::from_utf8_lossy(&o.stderr).into_owned()
}

fn tmp() -> tempfile::TempDir {
    match tempfile::tempdir() {
        Ok(d) => d,
        Err(e) => panic!("{e}"),
    }
}

/// The files in `dir`.
fn files(dir: &Path) -> Vec<PathBuf> {
    let mut all: Vec<PathBuf> = std::fs::read_dir(dir)
        .into_iter()
        .flatten()
        .flatten()
        .map(|e| e.path())
        .collect();
    all.sort();
    all
}

/// A KFP v2 executor input (as its launcher writes it) with a Metrics and a
/// ClassificationMetrics output, whose executor output goes to `file`.
fn executor_input(file: &Path) -> String {
    let artifact = |name: &str, title: &str| {
        serde_json::json!({"artifacts": [{
            "name": name,
            "uri": format!("minio://b/train/{name}"),
            "type": {"schemaTitle": title, "schemaVersion": "0.0.1"}
        }]})
    };
    serde_json::json!({"outputs": {
        "artifacts": {
            "metrics": artifact("metrics", "system.Metrics"),
            "classification": artifact("classification", "system.ClassificationMetrics"),
            "model": artifact("model", "system.Model"),
        },
        "outputFile": file,
    }})
    .to_string()
}

/// The first `n` lines of the training file.
fn sample(dir: &Path, n: usize) -> PathBuf {
    let text = std::fs::read_to_string(data("release-notes-train-1.14-1.27.jsonl"))
        .expect("the training notes");
    let lines: Vec<&str> = text.lines().take(n).collect();
    let path = dir.join("sample.jsonl");
    std::fs::write(&path, lines.join("\n") + "\n").ok();
    path
}

#[test]
fn trains_evaluates_and_predicts() {
    let dir = tmp();
    let train = sample(dir.path(), 1200);
    let model = dir.path().join("model");
    let kfp = dir.path().join("kfp");
    let v2 = dir.path().join("kfp-v2/output_metadata.json");
    let out = step(&[
        "train",
        &format!("--data={}", train.display()),
        &format!("--out={}", model.display()),
        &format!("--kfp-out={}", kfp.display()),
        &format!("--kfp-executor-input={}", executor_input(&v2)),
        "--max-epochs=4",
        "--seed=3",
    ]);
    assert!(out.status.success(), "{}", stderr(&out));
    let log = stderr(&out);
    assert!(log.contains("Epoch 1/4 - "), "{log}");
    assert!(log.contains("val_loss: "), "{log}");
    let metrics: serde_json::Value = serde_json::from_slice(&out.stdout).unwrap_or_default();
    for key in [
        "accuracy",
        "precision",
        "recall",
        "f1",
        "roc_auc",
        "threshold",
        "confusion_matrix",
        "n",
    ] {
        assert!(metrics.get(key).is_some(), "metrics lack {key}: {metrics}");
    }
    for f in [
        "kpipe-model.json",
        "vectorizers.json",
        "selector.json",
        "weights.bin",
        "metrics.json",
        "history.json",
    ] {
        assert!(model.join(f).is_file(), "model dir lacks {f}");
    }
    let kfp_metrics: serde_json::Value = serde_json::from_str(
        &std::fs::read_to_string(kfp.join("mlpipeline-metrics.json")).unwrap_or_default(),
    )
    .unwrap_or_default();
    assert_eq!(kfp_metrics["metrics"][1]["name"], "roc-auc");
    let ui: serde_json::Value = serde_json::from_str(
        &std::fs::read_to_string(kfp.join("mlpipeline-ui-metadata.json")).unwrap_or_default(),
    )
    .unwrap_or_default();
    assert_eq!(ui["outputs"][0]["type"], "confusion_matrix");
    // The ROC curve, inline: `fpr,tpr,threshold` rows from threshold 1 to 0,
    // the model's threshold among them with the validation recall.
    let roc = &ui["outputs"][1];
    assert_eq!(
        (&roc["type"], &roc["storage"]),
        (&serde_json::json!("roc"), &serde_json::json!("inline")),
        "{ui}"
    );
    let rows: Vec<Vec<f64>> = roc["source"]
        .as_str()
        .unwrap_or_default()
        .lines()
        .map(|l| {
            l.split(',')
                .map(|x| x.parse().unwrap_or(f64::NAN))
                .collect()
        })
        .collect();
    assert_eq!(rows.len(), 101, "{roc}");
    assert_eq!(
        (rows[0].clone(), rows[100].clone()),
        (vec![0.0, 0.0, 1.0], vec![1.0, 1.0, 0.0])
    );
    let threshold = metrics["threshold"].as_f64().unwrap_or(f64::NAN);
    let recall = metrics["recall"].as_f64().unwrap_or(f64::NAN);
    assert!(
        rows.iter().any(|r| r[2] == threshold && r[1] == recall),
        "no ROC row at threshold {threshold} with recall {recall}: {roc}"
    );
    // KFP v2: the same numbers as artifact metadata in the executor output.
    let v2: serde_json::Value =
        serde_json::from_str(&std::fs::read_to_string(&v2).unwrap_or_default()).unwrap_or_default();
    let scalars = &v2["artifacts"]["metrics"]["artifacts"][0]["metadata"];
    for (kfp, ours) in [
        ("accuracy", "accuracy"),
        ("roc-auc", "roc_auc"),
        ("f1", "f1"),
        ("precision", "precision"),
        ("recall", "recall"),
        ("threshold", "threshold"),
    ] {
        assert_eq!(scalars[kfp], metrics[ours], "{kfp}: {v2}");
    }
    // The model output gets no metadata: only the two metrics outputs.
    assert_eq!(
        v2["artifacts"]
            .as_object()
            .map(|a| a.keys().cloned().collect::<Vec<_>>()),
        Some(vec!["classification".to_owned(), "metrics".to_owned()]),
        "{v2}"
    );
    let classification = &v2["artifacts"]["classification"]["artifacts"][0];
    assert_eq!(classification["uri"], "minio://b/train/classification");
    let cm = &classification["metadata"]["confusionMatrix"];
    assert_eq!(cm["rows"].as_array().map(Vec::len), Some(2), "{cm}");
    for (i, row) in cm["rows"].as_array().into_iter().flatten().enumerate() {
        assert_eq!(row["row"], metrics["confusion_matrix"][i], "{cm}");
    }
    let at_threshold = classification["metadata"]["confidenceMetrics"]
        .as_array()
        .and_then(|points| {
            points
                .iter()
                .find(|p| p["confidenceThreshold"] == metrics["threshold"])
        })
        .cloned()
        .unwrap_or_default();
    assert_eq!(at_threshold["recall"], metrics["recall"], "{at_threshold}");

    // --eval scores another file and writes nothing.
    let before = files(&model);
    let dev = data("release-notes-dev-1.28-1.33.jsonl");
    let out = step(&[
        "train",
        &format!("--eval={}", dev.display()),
        &format!("--model={}", model.display()),
    ]);
    assert!(out.status.success(), "{}", stderr(&out));
    let eval: serde_json::Value = serde_json::from_slice(&out.stdout).unwrap_or_default();
    assert_eq!(eval["n"], 1661);
    assert!(eval["roc_auc"].as_f64().unwrap_or(0.0) > 0.75, "{eval}");
    let after = files(&model);
    assert_eq!(before, after, "--eval writes nothing");

    // predict prints a probability; clear bug text scores high.
    let out = step(&[
        "predict",
        &format!("--model={}", model.display()),
        "Fixed a panic in kubelet when the pod is deleted",
    ]);
    assert!(out.status.success(), "{}", stderr(&out));
    let p: f64 = String::from_utf8_lossy(&out.stdout)
        .trim()
        .parse()
        .unwrap_or(-1.0);
    assert!((0.0..=1.0).contains(&p));

    // An empty text is an error, not a prediction.
    let out = step(&["predict", &format!("--model={}", model.display()), "   "]);
    assert_eq!(out.status.code(), Some(1));
    assert!(stderr(&out).contains("empty"));

    // A damaged weights file is detected.
    let weights = model.join("weights.bin");
    let mut bytes = std::fs::read(&weights).unwrap_or_default();
    if let Some(b) = bytes.last_mut() {
        *b ^= 0xff;
    }
    std::fs::write(&weights, bytes).ok();
    let out = step(&["predict", &format!("--model={}", model.display()), "x"]);
    assert_eq!(out.status.code(), Some(1));
    assert!(stderr(&out).contains("damaged"), "{}", stderr(&out));
}

#[test]
fn a_model_from_another_format_version_is_refused() {
    let dir = tmp();
    let model = dir.path().join("m");
    std::fs::create_dir_all(&model).ok();
    std::fs::write(
        model.join("kpipe-model.json"),
        r#"{"format":"kpipe-model","version":99,"created_by":"kpipe-step 9.0.0"}"#,
    )
    .ok();
    let out = step(&["predict", &format!("--model={}", model.display()), "--test"]);
    assert_eq!(out.status.code(), Some(1));
    let err = stderr(&out);
    assert!(
        err.contains("format version 99 (written by kpipe-step 9.0.0)"),
        "{err}"
    );
    assert!(err.contains("retrain"), "{err}");
}

#[test]
fn bad_inputs_fail_clearly() {
    let dir = tmp();
    let d = dir.path();
    let write = |name: &str, text: &str| {
        let p = d.join(name);
        std::fs::write(&p, text).ok();
        p
    };
    let empty = write("empty.jsonl", "");
    let one_class = write(
        "one.jsonl",
        &(0..40)
            .map(|i| format!("{{\"text\":\"fix {i}\",\"bug\":true}}\n"))
            .collect::<String>(),
    );
    let malformed = write(
        "bad.jsonl",
        "{\"text\":\"ok\",\"bug\":true}\n{\"text\":\"ok\",\"bug\":false}\n{\"text\": \"broken\n",
    );
    let cases: [(&Path, &str); 4] = [
        (&empty, "holds no labelled release notes"),
        (&one_class, "only bug examples"),
        (&malformed, "bad.jsonl:3: not a labelled release note"),
        (
            Path::new("/nonexistent/notes.jsonl"),
            "cannot open /nonexistent/notes.jsonl",
        ),
    ];
    for (file, needle) in cases {
        let out = step(&[
            "train",
            &format!("--data={}", file.display()),
            &format!("--out={}", d.join("m").display()),
        ]);
        assert_eq!(out.status.code(), Some(1), "{}", file.display());
        assert!(
            stderr(&out).contains(needle),
            "{}: {}",
            file.display(),
            stderr(&out)
        );
        assert!(!d.join("m").exists(), "a failed run must not leave a model");
    }
    let out = step(&["predict", "--model=/nonexistent/model", "--test"]);
    assert_eq!(out.status.code(), Some(1));
    assert!(stderr(&out).contains("model directory /nonexistent/model does not exist"));
    let out = step(&["train", "--eval=/x.jsonl", "--model=/nonexistent/model"]);
    assert_eq!(out.status.code(), Some(1));
    let out = step(&["train", "--data=/x", "--out=/y", "--device=cuda"]);
    assert_eq!(out.status.code(), Some(1));
    // KFP's placeholder where its executor input belongs: before training.
    let out = step(&[
        "train",
        &format!("--data={}", one_class.display()),
        &format!("--out={}", d.join("m").display()),
        "--kfp-executor-input={{$}}",
    ]);
    assert_eq!(out.status.code(), Some(1));
    assert!(
        stderr(&out).contains("only KFP's launcher fills it in"),
        "{}",
        stderr(&out)
    );
}

#[test]
fn predict_decides_at_the_models_threshold_unless_told_otherwise() {
    let dir = tmp();
    let decide = |stored: f64, extra: &[&str]| {
        let model = crate::serve::model_with_threshold(dir.path(), stored);
        let mut args = vec!["predict".to_owned(), format!("--model={}", model.display())];
        args.extend(extra.iter().map(|a| (*a).to_owned()));
        let args: Vec<&str> = args.iter().map(String::as_str).collect();
        let out = step(&args);
        (out.status.code(), stderr(&out))
    };
    let text = "Fixed a panic in kubelet";
    let (code, log) = decide(0.0, &[text]);
    assert_eq!(code, Some(0), "{log}");
    assert!(
        log.contains("deciding at threshold 0 (the model's)") && log.ends_with(": bug\n"),
        "{log}"
    );
    let (code, log) = decide(1.0, &[text]);
    assert_eq!(code, Some(0), "{log}");
    assert!(log.ends_with(": not bug\n"), "{log}");
    let (code, log) = decide(1.0, &["--threshold=0", text]);
    assert_eq!(code, Some(0), "{log}");
    assert!(
        log.contains("deciding at threshold 0 (--threshold)") && log.ends_with(": bug\n"),
        "{log}"
    );
    // predict-test: a model whose own threshold calls everything a bug misses the negative note.
    let (code, log) = decide(0.0, &["--test"]);
    assert_eq!(code, Some(1), "{log}");
    assert!(
        log.contains("predict-test failed at threshold 0: the model misclassifies the negative"),
        "{log}"
    );
    let (code, log) = decide(1.5, &["--test"]);
    assert_eq!(code, Some(1), "{log}");
    assert!(
        log.contains("the threshold 1.5 is not a probability"),
        "{log}"
    );
    let (code, log) = decide(0.5, &["--threshold=-1", text]);
    assert_eq!(code, Some(1), "{log}");
    assert!(
        log.contains("--threshold must be in [0, 1], got -1"),
        "{log}"
    );
}
