//! The analysis charts: what the original project drew, for all items,
//! issues and pull requests, as SVG and PNG.

pub mod render;
pub mod series;

pub use series::{ChartData, chart_data};
