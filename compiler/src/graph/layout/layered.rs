//! The proper layered graph: tasks in even columns, edge labels in the odd
//! column after their source, a dummy node wherever an edge crosses a
//! column, and lanes for the longest edges once the dummies' budget is spent.

use std::collections::BTreeMap;

use super::acyclic::Oriented;
use super::{Input, Size};

/// What a layered node stands for.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) enum Kind {
    /// An input node (a task box).
    Task,
    /// The label of the edges leaving one task with this label index.
    Label(usize),
    /// A bend point of a long edge.
    Dummy,
    /// Where a lane edge drops to (or rises from) its lane; kept at the
    /// bottom of its column.
    Port,
}

/// A node of the layered graph.
#[derive(Clone, Copy, Debug)]
pub(crate) struct Node {
    pub(crate) size: Size,
    pub(crate) kind: Kind,
}

/// The layered nodes one input edge passes through.
#[derive(Clone, Debug)]
pub(crate) struct Chain {
    /// From the layered source to the layered target. A lane chain is
    /// `[source, port, port, target]` with the lane between the ports.
    pub(crate) nodes: Vec<usize>,
    pub(crate) reversed: bool,
    pub(crate) self_loop: bool,
    pub(crate) lane: bool,
    pub(crate) label: Option<usize>,
}

/// Each node's neighbours in one direction, with the segments' weights,
/// in one flat array (a graph of 10k tasks has ~250k layered nodes: one
/// allocation each would dominate the layout).
#[derive(Clone, Debug, Default)]
pub(crate) struct Adjacency {
    start: Vec<usize>,
    items: Vec<(usize, f64)>,
}

impl Adjacency {
    /// From `(node, neighbour, weight)` triples, kept in their order.
    fn new(n: usize, triples: impl Iterator<Item = (usize, usize, f64)> + Clone) -> Self {
        let mut start = vec![0usize; n + 1];
        for (v, _, _) in triples.clone() {
            start[v + 1] += 1;
        }
        for i in 0..n {
            start[i + 1] += start[i];
        }
        let mut next = start.clone();
        let mut items = vec![(0, 0.0); start[n]];
        for (v, u, w) in triples {
            items[next[v]] = (u, w);
            next[v] += 1;
        }
        Self { start, items }
    }

    /// The neighbours of `v`.
    pub(crate) fn of(&self, v: usize) -> &[(usize, f64)] {
        match (self.start.get(v), self.start.get(v + 1)) {
            (Some(&a), Some(&b)) => &self.items[a..b],
            _ => &[],
        }
    }

    pub(crate) fn len(&self) -> usize {
        self.items.len()
    }

    #[cfg(test)]
    pub(crate) fn from_lists(lists: &[Vec<(usize, f64)>]) -> Self {
        let triples: Vec<(usize, usize, f64)> = lists
            .iter()
            .enumerate()
            .flat_map(|(v, l)| l.iter().map(move |&(u, w)| (v, u, w)))
            .collect();
        Self::new(lists.len(), triples.into_iter())
    }
}

/// The layered graph; `columns` holds each column's order.
#[derive(Clone, Debug, Default)]
pub(crate) struct Layered {
    pub(crate) nodes: Vec<Node>,
    pub(crate) columns: Vec<Vec<usize>>,
    /// Neighbours in the previous column, with the weight of the segment.
    pub(crate) preds: Adjacency,
    /// Neighbours in the next column.
    pub(crate) succs: Adjacency,
    /// One per input edge.
    pub(crate) chains: Vec<Chain>,
    /// Segments `(from, to, weight)` until `finish` indexes them.
    segments: Vec<(usize, usize, f64)>,
}

impl Layered {
    fn add(&mut self, column: usize, size: Size, kind: Kind) -> usize {
        let id = self.nodes.len();
        self.nodes.push(Node { size, kind });
        if let Some(c) = self.columns.get_mut(column) {
            c.push(id);
        }
        id
    }

    /// Long straight chains matter more than short task-to-task hops
    /// (Gansner et al.'s Ω: 1, 2, 8).
    fn connect(&mut self, from: usize, to: usize) {
        let tasks = [from, to]
            .iter()
            .filter(|&&n| self.nodes[n].kind == Kind::Task)
            .count();
        let weight = [8.0, 2.0, 1.0][tasks];
        self.segments.push((from, to, weight));
    }

