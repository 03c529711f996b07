//! `kpipe-step commit-changes`: copy the refreshed store, data set, charts
//! and model into the data repository, commit (even when nothing changed,
//! like the original), push only when told.

use std::path::Path;

use anyhow::{Context, bail};
use kpipe_step_contract::{
    CommitChangesArgs, REPO_ASSETS_DIR, REPO_DATASET_FILE, REPO_MODEL_DIR, REPO_STORE_DIR,
};

use crate::git::{Auth, git};
use crate::secret::mounted;

fn replace_with(src: &Path, dest: &Path) -> anyhow::Result<()> {
    if !src.exists() {
        bail!("{} does not exist", src.display());
    }
    if dest.is_dir() {
        std::fs::remove_dir_all(dest)
            .with_context(|| format!("cannot remove {}", dest.display()))?;
    } else if dest.exists() {
        std::fs::remove_file(dest).with_context(|| format!("cannot remove {}", dest.display()))?;
    }
    copy(src, dest).with_context(|| format!("cannot copy {} to {}", src.display(), dest.display()))
}

fn copy(src: &Path, dest: &Path) -> std::io::Result<()> {
    if src.is_dir() {
        std::fs::create_dir_all(dest)?;
        for e in std::fs::read_dir(src)? {
            let e = e?;
            copy(&e.path(), &dest.join(e.file_name()))?;
        }
        Ok(())
    } else {
        if let Some(p) = dest.parent() {
            std::fs::create_dir_all(p)?;
        }
        std::fs::copy(src, dest).map(|_| ())
    }
}

/// Runs `commit-changes`.
pub(super) fn run(args: CommitChangesArgs) -> anyhow::Result<()> {
    let repo = &args.repo;
    let auth = Auth::new(mounted(args.ssh_key.as_deref(), "SSH key"), None)?;
    if git(repo, &["rev-parse", "--is-inside-work-tree"], &auth).is_err() {
        bail!(
            "{} is not a git working tree; pass the checkout step's output",
            repo.display()
        );
    }
    let mut paths = Vec::new();
    for (src, dest) in [
        (&args.api_store, REPO_STORE_DIR),
        (&args.dataset, REPO_DATASET_FILE),
        (&args.assets, REPO_ASSETS_DIR),
        (&args.model, REPO_MODEL_DIR),
    ] {
        if let Some(src) = src {
            replace_with(src, &repo.join(dest))?;
            paths.push(dest);
        }
    }
    let mut add = vec!["add", "--all", "--"];
    add.extend(paths.iter().copied());
    if paths.is_empty() {
        add = vec!["add", "--all"];
    }
    git(repo, &add, &auth)?;
    let changed = git(repo, &["diff", "--cached", "--name-only"], &auth)?;
    git(
        repo,
        &["commit", "--quiet", "--allow-empty", "-m", &args.message],
        &auth,
    )?;
    let sha = git(repo, &["rev-parse", "HEAD"], &auth)?;
    let files = changed.lines().count();
    eprintln!(
        "Committed {sha}: \"{}\" ({files} files changed)",
        args.message
    );
    if *args.push.get() {
        let branch = git(repo, &["rev-parse", "--abbrev-ref", "HEAD"], &auth)?;
        if branch == "HEAD" {
            bail!("cannot push: the checkout is not on a branch (detached HEAD)");
        }
        git(
            repo,
            &[
                "push",
                "--quiet",
                "origin",
                &format!("HEAD:refs/heads/{branch}"),
            ],
            &auth,
        )
        .with_context(|| format!("cannot push {sha} to {branch}"))?;
        eprintln!("Pushed to {branch}");
    } else {
        eprintln!("Not pushing (--push=false)");
    }
    Ok(())
}
