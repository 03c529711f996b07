//! The registry side of `kpipe image build` (feature `submit`): pulling a
//! `--base REF` into the cache, and `--push`. Credentials come from
//! `--registry-auth FILE` or from where podman, skopeo and docker keep
//! their logins.

use std::path::Path;
use std::time::Duration;

use anyhow::Context;
use kpipe_oci::image::host_architecture;
use kpipe_oci::registry::{self, Client, credentials};
use kpipe_oci::rootfs::Inventory;
use kpipe_oci::{Image, ImageRef};

use super::base::Base;
use super::cache::Cache;

/// A client for `image`'s repository with the credentials for its registry.
fn client(image: &ImageRef, registry_auth: Option<&Path>) -> anyhow::Result<Client> {
    let host = &image.repository.domain;
    let found = match registry_auth {
        Some(file) => credentials::Credentials::from_docker_config(file, &image.repository)?
            .map(|c| (c, file.to_path_buf())),
        None => credentials::find(&credentials::default_files(), &image.repository)?,
    };
    let hint = match (&found, registry_auth) {
        (Some((_, file)), _) => format!("check the entry for {host} in {}", file.display()),
        (None, Some(file)) => format!(
            "{} has no entry for {host}: log in (`podman login {host}`) or pass a config.json that has one",
            file.display()
        ),
        (None, None) => format!(
            "log in (`podman login {host}`, `docker login {host}`), or pass --registry-auth FILE (a docker config.json)"
        ),
    };
    crate::tls::install_crypto_provider();
    let http = reqwest::Client::builder()
        .user_agent(concat!("kpipe/", env!("CARGO_PKG_VERSION")))
        .connect_timeout(Duration::from_secs(20))
        .timeout(Duration::from_secs(3600))
        .build()
        .context("cannot set up the HTTP client")?;
    Ok(
        Client::new(http, image.repository.clone(), found.map(|(c, _)| c), false)
            .credentials_hint(hint),
    )
}

fn runtime() -> anyhow::Result<tokio::runtime::Runtime> {
    tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()
        .context("cannot start the async runtime")
}

/// Pushes `image` as `target` (its tag, `latest` if none).
pub(crate) fn push(
    image: &Image,
    target: &ImageRef,
    registry_auth: Option<&Path>,
) -> anyhow::Result<()> {
    let mut client = client(target, registry_auth)?;
    let tags = [target.tag_or_latest().to_owned()];
    runtime()?
        .block_on(registry::push(&mut client, image, &tags))
        .with_context(|| {
            format!("pushing {target} failed; the tag was not set unless reported above")
        })
}

/// The base `image`, pulled into the cache (blobs it has are not fetched
/// again; the tag is resolved on every build).
pub(crate) fn base(
    cache: &Cache,
    image: &ImageRef,
    registry_auth: Option<&Path>,
) -> anyhow::Result<Base> {
    let mut client = client(image, registry_auth)?.pull_only();
    let pulled = runtime()?
        .block_on(registry::pull(
            &mut client,
            image.manifest_reference(),
            host_architecture(),
            cache.store(),
        ))
        .with_context(|| format!("cannot pull the base image {image}"))?;
    let repository = ImageRef {
        digest: None,
        ..image.clone()
    };
    let description = format!("{repository}@{}", pulled.digest);
    // Recorded by digest: the same image from another registry or under
    // another tag is the same base.
    let hex = pulled.digest.trim_start_matches("sha256:");
    let name = format!("pulled-{}", hex.get(..16).unwrap_or(hex));
    if let Some(base) = Base::load(cache, &name)? {
        return Ok(Base {
            description,
            ..base
        });
    }
    let mut inventory = Inventory::default();
    for layer in &pulled.layers {
        inventory
            .scan_layer(layer)
            .with_context(|| format!("cannot read the base image {image}"))?;
    }
    let env = pulled.config["config"]["Env"]
        .as_array()
        .map(|a| {
            a.iter()
                .filter_map(|v| v.as_str().map(str::to_owned))
                .collect()
        })
        .unwrap_or_default();
    let base = Base {
        description,
        layers: pulled.layers,
        env,
        inventory,
    };
    base.save(cache, &name)?;
    Ok(base)
}
