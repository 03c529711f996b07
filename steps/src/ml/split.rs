//! The train/validation split: the newest notes validate when the notes are
//! ordered, a stratified random split otherwise; duplicates stay together.

use std::collections::BTreeMap;

use rand::SeedableRng;
use rand::rngs::StdRng;
use rand::seq::SliceRandom;

use super::data::Example;

/// Splits example indices into (train, validation).
///
/// When every example has an order key (release and PR number, or merge
/// date), the validation split is the newest `share` of the examples: the
/// model labels *future* pull requests, so early stopping and the decision
/// threshold are chosen on the data most like them (later releases have a
/// lower bug share than older ones). Otherwise the split is random and
/// stratified by label. Either way, notes with the same normalised text stay
/// on one side (cherry-picks repeat a note verbatim; split apart they leak).
pub fn split(examples: &[Example], share: f64, seed: u64) -> (Vec<usize>, Vec<usize>) {
    let mut groups: BTreeMap<String, Vec<usize>> = BTreeMap::new();
    for (i, e) in examples.iter().enumerate() {
        let key = e
            .text
            .split_whitespace()
            .collect::<Vec<_>>()
            .join(" ")
            .to_lowercase();
        groups.entry(key).or_default().push(i);
    }
    let want = ((examples.len() as f64) * share).round() as usize;
    let (mut train, mut val) = (Vec::new(), Vec::new());
    if examples.iter().all(|e| e.order.is_some()) {
        let mut groups: Vec<(String, Vec<usize>)> = groups
            .into_values()
            .map(|g| {
                let newest = g.iter().filter_map(|&i| examples[i].order.clone()).max();
                (newest.unwrap_or_default(), g)
            })
            .collect();
        groups.sort();
        for (_, g) in groups.into_iter().rev() {
            if val.len() < want {
                val.extend(g);
            } else {
                train.extend(g);
            }
        }
    } else {
        let mut by_label: [Vec<Vec<usize>>; 2] = [Vec::new(), Vec::new()];
        for members in groups.into_values() {
            let bugs = members.iter().filter(|&&i| examples[i].bug).count();
            by_label[usize::from(bugs * 2 >= members.len())].push(members);
        }
        let mut rng = StdRng::seed_from_u64(seed ^ 0x5eed_5911);
        for mut groups in by_label {
            groups.shuffle(&mut rng);
            let total: usize = groups.iter().map(Vec::len).sum();
            let want = ((total as f64) * share).round() as usize;
            let mut taken = 0;
            for g in groups {
                if taken < want {
                    taken += g.len();
                    val.extend(g);
                } else {
                    train.extend(g);
                }
            }
        }
    }
    train.sort_unstable();
    val.sort_unstable();
    (train, val)
}
