//! `kpipe new NAME`: a new crate with a working pipeline of two typed steps,
//! its snapshot test, a Containerfile and a README.
//!
//! The crate depends on kpipe by path: on the checkout this kpipe was built
//! from (its location is compiled in) while that still exists, else on the
//! one `--kpipe-path` names. It is a workspace of its own, so it builds
//! wherever it is written, inside another workspace (a kpipe checkout) too.
//!
//! The template's pipeline and steps are also compiled into kpipe (the
//! modules below), so `new` can write the reviewed snapshot of exactly what
//! the new crate compiles: `cargo test` passes out of the box. The template
//! is written for the name `starter-app`, which `new` replaces everywhere.

#[allow(unreachable_pub, dead_code, missing_docs)]
#[path = "template/pipeline.rs"]
mod pipeline;
#[allow(unreachable_pub, dead_code, missing_docs)]
#[path = "template/steps.rs"]
mod steps;

use std::path::{Path, PathBuf};

use anyhow::{Context, bail};

/// The name the template is written for.
const TEMPLATE_NAME: &str = "starter-app";

/// What `new` writes where.
#[derive(Clone, Debug)]
pub(crate) struct NewCrate {
    pub(crate) name: String,
    pub(crate) dir: PathBuf,
    /// The `kpipe` crate the new one depends on (a checkout's `pipelines/kpipe`).
    pub(crate) kpipe: PathBuf,
}

/// Why `name` cannot name the new crate and pipeline, if it cannot.
pub(crate) fn check_name(name: &str) -> anyhow::Result<()> {
    let valid = name.chars().next().is_some_and(|c| c.is_ascii_lowercase())
        && name
            .chars()
            .all(|c| c.is_ascii_lowercase() || c.is_ascii_digit() || c == '-')
        && !name.ends_with('-')
        && !name.contains("--")
        && name.len() <= 40;
    if !valid {
        bail!(
            "`{name}` cannot name the crate and its pipeline: use lower-case letters, digits and single `-`, starting with a letter, at most 40 characters (it is the binary's name and a Kubernetes name), e.g. `fraud-scoring`"
        );
    }
    let reserved = [
        "kpipe",
        "test",
        "core",
        "std",
        "alloc",
        "proc-macro",
        "self",
        "crate",
        "super",
        "build",
    ];
    if reserved.contains(&name) {
        bail!(
            "`{name}` is reserved (it would clash with a crate or Cargo target); pick another name"
        );
    }
    Ok(())
}

/// The files of the new crate: relative path → contents.
pub(crate) fn files(new: &NewCrate) -> anyhow::Result<Vec<(PathBuf, String)>> {
    let named = |text: &str| text.replace(TEMPLATE_NAME, &new.name);
    let dep = |features: &str| -> String {
        format!(
            "{{ path = {}{features} }}",
            toml_string(&new.kpipe.to_string_lossy())
        )
    };
    let cargo = include_str!("template/Cargo.toml.in")
        .replace("{{KPIPE}}", &dep(""))
        .replace("{{KPIPE_TESTING}}", &dep(", features = [\"testing\"]"));
    let (snapshot, kfp_snapshot) = snapshots(&new.name)?;
    Ok(vec![
        (PathBuf::from("Cargo.toml"), named(&cargo)),
        (
            PathBuf::from("src/main.rs"),
            named(include_str!("template/main.rs")),
        ),
        (
            PathBuf::from("src/pipeline.rs"),
            named(include_str!("template/pipeline.rs")),
        ),
        (
            PathBuf::from("src/steps.rs"),
            named(include_str!("template/steps.rs")),
        ),
        (
            PathBuf::from(format!("src/snapshots/{}.snap", new.name)),
            snapshot,
        ),
        (
            PathBuf::from(format!("src/snapshots/{}@kfp.snap", new.name)),
            kfp_snapshot,
        ),
        (
            PathBuf::from("Containerfile"),
            named(include_str!("template/Containerfile")),
        ),
        (
            PathBuf::from("README.md"),
            named(include_str!("template/README.md")),
        ),
        (
            PathBuf::from(".gitignore"),
            named(include_str!("template/gitignore")),
        ),
    ])
}

