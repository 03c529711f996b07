//! The numbers behind each chart, computed from the data set.

use std::collections::{BTreeMap, HashMap};

use kpipe_step_contract::{Chart, Subset};

use crate::data::dataset::{Item, Kind};

/// How many bars the top-N charts show.
pub const TOP: usize = 25;

/// What a chart draws.
#[derive(Clone, Debug, PartialEq)]
pub enum ChartData {
    /// Values per month (`YYYY-MM`), oldest first.
    Monthly {
        /// Month and value.
        points: Vec<(String, i64)>,
        /// Y-axis label.
        y_label: &'static str,
    },
    /// Named counts, largest first.
    Ranking {
        /// Name and count.
        bars: Vec<(String, u64)>,
        /// What the names are.
        x_label: &'static str,
    },
}

impl ChartData {
    /// True when there is nothing to draw.
    pub fn is_empty(&self) -> bool {
        match self {
            ChartData::Monthly { points, .. } => points.is_empty(),
            ChartData::Ranking { bars, .. } => bars.is_empty(),
        }
    }
}

fn in_subset(item: &Item, subset: Subset) -> bool {
    match subset {
        Subset::All => true,
        Subset::Issues => item.kind == Kind::Issue,
        Subset::PullRequests => item.kind == Kind::PullRequest,
    }
}

fn month(ts: &str) -> Option<String> {
    (ts.len() >= 7 && ts.as_bytes()[4] == b'-').then(|| ts[..7].to_owned())
}

/// Every month from `first` to `last` inclusive (`YYYY-MM`).
fn months_between(first: &str, last: &str) -> Vec<String> {
    let parse =
        |m: &str| -> Option<(i32, u32)> { Some((m[..4].parse().ok()?, m[5..7].parse().ok()?)) };
    let (Some((mut y, mut m)), Some(end)) = (parse(first), parse(last)) else {
        return Vec::new();
    };
    let mut out = Vec::new();
    while (y, m) <= end && out.len() < 2400 {
        out.push(format!("{y:04}-{m:02}"));
        m += 1;
        if m > 12 {
            m = 1;
            y += 1;
        }
    }
    out
}

fn monthly(
    counts: &BTreeMap<String, i64>,
    y_label: &'static str,
    cumulative_balance: Option<&BTreeMap<String, i64>>,
) -> ChartData {
    let keys: Vec<&String> = counts
        .keys()
        .chain(cumulative_balance.into_iter().flat_map(|c| c.keys()))
        .collect();
    let (Some(first), Some(last)) = (keys.iter().min(), keys.iter().max()) else {
        return ChartData::Monthly {
            points: Vec::new(),
            y_label,
        };
    };
    let mut running = 0i64;
    let points = months_between(first, last)
        .into_iter()
        .map(|m| {
            let v = counts.get(&m).copied().unwrap_or(0);
            match cumulative_balance {
                Some(closed) => {
                    running += v - closed.get(&m).copied().unwrap_or(0);
                    (m, running)
                }
                None => (m, v),
            }
        })
        .collect();
    ChartData::Monthly { points, y_label }
}

fn ranking(counts: HashMap<String, u64>, x_label: &'static str, top: usize) -> ChartData {
    let mut bars: Vec<(String, u64)> = counts.into_iter().collect();
    bars.sort_by(|a, b| b.1.cmp(&a.1).then_with(|| a.0.cmp(&b.0)));
    bars.truncate(top);
    ChartData::Ranking { bars, x_label }
}

