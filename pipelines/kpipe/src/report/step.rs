//! One step's article on the page: its state, time, attempts and exit
//! code, why it did not simply succeed, its command line, its outputs and
//! its logs (the last lines, the whole log one click away).

use std::fmt::Write as _;

use super::html::{self, esc, id};
use super::{LOG_LIMIT, Run, files, state, task, time_and_attempts, why};
use crate::run::{Layout, Status, TaskReport};

/// Lines of each log shown before "the whole log".
const LOG_TAIL: usize = 20;

/// Writes `r`'s `<article class="task">`.
pub(super) fn article(out: &mut String, run: &Run<'_>, r: &TaskReport) {
    let s = state(r);
    let (time, attempts) = time_and_attempts(r);
    let _ = write!(
        out,
        "<article class=\"task\" id=\"{a}\" data-task=\"{t}\" data-state=\"{s}\"><h3>{t} <span class=\"badge state-{s}\">{s}</span></h3><dl>\
<dt>time</dt><dd>{time}</dd><dt>attempts</dt><dd>{attempts}{retries}</dd><dt>exit code</dt><dd>{code}</dd>",
        a = id("task-", &r.name),
        t = esc(&r.name),
        s = s.as_str(),
        retries = if r.retries > 0 {
            format!(" ({} retried)", r.retries)
        } else {
            String::new()
        },
        code = r
            .exit_code
            .map_or_else(|| "–".to_owned(), |c| c.to_string()),
    );
    if let Some(w) = why(r) {
        let _ = write!(out, "<dt>why</dt><dd class=\"why\">{}</dd>", esc(w));
    }
    if !r.command.is_empty() {
        let _ = write!(
            out,
            "<dt>command{}</dt><dd><pre class=\"command\">{}</pre></dd>",
            match r.items.last().cloned().flatten() {
                Some(item) if r.dirs.len() > 1 => format!(" (last item, {})", esc(&item)),
                _ => String::new(),
            },
            esc(&shell_words(&r.command))
        );
    }
    out.push_str("</dl>");
    outputs(out, run, r);
    for (k, dir) in r.dirs.iter().enumerate() {
        let Some((text, lines)) = files::log(&Layout::log(dir), LOG_LIMIT) else {
            continue;
        };
        let mut label = match item(r, k) {
            Some(item) => format!("item {}: ", esc(item)),
            None => String::new(),
        };
        label.push_str(if r.status == Status::Cached {
            "log of the run that made these outputs"
        } else {
            "log"
        });
        if lines == 0 {
            let _ = write!(out, "<p class=\"meta log-empty\">{label}: empty</p>");
        } else if lines <= LOG_TAIL {
            // the tail is the whole log: shown once
            let _ = write!(
                out,
                "<p class=\"meta\">{label} ({})</p><pre class=\"log-tail log\">{}</pre>",
                self::lines(lines),
                esc(&text)
            );
        } else {
            let _ = write!(
                out,
                "<p class=\"meta\">{label}, last {LOG_TAIL} of {}</p><pre class=\"log-tail\">{}</pre>\
<details><summary>the whole {label} ({})</summary><pre class=\"log\">{}</pre></details>",
                self::lines(lines),
                esc(&files::tail(&text, LOG_TAIL)),
                self::lines(lines),
                esc(&text)
            );
        }
    }
    out.push_str("</article>");
}

fn outputs(out: &mut String, run: &Run<'_>, r: &TaskReport) {
    let Some(t) = task(run, &r.name) else {
        return;
    };
    let mut rows = String::new();
    for (k, dir) in r.dirs.iter().enumerate() {
        // (a loop's outputs are each item's: the item is named)
        let of = item(r, k).map_or_else(String::new, |i| {
            format!(" <span class=\"item\">item {}</span>", esc(i))
        });
        for a in &t.outputs {
            let local = Layout::local(dir, &a.path);
            let size = files::size(&local).map_or_else(|| "missing".to_owned(), html::size);
            let _ = write!(
                rows,
                "<tr class=\"artifact\"><td>artifact</td><td>{}{of}</td><td class=\"num\">{}</td><td><code>{}</code></td></tr>",
                esc(&a.name),
                esc(&size),
                esc(&local.display().to_string())
            );
        }
        for p in &t.output_params {
            let value = std::fs::read_to_string(Layout::local(dir, &p.path))
                .map(|s| s.trim_end().to_owned())
                .unwrap_or_else(|_| "(not written)".to_owned());
            let _ = write!(
                rows,
                "<tr class=\"param\"><td>parameter</td><td>{}{of}</td><td></td><td><code>{}</code></td></tr>",
                esc(&p.name),
                esc(&value)
            );
        }
    }
    if !rows.is_empty() {
        let _ = write!(
            out,
            "<table class=\"outputs\"><thead><tr><th>output</th><th>name</th><th>size</th><th>value or path</th></tr></thead><tbody>{rows}</tbody></table>"
        );
    }
}

/// The loop item `r`'s directory `k` ran, as people read it.
pub(super) fn item(r: &TaskReport, k: usize) -> Option<&str> {
    r.items.get(k).and_then(Option::as_deref)
}

/// A command line as a shell would take it back.
fn shell_words(argv: &[String]) -> String {
    argv.iter()
        .map(|a| {
            if !a.is_empty()
                && a.chars()
                    .all(|c| c.is_ascii_alphanumeric() || "-_./=:,@%+".contains(c))
            {
                a.clone()
            } else {
                format!("'{}'", a.replace('\'', "'\\''"))
            }
        })
        .collect::<Vec<_>>()
        .join(" ")
}

/// `1 line`, `20 lines`.
fn lines(n: usize) -> String {
    if n == 1 {
        "1 line".to_owned()
    } else {
        format!("{n} lines")
    }
}
