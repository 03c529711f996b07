//! `kpipe image build`: an app's step image, built without a container
//! engine, reproducibly (the same inputs give the same digest).
//!
//! The image is a base ([`debian`]: a Debian rootfs mmdebstrap builds once
//! and the cache keeps; or a `--base REF` pulled from a registry), a layer
//! adding the non-root user (UID 65532, as the Containerfile's), and one
//! layer per program: the app's own binary (the running executable) and the
//! step program its pipeline's containers run when that is another binary
//! (kubernetes-analysis: `kpipe-step`), each at `/usr/local/bin/NAME`.
//! Before anything is written, every program's shared libraries must be in
//! the base and its glibc no newer than the base's (`ldd -v`).
//!
//! Each program's layer is cached by its uncompressed digest, so a warm
//! build with unchanged binaries only reads and hashes them; a changed
//! binary is compressed at gzip's fastest level, one thread per program.
//! Layers, images, layouts and the registry client are kpipe-oci's, the
//! module the pipeline's `build-image` step uses too.

mod base;
mod cache;
mod debian;
#[cfg(feature = "submit")]
mod registry;

use std::path::{Path, PathBuf};
use std::time::Instant;

use anyhow::{Context, bail};
use kpipe_oci::layer::{self, Entry, FAST, GZIP_TYPE};
use kpipe_oci::user::{User, user_layer};
use kpipe_oci::{Blob, Config, Image, ImageRef, Layer, ldd, sha256};

use base::Base;
pub(crate) use cache::Cache;

/// Where programs are installed in the image.
pub(crate) const BIN_DIR: &str = "/usr/local/bin";

/// A program the image holds, at `/usr/local/bin/NAME`.
#[derive(Clone, Debug, PartialEq, Eq)]
pub(crate) struct Program {
    /// Its name in the image.
    pub(crate) name: String,
    /// The executable on this machine.
    pub(crate) path: PathBuf,
}

/// What the image is built on.
#[derive(Clone, Debug, PartialEq, Eq)]
pub(crate) enum BaseChoice {
    /// The Debian rootfs mmdebstrap builds (cached).
    Debian,
    /// An image pulled from a registry.
    Pull(ImageRef),
}

/// Everything a build needs, resolved.
#[derive(Clone, Debug)]
pub(crate) struct Request {
    /// The app (labels).
    pub(crate) app: String,
    /// Its version (labels).
    pub(crate) version: String,
    /// The programs, each in its own layer.
    pub(crate) programs: Vec<Program>,
    /// The name of the program the image runs.
    pub(crate) entrypoint: String,
    /// The base.
    pub(crate) base: BaseChoice,
    /// Registry credentials for a pulled base (a docker config.json).
    pub(crate) registry_auth: Option<PathBuf>,
}

/// Builds the image `request` describes, using and filling `cache`.
pub(crate) fn build(request: &Request, cache: &Cache) -> anyhow::Result<Image> {
    if !request
        .programs
        .iter()
        .any(|p| p.name == request.entrypoint)
    {
        bail!(
            "kpipe bug: the entrypoint `{}` is not among the image's programs",
            request.entrypoint
        );
    }
    let base = match &request.base {
        BaseChoice::Debian => debian::base(cache)?,
        BaseChoice::Pull(image) => pull(cache, image, request.registry_auth.as_deref())?,
    };
    eprintln!("Base: {} ({} layers)", base.description, base.layers.len());
    for p in &request.programs {
        check_runs_on(p, &base)?;
    }
    let user = user_layer(&User::kpipe(), &base.inventory);
    let mut layers = base.layers.clone();
    let mut history = vec![format!("base: {}", base.description); layers.len()];
    layers.push(layer::build(&user.entries)?);
    history.push(format!("user {} ({})", User::kpipe().uid, user.home));
    let built: Vec<anyhow::Result<Layer>> = std::thread::scope(|s| {
        let handles: Vec<_> = request
            .programs
            .iter()
            .map(|p| s.spawn(move || program_layer(cache, p)))
            .collect();
        handles
            .into_iter()
            .map(|h| {
                h.join()
                    .unwrap_or_else(|_| Err(anyhow::anyhow!("a layer's thread panicked")))
            })
            .collect()
    });
    for (p, l) in request.programs.iter().zip(built) {
        layers.push(l?);
        history.push(format!("{BIN_DIR}/{} (kpipe image build)", p.name));
    }
    let uid = User::kpipe().uid;
    let mut config = Config::new(vec![format!("{BIN_DIR}/{}", request.entrypoint)]);
    config.user = format!("{uid}:{uid}");
    config.cmd = vec!["--help".to_owned()];
    config.env = environment(&base.env, &user.home);
    config.working_dir = user.home.clone();
    config.history = history;
    for (k, v) in [
        ("org.opencontainers.image.title", request.app.as_str()),
        ("org.opencontainers.image.version", request.version.as_str()),
        (
            "org.opencontainers.image.base.name",
            base.description.as_str(),
        ),
    ] {
        config.labels.insert(k.to_owned(), v.to_owned());
    }
    Image::new(&config, layers)
}

