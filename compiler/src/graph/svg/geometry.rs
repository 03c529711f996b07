//! Sizes of the boxes, the layout, the exit handlers' frame below it, and
//! the public [`GraphLayout`] view of the result.

use super::super::model::{GraphModel, NodeModel};
use super::text;
use crate::graph::layout::{self, Input, InputEdge, Rect, Route, Segment, Size, spacing};

/// Padding inside a box, left and right.
pub(crate) const PAD_X: f64 = 12.0;
/// Padding inside a box, top and bottom.
const PAD_Y: f64 = 6.0;
/// Offset of each of the two boxes stacked behind a loop's box.
pub(crate) const STACK: f64 = 3.0;
/// Narrowest box.
const MIN_WIDTH: f64 = 48.0;
/// Space between the ends of two edges on one side of a box; boxes grow
/// to give up to [`MAX_PORTS`] edges that much.
const PORT_GAP: f64 = 7.0;
const MAX_PORTS: usize = 12;
/// Edge labels: font size, line height, padding.
pub(crate) const LABEL_FONT: f64 = 11.0;
pub(crate) const LABEL_LINE: f64 = 14.0;
pub(crate) const LABEL_PAD: f64 = 4.0;
/// The exit handlers' frame: padding, title height, gap between boxes.
pub(crate) const FRAME_PAD: f64 = 10.0;
const FRAME_TITLE: f64 = 18.0;
const EXIT_GAP: f64 = 18.0;

/// The footprint of a node: its lines, padding, and the stack of a loop.
pub(crate) fn node_size(n: &NodeModel) -> Size {
    let text_width = n
        .lines
        .iter()
        .map(|(kind, line)| text::width(line, kind.font_px()))
        .fold(0.0, f64::max);
    let text_height: f64 = n.lines.iter().map(|(kind, _)| kind.line_px()).sum();
    let stack = if n.looped { 2.0 * STACK } else { 0.0 };
    Size {
        width: (text_width + 2.0 * PAD_X).max(MIN_WIDTH).ceil() + stack,
        height: (text_height + 2.0 * PAD_Y).ceil() + stack,
    }
}

fn label_size(lines: &[String]) -> Size {
    let w = lines
        .iter()
        .map(|l| text::width(l, LABEL_FONT))
        .fold(0.0, f64::max);
    Size {
        width: (w + 2.0 * LABEL_PAD).ceil(),
        height: lines.len() as f64 * LABEL_LINE + LABEL_PAD,
    }
}

/// Everything the SVG writer needs.
#[derive(Clone, Debug)]
pub(crate) struct Drawing {
    pub(crate) model: GraphModel,
    /// One footprint per task of `model.tasks`.
    pub(crate) tasks: Vec<Rect>,
    /// One footprint per exit handler of `model.exits`.
    pub(crate) exits: Vec<Rect>,
    pub(crate) exit_frame: Option<Rect>,
    /// One path per edge of `model.edges`.
    pub(crate) routes: Vec<Route>,
    /// Placed labels: index into `model.labels`, box.
    pub(crate) labels: Vec<(usize, Rect)>,
    pub(crate) width: f64,
    pub(crate) height: f64,
}

/// Lays out `model`.
pub(crate) fn draw(model: GraphModel) -> Drawing {
    // edges per side: on the right, edges with one label share an end
    let (mut ins, mut outs) = (vec![0usize; model.tasks.len()], Vec::new());
    for e in &model.edges {
        if let Some(c) = ins.get_mut(e.to) {
            *c += 1;
        }
        outs.push((e.from, e.label.map_or(usize::MAX - e.to, |l| l)));
    }
    outs.sort_unstable();
    outs.dedup();
    let mut out_count = vec![0usize; model.tasks.len()];
    for (from, _) in outs {
        if let Some(c) = out_count.get_mut(from) {
            *c += 1;
        }
    }
    let input = Input {
        nodes: model
            .tasks
            .iter()
            .enumerate()
            .map(|(i, t)| {
                let mut size = node_size(t);
                let ports = ins[i].max(out_count[i]).min(MAX_PORTS) as f64;
                // ports spread over the middle 80% of the side
                size.height = size.height.max((PORT_GAP * (ports + 1.0) / 0.8).ceil());
                size
            })
            .collect(),
        edges: model
            .edges
            .iter()
            .map(|e| InputEdge {
                from: e.from,
                to: e.to,
                label: e.label,
            })
            .collect(),
        labels: model.labels.iter().map(|l| label_size(&l.lines)).collect(),
    };
    let out = layout::layout(&input);
    let (mut width, mut height) = (out.width, out.height);
    if model.tasks.is_empty() {
        height = spacing::MARGIN;
    }
    let mut exits = Vec::new();
    let mut exit_frame = None;
    if !model.exits.is_empty() {
        let top = height;
        let mut x = spacing::MARGIN + FRAME_PAD;
        let mut tallest: f64 = 0.0;
        for n in &model.exits {
            let size = node_size(n);
            exits.push(Rect {
                x,
                y: top + FRAME_PAD + FRAME_TITLE,
                width: size.width,
                height: size.height,
            });
            x += size.width + EXIT_GAP;
            tallest = tallest.max(size.height);
        }
        let frame = Rect {
            x: spacing::MARGIN,
            y: top,
            width: (x - EXIT_GAP + FRAME_PAD - spacing::MARGIN).max(120.0),
            height: FRAME_TITLE + tallest + 2.0 * FRAME_PAD,
        };
        width = width.max(frame.right() + spacing::MARGIN);
        height = frame.bottom() + spacing::MARGIN;
        exit_frame = Some(frame);
    }
    Drawing {
        model,
        tasks: out.nodes,
        exits,
        exit_frame,
        routes: out.routes,
        labels: out.labels,
        width: width.ceil(),
        height: height.ceil(),
    }
}

