//! Synthetic GitHub issue-list items at kubernetes/kubernetes scale, for
//! benchmarks and the chart examples: each item is a real recorded fixture
//! item (modern or legacy shape) with a new number, dates, author, labels,
//! and for pull requests a Kubernetes PR-template body carrying a real
//! release note from the bundled data (or NONE). Deterministic for a seed.

use rand::rngs::StdRng;
use rand::{Rng, SeedableRng};
use serde_json::{Value, json};

const KINDS: [&str; 8] = [
    "bug",
    "feature",
    "cleanup",
    "documentation",
    "flake",
    "failing-test",
    "api-change",
    "regression",
];
const SIGS: [&str; 14] = [
    "node",
    "api-machinery",
    "network",
    "storage",
    "apps",
    "cli",
    "scheduling",
    "auth",
    "cloud-provider",
    "instrumentation",
    "cluster-lifecycle",
    "testing",
    "release",
    "windows",
];
const OTHER: [&str; 10] = [
    "lgtm",
    "approved",
    "cncf-cla: yes",
    "needs-rebase",
    "size/S",
    "size/M",
    "size/L",
    "size/XS",
    "release-note",
    "priority/important-soon",
];

/// A Zipf-like pick from `n` (small indices much more likely).
fn zipf(rng: &mut StdRng, n: usize) -> usize {
    let u: f64 = rng.random_range(0.0..1.0);
    ((n as f64).powf(u) - 1.0).floor() as usize % n
}

fn date(rng: &mut StdRng, index: usize, total: usize) -> (i64, String) {
    // 2014-06 … 2026-10, more items in later years (quadratic growth).
    let t0 = 1_401_580_800i64; // 2014-06-01
    let span = 392_000_000i64; // ~12.4 years
    let f = ((index as f64 + rng.random_range(0.0..1.0)) / total as f64).sqrt();
    let t = t0 + (f * span as f64) as i64;
    (t, rfc3339(t))
}

fn rfc3339(t: i64) -> String {
    let days = t.div_euclid(86_400);
    let secs = t.rem_euclid(86_400);
    // civil from days (Howard Hinnant)
    let z = days + 719_468;
    let era = z.div_euclid(146_097);
    let doe = z - era * 146_097;
    let yoe = (doe - doe / 1460 + doe / 36_524 - doe / 146_096) / 365;
    let y = yoe + era * 400;
    let doy = doe - (365 * yoe + yoe / 4 - yoe / 100);
    let mp = (5 * doy + 2) / 153;
    let d = doy - (153 * mp + 2) / 5 + 1;
    let m = if mp < 10 { mp + 3 } else { mp - 9 };
    let y = if m <= 2 { y + 1 } else { y };
    format!(
        "{y:04}-{m:02}-{d:02}T{:02}:{:02}:{:02}Z",
        secs / 3600,
        secs % 3600 / 60,
        secs % 60
    )
}

fn label(name: &str) -> Value {
    json!({
        "id": 100000 + name.len(), "node_id": "MDU6TGFiZWwxMDAwMDA=", "url": format!("https://api.github.com/repos/kubernetes/kubernetes/labels/{name}"),
        "name": name, "color": "e11d21", "default": false, "description": format!("Categorizes an issue or PR as {name}."),
    })
}

/// Issue reports paste logs: 0–72 lines of kubelet-style output.
fn log_excerpt(rng: &mut StdRng) -> String {
    let lines = rng.random_range(0..72);
    (0..lines)
        .map(|k| {
            format!(
                "E0{}12 10:{:02}:{:02}.{:06} 1 kubelet.go:{}] \"Error syncing pod, skipping\" err=\"failed to \\\"StartContainer\\\" with CrashLoopBackOff\" pod=\"kube-system/coredns-{k}\"\r\n",
                k % 9 + 1,
                k % 60,
                (k * 7) % 60,
                k * 977 % 1_000_000,
                2_400 + k
            )
        })
        .collect()
}

/// Pull requests often explain themselves at length.
fn reviewer_notes(rng: &mut StdRng) -> String {
    let n = rng.random_range(0..10);
    let para = "#### Special notes for your reviewer:\r\n\r\nThis touches the reconciliation loop; the unit tests cover the new branch and the e2e job `pull-kubernetes-e2e-gce` was run twice with the change. Please look closely at the locking around the informer cache, which changed shape.\r\n\r\n";
    para.repeat(n)
}

