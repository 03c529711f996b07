//! The embedded defaults of `kpipe run --local`: a data repository seeded
//! with the bundled API store (6,290 real kubernetes/kubernetes pull requests
//! with their release notes and labels, built from `pipelines/data/*.jsonl`
//! by `cargo bench -p kpipe-steps --bench bundled_store`).

use std::path::{Path, PathBuf};
use std::process::Command;

use anyhow::{Context, bail};

const STORE_FILES: [(&str, &[u8]); 3] = [
    ("store.json", include_bytes!("../data/api-store/store.json")),
    (".update", include_bytes!("../data/api-store/.update")),
    (
        "items.jsonl.zst",
        include_bytes!("../data/api-store/items.jsonl.zst"),
    ),
];

fn git(dir: &Path, args: &[&str]) -> anyhow::Result<()> {
    let out = Command::new("git")
        .args(args)
        .current_dir(dir)
        .env("GIT_AUTHOR_NAME", "kpipe")
        .env("GIT_AUTHOR_EMAIL", "kpipe@localhost")
        .env("GIT_COMMITTER_NAME", "kpipe")
        .env("GIT_COMMITTER_EMAIL", "kpipe@localhost")
        .output()
        .context("cannot run git: the local run needs git on PATH")?;
    if !out.status.success() {
        bail!(
            "git {} failed: {}",
            args.join(" "),
            String::from_utf8_lossy(&out.stderr).trim()
        );
    }
    Ok(())
}

/// Creates (once) the local data repository in `workdir/data-repo`: the
/// store at `data/api`, committed on `master`. Returns its path.
pub fn prepare_data_repo(workdir: &Path) -> anyhow::Result<PathBuf> {
    let repo = workdir.join("data-repo");
    if repo.join(".git").is_dir() {
        return Ok(repo);
    }
    let store = repo.join(crate::local_data::STORE_DIR);
    std::fs::create_dir_all(&store)
        .with_context(|| format!("cannot create {}", store.display()))?;
    for (name, bytes) in STORE_FILES {
        std::fs::write(store.join(name), bytes)
            .with_context(|| format!("cannot write {}", store.join(name).display()))?;
    }
    std::fs::write(
        repo.join("README.md"),
        "# kubernetes-analysis data (local)\n\nCreated by `kpipe run --local` from the store bundled with kpipe.\n",
    )?;
    git(&repo, &["init", "-q", "-b", "master"])?;
    git(&repo, &["add", "."])?;
    git(
        &repo,
        &["commit", "-q", "-m", "Bundled kubernetes/kubernetes data"],
    )?;
    Ok(repo)
}

/// Where the data repository keeps the store.
pub const STORE_DIR: &str = "data/api";

/// The commit `repo` has checked out.
pub fn head(repo: &Path) -> anyhow::Result<String> {
    let out = Command::new("git")
        .args(["rev-parse", "HEAD"])
        .current_dir(repo)
        .output()
        .context("cannot run git")?;
    if !out.status.success() {
        bail!("cannot read the HEAD of {}", repo.display());
    }
    Ok(String::from_utf8_lossy(&out.stdout).trim().to_owned())
}
