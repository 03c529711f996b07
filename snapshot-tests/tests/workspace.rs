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

/// An import of one top-level module by another: `from` uses `crate::to`
/// at `at` (`path:line`).
#[derive(Clone, Debug)]
struct Import {
    from: String,
    to: String,
    at: String,
}

/// The top-level modules of a crate's `src/` (files and folders, less
/// `lib.rs` and `main.rs`).
fn top_modules(src: &Path) -> Vec<String> {
    let mut out: Vec<String> = std::fs::read_dir(src)
        .into_iter()
        .flatten()
        .flatten()
        .filter_map(|e| {
            let name = e.file_name().to_string_lossy().into_owned();
            match name.strip_suffix(".rs") {
                Some("lib" | "main") => None,
                Some(m) => Some(m.to_owned()),
                None if e.path().is_dir() => Some(name),
                None => None,
            }
        })
        .collect();
    out.sort();
    out.dedup();
    out
}

/// The module names a line's `crate::…` paths start with: `crate::a::b`
/// gives `a`, `crate::{a, b::c}` gives `a` and `b`.
fn crate_paths(line: &str) -> Vec<String> {
    let ident = |s: &str| -> String {
        s.trim()
            .chars()
            .take_while(|c| c.is_alphanumeric() || *c == '_')
            .collect()
    };
    let mut out = Vec::new();
    for (i, _) in line.match_indices("crate::") {
        let rest = &line[i + "crate::".len()..];
        if let Some(group) = rest.strip_prefix('{') {
            // the group's top-level items, up to its closing brace
            let (mut depth, mut item) = (0usize, String::new());
            for c in group.chars() {
                match c {
                    '{' => depth += 1,
                    '}' if depth == 0 => break,
                    '}' => depth -= 1,
                    ',' if depth == 0 => {
                        out.push(ident(&item));
                        item.clear();
                        continue;
                    }
                    _ => {}
                }
                item.push(c);
            }
            out.push(ident(&item));
        } else {
            out.push(ident(rest));
        }
    }
    out.retain(|m| !m.is_empty());
    out
}

/// Every import between top-level modules in the non-test code under
/// `src` (a file's `#[cfg(test)]` module and `tests.rs` files left out).
fn imports(src: &Path) -> Vec<Import> {
    let tops = top_modules(src);
    let mut out = Vec::new();
    for top in &tops {
        let file = src.join(format!("{top}.rs"));
        let mut files = if file.is_file() {
            vec![file]
        } else {
            Vec::new()
        };
        let mut dirs = vec![src.join(top)];
        while let Some(d) = dirs.pop() {
            for e in std::fs::read_dir(&d).into_iter().flatten().flatten() {
                let p = e.path();
                if p.is_dir() {
                    dirs.push(p);
                } else if p.extension().is_some_and(|x| x == "rs")
                    && p.file_name().is_none_or(|n| n != "tests.rs")
                {
                    files.push(p);
                }
            }
        }
        for f in files {
            let text = std::fs::read_to_string(&f).unwrap_or_default();
            for (n, line) in text.lines().enumerate() {
                if line.trim_start().starts_with("#[cfg(test)]") {
                    break;
                }
                if line.trim_start().starts_with("//") {
                    continue;
                }
                for to in crate_paths(line) {
                    if &to != top && tops.contains(&to) {
                        out.push(Import {
                            from: top.clone(),
                            to,
                            at: format!("{}:{}", f.display(), n + 1),
                        });
                    }
                }
            }
        }
    }
    out
}

/// A cycle among `imports`, as the imports that make it, if there is one.
fn cycle(imports: &[Import]) -> Option<Vec<Import>> {
    let mut modules: Vec<&str> = imports
        .iter()
        .flat_map(|i| [i.from.as_str(), i.to.as_str()])
        .collect();
    modules.sort_unstable();
    modules.dedup();
    // depth-first, with the import that led to each module on the path
    fn visit(
        m: &str,
        imports: &[Import],
        path: &mut Vec<Import>,
        done: &mut Vec<String>,
    ) -> Option<Vec<Import>> {
        for i in imports.iter().filter(|i| i.from == m) {
            if let Some(start) = path.iter().position(|p| p.from == i.to) {
                let mut found = path[start..].to_vec();
                found.push(i.clone());
                return Some(found);
            }
            if i.to == m || done.contains(&i.to) {
                continue;
            }
            path.push(i.clone());
            if let Some(c) = visit(&i.to, imports, path, done) {
                return Some(c);
            }
            path.pop();
        }
        done.push(m.to_owned());
        None
    }
    let mut done = Vec::new();
    for m in modules {
        if !done.iter().any(|d| d == m)
            && let Some(c) = visit(m, imports, &mut Vec::new(), &mut done)
        {
            return Some(c);
        }
    }
    None
}

/// The layers of every crate hold: its top-level modules (`compiler`'s
/// dsl, ir, argo, kfp, lint, graph; `kpipe`'s app, cli, run, report,
/// submit …) import each other without a cycle, so each can be read (and
/// tested) on top of the ones it uses.
#[test]
fn no_crate_s_modules_import_each_other_in_a_cycle() {
    let (root, members) = members();
    let mut problems = Vec::new();
    let mut checked = 0;
    for m in &members {
        let src = m.dir.join("src");
        let found = imports(&src);
        checked += found.len();
        if let Some(c) = cycle(&found) {
            let rel = |p: &str| {
                p.strip_prefix(&format!("{}/", root.display()))
                    .unwrap_or(p)
                    .to_owned()
            };
            let path: Vec<String> = c
                .iter()
                .map(|i| format!("  {} → {} ({})", i.from, i.to, rel(&i.at)))
                .collect();
            problems.push(format!(
                "crate `{}`: its modules import each other in a cycle:\n{}\nmove what both need into a module below them",
                m.name,
                path.join("\n")
            ));
        }
    }
    // (the compiler's layers alone make dozens of imports)
    assert!(checked > 20, "too few imports found: {checked}");
    assert!(problems.is_empty(), "{}", problems.join("\n\n"));
}

#[test]
fn an_import_cycle_is_found_and_named() {
    let import = |from: &str, to: &str| Import {
        from: from.to_owned(),
        to: to.to_owned(),
        at: format!("src/{from}.rs:1"),
    };
    // a → b → c → a, and d → a outside the cycle
    let imports = [
        import("d", "a"),
        import("a", "b"),
        import("b", "c"),
        import("c", "a"),
    ];
    let found = cycle(&imports).unwrap_or_else(|| panic!("no cycle found"));
    let path: Vec<(&str, &str)> = found
        .iter()
        .map(|i| (i.from.as_str(), i.to.as_str()))
        .collect();
    assert_eq!(path, [("a", "b"), ("b", "c"), ("c", "a")]);
    assert!(cycle(&imports[..3]).is_none());
    assert_eq!(
        crate_paths("use crate::{dsl::Step, ir::{Value, Cond}}; crate::kfp::x"),
        ["dsl", "ir", "kfp"]
    );
}
