//! `kpipe-step update-data`: the store's raw items → the typed data set.

use anyhow::{Context, bail};
use kpipe_step_contract::UpdateDataArgs;

use crate::data::dataset::{Dataset, Kind};
use crate::data::github_item;
use crate::data::store::Store;

/// Runs `update-data`.
pub(super) fn run(args: UpdateDataArgs) -> anyhow::Result<()> {
    if args.store.is_file() {
        // A raw dump: one JSON array of issue-list items (e.g. the original
        // project's api.json).
        let items = crate::data::bulk::parse_dump(&args.store)?;
        return write(Dataset::new("", items), &args.out);
    }
    if !args.store.is_dir() {
        bail!(
            "the store {} does not exist; run update-api first",
            args.store.display()
        );
    }
    let store = Store::open(&args.store)?;
    let Some(state) = store.state()? else {
        bail!(
            "{} holds no exported store (no store.json); run update-api first",
            args.store.display()
        );
    };
    let mut items = Vec::with_capacity(state.items);
    store.for_each_line(|line, n| {
        let item = github_item::parse(line).with_context(|| {
            format!(
                "{}/items.jsonl.zst:{n}: not a GitHub issue item",
                args.store.display()
            )
        })?;
        items.push(item);
        Ok(())
    })?;
    write(Dataset::new(&state.repo, items), &args.out)
}

fn write(dataset: Dataset, out: &std::path::Path) -> anyhow::Result<()> {
    let prs = dataset.header.pull_requests;
    let issues = dataset.header.issues;
    let notes = dataset
        .items
        .iter()
        .filter(|i| i.kind == Kind::PullRequest && i.release_note.is_some())
        .count();
    dataset.write(out)?;
    eprintln!(
        "Parsed {issues} issues and {prs} pull requests ({} items)",
        issues + prs
    );
    eprintln!(
        "{notes} pull requests have release notes; wrote {}",
        out.display()
    );
    Ok(())
}
