//! `kpipe new`.

use std::path::PathBuf;

use clap::{ArgMatches, Args, FromArgMatches};

use super::Outcome;
use crate::scaffold::{self, NewCrate};

/// Scaffold a crate for a new pipeline: two typed steps, a snapshot test, a Containerfile.
#[derive(Args, Debug)]
#[command(after_help = "\
Inside the new crate:
  cargo test                 the compiled YAML matches the reviewed snapshot and lints clean
  cargo run -- compile       Argo Workflow YAML
  cargo run -- run --local   every step on this machine (run again: cached)
  cargo run -- image build   the image every step runs (no container engine needed)")]
pub(crate) struct NewArgs {
    /// Crate, binary and pipeline name (lower case, digits, `-`).
    name: String,
    /// Where to create it (default: ./NAME); must not exist or be empty.
    #[arg(long, value_name = "DIR")]
    dir: Option<PathBuf>,
    /// Depend on the kpipe checkout at PATH (default: the checkout this kpipe was built from, if it still exists).
    #[arg(long, value_name = "PATH")]
    kpipe_path: Option<PathBuf>,
}

pub(crate) fn command() -> clap::Command {
    NewArgs::augment_args(clap::Command::new("new")).about(
        "Scaffold a crate for a new pipeline: two typed steps, a snapshot test, a Containerfile",
    )
}

pub(crate) fn run(matches: &ArgMatches) -> anyhow::Result<Outcome> {
    let args = NewArgs::from_arg_matches(matches).map_err(|e| anyhow::anyhow!("{e}"))?;
    scaffold::check_name(&args.name)?;
    let kpipe = match &args.kpipe_path {
        Some(p) => scaffold::kpipe_crate(p)?,
        None => scaffold::own_checkout().ok_or_else(scaffold::no_checkout)?,
    };
    let dir = args
        .dir
        .clone()
        .unwrap_or_else(|| PathBuf::from(&args.name));
    scaffold::write(&NewCrate {
        name: args.name.clone(),
        dir: dir.clone(),
        kpipe: kpipe.clone(),
    })?;
    let how = if args.kpipe_path.is_some() {
        "given by --kpipe-path"
    } else {
        "the checkout this kpipe was built from; --kpipe-path PATH picks another"
    };
    println!(
        "Created {} in {}, depending on kpipe at {} ({how}). Next:",
        args.name,
        dir.display(),
        kpipe.display()
    );
    println!("  cd {}", dir.display());
    println!("  cargo test                 # the pipeline compiles to its reviewed YAML");
    println!("  cargo run -- run --local   # run it here");
    println!("  cargo run -- image build   # the image its steps run (see README.md)");
    Ok(Outcome::Success)
}
