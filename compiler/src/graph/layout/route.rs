//! Edge paths: from the source's right side to the target's left side,
//! through the chain's label and dummy points; lane edges drop below the
//! drawing, run along their lane and rise again.
//!
//! A path crosses every column horizontally, at the height of its node
//! there (which no other box of the column spans), and bends only in the
//! empty gaps between columns: edges never cross a box.

use std::collections::HashMap;

use super::layered::{Chain, Kind, Layered};
use super::position::Positions;
use super::spacing::{LANE_PITCH, LANE_TOP, MARGIN};
use super::{Input, Output, Point, Rect, Route, Segment, lanes};

/// Where the edges to or from one side of a task box attach: spread along
/// the side in the order of the neighbours, so edges do not cross there.
struct Ports {
    out: HashMap<(usize, usize), f64>,
    into: HashMap<(usize, usize), f64>,
}

impl Ports {
    fn new(g: &Layered, rects: &[Rect], y: &[f64]) -> Self {
        let spread =
            |node: usize, hops: &[(usize, f64)], map: &mut HashMap<(usize, usize), f64>| {
                let mut hops: Vec<usize> = hops.iter().map(|h| h.0).collect();
                hops.sort_by(|&a, &b| y[a].total_cmp(&y[b]).then(a.cmp(&b)));
                hops.dedup();
                let r = rects[node];
                let k = hops.len() as f64;
                for (j, hop) in hops.into_iter().enumerate() {
                    let at = r.y + r.height * (0.1 + 0.8 * (j as f64 + 1.0) / (k + 1.0));
                    map.insert((node, hop), at);
                }
            };
        let mut ports = Self {
            out: HashMap::new(),
            into: HashMap::new(),
        };
        for (node, n) in g.nodes.iter().enumerate() {
            if n.kind == Kind::Task {
                spread(node, g.succs.of(node), &mut ports.out);
                spread(node, g.preds.of(node), &mut ports.into);
            }
        }
        ports
    }
}

/// A path under construction: straight through columns, curved in gaps.
struct Pen {
    at: Point,
    segments: Vec<Segment>,
}

impl Pen {
    /// A straight line; extends the previous one when both are horizontal.
    fn line(&mut self, x: f64, y: f64) {
        if (x - self.at.x).abs() <= 0.01 && (y - self.at.y).abs() <= 0.01 {
            return;
        }
        let horizontal = (y - self.at.y).abs() <= 0.01;
        self.at = Point { x, y };
        match self.segments.last_mut() {
            Some(Segment::Line(end)) if horizontal && (end.y - y).abs() <= 0.01 => *end = self.at,
            _ => self.segments.push(Segment::Line(self.at)),
        }
    }

    /// A curve to `(x, y)`, or a straight line when the height changes by
    /// less than half a pixel (long straight chains become one line, and
    /// a path never strays more than that from its dummy nodes).
    fn curve(&mut self, x: f64, y: f64) {
        if (y - self.at.y).abs() < 0.5 {
            self.line(x, self.at.y);
        } else {
            self.at = Point { x, y };
            self.segments.push(Segment::Curve(self.at));
        }
    }

    /// Crosses a column at `y`, or at the current height when within half a
    /// pixel of it (after a straight `curve`).
    fn across(&mut self, x: f64, y: f64) {
        let y = if (y - self.at.y).abs() < 0.5 {
            self.at.y
        } else {
            y
        };
        self.line(x, y);
    }
}

/// The path of `chain`, in the layered direction.
fn path(
    chain: &Chain,
    rects: &[Rect],
    p: &Positions,
    ports: &Ports,
    lane_y: Option<f64>,
) -> Option<Route> {
    let (&u, &v) = (chain.nodes.first()?, chain.nodes.last()?);
    let (ru, rv) = (rects[u], rects[v]);
    let mid = |r: Rect| r.y + r.height / 2.0;
    if chain.self_loop {
        let (x, y) = (ru.right(), mid(ru));
        return Some(Route {
            start: Point { x, y: y - 6.0 },
            segments: vec![
                Segment::Line(Point {
                    x: x + 10.0,
                    y: y - 6.0,
                }),
                Segment::Line(Point {
                    x: x + 10.0,
                    y: y + 6.0,
                }),
                Segment::Line(Point { x, y: y + 6.0 }),
            ],
        });
    }
    let n = chain.nodes.len();
    if n == 2 {
        return Some(Route {
            start: Point {
                x: ru.right(),
                y: mid(ru),
            },
            segments: vec![Segment::Line(Point {
                x: rv.x,
                y: mid(rv),
            })],
        });
    }
    let start = Point {
        x: ru.right(),
        y: *ports.out.get(&(u, chain.nodes[1])).unwrap_or(&mid(ru)),
    };
    let end = Point {
        x: rv.x,
        y: *ports.into.get(&(v, chain.nodes[n - 2])).unwrap_or(&mid(rv)),
    };
    let mut pen = Pen {
        at: start,
        segments: Vec::with_capacity(2 * n + 2),
    };
    pen.line(p.right[u], start.y);
    match lane_y {
        Some(lane) => {
            let (a, b) = (chain.nodes[1], chain.nodes[2]);
            pen.curve(p.left[a], p.y[a]);
            pen.line(p.x[a], p.y[a]);
            pen.line(p.x[a], lane);
            pen.line(p.x[b], lane);
            pen.line(p.x[b], p.y[b]);
            pen.line(p.right[b], p.y[b]);
        }
        None => {
            for &node in &chain.nodes[1..n - 1] {
                pen.curve(p.left[node], p.y[node]);
                pen.across(p.right[node], p.y[node]);
            }
        }
    }
    pen.curve(p.left[v], end.y);
    pen.line(end.x, end.y);
    Some(Route {
        start,
        segments: pen.segments,
    })
}

