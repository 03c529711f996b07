//! What a finished local run prints: the summary table (each step's status,
//! time and note) and the KFP metrics the steps wrote.

use std::sync::Arc;

use kpipe_compiler::ir::PipelineData;

use crate::run::{self, Layout, Status, TaskReport};

pub(super) fn print_summary(reports: &[TaskReport], total: f64) {
    let width = reports
        .iter()
        .map(|r| r.name.len())
        .max()
        .unwrap_or(0)
        .max(16);
    println!();
    println!("{:<width$} {:<10} {:>9}  note", "step", "status", "time");
    for r in reports {
        let (status, note) = match &r.status {
            Status::Succeeded => ("ok", progress_note(r)),
            Status::Cached => ("cached", run::REUSED.to_owned()),
            Status::Failed(why) => ("FAILED", why.clone()),
            Status::Skipped(why) => ("skipped", why.clone()),
            Status::NotRun(why) => ("not run", why.clone()),
            Status::Reused => ("reused", run::REUSED_LAST.to_owned()),
        };
        let note = match r.hashing.as_secs_f64() {
            h if h >= 0.05 && note.is_empty() => format!("hashing for the cache {h:.1}s"),
            h if h >= 0.05 => format!("{note} (hashing for the cache {h:.1}s)"),
            _ => note,
        };
        println!(
            "{:<width$} {:<10} {:>8.1}s  {}",
            r.name,
            status,
            r.duration.as_secs_f64(),
            note
        );
    }
    let hashing: f64 = reports.iter().map(|r| r.hashing.as_secs_f64()).sum();
    if hashing >= 0.05 {
        println!(
            "{:<width$} {:<10} {:>8.1}s  (of which hashing for the cache {hashing:.1}s)",
            "total", "", total
        );
    } else {
        println!("{:<width$} {:<10} {:>8.1}s", "total", "", total);
    }
}

/// "3 items (0.1, 0.01, 0.001), 2 retries" for a loop or a retried step.
fn progress_note(r: &TaskReport) -> String {
    let mut parts = Vec::new();
    parts.extend(r.items_note());
    match r.retries {
        0 => {}
        1 => parts.push("1 retry".to_owned()),
        n => parts.push(format!("{n} retries")),
    }
    parts.join(", ")
}

/// Prints the KFP metrics the tasks that ran (or were reused) wrote (e.g. a
/// model's scores).
pub(super) fn print_metrics(plan: &Arc<PipelineData>, reports: &[TaskReport]) {
    for r in reports {
        if !matches!(
            r.status,
            Status::Succeeded | Status::Cached | Status::Reused
        ) {
            continue;
        }
        let Some(t) = plan.task(&r.name) else {
            continue;
        };
        let Some(out) = t
            .outputs
            .iter()
            .find(|o| o.name == kpipe_compiler::KFP_METRICS)
        else {
            continue;
        };
        for (k, dir) in r.dirs.iter().enumerate() {
            let file = Layout::local(dir, &out.path);
            let Ok(text) = std::fs::read_to_string(&file) else {
                continue;
            };
            let Ok(v) = serde_json::from_str::<serde_json::Value>(&text) else {
                continue;
            };
            let who = match r.items.get(k).cloned().flatten() {
                Some(item) => format!("{} {item}", r.name),
                None => r.name.clone(),
            };
            println!("\n{who} metrics ({}):", file.display());
            for m in v["metrics"].as_array().into_iter().flatten() {
                println!(
                    "  {:<10} {:.4}",
                    m["name"].as_str().unwrap_or(""),
                    m["numberValue"].as_f64().unwrap_or(f64::NAN)
                );
            }
        }
    }
}
