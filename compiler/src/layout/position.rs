//! Coordinates: columns as wide as their widest node; in each column,
//! nodes pulled towards their neighbours in sweeps down and up the columns,
//! each column placed exactly by isotonic regression (order and gaps kept).

use super::isotonic;
use super::layered::{Kind, Layered};
use super::spacing::{COLUMN_GAP, LINE_GAP, MARGIN, TASK_GAP};

/// Down-and-up sweeps; a final sweep balances both sides.
const SWEEPS: usize = 8;
/// How strongly a node without neighbours on the swept side stays put.
const HOLD: f64 = 0.25;

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

fn separations(g: &Layered, column: &[usize]) -> Vec<f64> {
    column
        .windows(2)
        .map(|w| {
            let (a, b) = (g.nodes[w[0]], g.nodes[w[1]]);
            (a.size.height + b.size.height) / 2.0 + gap(a.kind, b.kind)
        })
        .collect()
}

fn place_column(g: &Layered, column: &[usize], sides: &[&[Vec<(usize, f64)>]], y: &mut [f64]) {
    let mut targets = Vec::with_capacity(column.len());
    let mut weights = Vec::with_capacity(column.len());
    for &v in column {
        let (mut w, mut wy) = (0.0, 0.0);
        for side in sides {
            for &(u, weight) in &side[v] {
                w += weight;
                wy += weight * y[u];
            }
        }
        if w > 0.0 {
            targets.push(wy / w);
            weights.push(w);
        } else {
            targets.push(y[v]);
            weights.push(HOLD);
        }
    }
    let placed = isotonic::place(&targets, &weights, &separations(g, column));
    for (&v, p) in column.iter().zip(placed) {
        y[v] = p;
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
    let mut y = vec![0.0; g.nodes.len()];
    for column in &g.columns {
        let mut at = 0.0;
        for (i, s) in std::iter::once(0.0)
            .chain(separations(g, column))
            .enumerate()
        {
            at += s;
            y[column[i]] = at;
        }
    }
    let count = g.columns.len();
    for _ in 0..SWEEPS {
        for c in 1..count {
            place_column(g, &g.columns[c], &[&g.preds], &mut y);
        }
        for c in (0..count.saturating_sub(1)).rev() {
            place_column(g, &g.columns[c], &[&g.succs], &mut y);
        }
    }
    for column in &g.columns {
        place_column(g, column, &[&g.preds, &g.succs], &mut y);
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
