//! Builds the API store bundled with kpipe for `kpipe run --local` (the
//! embedded defaults): every labelled release note of the bundled data
//! (pipelines/kubernetes-analysis/data/*.jsonl, real kubernetes/kubernetes notes) as a merged
//! pull request in GitHub's issue-list shape, with its kind/sig/area labels,
//! author, and a Kubernetes PR-template body holding the note. Dates are
//! placed in the three months before the note's minor release. Deterministic.
//!
//! `cargo bench -p kpipe-steps --bench bundled_store -- pipelines/kubernetes-analysis/data/api-store`

use std::collections::BTreeMap;

use kpipe_steps::data::store::{self, Store, StoreState};
use serde_json::{Value, json};

/// Release dates of the minors in the bundled data (kubernetes.io/releases).
const RELEASES: [(&str, &str); 20] = [
    ("1.14", "2019-03-25"),
    ("1.15", "2019-06-19"),
    ("1.16", "2019-09-18"),
    ("1.17", "2019-12-09"),
    ("1.18", "2020-03-25"),
    ("1.19", "2020-08-26"),
    ("1.20", "2020-12-08"),
    ("1.21", "2021-04-08"),
    ("1.22", "2021-08-04"),
    ("1.23", "2021-12-07"),
    ("1.24", "2022-05-03"),
    ("1.25", "2022-08-23"),
    ("1.26", "2022-12-08"),
    ("1.27", "2023-04-11"),
    ("1.28", "2023-08-15"),
    ("1.29", "2023-12-13"),
    ("1.30", "2024-04-17"),
    ("1.31", "2024-08-13"),
    ("1.32", "2024-12-11"),
    ("1.33", "2025-04-23"),
];

fn days_from_civil(y: i64, m: i64, d: i64) -> i64 {
    let y = if m <= 2 { y - 1 } else { y };
    let era = y.div_euclid(400);
    let yoe = y - era * 400;
    let doy = (153 * (if m > 2 { m - 3 } else { m + 9 }) + 2) / 5 + d - 1;
    let doe = yoe * 365 + yoe / 4 - yoe / 100 + doy;
    era * 146_097 + doe - 719_468
}

fn civil(days: i64) -> (i64, i64, i64) {
    let z = days + 719_468;
    let era = z.div_euclid(146_097);
    let doe = z - era * 146_097;
    let yoe = (doe - doe / 1460 + doe / 36_524 - doe / 146_096) / 365;
    let doy = doe - (365 * yoe + yoe / 4 - yoe / 100);
    let mp = (5 * doy + 2) / 153;
    let d = doy - (153 * mp + 2) / 5 + 1;
    let m = if mp < 10 { mp + 3 } else { mp - 9 };
    (yoe + era * 400 + i64::from(m <= 2), m, d)
}

fn stamp(secs: i64) -> String {
    let (y, m, d) = civil(secs.div_euclid(86_400));
    let s = secs.rem_euclid(86_400);
    format!(
        "{y:04}-{m:02}-{d:02}T{:02}:{:02}:{:02}Z",
        s / 3600,
        s % 3600 / 60,
        s % 60
    )
}

fn main() -> anyhow::Result<()> {
    let out = std::env::args()
        .skip(1)
        .find(|a| !a.starts_with("--"))
        .unwrap_or_else(|| "pipelines/kubernetes-analysis/data/api-store".into());
    let root = concat!(env!("CARGO_MANIFEST_DIR"), "/..");
    let release_day: BTreeMap<&str, i64> = RELEASES
        .iter()
        .map(|(r, d)| {
            let p: Vec<i64> = d.split('-').filter_map(|x| x.parse().ok()).collect();
            (*r, days_from_civil(p[0], p[1], p[2]))
        })
        .collect();
    let mut rows: Vec<Value> = Vec::new();
    for f in [
        "release-notes-train-1.14-1.27.jsonl",
        "release-notes-dev-1.28-1.33.jsonl",
    ] {
        for line in
            std::fs::read_to_string(format!("{root}/pipelines/kubernetes-analysis/data/{f}"))?
                .lines()
        {
            rows.push(serde_json::from_str(line)?);
        }
    }
    // Within a release, PR numbers order the notes in time.
    let mut by_release: BTreeMap<String, Vec<u64>> = BTreeMap::new();
    for r in &rows {
        by_release
            .entry(r["release"].as_str().unwrap_or("").to_owned())
            .or_default()
            .push(r["pr"].as_u64().unwrap_or(0));
    }
    for prs in by_release.values_mut() {
        prs.sort_unstable();
    }
    let mut items = BTreeMap::new();
    for r in &rows {
        let pr = r["pr"].as_u64().unwrap_or(0);
        let release = r["release"].as_str().unwrap_or("");
        let day = release_day.get(release).copied().unwrap_or(0);
        let prs = &by_release[release];
        let rank = prs.binary_search(&pr).unwrap_or(0) as i64;
        let span = 95 * 86_400i64;
        let merged = (day - 100) * 86_400
            + span * rank / prs.len().max(1) as i64
            + (pr as i64 * 7919) % 86_400;
        let created = merged - 86_400 * (1 + (pr as i64 % 20));
        let text = r["text"].as_str().unwrap_or("");
        let mut labels: Vec<Value> = Vec::new();
        for (group, key) in [("kind", "kinds"), ("sig", "sigs"), ("area", "areas")] {
            for v in r[key]
                .as_array()
                .into_iter()
                .flatten()
                .filter_map(Value::as_str)
            {
                labels.push(json!({"name": format!("{group}/{v}")}));
            }
        }
        labels.push(json!({"name": "release-note"}));
        let title: String = text.lines().next().unwrap_or("").chars().take(72).collect();
        let body = format!(
            "#### What type of PR is this?\r\n\r\n{}\r\n\r\n#### Does this PR introduce a user-facing change?\r\n\r\n```release-note\r\n{}\r\n```\r\n",
            r["kinds"]
                .as_array()
                .into_iter()
                .flatten()
                .filter_map(Value::as_str)
                .map(|k| format!("/kind {k}"))
                .collect::<Vec<_>>()
                .join("\r\n"),
            text.replace('\n', "\r\n")
        );
        let item = json!({
            "number": pr,
            "html_url": format!("https://github.com/kubernetes/kubernetes/pull/{pr}"),
            "title": title,
            "user": {"login": r["author"].as_str().unwrap_or("")},
            "labels": labels,
            "state": "closed",
            "created_at": stamp(created),
            "updated_at": stamp(merged + 3_600),
            "closed_at": stamp(merged),
            "closed_by": Value::Null,
            "body": body,
            "pull_request": {
                "url": format!("https://api.github.com/repos/kubernetes/kubernetes/pulls/{pr}"),
                "html_url": format!("https://github.com/kubernetes/kubernetes/pull/{pr}"),
                "merged_at": stamp(merged),
            },
        });
        store::merge(&mut items, item)?;
    }
    let s = Store::open(std::path::Path::new(&out))?;
    let state = StoreState {
        format: store::FORMAT.to_owned(),
        version: store::VERSION,
        repo: "kubernetes/kubernetes".to_owned(),
        items: items.len(),
        updated_until: store::updated_until(&items),
        last_first_page: None,
    };
    s.commit(&items, &state)?;
    println!("wrote {} pull requests to {out}", items.len());
    Ok(())
}