    fn finish(&mut self) {
        let n = self.nodes.len();
        let segments = std::mem::take(&mut self.segments);
        self.succs = Adjacency::new(n, segments.iter().map(|&(f, t, w)| (f, t, w)));
        self.preds = Adjacency::new(n, segments.iter().map(|&(f, t, w)| (t, f, w)));
    }
}

const NO_SIZE: Size = Size {
    width: 0.0,
    height: 0.0,
};

/// Edges longer than the returned span run in lanes: the longest spans
/// whose dummies would push the total past `budget`.
fn lane_threshold(mut spans: Vec<usize>, budget: usize) -> usize {
    spans.sort_unstable();
    let mut used = 0usize;
    let mut i = 0;
    while i < spans.len() {
        let span = spans[i];
        let same = spans[i..].iter().take_while(|&&s| s == span).count();
        let add = same.saturating_mul(span.saturating_sub(1));
        // an edge over one rank (span 2) has no room for a lane
        if span >= 4 && used.saturating_add(add) > budget {
            return span - 1;
        }
        used = used.saturating_add(add);
        i += same;
    }
    usize::MAX
}

/// Builds the layered graph of `input` with the given ranks.
pub(crate) fn build(
    input: &Input,
    oriented: &[Oriented],
    ranks: &[usize],
    budget: usize,
) -> Layered {
    let columns = ranks.iter().max().map_or(0, |&r| 2 * r + 1);
    let mut g = Layered {
        columns: vec![Vec::new(); columns],
        ..Layered::default()
    };
    for (i, size) in input.nodes.iter().enumerate() {
        g.add(2 * ranks[i], *size, Kind::Task);
    }
    let span = |e: &Oriented| 2 * ranks[e.to].saturating_sub(ranks[e.from]);
    let threshold = lane_threshold(
        oriented.iter().filter(|e| !e.self_loop).map(span).collect(),
        budget,
    );
    let mut labels: BTreeMap<(usize, usize), usize> = BTreeMap::new();
    for (e, edge) in oriented.iter().zip(&input.edges) {
        let label = edge.label.filter(|&l| l < input.labels.len());
        let mut chain = Chain {
            nodes: vec![e.from],
            reversed: e.reversed,
            self_loop: e.self_loop,
            lane: false,
            label,
        };
        let span = if e.self_loop { 0 } else { span(e) };
        if e.self_loop {
            // drawn on its node; no layered nodes
        } else if span < 2 {
            // cannot happen with ranks from `rank`; drawn as a straight line
            chain.nodes.push(e.to);
        } else if span > threshold {
            let start = g.add(2 * ranks[e.from] + 1, NO_SIZE, Kind::Port);
            let end = g.add(2 * ranks[e.to] - 1, NO_SIZE, Kind::Port);
            g.connect(e.from, start);
            g.connect(end, e.to);
            chain.nodes.extend([start, end, e.to]);
            chain.lane = true;
        } else {
            let first_column = 2 * ranks[e.from] + 1;
            let first = match label {
                Some(l) => *labels.entry((e.from, l)).or_insert_with(|| {
                    let id = g.add(first_column, input.labels[l], Kind::Label(l));
                    g.connect(e.from, id);
                    id
                }),
                None => {
                    let id = g.add(first_column, NO_SIZE, Kind::Dummy);
                    g.connect(e.from, id);
                    id
                }
            };
            chain.nodes.push(first);
            let mut previous = first;
            for column in first_column + 1..2 * ranks[e.to] {
                let id = g.add(column, NO_SIZE, Kind::Dummy);
                g.connect(previous, id);
                chain.nodes.push(id);
                previous = id;
            }
            g.connect(previous, e.to);
            chain.nodes.push(e.to);
        }
        g.chains.push(chain);
    }
    g.finish();
    g
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn lanes_only_past_the_budget() {
        assert_eq!(lane_threshold(vec![2, 2, 8, 4], 100), usize::MAX);
        // 2+2 dummies fit, 3 more for the span-4 edge do not
        assert_eq!(lane_threshold(vec![2, 2, 4, 8], 4), 3);
        // spans of 2 never move to lanes
        assert_eq!(lane_threshold(vec![2; 10], 1), usize::MAX);
    }
}
