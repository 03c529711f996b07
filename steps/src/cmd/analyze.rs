//! `kpipe-step analyze`: the charts of a data set.

use std::path::{Path, PathBuf};

use anyhow::{Context, bail};
use kpipe_step_contract::{AnalyzeArgs, Chart, Subset};

use crate::analyze::render::{Format, render};
use crate::analyze::{ChartData, chart_data};
use crate::data::dataset::Dataset;

/// Runs `analyze`.
pub(super) fn run(args: AnalyzeArgs) -> anyhow::Result<()> {
    let ds = Dataset::read(&args.data)
        .with_context(|| format!("cannot read the data set {}", args.data.display()))?;
    let chart = args.chart();
    let (charts, subsets): (Vec<Chart>, Vec<Subset>) = if chart == Chart::All {
        (Chart::EACH.to_vec(), Subset::EACH.to_vec())
    } else {
        (vec![chart], vec![args.subset()])
    };
    // OUT names one file (with .svg or .png) for a single chart, else a directory.
    let single = match args.out.extension().and_then(|e| e.to_str()) {
        Some("svg") => Some(Format::Svg),
        Some("png") => Some(Format::Png),
        _ => None,
    };
    if single.is_some() && (charts.len() > 1 || subsets.len() > 1) {
        bail!(
            "--all writes many charts: give a directory as --out, not {}",
            args.out.display()
        );
    }
    if single.is_none() {
        std::fs::create_dir_all(&args.out)
            .with_context(|| format!("cannot create {}", args.out.display()))?;
    }
    let mut written = 0;
    for &c in &charts {
        for &s in &subsets {
            if c == Chart::ReleaseNotesStats && s != Subset::All && chart == Chart::All {
                continue; // one chart: it counts pull requests only
            }
            let data = chart_data(&ds.items, c, s);
            let title = title(c, s, &ds.header.repo);
            if data.is_empty() {
                eprintln!("{title}: no data, skipped");
                continue;
            }
            match single {
                Some(format) => {
                    render(&data, &title, &args.out, format)?;
                    written += 1;
                }
                None => {
                    for format in [Format::Svg, Format::Png] {
                        render(&data, &title, &file(&args.out, c, s, &data, format), format)?;
                        written += 1;
                    }
                }
            }
        }
    }
    eprintln!(
        "Drew {written} chart files from {} items ({} issues, {} pull requests) into {}",
        ds.items.len(),
        ds.header.issues,
        ds.header.pull_requests,
        args.out.display()
    );
    Ok(())
}

/// The original project's file names, e.g. `labels-by-name-issues-top-25.svg`.
fn file(dir: &Path, c: Chart, s: Subset, data: &ChartData, f: Format) -> PathBuf {
    let stem = match (c, data) {
        (Chart::ReleaseNotesStats, _) => "release-notes-stats".to_owned(),
        (_, ChartData::Ranking { .. }) => format!(
            "{}-{}-top-{}",
            c.as_str(),
            s.as_str(),
            crate::analyze::series::TOP
        ),
        _ => format!("{}-{}", c.as_str(), s.as_str()),
    };
    dir.join(format!("{stem}.{}", f.ext()))
}

fn title(c: Chart, s: Subset, repo: &str) -> String {
    let what = match s {
        Subset::All => "issues and pull requests",
        Subset::Issues => "issues",
        Subset::PullRequests => "pull requests",
    };
    let chart = match c {
        Chart::Created => format!("{what} created per month"),
        Chart::Closed => format!("{what} closed per month"),
        Chart::CreatedVsClosed => format!("open {what} over time (created − closed)"),
        Chart::LabelsByGroup => format!("label groups on {what}"),
        Chart::LabelsByName => format!("top {} labels on {what}", crate::analyze::series::TOP),
        Chart::UsersByCreated => format!("top {} authors of {what}", crate::analyze::series::TOP),
        Chart::UsersByClosed => format!("top {} closers of {what}", crate::analyze::series::TOP),
        Chart::ReleaseNotesStats => "pull requests with a release note, by kind".to_owned(),
        Chart::All => what.to_owned(),
    };
    let mut t = if repo.is_empty() {
        chart
    } else {
        format!("{chart} — {repo}")
    };
    if let Some(first) = t.get_mut(0..1) {
        first.make_ascii_uppercase();
    }
    t
}
