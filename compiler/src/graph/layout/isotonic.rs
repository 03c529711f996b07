//! Placing one column: positions as close as possible to their targets
//! (weighted least squares) while keeping the order and minimum gaps.
//!
//! Subtracting the cumulative gaps turns "y[i+1] ≥ y[i] + gap[i]" into
//! "z non-decreasing": weighted isotonic regression, solved exactly by
//! pool-adjacent-violators in O(n).

/// Buffers reused between columns.
#[derive(Debug, Default)]
pub(crate) struct Isotonic {
    offset: Vec<f64>,
    /// Pooled items: (weight, weighted sum, first item).
    blocks: Vec<(f64, f64, usize)>,
}

impl Isotonic {
    /// Writes into `out` the positions, in order, for `targets` with
    /// `weights` (> 0) and `gaps[i]` between item `i` and `i + 1`.
    pub(crate) fn place(
        &mut self,
        targets: &[f64],
        weights: &[f64],
        gaps: &[f64],
        out: &mut Vec<f64>,
    ) {
        let n = targets.len();
        self.offset.clear();
        let mut at = 0.0;
        for i in 0..n {
            if i > 0 {
                at += gaps.get(i - 1).copied().unwrap_or(0.0);
            }
            self.offset.push(at);
        }
        self.blocks.clear();
        for (i, (&target, &offset)) in targets.iter().zip(&self.offset).enumerate() {
            let w = weights.get(i).copied().unwrap_or(1.0).max(1e-9);
            let mut block = (w, w * (target - offset), i);
            while let Some(&last) = self.blocks.last() {
                if last.1 / last.0 > block.1 / block.0 {
                    self.blocks.pop();
                    block = (last.0 + block.0, last.1 + block.1, last.2);
                } else {
                    break;
                }
            }
            self.blocks.push(block);
        }
        out.clear();
        out.resize(n, 0.0);
        for (k, &(weight, sum, first)) in self.blocks.iter().enumerate() {
            let end = self.blocks.get(k + 1).map_or(n, |b| b.2);
            for (o, offset) in out[first..end].iter_mut().zip(&self.offset[first..end]) {
                *o = sum / weight + offset;
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn place(targets: &[f64], weights: &[f64], gaps: &[f64]) -> Vec<f64> {
        let mut out = Vec::new();
        Isotonic::default().place(targets, weights, gaps, &mut out);
        out
    }

    #[test]
    fn keeps_targets_that_fit() {
        assert_eq!(place(&[0.0, 50.0], &[1.0, 1.0], &[10.0]), [0.0, 50.0]);
    }

    #[test]
    fn spreads_colliding_targets_around_their_mean() {
        assert_eq!(place(&[20.0, 20.0], &[1.0, 1.0], &[10.0]), [15.0, 25.0]);
        // the heavier item moves less
        assert_eq!(place(&[0.0, 0.0], &[3.0, 1.0], &[8.0]), [-2.0, 6.0]);
        // order is kept even when targets are reversed
        let y = place(&[30.0, 0.0, 60.0], &[1.0, 1.0, 1.0], &[10.0, 10.0]);
        assert!(y[1] - y[0] >= 10.0 - 1e-9 && y[2] - y[1] >= 10.0 - 1e-9);
    }
}
