//! Cycle removal: the back edges of a depth-first search, reversed.

use super::InputEdge;

/// An input edge as the layering sees it.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) struct Oriented {
    /// Layered source and target (swapped when `reversed`).
    pub(crate) from: usize,
    pub(crate) to: usize,
    /// The edge closed a cycle and points backwards in the drawing.
    pub(crate) reversed: bool,
    /// An edge from a node to itself (drawn as a small loop).
    pub(crate) self_loop: bool,
}

/// Orients every edge so the graph is acyclic. Nodes are visited in index
/// order, edges in input order: deterministic, O(V + E), no recursion.
pub(crate) fn orient(n: usize, edges: &[InputEdge]) -> Vec<Oriented> {
    let mut out_edges: Vec<Vec<usize>> = vec![Vec::new(); n];
    for (i, e) in edges.iter().enumerate() {
        if e.from < n && e.to < n && e.from != e.to {
            out_edges[e.from].push(i);
        }
    }
    // 0 unvisited, 1 on the stack, 2 done
    let mut state = vec![0u8; n];
    let mut back = vec![false; edges.len()];
    let mut stack: Vec<(usize, usize)> = Vec::new();
    for root in 0..n {
        if state[root] != 0 {
            continue;
        }
        state[root] = 1;
        stack.push((root, 0));
        while let Some(top) = stack.last_mut() {
            let (node, next) = *top;
            if let Some(&edge) = out_edges[node].get(next) {
                top.1 += 1;
                let to = edges[edge].to;
                match state[to] {
                    0 => {
                        state[to] = 1;
                        stack.push((to, 0));
                    }
                    1 => back[edge] = true,
                    _ => {}
                }
            } else {
                state[node] = 2;
                stack.pop();
            }
        }
    }
    edges
        .iter()
        .zip(back)
        .map(|(e, reversed)| {
            let self_loop = e.from == e.to || e.from >= n || e.to >= n;
            let (from, to) = if reversed {
                (e.to, e.from)
            } else {
                (e.from, e.to)
            };
            Oriented {
                from,
                to,
                reversed,
                self_loop,
            }
        })
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    fn edge(from: usize, to: usize) -> InputEdge {
        InputEdge {
            from,
            to,
            label: None,
        }
    }

    #[test]
    fn reverses_one_edge_per_cycle() {
        let o = orient(3, &[edge(0, 1), edge(1, 2), edge(2, 0), edge(1, 1)]);
        let reversed: Vec<bool> = o.iter().map(|e| e.reversed).collect();
        assert_eq!(reversed, [false, false, true, false]);
        assert_eq!((o[2].from, o[2].to), (0, 2));
        assert!(o[3].self_loop);
    }
}
