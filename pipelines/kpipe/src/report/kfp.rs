//! What steps told Kubeflow Pipelines (v1 files): scalar metrics, a
//! confusion matrix, a ROC curve, markdown.

use std::fmt::Write as _;
use std::path::Path;

use serde_json::Value;

use super::html::esc;

/// One scalar metric as the step wrote it.
#[derive(Clone, Debug, PartialEq)]
pub(crate) struct Metric {
    pub(crate) name: String,
    /// The number exactly as written in the JSON file.
    pub(crate) raw: String,
    pub(crate) value: f64,
    pub(crate) percentage: bool,
}

/// `mlpipeline-metrics.json`'s metrics; nothing when the file is absent or
/// unreadable (the step's own report says so).
pub(crate) fn metrics(path: &Path) -> Vec<Metric> {
    let Ok(text) = std::fs::read_to_string(path) else {
        return Vec::new();
    };
    let Ok(v) = serde_json::from_str::<Value>(&text) else {
        return Vec::new();
    };
    v["metrics"]
        .as_array()
        .into_iter()
        .flatten()
        .filter_map(|m| {
            let value = m["numberValue"].as_f64()?;
            Some(Metric {
                name: m["name"].as_str()?.to_owned(),
                raw: m["numberValue"].to_string(),
                value,
                percentage: m["format"] == "PERCENTAGE",
            })
        })
        .collect()
}

/// The metrics as a table; each value cell carries the exact number.
pub(crate) fn metrics_table(task: &str, metrics: &[Metric]) -> String {
    let mut out = String::from(
        "<table class=\"metrics\"><thead><tr><th>metric</th><th>value</th></tr></thead><tbody>",
    );
    for m in metrics {
        let shown = if m.percentage {
            format!("{:.2}%", m.value * 100.0)
        } else {
            format!("{:.4}", m.value)
        };
        let _ = write!(
            out,
            "<tr data-task=\"{}\" data-metric=\"{}\"><td>{}</td><td class=\"num\" data-value=\"{}\">{}</td></tr>",
            esc(task),
            esc(&m.name),
            esc(&m.name),
            esc(&m.raw),
            esc(&shown)
        );
    }
    out.push_str("</tbody></table>");
    out
}

/// `mlpipeline-ui-metadata.json`'s visualisations as HTML: confusion
/// matrices as tables, ROC curves as charts, markdown rendered.
pub(crate) fn ui_metadata(path: &Path, auc: Option<f64>) -> String {
    let Ok(text) = std::fs::read_to_string(path) else {
        return String::new();
    };
    let Ok(v) = serde_json::from_str::<Value>(&text) else {
        return format!(
            "<p class=\"meta\">{} is not JSON</p>",
            esc(&path.display().to_string())
        );
    };
    let dir = path.parent().unwrap_or(Path::new("."));
    let mut out = String::new();
    for o in v["outputs"].as_array().into_iter().flatten() {
        let source = match o["storage"].as_str() {
            Some("inline") => o["source"].as_str().map(str::to_owned),
            _ => o["source"]
                .as_str()
                .and_then(|s| std::fs::read_to_string(dir.join(s.trim_start_matches('/'))).ok()),
        };
        match (o["type"].as_str(), source) {
            (Some("confusion_matrix"), Some(csv)) => {
                let labels: Vec<String> = o["labels"]
                    .as_array()
                    .into_iter()
                    .flatten()
                    .filter_map(|l| l.as_str().map(str::to_owned))
                    .collect();
                out.push_str(&confusion_matrix(&labels, &csv));
            }
            (Some("roc"), Some(csv)) => out.push_str(&roc(&csv, auc)),
            (Some("markdown"), Some(md)) => {
                let _ = write!(out, "<div class=\"markdown\">{}</div>", markdown(&md));
            }
            _ => {}
        }
    }
    out
}

/// Markdown as HTML (CommonMark with tables, as Kubeflow's UI renders it).
/// Nothing in it can run or fetch: raw HTML shows as text, an image as its
/// alt text, and a link keeps its target only when that is http(s), mailto,
/// in the page or relative.
pub(crate) fn markdown(md: &str) -> String {
    use pulldown_cmark::{Event, Options, Parser, Tag, TagEnd};
    let mut links = Vec::new();
    let events = Parser::new_ext(md, Options::ENABLE_TABLES | Options::ENABLE_STRIKETHROUGH)
        .filter_map(|e| match e {
            Event::Html(t) | Event::InlineHtml(t) => Some(Event::Text(t)),
            Event::Start(Tag::Image { .. }) => Some(Event::Text("[image: ".into())),
            Event::End(TagEnd::Image) => Some(Event::Text("]".into())),
            Event::Start(Tag::Link { ref dest_url, .. }) => {
                let keep = safe_link(dest_url);
                links.push(keep);
                keep.then_some(e)
            }
            Event::End(TagEnd::Link) => links.pop().unwrap_or(false).then_some(e),
            e => Some(e),
        });
    let mut out = String::with_capacity(md.len() * 3 / 2);
    pulldown_cmark::html::push_html(&mut out, events);
    out
}

