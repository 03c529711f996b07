//! Properties of whole layouts: no overlaps, edges end on their boxes,
//! deterministic, linear enough, and no panic on cycles or lanes.

use super::*;

/// A seeded xorshift, so the "random" graphs are the same on every run.
pub(crate) struct Rng(u64);

impl Rng {
    pub(crate) fn new(seed: u64) -> Self {
        Self(seed.max(1))
    }

    pub(crate) fn below(&mut self, n: usize) -> usize {
        self.0 ^= self.0 << 13;
        self.0 ^= self.0 >> 7;
        self.0 ^= self.0 << 17;
        (self.0 % n.max(1) as u64) as usize
    }
}

/// `n` boxes of varied sizes; each depends on up to three of the 30 boxes
/// before it; edges carry their source's label four times out of five.
pub(crate) fn random_graph(n: usize, seed: u64) -> Input {
    let mut rng = Rng::new(seed);
    let nodes = (0..n)
        .map(|_| Size {
            width: 60.0 + rng.below(200) as f64,
            height: if rng.below(4) == 0 { 44.0 } else { 28.0 },
        })
        .collect();
    let labels = (0..n)
        .map(|_| Size {
            width: 20.0 + rng.below(120) as f64,
            height: 16.0,
        })
        .collect();
    let mut edges = Vec::new();
    for to in 1..n {
        if rng.below(10) == 0 {
            continue;
        }
        let mut froms: Vec<usize> = (0..1 + rng.below(3))
            .map(|_| to - 1 - rng.below(to.min(30)))
            .collect();
        froms.sort_unstable();
        froms.dedup();
        for from in froms {
            let label = (rng.below(5) != 0).then_some(from);
            edges.push(InputEdge { from, to, label });
        }
    }
    Input {
        nodes,
        edges,
        labels,
    }
}

fn overlap(a: &Rect, b: &Rect) -> bool {
    a.x < b.right() && b.x < a.right() && a.y < b.bottom() && b.y < a.bottom()
}

/// Every pair of overlapping boxes among `rects` (sweep over x).
pub(crate) fn overlaps(rects: &[Rect]) -> Vec<(usize, usize)> {
    let mut order: Vec<usize> = (0..rects.len()).collect();
    order.sort_by(|&a, &b| rects[a].x.total_cmp(&rects[b].x));
    let mut found = Vec::new();
    for (k, &a) in order.iter().enumerate() {
        for &b in &order[k + 1..] {
            if rects[b].x >= rects[a].right() {
                break;
            }
            if overlap(&rects[a], &rects[b]) {
                found.push((a.min(b), a.max(b)));
            }
        }
    }
    found
}

fn on_left_or_right_side(p: Point, r: &Rect) -> bool {
    let near = |a: f64, b: f64| (a - b).abs() < 1e-6;
    (near(p.x, r.x) || near(p.x, r.right())) && p.y >= r.y - 1e-6 && p.y <= r.bottom() + 1e-6
}

fn check(input: &Input, out: &Output) {
    assert_eq!(out.nodes.len(), input.nodes.len());
    assert_eq!(out.routes.len(), input.edges.len());
    let mut boxes: Vec<Rect> = out.nodes.clone();
    boxes.extend(out.labels.iter().map(|l| l.1));
    let found = overlaps(&boxes);
    assert!(found.is_empty(), "overlapping boxes: {found:?}");
    for (e, r) in input.edges.iter().zip(&out.routes) {
        let end = r.segments.last().map(Segment::end);
        assert!(
            on_left_or_right_side(r.start, &out.nodes[e.from]),
            "edge {e:?} starts off its box: {r:?}"
        );
        let end = end.unwrap_or(r.start);
        assert!(
            on_left_or_right_side(end, &out.nodes[e.to]),
            "edge {e:?} ends off its box: {r:?}"
        );
    }
    for rect in &boxes {
        assert!(rect.x >= 0.0 && rect.y >= 0.0);
        assert!(rect.right() <= out.width && rect.bottom() <= out.height);
    }
}

#[test]
fn random_graphs_of_200_and_2000_boxes_do_not_overlap() {
    for (n, seed) in [(200, 7), (200, 8), (2000, 9)] {
        let input = random_graph(n, seed);
        let out = layout(&input);
        check(&input, &out);
        assert!(
            out.labels.len() > n / 2,
            "labels placed: {}",
            out.labels.len()
        );
    }
}

#[test]
fn same_input_same_layout() {
    let input = random_graph(300, 3);
    let (a, b) = (layout(&input), layout(&input));
    assert_eq!(a.nodes, b.nodes);
    assert_eq!(a.routes, b.routes);
    assert_eq!(a.labels, b.labels);
}

#[test]
fn a_chain_keeps_its_boxes_on_one_line() {
    let size = Size {
        width: 80.0,
        height: 28.0,
    };
    let input = Input {
        nodes: vec![size; 4],
        edges: (0..3)
            .map(|i| InputEdge {
                from: i,
                to: i + 1,
                label: None,
            })
            .collect(),
        labels: Vec::new(),
    };
    let out = layout(&input);
    check(&input, &out);
    assert!(out.nodes.iter().all(|r| r.y == out.nodes[0].y));
    assert!(out.nodes.windows(2).all(|w| w[0].right() < w[1].x));
}

#[test]
fn long_edges_move_to_lanes_past_the_budget() {
    // the scale bench's shape: i-1 → i and i/2 → i
    let n = 400;
    let size = Size {
        width: 70.0,
        height: 28.0,
    };
    let mut edges = Vec::new();
    for i in 1..n {
        edges.push(InputEdge {
            from: i - 1,
            to: i,
            label: Some(0),
        });
        if i >= 2 {
            edges.push(InputEdge {
                from: i / 2,
                to: i,
                label: Some(1),
            });
        }
    }
    let input = Input {
        nodes: vec![size; n],
        edges,
        labels: vec![
            Size {
                width: 30.0,
                height: 16.0,
            };
            2
        ],
    };
    let g_full = layout_with_budget(&input, usize::MAX);
    let g_lanes = layout_with_budget(&input, 2_000);
    check(&input, &g_full);
    check(&input, &g_lanes);
    assert!(g_lanes.height > g_full.height, "lanes below the drawing");
}

#[test]
fn cycles_self_loops_and_bad_indices_do_not_panic() {
    let size = Size {
        width: 50.0,
        height: 28.0,
    };
    let edge = |from, to| InputEdge {
        from,
        to,
        label: Some(0),
    };
    let input = Input {
        nodes: vec![size; 3],
        edges: vec![edge(0, 1), edge(1, 2), edge(2, 0), edge(1, 1)],
        labels: vec![size],
    };
    check(&input, &layout(&input));
    let empty = layout(&Input::default());
    assert!(empty.nodes.is_empty() && empty.width > 0.0);
    // an edge to a node that does not exist, a label that does not exist
    let odd = Input {
        nodes: vec![size],
        edges: vec![InputEdge {
            from: 0,
            to: 5,
            label: Some(9),
        }],
        labels: Vec::new(),
    };
    assert_eq!(layout(&odd).routes.len(), 1);
}
