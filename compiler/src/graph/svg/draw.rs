//! Writing the drawing as SVG text. Every text and attribute value goes
//! through [`text::escape_into`]; numbers have at most one decimal.

use super::super::model::{EdgeModel, NodeModel};
use super::geometry::{Drawing, FRAME_PAD, LABEL_FONT, LABEL_LINE, LABEL_PAD, STACK};
use super::style::{SVG_CSS, SvgStyle};
use super::text::{escape_into, number_into};
use crate::graph::layout::{Rect, Route, Segment};

/// The font family of the drawing (also set in [`SVG_CSS`]).
const FONT_FAMILY: &str = "'DejaVu Sans Mono', 'Liberation Mono', Menlo, Consolas, monospace";

struct Svg<'a> {
    out: String,
    style: &'a SvgStyle,
}

impl Svg<'_> {
    fn raw(&mut self, s: &str) -> &mut Self {
        self.out.push_str(s);
        self
    }

    fn text(&mut self, s: &str) -> &mut Self {
        escape_into(&mut self.out, s);
        self
    }

    fn num(&mut self, x: f64) -> &mut Self {
        number_into(&mut self.out, x);
        self
    }

    /// ` name="value"` with the value escaped.
    fn attr(&mut self, name: &str, value: &str) -> &mut Self {
        self.raw(" ").raw(name).raw("=\"").text(value).raw("\"")
    }

    fn num_attr(&mut self, name: &str, x: f64) -> &mut Self {
        self.raw(" ").raw(name).raw("=\"").num(x).raw("\"")
    }

    fn rect(&mut self, class: &str, r: &Rect, rounded: f64) -> &mut Self {
        self.raw("<rect");
        if !class.is_empty() {
            self.attr("class", class);
        }
        self.num_attr("x", r.x)
            .num_attr("y", r.y)
            .num_attr("width", r.width)
            .num_attr("height", r.height);
        if rounded > 0.0 {
            self.num_attr("rx", rounded);
        }
        self.raw("/>")
    }

    /// ` id="PREFIXkindNAME"`.
    fn id(&mut self, kind: &str, name: &str) -> &mut Self {
        let style = self.style;
        self.raw(" id=\"")
            .text(&style.id_prefix)
            .raw(kind)
            .text(name)
            .raw("\"")
    }

    fn path(&mut self, route: &Route) -> &mut Self {
        self.raw("M").num(route.start.x).raw(" ").num(route.start.y);
        let mut at = route.start;
        for s in &route.segments {
            match *s {
                Segment::Line(p) => {
                    self.raw(" L").num(p.x).raw(" ").num(p.y);
                    at = p;
                }
                Segment::Curve(p) => {
                    let dx = (p.x - at.x) / 2.0;
                    self.raw(" C").num(at.x + dx).raw(" ").num(at.y);
                    self.raw(" ").num(p.x - dx).raw(" ").num(p.y);
                    self.raw(" ").num(p.x).raw(" ").num(p.y);
                    at = p;
                }
            }
        }
        self
    }

    fn edge(&mut self, d: &Drawing, e: &EdgeModel, route: &Route) {
        let name = |i: usize| d.model.tasks.get(i).map_or("", |t| t.name.as_str());
        let (from, to) = (name(e.from), name(e.to));
        let class = if e.data { "edge data" } else { "edge order" };
        self.raw("<path").attr("class", class);
        let style = self.style;
        self.raw(" id=\"")
            .text(&style.id_prefix)
            .raw("edge-")
            .text(from)
            .raw("-")
            .text(to)
            .raw("\"");
        self.attr("data-from", from).attr("data-to", to);
        self.raw(" d=\"").path(route).raw("\"");
        self.raw(" marker-end=\"url(#")
            .text(&style.id_prefix)
            .raw("arrow)\"><title>");
        self.text(from).raw(" → ").text(to);
        match e.label.and_then(|l| d.model.labels.get(l)) {
            Some(l) => self.raw("\n").text(&l.title),
            None => self.raw(" (order only)"),
        };
        self.raw("</title></path>\n");
    }

    fn label(&mut self, d: &Drawing, label: usize, r: &Rect) {
        let Some(l) = d.model.labels.get(label) else {
            return;
        };
        self.raw("<g class=\"edge-label\"><title>")
            .text(&l.title)
            .raw("</title>");
        self.rect("", r, 3.0);
        for (k, line) in l.lines.iter().enumerate() {
            let top = r.y + LABEL_PAD / 2.0 + k as f64 * LABEL_LINE;
            self.raw("<text text-anchor=\"middle\"")
                .num_attr("x", r.x + r.width / 2.0)
                .num_attr("y", top + (LABEL_LINE + LABEL_FONT * 0.7) / 2.0)
                .raw(">")
                .text(line)
                .raw("</text>");
        }
        self.raw("</g>\n");
    }

    fn node(&mut self, n: &NodeModel, r: &Rect) {
        let own = self.style.tasks.get(&n.name);
        let state = own.and_then(|s| s.state).map_or("none", |s| s.as_str());
        let mut class = String::from("node");
        for (on, c) in [
            (n.conditional, "conditional"),
            (n.looped, "loop"),
            (n.exit, "exit"),
        ] {
            if on {
                class.push(' ');
                class.push_str(c);
            }
        }
        if state != "none" {
            class.push_str(" state-");
            class.push_str(state);
        }
        for c in own.map(|s| s.classes.as_slice()).unwrap_or_default() {
            class.push(' ');
            class.push_str(c);
        }
        let href = own.and_then(|s| s.href.as_deref());
        if let Some(href) = href {
            self.raw("<a class=\"node-link\"")
                .attr("href", href)
                .raw(">");
        }
        self.raw("<g").attr("class", &class).id("node-", &n.name);
        self.attr("data-task", &n.name).attr("data-state", state);
        self.raw("><title>").text(&n.title).raw("</title>");
        let mut front = *r;
        if n.looped {
            front.width -= 2.0 * STACK;
            front.height -= 2.0 * STACK;
            for k in [2.0, 1.0] {
                let back = Rect {
                    x: r.x + k * STACK,
                    y: r.y + k * STACK,
                    ..front
                };
                self.rect("stack", &back, 6.0);
            }
        }
        self.rect("box", &front, 6.0);
        // the text block centred: a box may be taller than its text
        let text_height: f64 = n.lines.iter().map(|(kind, _)| kind.line_px()).sum();
        let mut top = front.y + (front.height - text_height) / 2.0;
        for (kind, line) in &n.lines {
            let baseline = top + (kind.line_px() + kind.font_px() * 0.7) / 2.0;
            self.raw("<text")
                .attr("class", kind.class())
                .raw(" text-anchor=\"middle\"")
                .num_attr("x", front.x + front.width / 2.0)
                .num_attr("y", baseline)
                .raw(">")
                .text(line)
                .raw("</text>");
            top += kind.line_px();
        }
        self.raw("</g>");
        if href.is_some() {
            self.raw("</a>");
        }
        self.raw("\n");
    }
}