/// The data of one chart for one subset of `items`.
pub fn chart_data(items: &[Item], chart: Chart, subset: Subset) -> ChartData {
    let sel = items.iter().filter(|i| in_subset(i, subset));
    match chart {
        Chart::Created | Chart::Closed | Chart::CreatedVsClosed => {
            let mut created: BTreeMap<String, i64> = BTreeMap::new();
            let mut closed: BTreeMap<String, i64> = BTreeMap::new();
            for i in sel {
                if let Some(m) = month(&i.created_at) {
                    *created.entry(m).or_default() += 1;
                }
                if let Some(m) = i.closed_at.as_deref().and_then(month) {
                    *closed.entry(m).or_default() += 1;
                }
            }
            match chart {
                Chart::Created => monthly(&created, "created per month", None),
                Chart::Closed => monthly(&closed, "closed per month", None),
                _ => monthly(&created, "open (created − closed, running)", Some(&closed)),
            }
        }
        Chart::LabelsByGroup | Chart::LabelsByName => {
            let mut counts: HashMap<String, u64> = HashMap::new();
            for i in sel {
                for l in &i.labels {
                    let key = if chart == Chart::LabelsByGroup {
                        if l.group.is_empty() {
                            "(no group)".to_owned()
                        } else {
                            l.group.clone()
                        }
                    } else {
                        l.full()
                    };
                    *counts.entry(key).or_default() += 1;
                }
            }
            let what = if chart == Chart::LabelsByGroup {
                "label group"
            } else {
                "label"
            };
            ranking(counts, what, TOP)
        }
        Chart::UsersByCreated | Chart::UsersByClosed => {
            let mut counts: HashMap<String, u64> = HashMap::new();
            for i in sel {
                let user = if chart == Chart::UsersByCreated {
                    Some(i.user.as_str())
                } else {
                    i.closed_by.as_deref()
                };
                if let Some(u) = user.filter(|u| !u.is_empty()) {
                    *counts.entry(u.to_owned()).or_default() += 1;
                }
            }
            let what = if chart == Chart::UsersByCreated {
                "author"
            } else {
                "closed by"
            };
            ranking(counts, what, TOP)
        }
        Chart::ReleaseNotesStats => {
            let mut counts: HashMap<String, u64> = HashMap::new();
            for i in items
                .iter()
                .filter(|i| i.kind == Kind::PullRequest && i.release_note.is_some())
            {
                let kinds: Vec<&str> = i
                    .labels
                    .iter()
                    .filter(|l| l.group == "kind")
                    .map(|l| l.name.as_str())
                    .collect();
                if kinds.is_empty() {
                    *counts.entry("(no kind)".to_owned()).or_default() += 1;
                }
                for k in kinds {
                    *counts.entry(k.to_owned()).or_default() += 1;
                }
            }
            ranking(counts, "kind of PRs with a release note", usize::MAX)
        }
        Chart::All => ChartData::Ranking {
            bars: Vec::new(),
            x_label: "",
        },
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::data::dataset::Label;

    fn item(
        n: u64,
        kind: Kind,
        created: &str,
        closed: Option<&str>,
        labels: &[&str],
        note: bool,
    ) -> Item {
        Item {
            number: n,
            kind,
            title: String::new(),
            user: format!("user{}", n % 2),
            created_at: created.to_owned(),
            closed_at: closed.map(str::to_owned),
            closed_by: closed.map(|_| "closer".to_owned()),
            merged_at: None,
            labels: labels.iter().map(|l| Label::parse(l)).collect(),
            release_note: note.then(|| "note".to_owned()),
        }
    }

    #[test]
    fn monthly_series_fill_gaps_and_run_the_balance() {
        let items = vec![
            item(
                1,
                Kind::Issue,
                "2020-01-05T00:00:00Z",
                Some("2020-03-01T00:00:00Z"),
                &[],
                false,
            ),
            item(
                2,
                Kind::PullRequest,
                "2020-01-09T00:00:00Z",
                None,
                &["kind/bug"],
                true,
            ),
            item(
                3,
                Kind::Issue,
                "2020-03-09T00:00:00Z",
                Some("2020-03-10T00:00:00Z"),
                &["sig/node", "kind/bug"],
                false,
            ),
        ];
        assert_eq!(
            chart_data(&items, Chart::Created, Subset::All),
            ChartData::Monthly {
                points: vec![
                    ("2020-01".into(), 2),
                    ("2020-02".into(), 0),
                    ("2020-03".into(), 1)
                ],
                y_label: "created per month"
            }
        );
        let ChartData::Monthly { points, .. } =
            chart_data(&items, Chart::CreatedVsClosed, Subset::All)
        else {
            panic!()
        };
        assert_eq!(points.iter().map(|p| p.1).collect::<Vec<_>>(), [2, 2, 1]);
        let ChartData::Ranking { bars, .. } =
            chart_data(&items, Chart::LabelsByGroup, Subset::Issues)
        else {
            panic!()
        };
        assert_eq!(bars, [("kind".to_owned(), 1), ("sig".to_owned(), 1)]);
        let ChartData::Ranking { bars, .. } =
            chart_data(&items, Chart::ReleaseNotesStats, Subset::All)
        else {
            panic!()
        };
        assert_eq!(bars, [("bug".to_owned(), 1)]);
        let ChartData::Ranking { bars, .. } = chart_data(&items, Chart::UsersByClosed, Subset::All)
        else {
            panic!()
        };
        assert_eq!(bars, [("closer".to_owned(), 2)]);
    }
}
