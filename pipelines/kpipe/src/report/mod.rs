//! `report.html`: one self-contained page for a local run — the graph
//! coloured by each step's result, every step's time, attempts, exit code,
//! command line, log and outputs, the metrics steps wrote for Kubeflow
//! Pipelines (a confusion matrix as a table, a ROC curve as a chart), and
//! the images steps drew, inline. No scripts, no network: inline CSS, inline
//! SVG, images as data URIs, the whole logs behind `<details>`. Every piece
//! of text a step produced (log lines, parameter values, file names) is
//! HTML-escaped.

mod files;
mod html;
mod kfp;
mod step;

use std::collections::BTreeMap;
use std::fmt::Write as _;
use std::path::PathBuf;

use anyhow::Context as _;
use kpipe_compiler::ir::{PipelineData, TaskNode};
use kpipe_compiler::{NodeStyle, SVG_CSS, SvgStyle, TaskState};

use crate::Pipeline;
use crate::run::{Layout, Status, TaskReport};
use html::{esc, id};

/// Bytes of each log the page holds.
const LOG_LIMIT: usize = 2 << 20;
/// Bytes of images the page embeds.
const IMAGE_BUDGET: u64 = 32 << 20;
/// Lines of a failed step's log in the failure section at the top.
const FAILURE_TAIL: usize = 5;
/// Characters of a note under a node in the graph.
const NOTE_CHARS: usize = 40;
/// The page's content width in pixels (`max-width` in html::CSS, less its
/// padding).
const PAGE_WIDTH: f64 = 1150.0;

/// A finished local run, as the report shows it.
#[derive(Debug)]
pub(crate) struct Run<'a> {
    /// The pipeline's name.
    pub(crate) pipeline: &'a str,
    /// Where the run's files are.
    pub(crate) layout: &'a Layout,
    /// The pipeline's IR that ran.
    pub(crate) plan: &'a PipelineData,
    /// The pipeline (its graph is drawn).
    pub(crate) graph: &'a Pipeline,
    /// Parameter values set for the run (the others had their defaults).
    pub(crate) params: &'a BTreeMap<String, String>,
    /// Every task's result.
    pub(crate) reports: &'a [TaskReport],
    /// Wall time of the run.
    pub(crate) seconds: f64,
    /// Why the run stopped halfway ("the run was interrupted (SIGINT)"),
    /// if it did.
    pub(crate) interrupted: Option<String>,
    /// How the steps ran (`process`, `podman`).
    pub(crate) engine: &'a str,
}

/// How a task's result shows in the graph and the page.
fn state(r: &TaskReport) -> TaskState {
    match r.status {
        Status::Succeeded if r.retries > 0 => TaskState::Retried,
        Status::Succeeded => TaskState::Succeeded,
        Status::Cached | Status::Reused => TaskState::Cached,
        Status::Failed(_) => TaskState::Failed,
        Status::Skipped(_) => TaskState::Skipped,
        Status::NotRun(_) => TaskState::NotRun,
    }
}

/// The short note under a node: the exit code of a failed step, for a
/// skipped one that its condition (drawn above) was false, the first words
/// of any other reason (the page has the whole of it).
fn node_note(r: &TaskReport) -> Option<String> {
    match (&r.status, r.exit_code) {
        (Status::Failed(_), Some(code)) => return Some(format!("exit code {code}")),
        (Status::Skipped(_), _) => return Some("evaluated false".to_owned()),
        _ => {}
    }
    let why = why(r)?;
    Some(if why.chars().count() > NOTE_CHARS {
        let cut: String = why.chars().take(NOTE_CHARS - 1).collect();
        format!("{cut}…")
    } else {
        why.to_owned()
    })
}

/// The `width` of the drawing's root element, in pixels.
fn svg_width(svg: &str) -> Option<f64> {
    let root = &svg[svg.find("<svg")?..];
    let rest = &root[root.find(" width=\"")? + 8..];
    rest[..rest.find('"')?].parse().ok()
}

/// Why a step did not simply succeed: failed, skipped, not run or cached.
fn why(r: &TaskReport) -> Option<&str> {
    match &r.status {
        Status::Failed(w) | Status::Skipped(w) | Status::NotRun(w) => Some(w),
        Status::Cached => Some(crate::run::REUSED),
        Status::Reused => Some(crate::run::REUSED_LAST),
        Status::Succeeded => None,
    }
}

/// Time and attempts as shown: a step that never ran (skipped, not run)
/// has neither, a cached one the time it took to reuse its outputs.
fn time_and_attempts(r: &TaskReport) -> (String, String) {
    if r.attempts > 0 {
        (
            html::duration(r.duration.as_secs_f64()),
            r.attempts.to_string(),
        )
    } else if r.status == Status::Cached {
        (html::duration(r.duration.as_secs_f64()), "–".to_owned())
    } else {
        ("–".to_owned(), "–".to_owned())
    }
}

/// Writes `<workdir>/report.html` (atomically) and returns its path.
pub(crate) fn write(run: &Run<'_>) -> anyhow::Result<PathBuf> {
    let path = run.layout.report();
    crate::fsutil::write_bytes_atomic(&path, render(run).as_bytes())
        .with_context(|| format!("cannot write the run report {}", path.display()))?;
    Ok(path)
}

