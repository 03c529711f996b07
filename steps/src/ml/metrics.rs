//! Binary classification metrics of the `kind/bug` class.

use serde::{Deserialize, Serialize};

/// Metrics of predictions against labels at one threshold.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct Metrics {
    /// Share of correct predictions.
    pub accuracy: f64,
    /// Of the notes predicted bug, the share that are bugs.
    pub precision: f64,
    /// Of the bugs, the share predicted bug.
    pub recall: f64,
    /// Harmonic mean of precision and recall (bug class).
    pub f1: f64,
    /// Area under the ROC curve (threshold-free).
    pub roc_auc: f64,
    /// Probability at or above which a note is predicted bug.
    pub threshold: f64,
    /// Rows: true class [not bug, bug]; columns: predicted [not bug, bug].
    pub confusion_matrix: [[u64; 2]; 2],
    /// Number of examples.
    pub n: usize,
}

impl Metrics {
    /// Computes every metric of `probs` against `labels` at `threshold`.
    pub fn compute(probs: &[f64], labels: &[bool], threshold: f64) -> Self {
        let mut cm = [[0u64; 2]; 2];
        for (&p, &y) in probs.iter().zip(labels) {
            cm[usize::from(y)][usize::from(p >= threshold)] += 1;
        }
        let [[tn, fp], [fn_, tp]] = cm;
        let ratio = |a: u64, b: u64| if b == 0 { 0.0 } else { a as f64 / b as f64 };
        let precision = ratio(tp, tp + fp);
        let recall = ratio(tp, tp + fn_);
        let f1 = if precision + recall == 0.0 {
            0.0
        } else {
            2.0 * precision * recall / (precision + recall)
        };
        Self {
            accuracy: ratio(tp + tn, tp + tn + fp + fn_),
            precision,
            recall,
            f1,
            roc_auc: roc_auc(probs, labels),
            threshold,
            confusion_matrix: cm,
            n: probs.len().min(labels.len()),
        }
    }
}

/// One point of the ROC curve: at `threshold`, the share of bugs predicted
/// bug (recall, the true positive rate) and of non-bugs predicted bug (the
/// false positive rate).
#[derive(Clone, Copy, Debug, PartialEq)]
pub struct RocPoint {
    /// A note is predicted bug at a probability at or above this.
    pub threshold: f64,
    /// True positive rate.
    pub recall: f64,
    /// False positive rate.
    pub false_positive_rate: f64,
}

/// Steps of the ROC curve between thresholds 0 and 1: every 0.01, the step
/// the decision threshold is chosen and stored in, so the model's threshold
/// is a point of the curve (101 points whatever the data's size).
pub const ROC_STEPS: u32 = 100;

/// The ROC curve of `probs` against `labels` at thresholds 1.00, 0.99, …,
/// 0.00: false positive rate ascending, as scikit-learn's `roc_curve`
/// orders it. A note counts as bug at `p ≥ t`, as in [`Metrics::compute`];
/// with no bugs (or no non-bugs) that rate is 0 throughout.
pub fn roc_curve(probs: &[f64], labels: &[bool]) -> Vec<RocPoint> {
    let n = probs.len().min(labels.len());
    let sorted = |class: bool| {
        let mut p: Vec<f64> = (0..n)
            .filter(|&i| labels[i] == class)
            .map(|i| probs[i])
            .collect();
        p.sort_by(f64::total_cmp);
        p
    };
    let (bugs, others) = (sorted(true), sorted(false));
    // The share of `sorted` at or above `t`.
    let rate = |sorted: &[f64], t: f64| {
        if sorted.is_empty() {
            return 0.0;
        }
        let below = sorted.partition_point(|&p| p < t);
        (sorted.len() - below) as f64 / sorted.len() as f64
    };
    (0..=ROC_STEPS)
        .rev()
        .map(|step| {
            let threshold = f64::from(step) / f64::from(ROC_STEPS);
            RocPoint {
                threshold,
                recall: rate(&bugs, threshold),
                false_positive_rate: rate(&others, threshold),
            }
        })
        .collect()
}

/// ROC AUC by the rank statistic (ties get their average rank), as
/// scikit-learn's `roc_auc_score`. 0.5 when only one class is present.
pub fn roc_auc(probs: &[f64], labels: &[bool]) -> f64 {
    let n = probs.len().min(labels.len());
    let mut order: Vec<usize> = (0..n).collect();
    order.sort_by(|&a, &b| probs[a].total_cmp(&probs[b]));
    let mut rank_sum_pos = 0.0;
    let mut i = 0;
    while i < n {
        let mut j = i;
        while j + 1 < n && probs[order[j + 1]] == probs[order[i]] {
            j += 1;
        }
        let avg_rank = (i + j) as f64 / 2.0 + 1.0;
        rank_sum_pos += order[i..=j].iter().filter(|&&k| labels[k]).count() as f64 * avg_rank;
        i = j + 1;
    }
    let pos = labels[..n].iter().filter(|&&l| l).count() as f64;
    let neg = n as f64 - pos;
    if pos == 0.0 || neg == 0.0 {
        return 0.5;
    }
    (rank_sum_pos - pos * (pos + 1.0) / 2.0) / (pos * neg)
}