/// Whether a link target only navigates: no `javascript:`, `data:` or
/// other scheme that could run something.
fn safe_link(url: &str) -> bool {
    let url = url.trim();
    let scheme_end = url.find([':', '/', '?', '#']);
    match scheme_end {
        Some(i) if url[i..].starts_with(':') => {
            let scheme = url[..i].to_ascii_lowercase();
            matches!(scheme.as_str(), "http" | "https" | "mailto")
        }
        _ => true,
    }
}

/// Rows `target,predicted,count` as an actual × predicted table.
fn confusion_matrix(labels: &[String], csv: &str) -> String {
    let mut cells: Vec<(String, String, String)> = Vec::new();
    for line in csv.lines().filter(|l| !l.trim().is_empty()) {
        let mut parts = line.splitn(3, ',');
        if let (Some(t), Some(p), Some(c)) = (parts.next(), parts.next(), parts.next()) {
            cells.push((t.to_owned(), p.to_owned(), c.trim().to_owned()));
        }
    }
    let mut labels = labels.to_vec();
    for (t, p, _) in &cells {
        for l in [t, p] {
            if !labels.contains(l) {
                labels.push(l.clone());
            }
        }
    }
    let mut out = String::from(
        "<table class=\"confusion-matrix\"><caption>Confusion matrix (rows: actual, columns: predicted)</caption><thead><tr><th></th>",
    );
    for l in &labels {
        let _ = write!(out, "<th>{}</th>", esc(l));
    }
    out.push_str("</tr></thead><tbody>");
    for t in &labels {
        let _ = write!(out, "<tr><th>{}</th>", esc(t));
        for p in &labels {
            let count = cells
                .iter()
                .find(|(a, b, _)| a == t && b == p)
                .map_or("0", |(_, _, c)| c.as_str());
            let _ = write!(
                out,
                "<td class=\"num\" data-actual=\"{}\" data-predicted=\"{}\">{}</td>",
                esc(t),
                esc(p),
                esc(count)
            );
        }
        out.push_str("</tr>");
    }
    out.push_str("</tbody></table>");
    out
}

