//! Layering: the longest path from a source, then sources moved right next
//! to their first consumer so they do not start long edges.

use std::collections::VecDeque;

use super::acyclic::Oriented;

/// The rank (column of tasks) of every node; edges go to higher ranks.
pub(crate) fn ranks(n: usize, edges: &[Oriented]) -> Vec<usize> {
    let mut succs: Vec<Vec<usize>> = vec![Vec::new(); n];
    let mut waiting = vec![0usize; n];
    for e in edges.iter().filter(|e| !e.self_loop) {
        succs[e.from].push(e.to);
        waiting[e.to] += 1;
    }
    let mut rank = vec![0usize; n];
    let mut queue: VecDeque<usize> = (0..n).filter(|&i| waiting[i] == 0).collect();
    while let Some(i) = queue.pop_front() {
        for &s in &succs[i] {
            rank[s] = rank[s].max(rank[i] + 1);
            waiting[s] -= 1;
            if waiting[s] == 0 {
                queue.push_back(s);
            }
        }
    }
    let mut has_pred = vec![false; n];
    for e in edges.iter().filter(|e| !e.self_loop) {
        has_pred[e.to] = true;
    }
    // A source's successors are not sources, so one pass suffices.
    for i in (0..n).filter(|&i| !has_pred[i]) {
        if let Some(first) = succs[i].iter().map(|&s| rank[s]).min() {
            rank[i] = first.saturating_sub(1);
        }
    }
    rank
}

#[cfg(test)]
mod tests {
    use super::*;

    fn e(from: usize, to: usize) -> Oriented {
        Oriented {
            from,
            to,
            reversed: false,
            self_loop: false,
        }
    }

    #[test]
    fn longest_path_with_late_sources() {
        // 0 → 1 → 2 → 3, and 4 → 3 (a source pulled next to 3)
        let r = ranks(5, &[e(0, 1), e(1, 2), e(2, 3), e(4, 3)]);
        assert_eq!(r, [0, 1, 2, 3, 2]);
    }
}
