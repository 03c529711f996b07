//! `run --local`'s command line, and the settings resolved from it (no
//! side effects: the run itself is in the parent module).

use std::collections::BTreeMap;
use std::path::{Path, PathBuf};

use anyhow::bail;
use clap::Args;

use super::super::{lookup, parse_param};
use crate::App;
use crate::profile::{LocalProfile, expand};
use crate::registry::Entry;
use crate::run::{self, Layout};

#[derive(Args, Debug)]
#[command(after_help = "\
A local run executes the workflow `compile` prints, with its parameters bound
from the pipeline's local profile (a file kept next to it; --profile FILE for
another), then -p. Secrets come from local files: --secret NAME=PATH (a file
is one key named after it, a directory one key per file, NAME/KEY=FILE names
the key); a secret not given is an empty directory, as an optional secret
volume is.

With the process engine (the default) each step's command runs as a process
on this machine: container images are not pulled, resource requests, node
selectors and tolerations are ignored (each run says which). Every step's
files, log and outputs go to WORKDIR/steps/<step>/.

Steps are cached: a step whose command line, environment, input artifacts and
program are unchanged since its last successful run in WORKDIR is not run
again, its outputs are reused and the summary says `cached`. --no-cache runs
every step.

Ctrl-C (or SIGTERM) stops the run: the running steps get SIGTERM, and SIGKILL
10 s later or at a second Ctrl-C; no step starts after it. The summary and
the report are still written, and kpipe exits with 130 (143 for SIGTERM).")]
pub(crate) struct RunArgs {
    /// Pipeline to run (default: the default pipeline).
    pipeline: Option<String>,
    /// Run on this machine (the only mode; cluster runs use `submit`).
    #[arg(long, required = true)]
    local: bool,
    /// Directory for every step's files (default: ./kpipe-local/PIPELINE).
    #[arg(long, value_name = "DIR")]
    workdir: Option<PathBuf>,
    /// Set a pipeline parameter (repeatable), e.g. `-p pr=123`.
    #[arg(short = 'p', long = "param", value_name = "NAME=VALUE", value_parser = parse_param)]
    params: Vec<(String, String)>,
    /// Bind parameters and secrets from this profile instead of the pipeline's own.
    #[arg(long, value_name = "FILE")]
    profile: Option<PathBuf>,
    /// A secret from a local file or directory (repeatable): NAME=PATH or NAME/KEY=FILE.
    #[arg(long = "secret", value_name = "NAME=PATH", value_parser = parse_param)]
    secrets: Vec<(String, String)>,
    /// Run this executable where a step's command names PROGRAM (repeatable).
    #[arg(long = "program", value_name = "PROGRAM=PATH", value_parser = parse_param)]
    programs: Vec<(String, String)>,
    /// The kpipe-step binary (same as --program kpipe-step=PATH).
    #[arg(long, value_name = "PATH")]
    step_binary: Option<PathBuf>,
    /// Steps to run at once (default: the number of cores).
    #[arg(long, value_name = "N")]
    jobs: Option<usize>,
    /// Run every step, even those whose inputs did not change.
    #[arg(long)]
    no_cache: bool,
    /// Run these steps and everything downstream of them, even when cached;
    /// reuse the rest from the workdir's last run (or run it when it left nothing).
    #[arg(long, value_name = "STEP", value_delimiter = ',', num_args = 1..)]
    from: Vec<String>,
    /// Run just these steps, their inputs from the workdir's last run.
    #[arg(long, value_name = "STEP", value_delimiter = ',', num_args = 1.., conflicts_with = "from")]
    only: Vec<String>,
    /// Stop after this step and its upstream.
    #[arg(long, value_name = "STEP")]
    until: Option<String>,
    /// How each step runs: as a local process, or in its image with podman.
    #[arg(long, value_enum, default_value_t = EngineArg::Process)]
    engine: EngineArg,
    /// With --engine podman: run LOCAL where the workflow names image REF
    /// (repeatable), e.g. `alpine:3.20=localhost/base` or `REF=oci:LAYOUT:TAG`.
    #[arg(long = "image-map", value_name = "REF=LOCAL", value_parser = parse_param)]
    image_map: Vec<(String, String)>,
}

/// `--engine`.
#[derive(clap::ValueEnum, Clone, Copy, Debug, PartialEq, Eq)]
pub(super) enum EngineArg {
    /// Each step's command as a process on this machine (images are not pulled).
    Process,
    /// Each step in its image, run by podman.
    Podman,
}

/// Everything a run needs, resolved from the command line.
pub(super) struct Settings<'a> {
    pub(super) entry: &'a Entry,
    pub(super) layout: Layout,
    /// The pipeline's own profile, or `--profile`'s.
    pub(super) profile: LocalProfile,
    /// `-p` values.
    pub(super) given: Vec<(String, String)>,
    /// `--secret` values (relative to the working directory).
    pub(super) secrets: Vec<(String, PathBuf)>,
    pub(super) programs: BTreeMap<String, PathBuf>,
    pub(super) jobs: usize,
    pub(super) cache: bool,
    pub(super) engine: EngineArg,
    pub(super) image_map: BTreeMap<String, String>,
    pub(super) selection: run::Selection,
}

pub(super) fn settings<'a>(app: &'a App, args: &RunArgs) -> anyhow::Result<Settings<'a>> {
    let entry = lookup(app, args.pipeline.as_deref())?;
    let workdir = args
        .workdir
        .clone()
        .unwrap_or_else(|| PathBuf::from("kpipe-local").join(&entry.name));
    let profile = match (&args.profile, entry.local_profile) {
        (Some(path), _) => LocalProfile::read(path)?,
        (None, Some((text, at))) => LocalProfile::parse(
            text,
            &format!(
                "the local profile of {} ({}:{})",
                entry.name,
                at.file(),
                at.line()
            ),
            Path::new("."),
        )?,
        (None, None) => LocalProfile::default(),
    };
    let mut programs = BTreeMap::new();
    if let Ok(me) = std::env::current_exe() {
        programs.insert(app.name.to_owned(), me);
    }
    let explicit = args
        .programs
        .iter()
        .map(|(k, v)| (k.clone(), PathBuf::from(v)))
        .chain(
            args.step_binary
                .iter()
                .map(|p| (kpipe_compiler::STEP_PROGRAM.to_owned(), p.clone())),
        );
    for (name, path) in explicit {
        if !path.is_file() {
            bail!(
                "{} (the program for `{name}`) does not exist",
                path.display()
            );
        }
        programs.insert(name, path.canonicalize().unwrap_or(path));
    }
    if args.engine == EngineArg::Process && !args.image_map.is_empty() {
        bail!(
            "--image-map maps the images of a container engine: add --engine podman (the process engine runs no images)"
        );
    }
    let cwd = std::env::current_dir().unwrap_or_default();
    Ok(Settings {
        entry,
        layout: Layout::new(workdir),
        profile,
        given: args.params.clone(),
        secrets: args
            .secrets
            .iter()
            .map(|(name, path)| (name.clone(), expand(path, &cwd)))
            .collect(),
        programs,
        jobs: args
            .jobs
            .unwrap_or_else(|| std::thread::available_parallelism().map_or(2, usize::from))
            .max(1),
        cache: !args.no_cache,
        engine: args.engine,
        image_map: args.image_map.iter().cloned().collect(),
        selection: run::Selection {
            from: args.from.clone(),
            only: args.only.clone(),
            until: args.until.clone(),
        },
    })
}
