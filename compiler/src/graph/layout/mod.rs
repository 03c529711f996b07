//! Layered (Sugiyama) layout of a directed graph, drawn left to right.
//!
//! One stage per file, each linear in the size of the layered graph times a
//! bounded number of sweeps, and deterministic (no hashing order, no
//! randomness: ties break on indices, which the caller orders by name):
//!
//! 1. [`acyclic`]: reverse the back edges of a depth-first search, so a
//!    graph with cycles (an invalid pipeline) still lays out;
//! 2. [`rank`]: longest-path layering, sources pulled next to their first
//!    consumer;
//! 3. [`layered`]: ranks doubled so every edge crosses a *label column*;
//!    an edge's label is a node there (shared by the edges that leave one
//!    task with the same label), long edges get a chain of dummy nodes.
//!    Past a budget of dummies (a graph whose edges span thousands of
//!    ranks), the longest edges run in horizontal *lanes* below the drawing
//!    instead, so the work stays linear;
//! 4. [`order`]: crossing reduction by barycenter sweeps, the best order
//!    kept (crossings counted in [`crossings`]);
//! 5. [`position`]: columns from the widest node in each; vertical positions
//!    by sweeps that pull each node towards its neighbours, solved per
//!    column as a weighted isotonic regression ([`isotonic`]), which keeps
//!    the order and the minimum gaps, so boxes never overlap;
//! 6. [`route`]: edges as curves through their chain, ports spread along
//!    the box sides, lanes assigned greedily ([`lanes`]).
//!
//! Why our own: see the README (graph layout crates measured).

mod acyclic;
mod crossings;
mod isotonic;
mod lanes;
mod layered;
mod order;
mod position;
mod rank;
mod route;

/// Width and height of a box.
#[derive(Clone, Copy, Debug, PartialEq)]
pub(crate) struct Size {
    pub(crate) width: f64,
    pub(crate) height: f64,
}

/// A point in drawing coordinates (y grows downwards).
#[derive(Clone, Copy, Debug, PartialEq)]
pub(crate) struct Point {
    pub(crate) x: f64,
    pub(crate) y: f64,
}

/// A box by its top-left corner and size.
#[derive(Clone, Copy, Debug, PartialEq)]
pub(crate) struct Rect {
    pub(crate) x: f64,
    pub(crate) y: f64,
    pub(crate) width: f64,
    pub(crate) height: f64,
}

impl Rect {
    pub(crate) fn centered(center: Point, size: Size) -> Self {
        Self {
            x: center.x - size.width / 2.0,
            y: center.y - size.height / 2.0,
            width: size.width,
            height: size.height,
        }
    }

    pub(crate) fn right(&self) -> f64 {
        self.x + self.width
    }

    pub(crate) fn bottom(&self) -> f64 {
        self.y + self.height
    }
}

/// One piece of an edge's path, from the previous point.
#[derive(Clone, Copy, Debug, PartialEq)]
pub(crate) enum Segment {
    /// A cubic curve leaving and arriving horizontally.
    Curve(Point),
    /// A straight line.
    Line(Point),
}

impl Segment {
    pub(crate) fn end(&self) -> Point {
        match self {
            Segment::Curve(p) | Segment::Line(p) => *p,
        }
    }
}

/// An edge's path from its source's box to its target's box.
#[derive(Clone, Debug, PartialEq)]
pub(crate) struct Route {
    pub(crate) start: Point,
    pub(crate) segments: Vec<Segment>,
}

/// An edge to lay out; `label` indexes [`Input::labels`].
#[derive(Clone, Copy, Debug)]
pub(crate) struct InputEdge {
    pub(crate) from: usize,
    pub(crate) to: usize,
    pub(crate) label: Option<usize>,
}

/// What to lay out: box sizes, edges and the sizes of edge labels.
#[derive(Clone, Debug, Default)]
pub(crate) struct Input {
    pub(crate) nodes: Vec<Size>,
    pub(crate) edges: Vec<InputEdge>,
    pub(crate) labels: Vec<Size>,
}

/// Where everything went.
#[derive(Clone, Debug)]
pub(crate) struct Output {
    /// One box per input node.
    pub(crate) nodes: Vec<Rect>,
    /// One path per input edge.
    pub(crate) routes: Vec<Route>,
    /// Placed labels: which label, where (a label shared by several edges
    /// is placed once).
    pub(crate) labels: Vec<(usize, Rect)>,
    pub(crate) width: f64,
    pub(crate) height: f64,
}

/// Gaps of the drawing, in pixels.
pub(crate) mod spacing {
    /// Around the whole drawing.
    pub(crate) const MARGIN: f64 = 16.0;
    /// Between a column and the next (task column, label column, …).
    pub(crate) const COLUMN_GAP: f64 = 36.0;
    /// Between two task boxes of one column.
    pub(crate) const TASK_GAP: f64 = 22.0;
    /// Between labels and dummy points of one column, or a task and one.
    pub(crate) const LINE_GAP: f64 = 10.0;
    /// Between the lowest box and the first lane.
    pub(crate) const LANE_TOP: f64 = 24.0;
    /// Between lanes.
    pub(crate) const LANE_PITCH: f64 = 22.0;
}

/// Dummy nodes allowed before long edges move to lanes: linear in the
/// graph, generous enough that real pipelines never use lanes.
fn dummy_budget(input: &Input) -> usize {
    (8 * (input.nodes.len() + input.edges.len())).max(50_000)
}

/// Lays out `input`.
pub(crate) fn layout(input: &Input) -> Output {
    layout_with_budget(input, dummy_budget(input))
}

fn layout_with_budget(input: &Input, budget: usize) -> Output {
    let n = input.nodes.len();
    let oriented = acyclic::orient(n, &input.edges);
    let ranks = rank::ranks(n, &oriented);
    let mut g = layered::build(input, &oriented, &ranks, budget);
    order::minimise_crossings(&mut g);
    let positions = position::assign(&g);
    route::route(input, &g, &positions)
}

#[cfg(test)]
pub(crate) mod tests;
