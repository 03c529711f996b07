//! The task graph: dependencies, cycles (as named paths) and a stable order.

use std::collections::{BTreeSet, VecDeque};

use petgraph::algo::tarjan_scc;
use petgraph::graph::{DiGraph, NodeIndex};

use crate::ir::Value;
use crate::ir::{Loop, PipelineData, TaskNode};

/// For each task, the tasks it waits for (same pipeline only; foreign
/// references are validation errors, not edges).
pub(crate) fn dependencies(d: &PipelineData) -> Vec<BTreeSet<usize>> {
    d.tasks.iter().map(|t| task_dependencies(d, t)).collect()
}

pub(crate) fn task_dependencies(d: &PipelineData, t: &TaskNode) -> BTreeSet<usize> {
    let own = |pipeline, index: usize| (pipeline == d.id && index < d.tasks.len()).then_some(index);
    let mut deps = BTreeSet::new();
    deps.extend(
        t.inputs
            .iter()
            .filter_map(|i| own(i.from.pipeline, i.from.task)),
    );
    deps.extend(t.after.iter().filter_map(|(l, _)| own(l.pipeline, l.index)));
    let mut values: Vec<&Value> = t.params.iter().map(|p| &p.value).collect();
    if let Some((cond, _)) = &t.settings.when {
        values.extend(cond.values());
    }
    if let Some((Loop::Param(v), _)) = &t.settings.looped {
        values.push(v);
    }
    deps.extend(
        values
            .into_iter()
            .flat_map(Value::leaves)
            .filter_map(|v| match v {
                Value::Output(o) | Value::Collected(o) => own(o.0.pipeline, o.0.task),
                _ => None,
            }),
    );
    deps
}

/// Every cycle, one per strongly connected component, as task indices in
/// execution order with the first repeated at the end.
pub(crate) fn cycles(deps: &[BTreeSet<usize>]) -> Vec<Vec<usize>> {
    let mut g: DiGraph<(), ()> = DiGraph::with_capacity(deps.len(), deps.len());
    let nodes: Vec<NodeIndex> = (0..deps.len()).map(|_| g.add_node(())).collect();
    for (consumer, ds) in deps.iter().enumerate() {
        for &producer in ds {
            g.add_edge(nodes[producer], nodes[consumer], ());
        }
    }
    let mut found: Vec<Vec<usize>> = tarjan_scc(&g)
        .into_iter()
        .filter_map(|scc| {
            let members: BTreeSet<usize> = scc.iter().map(|n| n.index()).collect();
            let start = *members.first()?;
            let self_loop = deps[start].contains(&start);
            if members.len() == 1 && !self_loop {
                return None;
            }
            Some(cycle_through(start, &members, deps))
        })
        .collect();
    found.sort();
    found
}

/// The shortest cycle from `start` back to itself inside `members`.
fn cycle_through(start: usize, members: &BTreeSet<usize>, deps: &[BTreeSet<usize>]) -> Vec<usize> {
    // successors: tasks that wait for `n`
    let successors = |n: usize| {
        members
            .iter()
            .copied()
            .filter(move |&m| deps[m].contains(&n))
    };
    let mut parent = vec![usize::MAX; deps.len()];
    let mut queue = VecDeque::from([start]);
    while let Some(n) = queue.pop_front() {
        for s in successors(n) {
            if s == start {
                let mut chain = Vec::new();
                let mut cur = n;
                while cur != start {
                    chain.push(cur);
                    cur = parent[cur];
                }
                chain.reverse();
                let mut path = vec![start];
                path.extend(chain);
                path.push(start);
                return path;
            }
            if parent[s] == usize::MAX {
                parent[s] = n;
                queue.push_back(s);
            }
        }
    }
    vec![start, start]
}

/// Tasks ordered by topological layer, then by name within a layer: stable
/// under reordering of `p.add` calls that do not change the graph.
/// Assumes the graph is acyclic.
pub(crate) fn layered_order(names: &[&str], deps: &[BTreeSet<usize>]) -> Vec<usize> {
    let n = deps.len();
    let mut waiting: Vec<usize> = deps.iter().map(BTreeSet::len).collect();
    let mut dependants: Vec<Vec<usize>> = vec![Vec::new(); n];
    for (consumer, ds) in deps.iter().enumerate() {
        for &producer in ds {
            dependants[producer].push(consumer);
        }
    }
    let mut layer = vec![0usize; n];
    let mut queue: VecDeque<usize> = (0..n).filter(|&i| waiting[i] == 0).collect();
    while let Some(i) = queue.pop_front() {
        for &c in &dependants[i] {
            layer[c] = layer[c].max(layer[i] + 1);
            waiting[c] -= 1;
            if waiting[c] == 0 {
                queue.push_back(c);
            }
        }
    }
    let mut order: Vec<usize> = (0..n).collect();
    order.sort_by(|&a, &b| layer[a].cmp(&layer[b]).then_with(|| names[a].cmp(names[b])));
    order
}

#[cfg(test)]
mod tests {
    use super::*;

    fn deps(edges: &[(usize, usize)], n: usize) -> Vec<BTreeSet<usize>> {
        let mut d = vec![BTreeSet::new(); n];
        for &(producer, consumer) in edges {
            d[consumer].insert(producer);
        }
        d
    }

    #[test]
    fn finds_each_cycle_once_in_execution_order() {
        // 0 → 1 → 2 → 0, and 3 ↔ 4, and 5 on its own
        let d = deps(&[(0, 1), (1, 2), (2, 0), (3, 4), (4, 3), (2, 5)], 6);
        assert_eq!(cycles(&d), vec![vec![0, 1, 2, 0], vec![3, 4, 3]]);
    }

    #[test]
    fn self_loop_is_a_cycle() {
        let d = deps(&[(1, 1)], 2);
        assert_eq!(cycles(&d), vec![vec![1, 1]]);
    }

    #[test]
    fn orders_by_layer_then_name() {
        // diamond: a → {c, b} → d
        let d = deps(&[(0, 1), (0, 2), (1, 3), (2, 3)], 4);
        assert_eq!(layered_order(&["a", "c", "b", "d"], &d), vec![0, 2, 1, 3]);
    }
}
