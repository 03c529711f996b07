//! The default base: a Debian root file system that mmdebstrap builds from
//! Debian's packages (what checkout and commit-changes need: git, ssh and
//! CA certificates), reproducibly (`SOURCE_DATE_EPOCH=0`: two builds from
//! the same packages are the same bytes), normalised into one layer and
//! cached under a key of its recipe. A build takes about a minute, once.

use std::io::{BufRead, BufReader};
use std::process::{Command, Stdio};

use anyhow::{Context, bail};
use kpipe_oci::layer::BEST;
use kpipe_oci::rootfs;

use super::base::Base;
use super::cache::Cache;

/// The Debian release.
const SUITE: &str = "bookworm";
/// What checkout and commit-changes run (git over https and ssh).
const PACKAGES: [&str; 3] = ["ca-certificates", "git", "openssh-client"];
/// Bumped when the way the base is made changes, so a cached one is not reused.
const RECIPE_VERSION: u32 = 1;

/// mmdebstrap's arguments, writing the tarball to standard output: the
/// `minbase` variant (essential packages and apt), the packages above,
/// without documentation, manual pages, translations or device nodes.
fn mmdebstrap_args() -> Vec<String> {
    let mut args = vec![
        "--quiet".to_owned(),
        "--variant=minbase".to_owned(),
        format!("--include={}", PACKAGES.join(",")),
        "--skip=output/dev".to_owned(),
    ];
    for opt in [
        "path-exclude=/usr/share/doc/*",
        "path-include=/usr/share/doc/*/copyright",
        "path-exclude=/usr/share/man/*",
        "path-exclude=/usr/share/info/*",
        "path-exclude=/usr/share/locale/*",
    ] {
        args.push(format!("--dpkgopt={opt}"));
    }
    args.extend([SUITE.to_owned(), "-".to_owned()]);
    args
}

/// What the base is, in labels and messages.
pub(crate) fn description() -> String {
    format!(
        "debian {SUITE} minbase + {} (mmdebstrap)",
        PACKAGES.join(", ")
    )
}

/// The cache name of the base: the suite and a digest of the recipe.
fn cache_name() -> String {
    let recipe = format!("{RECIPE_VERSION}\n{}", mmdebstrap_args().join("\n"));
    let digest = kpipe_oci::sha256(recipe.as_bytes());
    let key = digest
        .trim_start_matches("sha256:")
        .get(..16)
        .unwrap_or("0");
    format!("debian-{SUITE}-{key}")
}

/// The Debian base, from the cache or built now (and cached).
pub(crate) fn base(cache: &Cache) -> anyhow::Result<Base> {
    let name = cache_name();
    if let Some(base) = Base::load(cache, &name)? {
        return Ok(base);
    }
    let _lock = cache.lock(&name)?;
    // Another build may have made it while this one waited.
    if let Some(base) = Base::load(cache, &name)? {
        return Ok(base);
    }
    eprintln!(
        "Building the base image with mmdebstrap: {} (about a minute, once; cached in {})",
        description(),
        cache.root().display()
    );
    let mut child = match Command::new("mmdebstrap")
        .args(mmdebstrap_args())
        .env("SOURCE_DATE_EPOCH", "0")
        .stdin(Stdio::null())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
    {
        Ok(c) => c,
        Err(e) if e.kind() == std::io::ErrorKind::NotFound => bail!(
            "mmdebstrap is not installed; it builds the image's Debian base from Debian's packages. \
             Install it (`sudo apt-get install mmdebstrap`, Debian and Ubuntu), or build on an image \
             from a registry with --base REF"
        ),
        Err(e) => return Err(e).context("cannot start mmdebstrap"),
    };
    let stderr = child.stderr.take();
    let log = std::thread::spawn(move || {
        let mut lines: Vec<String> = Vec::new();
        if let Some(s) = stderr {
            for line in BufReader::new(s).lines().map_while(Result::ok) {
                lines.push(line);
            }
        }
        lines
    });
    let normalized = match child.stdout.take() {
        Some(out) => rootfs::normalize(out, cache.store(), BEST),
        None => Err(anyhow::anyhow!("mmdebstrap's output was not captured")),
    };
    if normalized.is_err() {
        let _ = child.kill();
    }
    let status = child.wait().context("cannot wait for mmdebstrap")?;
    let lines = log.join().unwrap_or_default();
    if !status.success() {
        let tail = lines[lines.len().saturating_sub(15)..].join("\n  ");
        bail!(
            "mmdebstrap failed ({status}) building the Debian {SUITE} base; it needs Debian's \
             mirror (deb.debian.org) and, as a user other than root, user namespaces (uidmap). \
             Its last lines:\n  {tail}"
        );
    }
    let (layer, inventory) =
        normalized.context("cannot turn mmdebstrap's root file system into a layer")?;
    let base = Base {
        description: description(),
        layers: vec![layer],
        env: vec!["PATH=/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin".to_owned()],
        inventory,
    };
    base.save(cache, &name)?;
    Ok(base)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_recipe_keys_the_cache() {
        let name = cache_name();
        assert!(
            name.starts_with("debian-bookworm-") && name.len() == 32,
            "{name}"
        );
        let args = mmdebstrap_args();
        assert!(args.contains(&"--include=ca-certificates,git,openssh-client".to_owned()));
        assert_eq!(
            args.last().map(String::as_str),
            Some("-"),
            "the tarball on stdout"
        );
    }
}
