use kpipe_steps::ml::select::{Selector, f_classif};
use kpipe_steps::ml::tfidf::{Analyzer, DocFreq, Tfidf, TfidfConfig};
use serde_json::Value;

fn goldens() -> Value {
    let path = concat!(
        env!("CARGO_MANIFEST_DIR"),
        "/tests/fixtures/tfidf/goldens.json"
    );
    let text = std::fs::read_to_string(path).expect("the TF-IDF goldens");
    serde_json::from_str(&text).unwrap_or(Value::Null)
}

fn strings(v: &Value) -> Vec<String> {
    v.as_array()
        .into_iter()
        .flatten()
        .filter_map(|s| s.as_str().map(str::to_owned))
        .collect()
}

fn config(params: &Value) -> TfidfConfig {
    let df = |v: &Value| match v.as_u64() {
        Some(c) => DocFreq::Count(c as usize),
        None => DocFreq::Share(v.as_f64().unwrap_or(1.0)),
    };
    TfidfConfig {
        analyzer: match params["analyzer"].as_str() {
            Some("char_wb") => Analyzer::CharWb,
            Some("lead") => Analyzer::Lead,
            _ => Analyzer::Word,
        },
        min_n: params["ngram_range"][0].as_u64().unwrap_or(1) as usize,
        max_n: params["ngram_range"][1].as_u64().unwrap_or(1) as usize,
        min_df: df(&params["min_df"]),
        max_df: df(&params["max_df"]),
        sublinear_tf: params["sublinear_tf"].as_bool().unwrap_or(false),
    }
}

#[test]
fn tfidf_and_select_k_best_match_scikit_learn() {
    let g = goldens();
    let train = strings(&g["train"]);
    let test = strings(&g["test"]);
    let labels: Vec<bool> = g["labels"]
        .as_array()
        .into_iter()
        .flatten()
        .map(|b| b.as_bool().unwrap_or(false))
        .collect();
    assert!(train.len() > 300 && test.len() > 50);
    let configs = g["configs"].as_object().cloned().unwrap_or_default();
    assert_eq!(configs.len(), 4);
    for (name, c) in configs {
        let v = Tfidf::fit(config(&c["params"]), &train);
        assert_eq!(
            v.vocabulary,
            strings(&c["vocabulary"]),
            "{name}: vocabulary"
        );
        for (i, (a, b)) in v
            .idf
            .iter()
            .zip(c["idf"].as_array().into_iter().flatten())
            .enumerate()
        {
            let b = b.as_f64().unwrap_or(f64::NAN);
            assert!((a - b).abs() < 1e-9, "{name}: idf[{i}] {a} vs {b}");
        }
        let x = v.transform(&test);
        let rows = c["test_rows"].as_array().cloned().unwrap_or_default();
        assert_eq!(x.rows(), rows.len());
        for (r, want) in rows.iter().enumerate() {
            let (cols, vals) = x.row(r);
            let want_cols = u32s(&want["indices"]);
            let mut pairs: Vec<(u32, f64)> = want_cols
                .iter()
                .copied()
                .zip(
                    want["values"]
                        .as_array()
                        .into_iter()
                        .flatten()
                        .map(|v| v.as_f64().unwrap_or(f64::NAN)),
                )
                .collect();
            pairs.sort_by_key(|p| p.0);
            assert_eq!(
                cols,
                pairs.iter().map(|p| p.0).collect::<Vec<_>>(),
                "{name}: row {r} columns"
            );
            for ((c, a), (_, b)) in cols.iter().zip(vals).zip(&pairs) {
                assert!((a - b).abs() < 1e-6, "{name}: row {r} col {c}: {a} vs {b}");
            }
        }
        let fitted = v.transform(&train);
        let scores = f_classif(&fitted, &labels);
        for (j, (a, b)) in scores
            .iter()
            .zip(c["f_classif"].as_array().into_iter().flatten())
            .enumerate()
        {
            match b.as_f64() {
                None => assert!(a.is_nan(), "{name}: f_classif[{j}] {a} vs NaN"),
                Some(b) => assert!(
                    (a - b).abs() <= 1e-6 * b.abs().max(1.0),
                    "{name}: f_classif[{j}] {a} vs {b}"
                ),
            }
        }
        let k = c["k"].as_u64().unwrap_or(0) as usize;
        let sel = Selector::fit(&fitted, &labels, k);
        let want = u32s(&c["selected"]);
        assert_eq!(sel.keep, want, "{name}: SelectKBest");
    }
}

/// A JSON array of column numbers.
fn u32s(v: &serde_json::Value) -> Vec<u32> {
    v.as_array()
        .into_iter()
        .flatten()
        .filter_map(|i| i.as_u64().and_then(|i| u32::try_from(i).ok()))
        .collect()
}
