//! Crossing reduction: barycenter sweeps down and up the columns, a bounded
//! number of times, keeping the order with the fewest crossings.

use super::crossings;
use super::layered::{Adjacency, Kind, Layered};

/// Sweeps for a graph of `size` layered nodes and segments: more for small
/// graphs (cheap, and where readability is judged), fewer for huge ones.
fn sweeps(size: usize) -> usize {
    match size {
        0..=20_000 => 24,
        20_001..=200_000 => 8,
        _ => 4,
    }
}

fn refresh(column: &[usize], pos: &mut [usize]) {
    for (i, &v) in column.iter().enumerate() {
        pos[v] = i;
    }
}

fn count(g: &Layered, pos: &[usize], scratch: &mut crossings::Scratch) -> u64 {
    g.columns
        .windows(2)
        .map(|w| crossings::between(&w[0], &g.succs, pos, w[1].len(), scratch))
        .sum()
}

/// Sorts `column` by the mean position of each node's neighbours in the
/// fixed column; nodes without such neighbours keep their slot.
fn reorder(
    column: &mut [usize],
    neighbours: &Adjacency,
    pos: &mut [usize],
    movable: &mut Vec<(f64, usize, usize)>,
) {
    movable.clear();
    movable.extend(
        column
            .iter()
            .enumerate()
            .filter(|(_, v)| !neighbours.of(**v).is_empty())
            .map(|(i, &v)| {
                let n = neighbours.of(v);
                let sum: usize = n.iter().map(|&(u, _)| pos[u]).sum();
                (sum as f64 / n.len() as f64, i, v)
            }),
    );
    movable.sort_unstable_by(|a, b| a.0.total_cmp(&b.0).then(a.1.cmp(&b.1)));
    let mut sorted = movable.iter().map(|&(_, _, v)| v);
    for slot in column.iter_mut() {
        if !neighbours.of(*slot).is_empty()
            && let Some(v) = sorted.next()
        {
            *slot = v;
        }
    }
    refresh(column, pos);
}

/// Orders every column of `g`; lane ports end up at the bottom.
pub(crate) fn minimise_crossings(g: &mut Layered) {
    let mut pos = vec![0usize; g.nodes.len()];
    for column in &g.columns {
        refresh(column, &mut pos);
    }
    let segments = g.succs.len();
    let columns = g.columns.len();
    let mut scratch = crossings::Scratch::default();
    let mut movable = Vec::new();
    let mut best = count(g, &pos, &mut scratch);
    let mut best_columns = g.columns.clone();
    let mut stale = 0;
    for sweep in 0..sweeps(g.nodes.len() + segments) {
        if best == 0 || columns < 2 {
            break;
        }
        if sweep % 2 == 0 {
            for c in 1..columns {
                reorder(&mut g.columns[c], &g.preds, &mut pos, &mut movable);
            }
        } else {
            for c in (0..columns - 1).rev() {
                reorder(&mut g.columns[c], &g.succs, &mut pos, &mut movable);
            }
        }
        let crossings = count(g, &pos, &mut scratch);
        if crossings < best {
            best = crossings;
            best_columns.clone_from(&g.columns);
            stale = 0;
        } else {
            stale += 1;
            if stale >= 4 {
                break;
            }
        }
    }
    g.columns = best_columns;
    let nodes = &g.nodes;
    for column in &mut g.columns {
        column.sort_by_key(|&v| nodes[v].kind == Kind::Port);
    }
}
