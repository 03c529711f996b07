//! `SelectKBest(f_classif, k)`: keep the k features with the highest ANOVA
//! F-value against the label, with scikit-learn's tie-breaking (stable sort,
//! the last k of the ascending order).

use serde::{Deserialize, Serialize};

use super::sparse::Csr;

/// ANOVA F-value of each column of `x` for binary labels `y` (scikit-learn's
/// `f_classif` on sparse input; NaN where a feature is constant).
pub fn f_classif(x: &Csr, y: &[bool]) -> Vec<f64> {
    let cols = x.cols;
    let mut sum = [vec![0.0f64; cols], vec![0.0f64; cols]];
    let mut sq = vec![0.0f64; cols];
    let mut n = [0usize; 2];
    for (i, &label) in y.iter().enumerate().take(x.rows()) {
        let k = usize::from(label);
        n[k] += 1;
        let (c, v) = x.row(i);
        for (&c, &v) in c.iter().zip(v) {
            sum[k][c as usize] += v;
            sq[c as usize] += v * v;
        }
    }
    let n_samples = (n[0] + n[1]) as f64;
    let n_classes = n.iter().filter(|&&c| c > 0).count() as f64;
    (0..cols)
        .map(|j| {
            let total = sum[0][j] + sum[1][j];
            let sstot = sq[j] - total * total / n_samples;
            let mut ssbn = -(total * total) / n_samples;
            for k in 0..2 {
                if n[k] > 0 {
                    ssbn += sum[k][j] * sum[k][j] / n[k] as f64;
                }
            }
            let sswn = sstot - ssbn;
            let dfbn = n_classes - 1.0;
            let dfwn = n_samples - n_classes;
            (ssbn / dfbn) / (sswn / dfwn)
        })
        .collect()
}

/// The selected feature columns (sorted), fitted on training data.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct Selector {
    /// Columns kept, ascending.
    pub keep: Vec<u32>,
    /// Columns before selection.
    pub input_features: usize,
}

impl Selector {
    /// Keeps the `k` columns with the highest F-value (all when `k` ≥ columns).
    pub fn fit(x: &Csr, y: &[bool], k: usize) -> Self {
        let scores = f_classif(x, y);
        let mut order: Vec<usize> = (0..scores.len()).collect();
        // NaN sorts first (lowest), like numpy's argsort of NaN-replaced scores.
        let key = |s: f64| if s.is_nan() { f64::NEG_INFINITY } else { s };
        order.sort_by(|&a, &b| key(scores[a]).total_cmp(&key(scores[b])));
        let take = k.min(order.len());
        let mut keep: Vec<u32> = order[order.len() - take..]
            .iter()
            .map(|&i| i as u32)
            .collect();
        keep.sort_unstable();
        Self {
            keep,
            input_features: x.cols,
        }
    }

    /// The selected columns of `x`.
    pub fn transform(&self, x: &Csr) -> Csr {
        if self.keep.len() == x.cols {
            return x.clone();
        }
        x.select_columns(&self.keep)
    }
}