/// The SVG text of `d`.
pub(crate) fn svg(d: &Drawing, style: &SvgStyle) -> String {
    let mut s = Svg {
        out: String::with_capacity(512 + 400 * (d.tasks.len() + d.routes.len())),
        style,
    };
    if style.standalone {
        s.raw("<?xml version=\"1.0\" encoding=\"UTF-8\"?>\n");
    }
    s.raw("<svg xmlns=\"http://www.w3.org/2000/svg\" class=\"kpipe-graph\"");
    s.id("graph", "");
    s.num_attr("width", d.width).num_attr("height", d.height);
    s.raw(" viewBox=\"0 0 ")
        .num(d.width)
        .raw(" ")
        .num(d.height)
        .raw("\"");
    s.attr("font-family", FONT_FAMILY).raw(" font-size=\"12\"");
    s.raw(" role=\"img\"").attr("data-pipeline", &d.model.name);
    s.raw(">\n<title>pipeline ")
        .text(&d.model.name)
        .raw("</title>\n");
    if style.embed_css {
        s.raw("<style>").raw(SVG_CSS).raw("</style>\n");
    }
    s.raw("<defs><marker");
    s.id("arrow", "");
    s.raw(" viewBox=\"0 0 10 10\" refX=\"10\" refY=\"5\" markerWidth=\"7\" markerHeight=\"7\" markerUnits=\"userSpaceOnUse\" orient=\"auto\"><path class=\"arrow\" fill=\"#64748b\" d=\"M0 0L10 5L0 10z\"/></marker></defs>\n");
    s.raw("<g class=\"edges\">\n");
    for (e, route) in d.model.edges.iter().zip(&d.routes) {
        s.edge(d, e, route);
    }
    s.raw("</g>\n<g class=\"edge-labels\">\n");
    for (label, r) in &d.labels {
        s.label(d, *label, r);
    }
    s.raw("</g>\n<g class=\"nodes\">\n");
    for (n, r) in d.model.tasks.iter().zip(&d.tasks) {
        s.node(n, r);
    }
    s.raw("</g>\n");
    if let Some(frame) = &d.exit_frame {
        s.raw("<g class=\"exit-handlers\">");
        s.rect("exit-frame", frame, 8.0);
        s.raw("<text class=\"exit-title\"")
            .num_attr("x", frame.x + FRAME_PAD)
            .num_attr("y", frame.y + FRAME_PAD + 8.0)
            .raw(">on exit</text>\n");
        for (n, r) in d.model.exits.iter().zip(&d.exits) {
            s.node(n, r);
        }
        s.raw("</g>\n");
    }
    s.raw("</svg>\n");
    s.out
}
