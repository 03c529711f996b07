//! `analyze`: the analysis charts (the pipeline's `update-assets` task).

use std::path::PathBuf;

use kpipe::{Artifact, Io, Step};

use crate::artifacts::{Assets, Dataset};

/// A chart `analyze` can draw.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub enum Chart {
    /// Every chart below, for all items, issues and pull requests.
    All,
    /// Items created per period.
    Created,
    /// Items closed per period.
    Closed,
    /// Running balance of created minus closed items.
    CreatedVsClosed,
    /// Label counts by group (`kind`, `sig`, …).
    LabelsByGroup,
    /// The 25 most used labels.
    LabelsByName,
    /// The 25 users who opened the most items.
    UsersByCreated,
    /// The 25 users who closed the most items.
    UsersByClosed,
    /// Pull requests with release notes, by kind.
    ReleaseNotesStats,
}

impl Chart {
    /// Every single chart (not [`Chart::All`]).
    pub const EACH: [Chart; 8] = [
        Chart::Created,
        Chart::Closed,
        Chart::CreatedVsClosed,
        Chart::LabelsByGroup,
        Chart::LabelsByName,
        Chart::UsersByCreated,
        Chart::UsersByClosed,
        Chart::ReleaseNotesStats,
    ];

    /// The chart's flag and file stem, e.g. `created-vs-closed`.
    pub fn as_str(self) -> &'static str {
        match self {
            Chart::All => "all",
            Chart::Created => "created",
            Chart::Closed => "closed",
            Chart::CreatedVsClosed => "created-vs-closed",
            Chart::LabelsByGroup => "labels-by-group",
            Chart::LabelsByName => "labels-by-name",
            Chart::UsersByCreated => "users-by-created",
            Chart::UsersByClosed => "users-by-closed",
            Chart::ReleaseNotesStats => "release-notes-stats",
        }
    }
}

/// Which items a chart counts.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub enum Subset {
    /// Issues and pull requests.
    All,
    /// Issues only.
    Issues,
    /// Pull requests only.
    PullRequests,
}

impl Subset {
    /// Every subset.
    pub const EACH: [Subset; 3] = [Subset::All, Subset::Issues, Subset::PullRequests];

    /// `all`, `issues`, `pull-requests`.
    pub fn as_str(self) -> &'static str {
        match self {
            Subset::All => "all",
            Subset::Issues => "issues",
            Subset::PullRequests => "pull-requests",
        }
    }
}

/// The chart flags; exactly one is given.
#[derive(clap::Args, kpipe::ToArgs, Clone, Debug, Default, PartialEq, Eq)]
#[group(required = true, multiple = false)]
pub struct ChartFlags {
    /// Write every chart for all items, issues and pull requests (OUT is a directory).
    #[arg(long)]
    pub all: bool,
    /// Items created per period.
    #[arg(long)]
    pub created: bool,
    /// Items closed per period.
    #[arg(long)]
    pub closed: bool,
    /// Running balance of created minus closed items.
    #[arg(long)]
    pub created_vs_closed: bool,
    /// Label counts by group.
    #[arg(long)]
    pub labels_by_group: bool,
    /// The 25 most used labels.
    #[arg(long)]
    pub labels_by_name: bool,
    /// The 25 users who opened the most items.
    #[arg(long)]
    pub users_by_created: bool,
    /// The 25 users who closed the most items.
    #[arg(long)]
    pub users_by_closed: bool,
    /// Pull requests with release notes, by kind.
    #[arg(long)]
    pub release_notes_stats: bool,
}

/// The subset flags; at most one is given.
#[derive(clap::Args, kpipe::ToArgs, Clone, Debug, Default, PartialEq, Eq)]
#[group(required = false, multiple = false)]
pub struct SubsetFlags {
    /// Count issues only.
    #[arg(long)]
    pub issues: bool,
    /// Count pull requests only.
    #[arg(long)]
    pub pull_requests: bool,
}

/// Draw the analysis charts (SVG and PNG).
#[derive(clap::Args, kpipe::ToArgs, Clone, Debug, PartialEq, Eq)]
#[kpipe(step = "analyze")]
pub struct AnalyzeArgs {
    /// Data set written by update-data.
    #[arg(long)]
    pub data: PathBuf,
    /// Which chart.
    #[command(flatten)]
    pub chart: ChartFlags,
    /// Which items.
    #[command(flatten)]
    pub subset: SubsetFlags,
    /// Output directory (--all, or any chart) or file stem (one chart).
    #[arg(long)]
    #[kpipe(output)]
    pub out: PathBuf,
}

impl AnalyzeArgs {
    /// The selected chart.
    pub fn chart(&self) -> Chart {
        let c = &self.chart;
        [
            (c.all, Chart::All),
            (c.created, Chart::Created),
            (c.closed, Chart::Closed),
            (c.created_vs_closed, Chart::CreatedVsClosed),
            (c.labels_by_group, Chart::LabelsByGroup),
            (c.labels_by_name, Chart::LabelsByName),
            (c.users_by_created, Chart::UsersByCreated),
            (c.users_by_closed, Chart::UsersByClosed),
            (c.release_notes_stats, Chart::ReleaseNotesStats),
        ]
        .into_iter()
        .find_map(|(on, chart)| on.then_some(chart))
        .unwrap_or(Chart::All)
    }

    /// The selected subset.
    pub fn subset(&self) -> Subset {
        if self.subset.issues {
            Subset::Issues
        } else if self.subset.pull_requests {
            Subset::PullRequests
        } else {
            Subset::All
        }
    }

    /// Arguments selecting `chart` and `subset`.
    pub fn new(data: PathBuf, chart: Chart, subset: Subset, out: PathBuf) -> Self {
        let mut c = ChartFlags::default();
        match chart {
            Chart::All => c.all = true,
            Chart::Created => c.created = true,
            Chart::Closed => c.closed = true,
            Chart::CreatedVsClosed => c.created_vs_closed = true,
            Chart::LabelsByGroup => c.labels_by_group = true,
            Chart::LabelsByName => c.labels_by_name = true,
            Chart::UsersByCreated => c.users_by_created = true,
            Chart::UsersByClosed => c.users_by_closed = true,
            Chart::ReleaseNotesStats => c.release_notes_stats = true,
        }
        Self {
            data,
            chart: c,
            subset: SubsetFlags {
                issues: subset == Subset::Issues,
                pull_requests: subset == Subset::PullRequests,
            },
            out,
        }
    }
}

/// The `analyze` step writing every chart (task `update-assets`).
#[derive(Clone, Debug)]
pub struct Analyze<'a> {
    /// The data set.
    pub dataset: &'a Artifact<Dataset>,
}

/// Outputs of [`Analyze`].
#[derive(Debug)]
pub struct AnalyzeOutputs {
    /// The chart directory.
    pub assets: Artifact<Assets>,
}

impl Step for Analyze<'_> {
    type Args = AnalyzeArgs;
    type Outputs = AnalyzeOutputs;

    fn name(&self) -> String {
        "update-assets".to_owned()
    }

    fn wire(self, io: &mut Io<'_>) -> (AnalyzeArgs, AnalyzeOutputs) {
        let data = io.input("dataset", self.dataset);
        let (out, assets) = io.output::<Assets>("assets");
        (
            AnalyzeArgs::new(data, Chart::All, Subset::All, out),
            AnalyzeOutputs { assets },
        )
    }
}
