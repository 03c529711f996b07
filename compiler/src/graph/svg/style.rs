//! What the caller decides about an SVG drawing: per-task state, links,
//! extra lines and classes; ids; whether the stylesheet is embedded.

use std::collections::BTreeMap;

/// How a task's run ended, for colouring its node (`data-state` and the
/// class `state-…`).
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub enum TaskState {
    /// Ran and succeeded.
    Succeeded,
    /// Ran and failed.
    Failed,
    /// Its `when` condition was false.
    Skipped,
    /// Its outputs came from the cache.
    Cached,
    /// Succeeded after at least one retry.
    Retried,
    /// Never started (an earlier task failed, or the run stopped).
    NotRun,
}

impl TaskState {
    /// Every state, in the order a legend lists them.
    pub const ALL: [TaskState; 6] = [
        TaskState::Succeeded,
        TaskState::Retried,
        TaskState::Cached,
        TaskState::Skipped,
        TaskState::Failed,
        TaskState::NotRun,
    ];

    /// The name in `data-state` and in the class `state-NAME`.
    pub fn as_str(self) -> &'static str {
        match self {
            TaskState::Succeeded => "succeeded",
            TaskState::Failed => "failed",
            TaskState::Skipped => "skipped",
            TaskState::Cached => "cached",
            TaskState::Retried => "retried",
            TaskState::NotRun => "not-run",
        }
    }
}

/// What the caller adds to one task's node.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct NodeStyle {
    pub(crate) state: Option<TaskState>,
    pub(crate) href: Option<String>,
    pub(crate) note: Option<String>,
    pub(crate) classes: Vec<String>,
}

impl NodeStyle {
    /// A node with nothing added.
    pub fn new() -> Self {
        Self::default()
    }

    /// Colours the node by `state`.
    pub fn state(mut self, state: TaskState) -> Self {
        self.state = Some(state);
        self
    }

    /// Makes the node a link, e.g. `#task-train` to the task's section of a
    /// report.
    pub fn href(mut self, href: impl Into<String>) -> Self {
        self.href = Some(href.into());
        self
    }

    /// An extra line in the box, e.g. a duration or `exit 1`.
    pub fn note(mut self, note: impl Into<String>) -> Self {
        self.note = Some(note.into());
        self
    }

    /// An extra class on the node's group.
    pub fn class(mut self, class: impl Into<String>) -> Self {
        self.classes.push(class.into());
        self
    }
}

/// Options of [`Pipeline::render_svg`](crate::Pipeline::render_svg).
///
/// The default suits an SVG inlined in an HTML page: stylesheet embedded
/// (scoped to `.kpipe-graph`), no XML declaration, ids unprefixed.
///
/// ```
/// use kpipe_compiler::{NodeStyle, SvgStyle, TaskState};
///
/// let style = SvgStyle::new()
///     .id_prefix("run-")
///     .task("train", NodeStyle::new().state(TaskState::Failed).href("#task-train").note("exit 1"));
/// # let _ = style;
/// ```
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct SvgStyle {
    pub(crate) tasks: BTreeMap<String, NodeStyle>,
    pub(crate) id_prefix: String,
    pub(crate) embed_css: bool,
    pub(crate) standalone: bool,
}

impl Default for SvgStyle {
    fn default() -> Self {
        Self {
            tasks: BTreeMap::new(),
            id_prefix: String::new(),
            embed_css: true,
            standalone: false,
        }
    }
}

impl SvgStyle {
    /// The default style.
    pub fn new() -> Self {
        Self::default()
    }

    /// Styles the node of task (or exit handler) `name`.
    pub fn task(mut self, name: impl Into<String>, style: NodeStyle) -> Self {
        self.tasks.insert(name.into(), style);
        self
    }

    /// Prefixes every id (`PREFIXnode-NAME`, `PREFIXarrow` …) so several
    /// drawings can share one HTML page.
    pub fn id_prefix(mut self, prefix: impl Into<String>) -> Self {
        self.id_prefix = prefix.into();
        self
    }

    /// Whether to embed the stylesheet; without it, the page includes
    /// [`SVG_CSS`] (once for all its drawings).
    pub fn embed_css(mut self, embed: bool) -> Self {
        self.embed_css = embed;
        self
    }

    /// Whether the SVG is a file of its own (starts with an XML declaration).
    pub fn standalone(mut self, standalone: bool) -> Self {
        self.standalone = standalone;
        self
    }
}

/// The stylesheet of the drawings, scoped to `svg.kpipe-graph`.
pub const SVG_CSS: &str = r#"
.kpipe-graph { background: #ffffff; }
.kpipe-graph text { font-family: 'DejaVu Sans Mono', 'Liberation Mono', Menlo, Consolas, monospace; fill: #1f2937; }
.kpipe-graph .edge { fill: none; stroke: #64748b; stroke-width: 1.3; }
.kpipe-graph .edge.order { stroke-dasharray: 5 4; }
.kpipe-graph .arrow { fill: #64748b; }
.kpipe-graph .edge-label rect { fill: #ffffff; stroke: #cbd5e1; }
.kpipe-graph .edge-label text { font-size: 11px; fill: #334155; }
.kpipe-graph .node .box { fill: #f8fafc; stroke: #334155; stroke-width: 1.4; }
.kpipe-graph .node .stack { fill: #e2e8f0; stroke: #334155; stroke-width: 1; }
.kpipe-graph .node.conditional .box { stroke-dasharray: 6 3; }
.kpipe-graph .node .name { font-size: 12px; font-weight: bold; }
.kpipe-graph .node .when, .kpipe-graph .node .loop, .kpipe-graph .node .note { font-size: 11px; fill: #475569; }
.kpipe-graph .node.state-succeeded .box { fill: #dcfce7; stroke: #15803d; }
.kpipe-graph .node.state-retried .box { fill: #fef3c7; stroke: #b45309; }
.kpipe-graph .node.state-cached .box { fill: #dbeafe; stroke: #1d4ed8; }
.kpipe-graph .node.state-skipped .box { fill: #f1f5f9; stroke: #94a3b8; }
.kpipe-graph .node.state-skipped text { fill: #64748b; }
.kpipe-graph .node.state-failed .box { fill: #fee2e2; stroke: #b91c1c; stroke-width: 2.2; }
.kpipe-graph .node.state-not-run { opacity: 0.55; }
.kpipe-graph .node.state-not-run .box { fill: #ffffff; stroke: #94a3b8; }
.kpipe-graph a:hover .box, .kpipe-graph a:focus .box { stroke-width: 2.6; }
.kpipe-graph .exit-frame { fill: none; stroke: #94a3b8; stroke-dasharray: 4 4; }
.kpipe-graph .exit-title { font-size: 11px; fill: #64748b; font-style: italic; }
"#;
