//! The embedded defaults of `kpipe run --local`: a data repository seeded
//! with the bundled API store (6,290 real kubernetes/kubernetes pull requests
//! with their release notes and labels, built from `pipelines/kubernetes-analysis/data/*.jsonl`
//! by `cargo bench -p kpipe-steps --bench bundled_store`).

use std::path::{Path, PathBuf};

use anyhow::Context;
use kpipe_step_contract::REPO_STORE_DIR;

const STORE_FILES: [(&str, &[u8]); 3] = [
    ("store.json", include_bytes!("../data/api-store/store.json")),
    (".update", include_bytes!("../data/api-store/.update")),
    (
        "items.jsonl.zst",
        include_bytes!("../data/api-store/items.jsonl.zst"),
    ),
];

/// Runs `git ARGS` in `dir` as kpipe (see [`kpipe_step_contract::git`]).
fn git(dir: &Path, args: &[&str]) -> anyhow::Result<String> {
    kpipe_step_contract::git::output(kpipe_step_contract::git::command(dir, args), args, None)
}

/// Creates (once) the local data repository in `workdir/data-repo`: the
/// store at [`REPO_STORE_DIR`], committed on `master`. Returns its path.
pub fn prepare_data_repo(workdir: &Path) -> anyhow::Result<PathBuf> {
    let repo = workdir.join("data-repo");
    if repo.join(".git").is_dir() {
        return Ok(repo);
    }
    let store = repo.join(REPO_STORE_DIR);
    std::fs::create_dir_all(&store)
        .with_context(|| format!("cannot create {}", store.display()))?;
    for (name, bytes) in STORE_FILES {
        std::fs::write(store.join(name), bytes)
            .with_context(|| format!("cannot write {}", store.join(name).display()))?;
    }
    let readme = repo.join("README.md");
    std::fs::write(
        &readme,
        "# kubernetes-analysis data (local)\n\nCreated by `kpipe run --local` from the store bundled with kpipe.\n",
    )
    .with_context(|| format!("cannot write {}", readme.display()))?;
    git(&repo, &["init", "-q", "-b", "master"])?;
    git(&repo, &["add", "."])?;
    git(
        &repo,
        &["commit", "-q", "-m", "Bundled kubernetes/kubernetes data"],
    )?;
    Ok(repo)
}

/// The commit `repo` has checked out.
pub fn head(repo: &Path) -> anyhow::Result<String> {
    git(repo, &["rev-parse", "HEAD"])
        .with_context(|| format!("cannot read the HEAD of {}", repo.display()))
}