/// The threshold in `[lo, hi]` (steps of 0.01) with the best F1; ties go to
/// the threshold closest to 0.5.
pub fn best_f1_threshold(probs: &[f64], labels: &[bool], lo: f64, hi: f64) -> f64 {
    let mut best: (f64, f64) = (f64::NEG_INFINITY, 0.5);
    let steps = ((hi - lo) / 0.01).round() as usize;
    for s in 0..=steps {
        let t = lo + s as f64 * 0.01;
        let f1 = Metrics::compute(probs, labels, t).f1;
        let better = f1 > best.0 + 1e-12
            || ((f1 - best.0).abs() <= 1e-12 && (t - 0.5).abs() < (best.1 - 0.5).abs());
        if better {
            best = (f1, t);
        }
    }
    (best.1 * 100.0).round() / 100.0
}

/// The decision threshold for data whose bug share is `target_share` when
/// the model learnt probabilities at bug share `train_share`: under label
/// shift the Bayes decision `p ≥ t` moves to
/// `t = σ(logit(train_share) − logit(target_share))`. Equal shares give 0.5.
pub fn prior_shift_threshold(train_share: f64, target_share: f64) -> f64 {
    let logit = |p: f64| {
        let p = p.clamp(1e-3, 1.0 - 1e-3);
        (p / (1.0 - p)).ln()
    };
    let t = 1.0 / (1.0 + (logit(target_share) - logit(train_share)).exp());
    (t * 100.0).round() / 100.0
}

#[cfg(test)]
mod tests {
    #[test]
    fn prior_shift_moves_the_threshold_up_when_bugs_get_rarer() {
        assert_eq!(super::prior_shift_threshold(0.4, 0.4), 0.5);
        assert_eq!(super::prior_shift_threshold(0.46, 0.36), 0.6);
        assert!(super::prior_shift_threshold(0.3, 0.5) < 0.5);
    }

    use super::*;

    #[test]
    fn auc_handles_ties_like_scikit_learn() {
        // sklearn.metrics.roc_auc_score([0,0,1,1,1],[0.1,0.4,0.35,0.8,0.4]) == 0.75
        let auc = roc_auc(
            &[0.1, 0.4, 0.35, 0.8, 0.4],
            &[false, false, true, true, true],
        );
        assert!((auc - 0.75).abs() < 1e-12, "{auc}");
        assert_eq!(roc_auc(&[0.2, 0.3], &[true, true]), 0.5);
    }

    #[test]
    fn the_roc_curve_agrees_with_the_metrics_at_every_threshold() {
        let probs = [0.1, 0.4, 0.35, 0.8, 0.4, 0.61, 0.6];
        let labels = [false, false, true, true, true, false, true];
        let roc = roc_curve(&probs, &labels);
        assert_eq!(roc.len(), 101);
        assert_eq!((roc[0].threshold, roc[100].threshold), (1.0, 0.0));
        assert_eq!((roc[100].recall, roc[100].false_positive_rate), (1.0, 1.0));
        assert_eq!((roc[0].recall, roc[0].false_positive_rate), (0.0, 0.0));
        for point in &roc {
            let m = Metrics::compute(&probs, &labels, point.threshold);
            let [[tn, fp], [_, _]] = m.confusion_matrix;
            assert_eq!(point.recall, m.recall, "{point:?}");
            assert_eq!(
                point.false_positive_rate,
                fp as f64 / (fp + tn) as f64,
                "{point:?}"
            );
        }
        // At 0.6 (a probability equal to the threshold counts as bug):
        // bugs 0.8, 0.6 of 4; non-bugs 0.61 of 3.
        let at = roc.iter().find(|p| p.threshold == 0.6);
        assert_eq!(
            at.map(|p| (p.recall, p.false_positive_rate)),
            Some((0.5, 1.0 / 3.0))
        );
        // Rates never fall as the threshold falls.
        assert!(
            roc.windows(2).all(|w| w[1].recall >= w[0].recall
                && w[1].false_positive_rate >= w[0].false_positive_rate)
        );
        let one_class = roc_curve(&[0.2, 0.9], &[true, true]);
        assert!(one_class.iter().all(|p| p.false_positive_rate == 0.0));
    }

    #[test]
    fn confusion_matrix_rows_are_true_classes() {
        let m = Metrics::compute(&[0.9, 0.7, 0.2, 0.1], &[true, false, true, false], 0.6);
        assert_eq!(m.confusion_matrix, [[1, 1], [1, 1]]);
        assert_eq!(
            (m.precision, m.recall, m.f1, m.accuracy),
            (0.5, 0.5, 0.5, 0.5)
        );
        assert_eq!(m.n, 4);
    }
}
