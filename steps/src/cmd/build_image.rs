//! `kpipe-step build-image`: the serving image as an OCI layout, pushed when told.

use anyhow::{Context, bail};
use kpipe_step_contract::BuildImageArgs;

use crate::oci::credentials::Credentials;
use crate::oci::image;
use crate::oci::reference::Reference;
use crate::oci::registry;

/// Runs `build-image`.
pub(super) fn run(args: BuildImageArgs) -> anyhow::Result<()> {
    let reference = Reference::parse(&args.image)?;
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
    for t in &tags {
        if t.len() > 128
            || !t
                .chars()
                .all(|c| c.is_ascii_alphanumeric() || "_.-".contains(c))
            || t.starts_with(['.', '-'])
        {
            bail!("`{t}` is not a valid image tag");
        }
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
    let img = image::build(&base, &args.model)?;
    image::write_layout(&img, &args.layout, &args.image, &tags)?;
    let size: usize = img.blobs.values().map(Vec::len).sum();
    eprintln!(
        "Built {} ({} blobs, {:.1} MiB) as an OCI layout in {}; tags: {}",
        img.digest,
        img.blobs.len(),
        size as f64 / 1048576.0,
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
    let runtime = tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()
        .context("cannot start the async runtime")?;
    runtime
        .block_on(registry::push(
            &img,
            reference,
            &tags,
            credentials,
            args.plain_http,
        ))
        .with_context(|| {
            format!(
                "pushing {} failed; nothing was tagged unless reported above",
                args.image
            )
        })?;
    println!("{}@{}", args.image, img.digest);
    Ok(())
}