/// The reviewed snapshots of the new crate's pipeline: what the template
/// compiles to for Argo and for Kubeflow Pipelines (`NAME@kfp`), under the
/// new name, in insta's file format.
fn snapshots(name: &str) -> anyhow::Result<(String, String)> {
    // As the new app compiles it: its binary (named like its pipeline)
    // runs the typed steps (`starter-app step …`).
    let p = pipeline::pipeline();
    p.default_step_program([pipeline::NAME, "step"]);
    let bug = |e| anyhow::anyhow!("kpipe bug: the template does not compile: {e}");
    let yaml = p
        .compile(&kpipe_compiler::CompileOptions::default())
        .map_err(bug)?;
    let kfp = p
        .compile_kfp(&kpipe_compiler::KfpOptions::default())
        .map_err(bug)?
        .yaml;
    let snap = |text: String| {
        format!(
            "---\nsource: src/main.rs\ndescription: {}\n---\n{}",
            pipeline::SUMMARY,
            text.replace(TEMPLATE_NAME, name)
        )
    };
    Ok((snap(yaml), snap(kfp)))
}

/// A TOML basic string.
fn toml_string(s: &str) -> String {
    let mut out = String::from("\"");
    for c in s.chars() {
        match c {
            '"' => out.push_str("\\\""),
            '\\' => out.push_str("\\\\"),
            c if c.is_control() => out.push_str(&format!("\\u{:04X}", c as u32)),
            c => out.push(c),
        }
    }
    out.push('"');
    out
}

/// Writes the new crate into `new.dir`, which must not exist or be empty.
/// Nothing is written when it is not.
pub(crate) fn write(new: &NewCrate) -> anyhow::Result<()> {
    check_name(&new.name)?;
    let dir = &new.dir;
    if dir.exists() {
        if !dir.is_dir() {
            bail!("{} exists and is not a directory", dir.display());
        }
        let mut entries =
            std::fs::read_dir(dir).with_context(|| format!("cannot read {}", dir.display()))?;
        if entries.next().is_some() {
            bail!(
                "{} is not empty; `new` only writes into a new or empty directory (choose another with --dir)",
                dir.display()
            );
        }
    }
    let files = files(new)?;
    for (rel, text) in &files {
        let path = dir.join(rel);
        if let Some(parent) = path.parent() {
            std::fs::create_dir_all(parent)
                .with_context(|| format!("cannot create {}", parent.display()))?;
        }
        std::fs::write(&path, text).with_context(|| format!("cannot write {}", path.display()))?;
    }
    Ok(())
}

/// The `pipelines/kpipe` crate of the checkout this kpipe was built from, if
/// that checkout still exists (a kpipe built from crates.io's sources, or
/// whose checkout was moved or deleted, has none).
pub(crate) fn own_checkout() -> Option<PathBuf> {
    let krate = Path::new(env!("CARGO_MANIFEST_DIR"));
    let root = krate.parent()?.parent()?;
    let workspace = std::fs::read_to_string(root.join("Cargo.toml")).ok()?;
    if !workspace.contains("[workspace]") {
        return None;
    }
    kpipe_crate(root)
        .ok()
        .filter(|k| k.ends_with("pipelines/kpipe"))
}

/// Why `new` has no kpipe to depend on, and how to give it one.
pub(crate) fn no_checkout() -> anyhow::Error {
    anyhow::anyhow!(
        "this kpipe was not built from a kpipe checkout that still exists (it was built from {}), so the new crate has no kpipe to depend on: clone kpipe (git clone https://github.com/kpipe/kpipe) and pass --kpipe-path PATH/TO/kpipe",
        env!("CARGO_MANIFEST_DIR")
    )
}

/// The `pipelines/kpipe` crate inside a kpipe checkout at `root` (or `root`
/// itself when it is that crate).
pub(crate) fn kpipe_crate(root: &Path) -> anyhow::Result<PathBuf> {
    let root = root
        .canonicalize()
        .with_context(|| format!("--kpipe-path {} does not exist", root.display()))?;
    for candidate in [root.join("pipelines/kpipe"), root.clone()] {
        let manifest = candidate.join("Cargo.toml");
        if std::fs::read_to_string(&manifest).is_ok_and(|t| t.contains("name = \"kpipe\"")) {
            return Ok(candidate);
        }
    }
    bail!(
        "--kpipe-path {} is not a kpipe checkout (no pipelines/kpipe/Cargo.toml naming the crate `kpipe`)",
        root.display()
    )
}

#[cfg(test)]
mod tests {
    use super::*;