/// Where [`Pipeline::graph_layout`](crate::Pipeline::graph_layout) put
/// everything, in SVG user units (pixels; y grows downwards).
#[derive(Clone, Debug, PartialEq)]
#[non_exhaustive]
pub struct GraphLayout {
    /// Size of the whole drawing.
    pub width: f64,
    /// Size of the whole drawing.
    pub height: f64,
    /// Every task's box, then every exit handler's.
    pub nodes: Vec<NodeBox>,
    /// Every edge, as the points its path goes through.
    pub edges: Vec<EdgeLine>,
    /// Every edge label's box.
    pub labels: Vec<LabelBox>,
}

/// A task's box (its whole footprint, including a loop's stacked boxes).
#[derive(Clone, Debug, PartialEq)]
#[non_exhaustive]
pub struct NodeBox {
    /// The task's name.
    pub task: String,
    /// An exit handler (drawn in the `on exit` frame).
    pub on_exit: bool,
    /// Left edge.
    pub x: f64,
    /// Top edge.
    pub y: f64,
    /// Width.
    pub width: f64,
    /// Height.
    pub height: f64,
}

/// An edge's path: its first point is on the source's box, its last on the
/// target's.
#[derive(Clone, Debug, PartialEq)]
#[non_exhaustive]
pub struct EdgeLine {
    /// Source task.
    pub from: String,
    /// Target task.
    pub to: String,
    /// Data (artifacts, parameters) flows along it; otherwise it only
    /// orders the tasks.
    pub data: bool,
    /// The points the path goes through, in order.
    pub points: Vec<(f64, f64)>,
}

/// An edge label's box.
#[derive(Clone, Debug, PartialEq)]
#[non_exhaustive]
pub struct LabelBox {
    /// The lines shown.
    pub lines: Vec<String>,
    /// Left edge.
    pub x: f64,
    /// Top edge.
    pub y: f64,
    /// Width.
    pub width: f64,
    /// Height.
    pub height: f64,
}

fn node_box(n: &NodeModel, r: &Rect) -> NodeBox {
    NodeBox {
        task: n.name.clone(),
        on_exit: n.exit,
        x: r.x,
        y: r.y,
        width: r.width,
        height: r.height,
    }
}

impl From<&Drawing> for GraphLayout {
    fn from(d: &Drawing) -> Self {
        let m = &d.model;
        let name = |i: usize| m.tasks.get(i).map(|t| t.name.clone()).unwrap_or_default();
        Self {
            width: d.width,
            height: d.height,
            nodes: m
                .tasks
                .iter()
                .zip(&d.tasks)
                .chain(m.exits.iter().zip(&d.exits))
                .map(|(n, r)| node_box(n, r))
                .collect(),
            edges: m
                .edges
                .iter()
                .zip(&d.routes)
                .map(|(e, r)| EdgeLine {
                    from: name(e.from),
                    to: name(e.to),
                    data: e.data,
                    points: std::iter::once(r.start)
                        .chain(r.segments.iter().map(Segment::end))
                        .map(|p| (p.x, p.y))
                        .collect(),
                })
                .collect(),
            labels: d
                .labels
                .iter()
                .filter_map(|(l, r)| {
                    Some(LabelBox {
                        lines: m.labels.get(*l)?.lines.clone(),
                        x: r.x,
                        y: r.y,
                        width: r.width,
                        height: r.height,
                    })
                })
                .collect(),
        }
    }
}