/// The page.
pub(crate) fn render(run: &Run<'_>) -> String {
    let failed: Vec<&TaskReport> = run
        .reports
        .iter()
        .filter(|r| matches!(r.status, Status::Failed(_)))
        .collect();
    let (word, class) = if run.interrupted.is_some() {
        ("interrupted", "state-failed")
    } else if failed.is_empty() {
        ("succeeded", "state-succeeded")
    } else {
        ("failed", "state-failed")
    };
    let mut out = String::with_capacity(1 << 16);
    let _ = write!(
        out,
        "<!doctype html>\n<html lang=\"en\"><head><meta charset=\"utf-8\"><meta name=\"viewport\" content=\"width=device-width\">\
<title>{name}: {word} (kpipe run --local)</title><style>{css}{svg_css}</style></head><body>\
<header><h1>{name} <span class=\"badge {class}\" id=\"run-state\" data-state=\"{word}\">{word}</span></h1>\
<p class=\"meta\">local run in <code>{workdir}</code> · engine {engine} · {secs} · {n} steps</p></header>",
        name = esc(run.pipeline),
        css = html::CSS,
        svg_css = SVG_CSS,
        workdir = esc(&run.layout.workdir().display().to_string()),
        engine = esc(run.engine),
        secs = html::duration(run.seconds),
        n = run.reports.len(),
    );
    if let Some(why) = &run.interrupted {
        let _ = write!(
            out,
            "<section class=\"failure\" id=\"failure\"><h2>Interrupted</h2><p>{}: the steps that were running were stopped and no step started after it.</p><ul>",
            esc(why)
        );
    } else if !failed.is_empty() {
        out.push_str("<section class=\"failure\" id=\"failure\"><h2>Failed</h2><ul>");
    }
    if run.interrupted.is_some() || !failed.is_empty() {
        for r in &failed {
            let _ = write!(
                out,
                "<li><a href=\"#{}\">{}</a>: {}",
                id("task-", &r.name),
                esc(&r.name),
                esc(why(r).unwrap_or(""))
            );
            // what it printed last, so the cause is on the first screen
            // (each failed item's, for a loop)
            for (k, dir) in failed_dirs(r) {
                let Some((text, _)) = files::log(&Layout::log(dir), LOG_LIMIT) else {
                    continue;
                };
                if let Some(item) = step::item(r, k) {
                    let _ = write!(out, "<p class=\"meta\">item {}:</p>", esc(item));
                }
                let _ = write!(
                    out,
                    "<pre class=\"log-tail\">{}</pre>",
                    esc(&files::tail(&text, FAILURE_TAIL))
                );
            }
            out.push_str("</li>");
        }
        out.push_str("</ul></section>");
    }
    graph(&mut out, run);
    summary(&mut out, run);
    params(&mut out, run);
    metrics(&mut out, run);
    images(&mut out, run);
    out.push_str("<h2 id=\"steps\">Steps</h2>");
    for r in run.reports {
        step::article(&mut out, run, r);
    }
    out.push_str("</body></html>\n");
    out
}

fn graph(out: &mut String, run: &Run<'_>) {
    // (ids prefixed: the page's own ids never clash with the drawing's)
    let mut style = SvgStyle::new().embed_css(false).id_prefix("dag-");
    for r in run.reports {
        let mut node = NodeStyle::new()
            .state(state(r))
            .href(format!("#{}", id("task-", &r.name)));
        if let Some(note) = node_note(r) {
            node = node.note(note);
        }
        style = style.task(r.name.clone(), node);
    }
    let svg = run.graph.render_svg(&style);
    // A drawing up to twice the page's width is scaled to fit (text stays
    // readable); a wider one scrolls.
    let fit = svg_width(&svg).is_some_and(|w| w <= 2.0 * PAGE_WIDTH);
    let _ = write!(
        out,
        "<h2 id=\"graph\">Graph</h2><div class=\"graph{}\">{svg}</div>",
        if fit { " fit" } else { "" }
    );
}

fn summary(out: &mut String, run: &Run<'_>) {
    out.push_str(
        "<h2 id=\"summary\">Summary</h2><table class=\"summary\"><thead><tr><th>step</th><th>result</th><th>time</th><th>attempts</th><th>exit code</th><th>note</th></tr></thead><tbody>",
    );
    for r in run.reports {
        let s = state(r);
        let (time, attempts) = time_and_attempts(r);
        let _ = write!(
            out,
            "<tr data-task=\"{t}\" data-state=\"{s}\"><td><a href=\"#{a}\">{t}</a></td><td><span class=\"badge state-{s}\">{s}</span></td><td class=\"num\">{time}</td><td class=\"num\">{attempts}</td><td class=\"num\">{code}</td><td>{note}</td></tr>",
            t = esc(&r.name),
            s = s.as_str(),
            a = id("task-", &r.name),
            code = r.exit_code.map(|c| c.to_string()).unwrap_or_default(),
            note = esc(&why(r)
                .map(str::to_owned)
                .or_else(|| r.items_note())
                .unwrap_or_default()),
        );
    }
    out.push_str("</tbody></table>");
}