    /// The scaffold is what a new user copies: every function of its Rust
    /// files is at most 15 lines, signature and closing brace included.
    #[test]
    fn the_templates_functions_are_short() {
        for (file, text) in [
            ("steps.rs", include_str!("template/steps.rs")),
            ("pipeline.rs", include_str!("template/pipeline.rs")),
            ("main.rs", include_str!("template/main.rs")),
        ] {
            let mut open: Option<(usize, String, usize)> = None;
            for (n, line) in text.lines().enumerate() {
                let indent = line.len() - line.trim_start().len();
                let trimmed = line.trim_start();
                if open.is_none() && (trimmed.starts_with("fn ") || trimmed.starts_with("pub fn "))
                {
                    open = Some((n, trimmed.to_owned(), indent));
                } else if let Some((start, name, at)) = &open
                    && indent == *at
                    && trimmed == "}"
                {
                    let lines = n - start + 1;
                    assert!(
                        lines <= 15,
                        "{file}:{}: `{name}` is {lines} lines",
                        start + 1
                    );
                    open = None;
                }
            }
        }
    }

    #[test]
    fn names_are_checked() {
        for ok in ["demo", "fraud-scoring", "a1"] {
            assert!(check_name(ok).is_ok(), "{ok}");
        }
        for bad in [
            "", "Demo", "1demo", "my_demo", "demo-", "a--b", "kpipe", "test", "x y",
        ] {
            assert!(check_name(bad).is_err(), "{bad}");
        }
    }

    #[test]
    fn a_non_empty_directory_is_refused_and_left_alone() {
        let tmp = tempfile::tempdir().unwrap_or_else(|e| panic!("{e}"));
        std::fs::write(tmp.path().join("keep.txt"), "mine").unwrap_or_else(|e| panic!("{e}"));
        let err = write(&NewCrate {
            name: "demo".into(),
            dir: tmp.path().to_path_buf(),
            kpipe: PathBuf::from("/src/kpipe/pipelines/kpipe"),
        })
        .err()
        .map(|e| format!("{e:#}"))
        .unwrap_or_default();
        assert!(err.contains("is not empty"), "{err}");
        let left: Vec<_> = std::fs::read_dir(tmp.path())
            .map(|d| d.flatten().map(|e| e.file_name()).collect())
            .unwrap_or_default();
        assert_eq!(left, ["keep.txt"]);
    }

    #[test]
    fn every_file_carries_the_new_name_and_the_snapshot_is_insta_s() {
        let new = NewCrate {
            name: "demo".into(),
            dir: PathBuf::from("demo"),
            kpipe: PathBuf::from("/src/kpipe \"x\"/pipelines/kpipe"),
        };
        let files = files(&new).unwrap_or_else(|e| panic!("{e:#}"));
        for (path, text) in &files {
            assert!(!text.contains(TEMPLATE_NAME), "{}", path.display());
        }
        let cargo = &files[0].1;
        assert!(cargo.contains("name = \"demo\""), "{cargo}");
        assert!(
            cargo.contains("kpipe = { path = \"/src/kpipe \\\"x\\\"/pipelines/kpipe\" }"),
            "{cargo}"
        );
        let snap = files
            .iter()
            .find(|(p, _)| p.ends_with("demo.snap"))
            .map(|(_, t)| t.clone())
            .unwrap_or_default();
        assert!(snap.starts_with("---\nsource: src/main.rs\n"), "{snap}");
        assert!(snap.contains("generateName: demo-"), "{snap}");
        assert!(snap.contains("- demo\n      - step\n"), "{snap}");
        let kfp = files
            .iter()
            .find(|(p, _)| p.ends_with("demo@kfp.snap"))
            .map(|(_, t)| t.clone())
            .unwrap_or_default();
        assert!(kfp.starts_with("---\nsource: src/main.rs\n"), "{kfp}");
        // (pipelineInfo's name, the last key before root)
        assert!(kfp.contains("\n  name: demo\nroot:\n"), "{kfp}");
        assert!(
            cargo.contains("\n[workspace]\n"),
            "a workspace of its own, wherever it is written: {cargo}"
        );
    }

    #[test]
    fn the_template_compiles_for_kfp_without_a_warning() {
        // (fit declares the metrics it always writes: KFP loses nothing)
        let compiled = pipeline::pipeline()
            .compile_kfp(&kpipe_compiler::KfpOptions::default())
            .unwrap_or_else(|e| panic!("{e}"));
        let warnings: Vec<String> = compiled.warnings.iter().map(ToString::to_string).collect();
        assert!(warnings.is_empty(), "{}", warnings.join("\n"));
    }

    #[test]
    fn this_kpipe_knows_its_checkout() {
        // Tests run from a checkout, which exists.
        let own = own_checkout();
        let expected = Path::new(env!("CARGO_MANIFEST_DIR")).canonicalize().ok();
        assert_eq!(own, expected);
        assert!(no_checkout().to_string().contains("--kpipe-path"));
    }
}
