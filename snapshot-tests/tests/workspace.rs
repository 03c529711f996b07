//! The workspace's crate layout: no crate depends on a crate in a folder
//! above its own (DESIGN.md: a library does not live inside the folder of
//! a crate that uses it). Read from `cargo metadata`, which reads every
//! member's Cargo.toml with `workspace = true` resolved; dev-dependencies
//! count too.

use std::path::{Path, PathBuf};
use std::process::Command;

use serde_json::Value;

/// A member crate: its name, its folder, and its path dependencies (name
/// and folder).
#[derive(Debug)]
struct Member {
    name: String,
    dir: PathBuf,
    deps: Vec<(String, PathBuf)>,
}

/// The workspace's members, as `cargo metadata --no-deps` lists them.
fn members() -> (PathBuf, Vec<Member>) {
    let manifest = Path::new(env!("CARGO_MANIFEST_DIR")).join("../Cargo.toml");
    let out = Command::new(env!("CARGO"))
        .args([
            "metadata",
            "--format-version",
            "1",
            "--no-deps",
            "--offline",
            "--manifest-path",
        ])
        .arg(&manifest)
        .output()
        .unwrap_or_else(|e| panic!("cannot run cargo metadata: {e}"));
    assert!(
        out.status.success(),
        "cargo metadata failed: {}",
        String::from_utf8_lossy(&out.stderr)
    );
    let meta: Value = serde_json::from_slice(&out.stdout)
        .unwrap_or_else(|e| panic!("cargo metadata printed something other than JSON: {e}"));
    let root = PathBuf::from(meta["workspace_root"].as_str().unwrap_or_default());
    let text = |v: &Value| v.as_str().unwrap_or_default().to_owned();
    let members = (meta["packages"].as_array().into_iter().flatten())
        .map(|p| Member {
            name: text(&p["name"]),
            dir: Path::new(p["manifest_path"].as_str().unwrap_or_default())
                .parent()
                .map(Path::to_path_buf)
                .unwrap_or_default(),
            deps: (p["dependencies"].as_array().into_iter().flatten())
                .filter_map(|d| Some((text(&d["name"]), PathBuf::from(d["path"].as_str()?))))
                .collect(),
        })
        .collect();
    (root, members)
}

/// Every dependency of a member on a crate whose folder holds the
/// member's, as a message naming both and their folders (relative to
/// `root`).
fn imports_from_above(root: &Path, members: &[Member]) -> Vec<String> {
    let rel = |p: &Path| p.strip_prefix(root).unwrap_or(p).display().to_string();
    let mut problems = Vec::new();
    for m in members {
        for (dep, dir) in &m.deps {
            if dir != &m.dir && m.dir.starts_with(dir) {
                problems.push(format!(
                    "crate `{}` ({}/) depends on crate `{dep}` ({}/), a folder above it: move `{}` into a folder of its own beside `{dep}`, or drop the dependency",
                    m.name,
                    rel(&m.dir),
                    rel(dir),
                    m.name,
                ));
            }
        }
    }
    problems
}

#[test]
fn no_crate_depends_on_a_crate_in_a_folder_above_it() {
    let (root, members) = members();
    assert!(
        members.iter().any(|m| m.name == "kpipe-runtime")
            && members
                .iter()
                .any(|m| m.deps.iter().any(|(d, _)| d == "kpipe-runtime")),
        "cargo metadata lists too little: {members:?}"
    );
    let problems = imports_from_above(&root, &members);
    assert!(problems.is_empty(), "{}", problems.join("\n"));
}

#[test]
fn a_crate_depending_on_its_parent_folder_s_crate_is_named() {
    let member = |name: &str, dir: &str, deps: &[(&str, &str)]| Member {
        name: name.to_owned(),
        dir: PathBuf::from(dir),
        deps: deps
            .iter()
            .map(|(n, d)| ((*n).to_owned(), PathBuf::from(d)))
            .collect(),
    };
    let members = [
        member(
            "app",
            "/w/pipelines/app",
            &[("lib", "/w/pipelines/app/lib")],
        ),
        member(
            "lib",
            "/w/pipelines/app/lib",
            &[("app", "/w/pipelines/app")],
        ),
        // a sibling folder whose name starts like the other's is not above it
        member(
            "app-extra",
            "/w/pipelines/app-extra",
            &[("app", "/w/pipelines/app")],
        ),
    ];
    assert_eq!(
        imports_from_above(Path::new("/w"), &members),
        [
            "crate `lib` (pipelines/app/lib/) depends on crate `app` (pipelines/app/), a folder above it: move `lib` into a folder of its own beside `app`, or drop the dependency"
        ]
    );
}