/// `count` items built from `templates` and real `notes` (text, is_bug).
pub(crate) fn items(
    templates: &[Value],
    notes: &[(String, bool)],
    count: usize,
    seed: u64,
) -> Vec<Value> {
    let mut rng = StdRng::seed_from_u64(seed);
    let modern: Vec<&Value> = templates
        .iter()
        .filter(|t| {
            t.get("pull_request")
                .is_some_and(|p| p.get("url").is_some())
        })
        .collect();
    let legacy: Vec<&Value> = templates
        .iter()
        .filter(|t| {
            t.get("pull_request")
                .is_some_and(|p| p.get("url").is_none())
        })
        .collect();
    let plain: Vec<&Value> = templates
        .iter()
        .filter(|t| t.get("pull_request").is_none())
        .collect();
    let mut out = Vec::with_capacity(count);
    for i in 0..count {
        let number = i as u64 + 1;
        let is_pr = rng.random_bool(0.55);
        let base = if is_pr {
            modern[i % modern.len().max(1)]
        } else if i % 10 == 0 && !legacy.is_empty() {
            legacy[i % legacy.len()]
        } else {
            plain[i % plain.len().max(1)]
        };
        let mut item = base.clone();
        let (t, created) = date(&mut rng, i, count);
        // Nothing happens after the dump's cut-off: items closed later are still open.
        let cutoff = 1_401_580_800i64 + 392_000_000;
        let closed = rng
            .random_bool(0.9)
            .then(|| t + rng.random_range(3_600..40_000_000))
            .filter(|c| *c < cutoff);
        let updated = (closed.unwrap_or(t) + rng.random_range(0..2_000_000)).min(cutoff);
        let author = format!("contributor-{}", zipf(&mut rng, 8000));
        item["number"] = json!(number);
        item["id"] = json!(1_000_000 + number);
        item["title"] = json!(format!(
            "{} #{number}",
            if is_pr {
                "Fix component behaviour"
            } else {
                "Component misbehaves"
            }
        ));
        item["created_at"] = json!(created);
        item["updated_at"] = json!(rfc3339(updated));
        item["closed_at"] = closed.map_or(Value::Null, |c| json!(rfc3339(c)));
        item["state"] = json!(if closed.is_some() { "closed" } else { "open" });
        if let Some(u) = item.get_mut("user") {
            u["login"] = json!(author);
        }
        if closed.is_some() && item.get("closed_by").is_some() {
            item["closed_by"] = json!({"login": format!("approver-{}", zipf(&mut rng, 300)), "id": 7, "type": "User"});
        }
        let mut labels = vec![];
        let bug;
        let body = if is_pr {
            let (note, note_bug) = &notes[rng.random_range(0..notes.len().max(1))];
            let with_note = rng.random_bool(0.4);
            bug = with_note && *note_bug || !with_note && rng.random_bool(0.3);
            let block = if with_note { note.as_str() } else { "NONE" };
            format!(
                "{}<!--  Thanks for sending a pull request!  Here are some tips for you:\r\n\r\n1. If this is your first time, please read our contributor guidelines: https://git.k8s.io/community/contributors/guide/first-contribution.md\r\n2. Please label this pull request according to what type of issue you are addressing.\r\n-->\r\n\r\n#### What type of PR is this?\r\n\r\n/kind {}\r\n\r\n#### What this PR does / why we need it:\r\n\r\nThis change adjusts the component so that it behaves as documented in every case we know of. It was found while running the e2e suite on a large cluster.\r\n\r\n#### Which issue(s) this PR fixes:\r\n\r\nFixes #{}\r\n\r\n#### Does this PR introduce a user-facing change?\r\n<!--\r\nIf no, just write \"NONE\" in the release-note block below.\r\nIf yes, a release note is required:\r\nEnter your extended release note in the block below. If the PR requires additional action from users switching to the new release, include the string \"action required\".\r\n-->\r\n```release-note\r\n{}\r\n```\r\n\r\n#### Additional documentation e.g., KEPs (Kubernetes Enhancement Proposals), usage docs, etc.:\r\n\r\n<!--\r\nThis section can be blank if this pull request does not require a release note.\r\n-->\r\n```docs\r\n\r\n```\r\n",
                reviewer_notes(&mut rng),
                if bug { "bug" } else { "feature" },
                number.saturating_sub(7),
                block.replace('\n', "\r\n")
            )
        } else {
            bug = rng.random_bool(0.45);
            format!(
                "**What happened**:\r\n\r\nThe component misbehaved under load.\r\n\r\n```\r\n{}```\r\n\r\n**What you expected to happen**:\r\n\r\nIt keeps working.\r\n\r\n**How to reproduce it (as minimally and precisely as possible)**:\r\n\r\nRun the conformance suite with 5000 nodes.\r\n\r\n**Environment**:\r\n- Kubernetes version (use `kubectl version`): v1.{}.0\r\n",
                log_excerpt(&mut rng),
                14 + i % 20
            )
        };
        item["body"] = json!(body);
        if bug {
            labels.push(label("kind/bug"));
        } else if rng.random_bool(0.6) {
            labels.push(label(&format!(
                "kind/{}",
                KINDS[1 + zipf(&mut rng, KINDS.len() - 1)]
            )));
        }
        for _ in 0..rng.random_range(1..3) {
            labels.push(label(&format!("sig/{}", SIGS[zipf(&mut rng, SIGS.len())])));
        }
        for _ in 0..rng.random_range(0..4) {
            labels.push(label(OTHER[zipf(&mut rng, OTHER.len())]));
        }
        item["labels"] = Value::Array(labels);
        out.push(item);
    }
    out
}

/// The fixture templates and the bundled labelled notes.
pub(crate) fn inputs() -> (Vec<Value>, Vec<(String, bool)>) {
    let root = concat!(env!("CARGO_MANIFEST_DIR"), "/..");
    let mut templates = Vec::new();
    for f in [
        "pygithub-PyGithub-issues-2024.json",
        "pygithub-openFrameworks-issues-2018.json",
        "pygithub-PyGithub-issues-state-closed-type-2025.json",
        "pygithub-openFrameworks-issues-2012-legacy.json",
    ] {
        let text = std::fs::read_to_string(format!("{root}/steps/tests/fixtures/github-api/{f}"))
            .unwrap_or_default();
        if let Ok(Value::Array(a)) = serde_json::from_str(&text) {
            templates.extend(a);
        }
    }
    let mut notes = Vec::new();
    for f in [
        "release-notes-train-1.14-1.27.jsonl",
        "release-notes-dev-1.28-1.33.jsonl",
    ] {
        let text =
            std::fs::read_to_string(format!("{root}/pipelines/kubernetes-analysis/data/{f}"))
                .unwrap_or_default();
        for line in text.lines() {
            if let Ok(v) = serde_json::from_str::<Value>(line)
                && let (Some(t), Some(b)) = (v["text"].as_str(), v["bug"].as_bool())
            {
                notes.push((t.to_owned(), b));
            }
        }
    }
    (templates, notes)
}
