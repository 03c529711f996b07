//! Lanes for the longest edges: horizontal tracks below the drawing, given
//! greedily (interval partitioning: the fewest lanes, O(L log L)).

use std::cmp::Reverse;
use std::collections::BinaryHeap;

/// Space kept between two edges sharing a lane.
const GAP: f64 = 12.0;

/// For each `(start, end)` interval, a lane such that intervals in one lane
/// do not overlap.
pub(crate) fn assign(intervals: &[(f64, f64)]) -> Vec<usize> {
    let key = |x: f64| (x * 16.0).round() as i64;
    let mut order: Vec<usize> = (0..intervals.len()).collect();
    order.sort_by(|&a, &b| intervals[a].0.total_cmp(&intervals[b].0).then(a.cmp(&b)));
    let mut lane = vec![0usize; intervals.len()];
    let mut busy: BinaryHeap<Reverse<(i64, usize)>> = BinaryHeap::new();
    let mut free: BinaryHeap<Reverse<usize>> = BinaryHeap::new();
    let mut lanes = 0;
    for i in order {
        let (start, end) = intervals[i];
        while let Some(&Reverse((busy_until, l))) = busy.peek() {
            if busy_until > key(start) {
                break;
            }
            busy.pop();
            free.push(Reverse(l));
        }
        let l = match free.pop() {
            Some(Reverse(l)) => l,
            None => {
                lanes += 1;
                lanes - 1
            }
        };
        lane[i] = l;
        busy.push(Reverse((key(end + GAP), l)));
    }
    lane
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn reuses_lanes_after_an_edge_ends() {
        let lanes = assign(&[(0.0, 100.0), (50.0, 200.0), (150.0, 300.0), (400.0, 500.0)]);
        assert_eq!(lanes, [0, 1, 0, 0]);
    }
}
