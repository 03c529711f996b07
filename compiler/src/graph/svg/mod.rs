//! `kpipe graph --format svg`: the task graph drawn as SVG, with no
//! external program.
//!
//! [`model`](crate::graph::model) reads what to show from the pipeline (what
//! DOT and Mermaid show too), [`geometry`] sizes the
//! boxes from their text (monospace, so widths are known without a font
//! file) and lays them out with [`crate::graph::layout`], [`draw`] writes the SVG.
//!
//! Every task's node is `<g class="node …" id="PREFIXnode-NAME"
//! data-task="NAME" data-state="STATE">`, with the classes `conditional`,
//! `loop`, `exit` and `state-STATE` where they apply, so a page's script or
//! a browser test finds each task and its state; edges are
//! `<path class="edge data|order" data-from data-to>`.

mod check;
mod draw;
mod geometry;
mod style;
pub(crate) mod text;

pub use geometry::{EdgeLine, GraphLayout, LabelBox, NodeBox};
pub use style::{NodeStyle, SVG_CSS, SvgStyle, TaskState};
pub use text::escape_into;

use super::model::{self, Fit};
use crate::ir::PipelineData;

fn drawing(d: &PipelineData, style: &SvgStyle) -> geometry::Drawing {
    geometry::draw(model::model(d, style, Fit::Boxes))
}

/// The SVG text of `d`'s graph.
pub(crate) fn render(d: &PipelineData, style: &SvgStyle) -> String {
    draw::svg(&drawing(d, style), style)
}

/// Where the drawing of `d`'s graph puts everything.
pub(crate) fn layout(d: &PipelineData, style: &SvgStyle) -> GraphLayout {
    GraphLayout::from(&drawing(d, style))
}

#[cfg(test)]
mod tests;
