//! `kpipe-step build-image`: the serving image (this binary, the shared
//! libraries it loads, and the model) as an OCI layout, pushed when told.
//! Images, layouts and the registry client are kpipe-oci's, shared with
//! `kpipe image build`.

use std::path::Path;

use anyhow::{Context, bail};
use kpipe_oci::layer::{self, Entry};
use kpipe_oci::reference::{Reference, is_valid_tag};
use kpipe_oci::registry::{self, Client, Credentials};
use kpipe_oci::{Config, Image, layout, ldd};
use kpipe_step_contract::BuildImageArgs;

/// Where the image keeps the step binary.
const BINARY_PATH: &str = "/usr/local/bin/kpipe-step";
/// Where the image keeps the model.
const MODEL_PATH: &str = "/model";

/// Runs `build-image`.
pub(super) fn run(args: BuildImageArgs) -> anyhow::Result<()> {
    let reference =
        Reference::parse(&args.image).context("--image is the repository; tags go in --tag")?;
    let mut tags: Vec<String> = args
        .tags
        .iter()
        .map(|t| t.trim().to_owned())
        .filter(|t| !t.is_empty())
        .collect();
    if args.pr.trim().is_empty() {
        tags.push("latest".to_owned());
    }
    tags.dedup();
    if let Some(t) = tags.iter().find(|t| !is_valid_tag(t)) {
        bail!("`{t}` is not a valid image tag");
    }
    if tags.is_empty() {
        bail!(
            "no tag to apply: pass --tag (e.g. the commit) or build master (empty --pr tags `latest`)"
        );
    }
    let base = match &args.base_binary {
        Some(b) => b.clone(),
        None => std::env::current_exe()
            .context("cannot find the running binary to put in the image; pass --base-binary")?,
    };
    let img = serving_image(&base, &args.model)?;
    layout::write(&img, &args.layout, &args.image, &tags)?;
    eprintln!(
        "Built {} ({} blobs, {:.1} MiB) as an OCI layout in {}; tags: {}",
        img.digest(),
        img.blobs().count(),
        img.size() as f64 / 1048576.0,
        args.layout.display(),
        tags.join(", ")
    );
    if !*args.push.get() {
        eprintln!("Not pushing (--push=false)");
        return Ok(());
    }
    let credentials =
        match crate::secret::mounted(args.registry_auth.as_deref(), "registry credentials") {
            Some(f) => Credentials::from_docker_config(f, &reference)?,
            None => None,
        };
    let http = crate::http::client(std::time::Duration::from_secs(300))?;
    let mut client = Client::new(http, reference, credentials, args.plain_http)
        .credentials_hint("check --registry-auth (a docker config.json)");
    let runtime = tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()
        .context("cannot start the async runtime")?;
    runtime
        .block_on(registry::push(&mut client, &img, &tags))
        .with_context(|| {
            format!(
                "pushing {} failed; nothing was tagged unless reported above",
                args.image
            )
        })?;
    println!("{}@{}", args.image, img.digest());
    Ok(())
}

/// The serving image of `model_dir`, running `binary serve`: a layer of
/// the shared libraries the binary loads (copied from this machine; no
/// base image), one of the binary, one of the model.
fn serving_image(binary: &Path, model_dir: &Path) -> anyhow::Result<Image> {
    if !model_dir.join("kpipe-model.json").is_file() {
        bail!(
            "{} is not a model directory (no kpipe-model.json); pass the train step's output",
            model_dir.display()
        );
    }
    let bin = read(binary).context("the step binary (--base-binary) is needed in the image")?;
    let mut system = Vec::new();
    for lib in ldd::needs(binary)?.libraries {
        // Stored at the path the loader asks for, symlinks resolved.
        system.push(Entry::file(
            lib.path.to_string_lossy(),
            read(&lib.path)?,
            0o755,
        ));
    }
    let mut layers = Vec::new();
    if !system.is_empty() {
        layers.push(layer::build(&system)?);
    }
    layers.push(layer::build(&[Entry::file(BINARY_PATH, bin, 0o755)])?);
    let mut model = Vec::new();
    model_entries(model_dir, MODEL_PATH, &mut model)?;
    layers.push(layer::build(&model)?);

    let mut config = Config::new(vec![BINARY_PATH.to_owned(), "serve".to_owned()]);
    config.user = "65532:65532".to_owned();
    config.cmd = vec!["--model".to_owned(), MODEL_PATH.to_owned()];
    config.env = vec![
        "PATH=/usr/local/bin:/usr/bin:/bin".to_owned(),
        format!("KPIPE_MODEL_DIR={MODEL_PATH}"),
    ];
    config.exposed_ports = vec!["8080/tcp".to_owned()];
    for (k, v) in [
        (
            "org.opencontainers.image.title",
            "kubernetes-analysis model server",
        ),
        (
            "org.opencontainers.image.description",
            "KServe V1 model server for the kind/bug release-note classifier",
        ),
        (
            "org.opencontainers.image.source",
            "https://github.com/kpipe/kpipe",
        ),
    ] {
        config.labels.insert(k.to_owned(), v.to_owned());
    }
    config.history = vec!["kpipe-step build-image".to_owned(); layers.len()];
    Image::new(&config, layers)
}

fn read(path: &Path) -> anyhow::Result<Vec<u8>> {
    std::fs::read(path).with_context(|| format!("cannot read {}", path.display()))
}

fn model_entries(dir: &Path, prefix: &str, out: &mut Vec<Entry>) -> anyhow::Result<()> {
    let mut names: Vec<_> = std::fs::read_dir(dir)
        .with_context(|| format!("cannot read {}", dir.display()))?
        .collect::<Result<_, _>>()
        .with_context(|| format!("cannot read {}", dir.display()))?;
    names.sort_by_key(|e| e.file_name());
    for e in names {
        let path = e.path();
        let name = format!("{prefix}/{}", e.file_name().to_string_lossy());
        if path.is_dir() {
            model_entries(&path, &name, out)?;
        } else {
            out.push(Entry::file(name, read(&path)?, 0o644));
        }
    }
    Ok(())
}