fn params(out: &mut String, run: &Run<'_>) {
    let declared = &run.plan.params;
    if declared.is_empty() {
        return;
    }
    out.push_str("<h2 id=\"parameters\">Parameters</h2><table class=\"params\"><tbody>");
    for p in declared {
        let (value, source) = match run.params.get(&p.name) {
            Some(v) => (v.clone(), "set"),
            None => (p.default.clone(), "default"),
        };
        let _ = write!(
            out,
            "<tr><th>{}</th><td><code>{}</code></td><td>{source}</td></tr>",
            esc(&p.name),
            esc(&value)
        );
    }
    out.push_str("</tbody></table>");
}

/// The directories (with their index) of what failed in `r`: the loop
/// items its failure names (`item X: …`), else its last directory.
fn failed_dirs(r: &TaskReport) -> Vec<(usize, &PathBuf)> {
    let why = why(r).unwrap_or_default();
    let named: Vec<(usize, &PathBuf)> = r
        .dirs
        .iter()
        .enumerate()
        .filter(|(k, _)| {
            step::item(r, *k).is_some_and(|item| {
                why.starts_with(&format!("item {item}: "))
                    || why.contains(&format!("; item {item}: "))
            })
        })
        .collect();
    if named.is_empty() {
        r.dirs.iter().enumerate().next_back().into_iter().collect()
    } else {
        named
    }
}

/// The IR task a report's task ran.
fn task<'a>(run: &'a Run<'_>, name: &str) -> Option<&'a TaskNode> {
    run.plan.task(name)
}

/// Where a task's output artifact `name` is (per loop iteration).
fn artifact_paths(run: &Run<'_>, r: &TaskReport, name: &str) -> Vec<PathBuf> {
    let Some(o) = task(run, &r.name).and_then(|t| t.outputs.iter().find(|o| o.name == name)) else {
        return Vec::new();
    };
    r.dirs.iter().map(|d| Layout::local(d, &o.path)).collect()
}

fn metrics(out: &mut String, run: &Run<'_>) {
    let mut section = String::new();
    for r in run.reports {
        let ui_files = artifact_paths(run, r, kpipe_compiler::KFP_UI_METADATA);
        for (k, path) in artifact_paths(run, r, kpipe_compiler::KFP_METRICS)
            .iter()
            .enumerate()
        {
            let m = kfp::metrics(path);
            let auc = m.iter().find(|m| m.name.contains("auc")).map(|m| m.value);
            // (the same item's UI metadata)
            let ui = ui_files
                .get(k)
                .map(|p| kfp::ui_metadata(p, auc))
                .unwrap_or_default();
            if m.is_empty() && ui.is_empty() {
                continue;
            }
            // A loop's items each have a table, titled by the item.
            let (title, data_item) = match step::item(r, k) {
                Some(item) => (
                    format!("{} <span class=\"item\">{}</span>", esc(&r.name), esc(item)),
                    format!(" data-item=\"{}\"", esc(item)),
                ),
                None => (esc(&r.name).to_string(), String::new()),
            };
            let _ = write!(
                section,
                "<div class=\"task-metrics\" data-task=\"{t}\"{data_item}><h3>{title}</h3>{}{ui}</div>",
                kfp::metrics_table(&r.name, &m),
                t = esc(&r.name)
            );
        }
    }
    if !section.is_empty() {
        let _ = write!(out, "<h2 id=\"metrics\">Metrics</h2>{section}");
    }
}

fn images(out: &mut String, run: &Run<'_>) {
    let mut budget = IMAGE_BUDGET;
    let mut skipped = Vec::new();
    let mut section = String::new();
    for r in run.reports {
        let Some(t) = task(run, &r.name) else {
            continue;
        };
        for a in &t.outputs {
            for path in artifact_paths(run, r, &a.name) {
                for img in files::images(&path, &mut budget, &mut skipped) {
                    let rel = img
                        .path
                        .strip_prefix(run.layout.workdir())
                        .unwrap_or(&img.path);
                    let file = img
                        .path
                        .file_name()
                        .map(|f| f.to_string_lossy().into_owned())
                        .unwrap_or_default();
                    let _ = write!(
                        section,
                        "<figure data-task=\"{t}\"><img src=\"{}\" alt=\"{p}\"><figcaption><b>{f}</b> · {t}<br><span class=\"path\">{p}</span></figcaption></figure>",
                        img.data_uri,
                        t = esc(&r.name),
                        f = esc(&file),
                        p = esc(&rel.display().to_string()),
                    );
                }
            }
        }
    }
    if section.is_empty() {
        return;
    }
    let _ = write!(
        out,
        "<h2 id=\"images\">Images</h2><div class=\"gallery\">{section}</div>"
    );
    if !skipped.is_empty() {
        let _ = write!(
            out,
            "<p class=\"meta\">{} more images are not embedded (over {} in all); they are in the steps' directories.</p>",
            skipped.len(),
            html::size(IMAGE_BUDGET)
        );
    }
}

#[cfg(test)]
mod tests;
