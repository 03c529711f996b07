//! `kpipe image build`: resolve what the pipeline's containers run (the
//! image they name, the step program) into an image build, then write a
//! layout and/or push.

use std::collections::{BTreeMap, BTreeSet};
use std::path::PathBuf;
use std::time::Instant;

use anyhow::{Context, bail};
use clap::{Args, Subcommand};
use kpipe_compiler::CompileOptions;
use kpipe_compiler::argo::Manifest;
use kpipe_oci::{ImageRef, layout};

use super::{Outcome, lookup, parse_param};
use crate::image::{self, BaseChoice, Cache, Program, Request};
use crate::{App, LocalEnv};

#[derive(Args, Debug)]
pub(crate) struct ImageArgs {
    #[command(subcommand)]
    command: ImageCommand,
}

#[derive(Subcommand, Debug)]
enum ImageCommand {
    /// Build the pipeline's step image (this app and its step program on a Debian base) without a container engine.
    Build(BuildArgs),
}

#[derive(Args, Debug)]
#[command(after_help = "\
The image holds this app's binary and the program its pipeline's steps run
(when that is another binary, e.g. kpipe-step), at /usr/local/bin/NAME, on a
Debian root file system built once with mmdebstrap and cached (~/.cache/kpipe/image),
or on --base REF. It runs as UID 65532; the entrypoint is the step program.
The same inputs give the same digest.

  APP image build -o image            an OCI layout: podman run oci:image:TAG
  APP image build --push              push to the pipeline's image, print REF@sha256:…
  APP compile --image REF@sha256:…    pin it")]
struct BuildArgs {
    /// Pipeline whose step image to build (default: the default pipeline).
    pipeline: Option<String>,
    /// Write the image as an OCI image layout to the directory LAYOUT.
    #[arg(short, long, value_name = "LAYOUT")]
    output: Option<PathBuf>,
    /// Push the image to its reference and print REF@sha256:….
    #[arg(long)]
    push: bool,
    /// The image's reference (default: the image the pipeline's steps run).
    #[arg(long, value_name = "REF")]
    image: Option<String>,
    /// Build on this image from a registry (e.g. a CUDA runtime) instead of the Debian base.
    #[arg(long, value_name = "REF")]
    base: Option<String>,
    /// Registry credentials, a docker config.json (default: podman's, then docker's logins).
    #[arg(long, value_name = "FILE", env = "KPIPE_REGISTRY_AUTH_FILE")]
    registry_auth: Option<PathBuf>,
    /// Put the executable PATH in the image as program NAME (repeatable).
    #[arg(long = "program", value_name = "NAME=PATH", value_parser = parse_param)]
    programs: Vec<(String, String)>,
}

pub(crate) fn run(app: &App, args: &ImageArgs) -> anyhow::Result<Outcome> {
    match &args.command {
        ImageCommand::Build(b) => build(app, b),
    }
}

fn build(app: &App, args: &BuildArgs) -> anyhow::Result<Outcome> {
    let started = Instant::now();
    let (request, target) = resolve(app, args)?;
    let cache = Cache::open()?;
    let image = image::build(&request, &cache)?;
    eprintln!(
        "Built {} ({} layers, {:.1} MiB) in {:.1} s",
        image.digest(),
        image.layers.len(),
        image.size() as f64 / 1048576.0,
        started.elapsed().as_secs_f64()
    );
    if let Some(dir) = &args.output {
        let tag = target.tag_or_latest().to_owned();
        layout::write(
            &image,
            dir,
            &target.repository.to_string(),
            std::slice::from_ref(&tag),
        )?;
        eprintln!(
            "Wrote the OCI layout {} (run it: podman run oci:{}:{tag})",
            dir.display(),
            dir.display()
        );
    }
    if args.push {
        image::push(&image, &target, args.registry_auth.as_deref())?;
        let pushed = ImageRef {
            digest: None,
            ..target
        };
        println!("{pushed}@{}", image.digest());
    } else {
        println!("{}", image.digest());
    }
    Ok(Outcome::Success)
}