#[cfg(feature = "submit")]
fn pull(cache: &Cache, image: &ImageRef, registry_auth: Option<&Path>) -> anyhow::Result<Base> {
    registry::base(cache, image, registry_auth)
}

#[cfg(not(feature = "submit"))]
fn pull(_: &Cache, image: &ImageRef, _: Option<&Path>) -> anyhow::Result<Base> {
    bail!(
        "--base {image} needs a registry client, which this build of kpipe lacks (its `submit` feature is off)"
    )
}

/// Pushes `image` as `target` (feature `submit`).
#[cfg(feature = "submit")]
pub(crate) fn push(
    image: &Image,
    target: &ImageRef,
    registry_auth: Option<&Path>,
) -> anyhow::Result<()> {
    registry::push(image, target, registry_auth)
}

/// Pushes `image` as `target` (feature `submit`).
#[cfg(not(feature = "submit"))]
pub(crate) fn push(_: &Image, target: &ImageRef, _: Option<&Path>) -> anyhow::Result<()> {
    bail!(
        "--push to {target} needs a registry client, which this build of kpipe lacks (its `submit` feature is off); write a layout with -o and push it with skopeo"
    )
}

/// The base's environment, `PATH` holding `/usr/local/bin` and `HOME` the user's home.
fn environment(base: &[String], home: &str) -> Vec<String> {
    let mut env: Vec<String> = base
        .iter()
        .filter(|v| !v.starts_with("HOME="))
        .cloned()
        .collect();
    match env.iter_mut().find(|v| v.starts_with("PATH=")) {
        Some(path) if !path[5..].split(':').any(|d| d == BIN_DIR) => {
            *path = format!("PATH={BIN_DIR}:{}", &path[5..]);
        }
        Some(_) => {}
        None => env.insert(
            0,
            format!("PATH={BIN_DIR}:/usr/local/sbin:/usr/sbin:/usr/bin:/sbin:/bin"),
        ),
    }
    env.push(format!("HOME={home}"));
    env
}

/// Fails unless the base has every shared library `program` loads and a
/// glibc at least as new as the one it was linked against.
fn check_runs_on(program: &Program, base: &Base) -> anyhow::Result<()> {
    let needs = ldd::needs(&program.path)?;
    if !needs.checked {
        eprintln!(
            "warning: no ldd here: not checking that the base has the libraries {} needs",
            program.path.display()
        );
        return Ok(());
    }
    let missing: Vec<&str> = needs
        .libraries
        .iter()
        .map(|l| l.name.as_str())
        .filter(|name| !base.inventory.libraries.contains(*name))
        .collect();
    if !missing.is_empty() {
        bail!(
            "{} ({}) needs {}, which the base {} does not have: choose a base that has {} (--base REF), or link {} statically",
            program.name,
            program.path.display(),
            missing.join(", "),
            base.description,
            if missing.len() == 1 { "it" } else { "them" },
            program.name
        );
    }
    let have = base.inventory.glibc.as_deref().and_then(parse_version);
    if let (Some(need), Some(have)) = (needs.glibc, have)
        && need > have
    {
        bail!(
            "{} ({}) was linked against glibc {}.{}, newer than the base's {}.{} ({}): build it on a system whose glibc is at most {}.{}, or choose a newer base (--base REF)",
            program.name,
            program.path.display(),
            need.0,
            need.1,
            have.0,
            have.1,
            base.description,
            have.0,
            have.1
        );
    }
    Ok(())
}

