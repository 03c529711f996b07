//! Counting edge crossings between two adjacent columns: the inversions of
//! the lower endpoints, with a Fenwick tree (Barth, Jünger, Mutzel:
//! "Simple and efficient bilayer cross counting"), O(E log V).

use super::layered::Adjacency;

/// Buffers reused between calls.
#[derive(Debug, Default)]
pub(crate) struct Scratch {
    targets: Vec<usize>,
    tree: Vec<u64>,
}

/// Crossings of the segments from `upper` (in order) to the next column,
/// which has `lower_len` nodes; `pos` is every node's index in its column.
pub(crate) fn between(
    upper: &[usize],
    succs: &Adjacency,
    pos: &[usize],
    lower_len: usize,
    scratch: &mut Scratch,
) -> u64 {
    let targets = &mut scratch.targets;
    targets.clear();
    for &u in upper {
        let start = targets.len();
        targets.extend(succs.of(u).iter().map(|&(v, _)| pos[v]));
        targets[start..].sort_unstable();
    }
    let tree = &mut scratch.tree;
    tree.clear();
    tree.resize(lower_len + 1, 0);
    let mut crossings = 0u64;
    for (seen, &t) in targets.iter().enumerate() {
        // segments seen so far that end at or before t do not cross
        let mut not_after = 0u64;
        let mut i = t + 1;
        while i > 0 {
            not_after += tree.get(i).copied().unwrap_or(0);
            i &= i - 1;
        }
        crossings += seen as u64 - not_after;
        let mut i = t + 1;
        while i < tree.len() {
            tree[i] += 1;
            i += i & i.wrapping_neg();
        }
    }
    crossings
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn counts_inversions_not_shared_endpoints() {
        // upper 0,1 ; lower 2,3. 0→3 and 1→2 cross; 0→2 shares 2 with 1→2.
        let succs =
            Adjacency::from_lists(&[vec![(3, 1.0), (2, 1.0)], vec![(2, 1.0)], vec![], vec![]]);
        let pos = [0, 1, 0, 1];
        let mut s = Scratch::default();
        assert_eq!(between(&[0, 1], &succs, &pos, 2, &mut s), 1);
        assert_eq!(between(&[1, 0], &succs, &[1, 0, 0, 1], 2, &mut s), 0);
    }
}
