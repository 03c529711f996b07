//! Drawings of a pipeline's task graph, all of one [`model`] (what each
//! shows): Graphviz DOT and Mermaid text ([`render`]) and kpipe's own
//! layered SVG ([`svg`] on [`layout`]).

pub(crate) mod layout;
pub(crate) mod model;
pub(crate) mod render;
pub(crate) mod svg;