fn parse_version(v: &str) -> Option<(u32, u32)> {
    let mut parts = v.split('.');
    Some((parts.next()?.parse().ok()?, parts.next()?.parse().ok()?))
}

/// The layer holding `program`: from the cache when the same bytes were
/// compressed before, else compressed now (and cached).
fn program_layer(cache: &Cache, program: &Program) -> anyhow::Result<Layer> {
    let started = Instant::now();
    let data = std::fs::read(&program.path)
        .with_context(|| format!("cannot read {} ({})", program.path.display(), program.name))?;
    let path = format!("{BIN_DIR}/{}", program.name);
    let tar = layer::tar(&[Entry::file(path.clone(), data, 0o755)])?;
    let diff_id = sha256(&tar);
    let (blob, how) = match cache.compressed(&diff_id)? {
        Some(blob) => (blob, "cached"),
        None => {
            let blob = cache
                .store()
                .put(&Blob::from_bytes(layer::gzip(&tar, FAST)?))?;
            cache.remember(&diff_id, &blob)?;
            (blob, "compressed")
        }
    };
    eprintln!(
        "Layer {path}: {:.1} MiB, {how} in {:.2} s",
        blob.size as f64 / 1048576.0,
        started.elapsed().as_secs_f64()
    );
    Ok(Layer {
        blob,
        diff_id,
        media_type: GZIP_TYPE.to_owned(),
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_environment_keeps_the_bases_and_finds_usr_local_bin() {
        let cuda = [
            "PATH=/usr/local/nvidia/bin:/usr/local/cuda/bin:/usr/sbin:/usr/bin".to_owned(),
            "NVIDIA_VISIBLE_DEVICES=all".to_owned(),
            "HOME=/root".to_owned(),
        ];
        assert_eq!(
            environment(&cuda, "/home/kpipe"),
            [
                "PATH=/usr/local/bin:/usr/local/nvidia/bin:/usr/local/cuda/bin:/usr/sbin:/usr/bin",
                "NVIDIA_VISIBLE_DEVICES=all",
                "HOME=/home/kpipe"
            ]
        );
        assert_eq!(
            environment(&[], "/h"),
            [
                "PATH=/usr/local/bin:/usr/local/sbin:/usr/sbin:/usr/bin:/sbin:/bin",
                "HOME=/h"
            ]
        );
    }

    fn base_with(libraries: &[&str], glibc: Option<&str>) -> Base {
        Base {
            description: "test base".into(),
            layers: Vec::new(),
            env: Vec::new(),
            inventory: kpipe_oci::rootfs::Inventory {
                libraries: libraries.iter().map(|l| (*l).to_owned()).collect(),
                glibc: glibc.map(str::to_owned),
                ..Default::default()
            },
        }
    }

    #[test]
    fn a_program_must_find_its_libraries_and_glibc_in_the_base() -> anyhow::Result<()> {
        let me = Program {
            name: "me".into(),
            path: std::env::current_exe()?,
        };
        let needs = ldd::needs(&me.path)?;
        if !needs.checked || needs.libraries.is_empty() {
            return Ok(()); // static, or no ldd: nothing to check
        }
        let all: Vec<&str> = needs.libraries.iter().map(|l| l.name.as_str()).collect();
        check_runs_on(&me, &base_with(&all, Some("99.0")))?;
        check_runs_on(&me, &base_with(&all, None))?;
        let e = check_runs_on(&me, &base_with(&all[1..], Some("99.0"))).map_err(|e| e.to_string());
        assert!(e.as_ref().is_err_and(|e| e.contains(&format!("needs {}", all[0])) && e.contains("test base")), "{e:?}");
        let e = check_runs_on(&me, &base_with(&all, Some("2.1"))).map_err(|e| e.to_string());
        assert!(
            e.as_ref()
                .is_err_and(|e| e.contains("newer than the base's 2.1")),
            "{e:?}"
        );
        Ok(())
    }
}