/// The same path walked from its end.
fn reversed(route: Route) -> Route {
    let mut points = vec![route.start];
    points.extend(route.segments.iter().map(Segment::end));
    let start = points.last().copied().unwrap_or(route.start);
    let segments = route
        .segments
        .iter()
        .enumerate()
        .rev()
        .map(|(i, s)| match s {
            Segment::Curve(_) => Segment::Curve(points[i]),
            Segment::Line(_) => Segment::Line(points[i]),
        })
        .collect();
    Route { start, segments }
}

/// Routes every edge of `g` and collects the drawing's geometry.
pub(crate) fn route(input: &Input, g: &Layered, p: &Positions) -> Output {
    let center = |v: usize| Point {
        x: p.x[v],
        y: p.y[v],
    };
    let rects: Vec<Rect> = (0..g.nodes.len())
        .map(|v| Rect::centered(center(v), g.nodes[v].size))
        .collect();
    let ports = Ports::new(g, &rects, &p.y);
    let bottom = rects.iter().map(Rect::bottom).fold(0.0, f64::max);
    let mut right = rects.iter().map(Rect::right).fold(0.0, f64::max);

    // lanes
    let label_width = |c: &Chain| c.label.map_or(0.0, |l| input.labels[l].width);
    let lane_chains: Vec<usize> = (0..g.chains.len()).filter(|&i| g.chains[i].lane).collect();
    let intervals: Vec<(f64, f64)> = lane_chains
        .iter()
        .map(|&i| {
            let c = &g.chains[i];
            let start = center(c.nodes[1]).x;
            let end = center(c.nodes[2]).x.max(start + 16.0 + label_width(c));
            (start, end)
        })
        .collect();
    let assigned = lanes::assign(&intervals);
    let first_lane = bottom + LANE_TOP;
    let mut lane_of: HashMap<usize, f64> = HashMap::new();
    let mut labels: Vec<(usize, Rect)> = Vec::new();
    let mut lowest = bottom;
    for ((&chain, &lane), &(start, end)) in lane_chains.iter().zip(&assigned).zip(&intervals) {
        let y = first_lane + lane as f64 * LANE_PITCH;
        lane_of.insert(chain, y);
        lowest = lowest.max(y + LANE_PITCH / 2.0);
        right = right.max(end);
        if let Some(l) = g.chains[chain].label {
            let size = input.labels[l];
            labels.push((
                l,
                Rect {
                    x: start + 8.0,
                    y: y - size.height / 2.0,
                    width: size.width,
                    height: size.height,
                },
            ));
        }
    }

    let routes = g
        .chains
        .iter()
        .enumerate()
        .map(|(i, chain)| {
            let route = path(chain, &rects, p, &ports, lane_of.get(&i).copied()).unwrap_or(Route {
                start: Point { x: 0.0, y: 0.0 },
                segments: Vec::new(),
            });
            if chain.reversed {
                reversed(route)
            } else {
                route
            }
        })
        .collect();
    for (v, n) in g.nodes.iter().enumerate() {
        if let Kind::Label(l) = n.kind {
            labels.push((l, rects[v]));
        }
    }
    labels.sort_by(|a, b| a.1.x.total_cmp(&b.1.x).then(a.1.y.total_cmp(&b.1.y)));
    Output {
        nodes: rects[..input.nodes.len().min(rects.len())].to_vec(),
        routes,
        labels,
        width: right + MARGIN,
        height: lowest + MARGIN,
    }
}
