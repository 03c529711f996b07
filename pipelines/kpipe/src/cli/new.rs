//! `kpipe new`.

use std::path::PathBuf;

use clap::{ArgMatches, Args, FromArgMatches};

use super::Outcome;
use crate::scaffold::{self, KpipeDep, NewCrate};

/// Scaffold a crate for a new pipeline: two typed steps, a snapshot test, a Containerfile.
#[derive(Args, Debug)]
#[command(after_help = "\
Inside the new crate:
  cargo test                 the compiled YAML matches the reviewed snapshot and lints clean
  cargo run -- compile       Argo Workflow YAML
  cargo run -- run --local   every step on this machine (run again: cached)")]
pub(crate) struct NewArgs {
    /// Crate, binary and pipeline name (lower case, digits, `-`).
    name: String,
    /// Where to create it (default: ./NAME); must not exist or be empty.
    #[arg(long, value_name = "DIR")]
    dir: Option<PathBuf>,
    /// Depend on the kpipe checkout at PATH instead of the released crate.
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
        Some(p) => KpipeDep::Path(scaffold::kpipe_crate(p)?),
        None => KpipeDep::Version(env!("CARGO_PKG_VERSION").to_owned()),
    };
    let dir = args
        .dir
        .clone()
        .unwrap_or_else(|| PathBuf::from(&args.name));
    scaffold::write(&NewCrate {
        name: args.name.clone(),
        dir: dir.clone(),
        kpipe,
    })?;
    println!("Created {} in {}. Next:", args.name, dir.display());
    println!("  cd {}", dir.display());
    println!("  cargo test                 # the pipeline compiles to its reviewed YAML");
    println!("  cargo run -- run --local   # run it here");
    Ok(Outcome::Success)
}