/// The build `args` ask for, and the reference the image gets.
fn resolve(app: &App, args: &BuildArgs) -> anyhow::Result<(Request, ImageRef)> {
    let entry = lookup(app, args.pipeline.as_deref())?;
    let pipeline = app.build(entry);
    let step_program = pipeline.get_step_program();
    let manifest = pipeline
        .lower(&CompileOptions::default())
        .map_err(|d| anyhow::anyhow!("{d}"))?;
    let templates = match &manifest {
        Manifest::Workflow(w) | Manifest::WorkflowTemplate(w) => &w.spec.templates,
        Manifest::CronWorkflow(c) => &c.spec.workflow_spec.templates,
    };
    // The images the pipeline's typed steps (those running the step program) name.
    let images: BTreeSet<&str> = templates
        .iter()
        .filter_map(|t| t.container.as_ref())
        .filter(|c| c.command.starts_with(&step_program))
        .map(|c| c.image.as_str())
        .collect();
    let reference = match (&args.image, images.len()) {
        (Some(r), _) => r.clone(),
        (None, 1) => images
            .iter()
            .next()
            .map(|i| (*i).to_owned())
            .unwrap_or_default(),
        (None, 0) => bail!(
            "no step of `{}` runs {} (its steps run other images' programs): name the image to build with --image REF",
            entry.name(),
            step_program.join(" ")
        ),
        (None, _) => bail!(
            "the steps of `{}` run different images ({}): choose one with --image REF",
            entry.name(),
            images.into_iter().collect::<Vec<_>>().join(", ")
        ),
    };
    let target = ImageRef::parse(&reference)
        .with_context(|| format!("cannot build the image {reference}"))?;
    if target.digest.is_some() {
        bail!(
            "{reference} names a digest; a build gives the image its own: pass the repository and a tag (--image REPO:TAG)"
        );
    }

    let me = std::env::current_exe().context("cannot find this program's own executable")?;
    let mut programs = BTreeMap::new();
    programs.insert(app.name.to_owned(), me.clone());
    for (name, path) in &args.programs {
        let path = PathBuf::from(path);
        if !path.is_file() {
            bail!(
                "{} (the program for `{name}`) does not exist",
                path.display()
            );
        }
        programs.insert(name.clone(), path);
    }
    let env = LocalEnv {
        workdir: PathBuf::from("."),
        programs,
    };
    let mut wanted = vec![app.name.to_owned()];
    let entrypoint = step_program
        .first()
        .cloned()
        .unwrap_or_else(|| app.name.to_owned());
    if !wanted.contains(&entrypoint) {
        wanted.push(entrypoint.clone());
    }
    let mut programs = Vec::new();
    for name in wanted {
        if name.contains('/') {
            bail!(
                "the step program `{name}` is a path; the image installs programs by name in /usr/local/bin"
            );
        }
        let path = env.program(&name).with_context(|| {
            format!(
                "`{name}` (the program the steps of `{}` run) is neither next to {} nor on PATH: build it (in kpipe's repository: cargo build -p kpipe-steps), or pass --program {name}=PATH",
                entry.name(),
                me.display()
            )
        })?;
        eprintln!("Program {name}: {}", path.display());
        programs.push(Program { name, path });
    }
    let base = match &args.base {
        Some(b) => BaseChoice::Pull(ImageRef::parse(b).with_context(|| format!("--base {b}"))?),
        None => BaseChoice::Debian,
    };
    let request = Request {
        app: app.name.to_owned(),
        version: app
            .version
            .clone()
            .unwrap_or_else(|| env!("CARGO_PKG_VERSION").to_owned()),
        programs,
        entrypoint,
        base,
        registry_auth: args.registry_auth.clone(),
    };
    Ok((request, target))
}