/// Rows `fpr,tpr[,threshold]` as an SVG chart.
fn roc(csv: &str, auc: Option<f64>) -> String {
    let mut points: Vec<(f64, f64)> = csv
        .lines()
        .filter_map(|l| {
            let mut p = l.split(',');
            let x = p.next()?.trim().parse::<f64>().ok()?;
            let y = p.next()?.trim().parse::<f64>().ok()?;
            (x.is_finite() && y.is_finite()).then_some((x.clamp(0.0, 1.0), y.clamp(0.0, 1.0)))
        })
        .collect();
    if points.is_empty() {
        return String::new();
    }
    points.sort_by(|a, b| a.0.total_cmp(&b.0).then(a.1.total_cmp(&b.1)));
    let (size, pad) = (320.0, 36.0);
    let plot = size - 2.0 * pad;
    let at = |(x, y): (f64, f64)| (pad + x * plot, size - pad - y * plot);
    let mut path = String::new();
    for (i, p) in points.iter().enumerate() {
        let (x, y) = at(*p);
        let _ = write!(path, "{}{x:.1},{y:.1}", if i == 0 { "M" } else { " L" });
    }
    let (x0, y0) = at((0.0, 0.0));
    let (x1, y1) = at((1.0, 1.0));
    // a light grid every quarter, labelled at 0, 0.5 and 1
    let mut grid = String::new();
    for k in 0..=4 {
        let v = f64::from(k) / 4.0;
        let (gx, gy) = at((v, v));
        let _ = write!(
            grid,
            "<line x1=\"{gx:.1}\" y1=\"{y1:.1}\" x2=\"{gx:.1}\" y2=\"{y0:.1}\" stroke=\"#eaeef2\"/>\
<line x1=\"{x0:.1}\" y1=\"{gy:.1}\" x2=\"{x1:.1}\" y2=\"{gy:.1}\" stroke=\"#eaeef2\"/>",
            y1 = pad,
            y0 = size - pad,
            x0 = pad,
            x1 = size - pad,
        );
        if k % 2 == 0 {
            let _ = write!(
                grid,
                "<text x=\"{gx:.1}\" y=\"{ly:.1}\" font-size=\"10\" text-anchor=\"middle\">{v}</text>\
<text x=\"{lx:.1}\" y=\"{ty:.1}\" font-size=\"10\" text-anchor=\"end\">{v}</text>",
                ly = size - pad + 12.0,
                lx = pad - 4.0,
                ty = gy + 3.5,
            );
        }
    }
    let title = match auc {
        Some(a) => format!("ROC curve (AUC {a:.4})"),
        None => "ROC curve".to_owned(),
    };
    format!(
        "<figure class=\"roc\"><svg class=\"roc\" xmlns=\"http://www.w3.org/2000/svg\" width=\"{size}\" height=\"{size}\" viewBox=\"0 0 {size} {size}\" role=\"img\" aria-label=\"{t}\">\
{grid}<rect x=\"{pad}\" y=\"{pad}\" width=\"{plot}\" height=\"{plot}\" fill=\"none\" stroke=\"#d0d7de\"/>\
<line x1=\"{x0}\" y1=\"{y0}\" x2=\"{x1}\" y2=\"{y1}\" stroke=\"#8c959f\" stroke-dasharray=\"4 4\"/>\
<path d=\"{path}\" fill=\"none\" stroke=\"#0969da\" stroke-width=\"2\"/>\
<text x=\"{cx}\" y=\"{by}\" font-size=\"11\" text-anchor=\"middle\">false positive rate</text>\
<text x=\"12\" y=\"{cx}\" font-size=\"11\" text-anchor=\"middle\" transform=\"rotate(-90 12 {cx})\">true positive rate</text>\
<text x=\"{pad}\" y=\"{ty}\" font-size=\"12\">{t}</text></svg><figcaption>{n} points</figcaption></figure>",
        t = esc(&title),
        cx = size / 2.0,
        by = size - 8.0,
        ty = pad - 10.0,
        n = points.len()
    )
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn hostile_text_is_escaped_in_every_visualisation() {
        let m = confusion_matrix(&["<b>".into()], "<b>,<script>,3\n");
        assert!(
            !m.contains("<script>") && m.contains("&lt;script&gt;"),
            "{m}"
        );
        let t = metrics_table(
            "t",
            &[Metric {
                name: "<i>".into(),
                raw: "1".into(),
                value: 1.0,
                percentage: false,
            }],
        );
        assert!(!t.contains("<i>"), "{t}");
        assert!(roc("0,0\n0.5,0.8\n1,1\n", Some(0.9)).contains("AUC 0.9000"));
        assert!(roc("x,y\n", None).is_empty());
    }

    #[test]
    fn markdown_renders_and_nothing_in_it_runs_or_fetches() {
        let html = markdown(
            "# Result\n\n| metric | value |\n|---|---|\n| accuracy | 0.8378 |\n\n\
             <script>alert(1)</script>\n\ntext <b onclick=alert(2)>bold</b> \
             ![chart](http://example.com/x.png) [docs](https://kubeflow.org) \
             [bad](javascript:alert(3)) [data](DATA:text/html,x) [here](#metrics) [rel](charts/a.png)\n",
        );
        assert!(html.contains("<h1>Result</h1>"), "{html}");
        assert!(
            html.contains("<td>accuracy</td>") && html.contains("<td>0.8378</td>"),
            "{html}"
        );
        assert!(
            html.contains("&lt;script&gt;alert(1)&lt;/script&gt;"),
            "{html}"
        );
        assert!(html.contains("&lt;b onclick=alert(2)&gt;"), "{html}");
        for never in ["<script", "<b ", "<img", "javascript:", "DATA:"] {
            assert!(!html.contains(never), "{never} in {html}");
        }
        assert!(html.contains("[image: chart]"), "{html}");
        assert!(
            html.contains("<a href=\"https://kubeflow.org\">docs</a>"),
            "{html}"
        );
        assert!(
            html.contains(" bad data "),
            "links dropped, their text kept: {html}"
        );
        assert!(html.contains("<a href=\"#metrics\">here</a>"), "{html}");
        assert!(html.contains("<a href=\"charts/a.png\">rel</a>"), "{html}");
    }

    #[test]
    fn link_schemes() {
        for ok in [
            "https://x",
            "HTTP://x",
            "mailto:a@b",
            "#top",
            "a/b:c",
            "?q=1",
            "plain",
        ] {
            assert!(safe_link(ok), "{ok}");
        }
        for bad in [
            "javascript:alert(1)",
            " JavaScript:x",
            "data:text/html,x",
            "vbscript:x",
            "file:///etc",
        ] {
            assert!(!safe_link(bad), "{bad}");
        }
    }
}
