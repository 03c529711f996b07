//! Coordinates: columns as wide as their widest node; in each column,
//! nodes pulled towards their neighbours in sweeps down and up the columns,
//! each column placed exactly by isotonic regression (order and gaps kept).

use super::isotonic::Isotonic;
use super::layered::{Adjacency, Kind, Layered};
use super::spacing::{COLUMN_GAP, LINE_GAP, MARGIN, TASK_GAP};

/// How strongly a node without neighbours on the swept side stays put.
const HOLD: f64 = 0.25;

/// Down-and-up sweeps for `size` layered nodes and segments (a final
/// sweep balances both sides): fewer for huge graphs.
fn sweeps(size: usize) -> usize {
    if size <= 100_000 { 8 } else { 3 }
}

/// Node centres, and the left and right edges of each node's column.
#[derive(Clone, Debug)]
pub(crate) struct Positions {
    pub(crate) x: Vec<f64>,
    pub(crate) y: Vec<f64>,
    pub(crate) left: Vec<f64>,
    pub(crate) right: Vec<f64>,
}

fn gap(a: Kind, b: Kind) -> f64 {
    match (a == Kind::Task, b == Kind::Task) {
        (true, true) => TASK_GAP,
        (false, false) => LINE_GAP,
        _ => (TASK_GAP + LINE_GAP) / 2.0,
    }
}

/// Buffers reused between columns.
#[derive(Default)]
struct Placer {
    isotonic: Isotonic,
    targets: Vec<f64>,
    weights: Vec<f64>,
    placed: Vec<f64>,
}

impl Placer {
    fn column(&mut self, column: &[usize], gaps: &[f64], sides: &[&Adjacency], y: &mut [f64]) {
        self.targets.clear();
        self.weights.clear();
        for &v in column {
            let (mut w, mut wy) = (0.0, 0.0);
            for side in sides {
                for &(u, weight) in side.of(v) {
                    w += weight;
                    wy += weight * y[u];
                }
            }
            if w > 0.0 {
                self.targets.push(wy / w);
                self.weights.push(w);
            } else {
                self.targets.push(y[v]);
                self.weights.push(HOLD);
            }
        }
        self.isotonic
            .place(&self.targets, &self.weights, gaps, &mut self.placed);
        for (&v, &p) in column.iter().zip(&self.placed) {
            y[v] = p;
        }
    }
}

/// Positions every layered node.
pub(crate) fn assign(g: &Layered) -> Positions {
    let mut x = vec![0.0; g.nodes.len()];
    let (mut lefts, mut rights) = (x.clone(), x.clone());
    let mut left = MARGIN;
    for column in &g.columns {
        let width = column
            .iter()
            .map(|&v| g.nodes[v].size.width)
            .fold(0.0, f64::max);
        for &v in column {
            x[v] = left + width / 2.0;
            lefts[v] = left;
            rights[v] = left + width;
        }
        left += width + COLUMN_GAP;
    }
    // the minimum distance between neighbours' centres, per column
    let gaps: Vec<Vec<f64>> = g
        .columns
        .iter()
        .map(|column| {
            column
                .windows(2)
                .map(|w| {
                    let (a, b) = (g.nodes[w[0]], g.nodes[w[1]]);
                    (a.size.height + b.size.height) / 2.0 + gap(a.kind, b.kind)
                })
                .collect()
        })
        .collect();
    let mut y = vec![0.0; g.nodes.len()];
    for (column, gaps) in g.columns.iter().zip(&gaps) {
        let mut at = 0.0;
        for (i, &v) in column.iter().enumerate() {
            if i > 0 {
                at += gaps[i - 1];
            }
            y[v] = at;
        }
    }
    let mut placer = Placer::default();
    let count = g.columns.len();
    for _ in 0..sweeps(g.nodes.len() + g.succs.len()) {
        for (column, gaps) in g.columns.iter().zip(&gaps).skip(1) {
            placer.column(column, gaps, &[&g.preds], &mut y);
        }
        let up = g.columns.iter().zip(&gaps).take(count.saturating_sub(1));
        for (column, gaps) in up.rev() {
            placer.column(column, gaps, &[&g.succs], &mut y);
        }
    }
    for (column, gaps) in g.columns.iter().zip(&gaps) {
        placer.column(column, gaps, &[&g.preds, &g.succs], &mut y);
    }
    let top = g
        .nodes
        .iter()
        .zip(&y)
        .map(|(n, y)| y - n.size.height / 2.0)
        .fold(f64::INFINITY, f64::min);
    if top.is_finite() {
        for v in &mut y {
            *v += MARGIN - top;
        }
    }
    Positions {
        x,
        y,
        left: lefts,
        right: rights,
    }
}
