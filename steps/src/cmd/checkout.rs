//! `kpipe-step checkout`: clone the data repository; for a pull request,
//! fetch `refs/pull/N/head` and merge it onto the base.

use anyhow::{Context, bail};
use kpipe_step_contract::CheckoutArgs;

use crate::git::{Auth, clone_url, git};
use crate::secret::{mounted, read_secret_file};

/// Runs `checkout`.
pub(super) fn run(args: CheckoutArgs) -> anyhow::Result<()> {
    let out = &args.out;
    if out.exists()
        && out
            .read_dir()
            .map(|mut d| d.next().is_some())
            .unwrap_or(true)
    {
        bail!(
            "{} exists and is not empty; checkout needs a new directory",
            out.display()
        );
    }
    let ssh_key = mounted(args.ssh_key.as_deref(), "SSH key");
    if let Some(k) = ssh_key
        && !k.is_file()
    {
        bail!("the SSH key {} is not a file", k.display());
    }
    let token = match mounted(args.token_file.as_deref(), "git token") {
        Some(f) => Some(read_secret_file(f, "the git token")?),
        None => None,
    };
    let mut auth = Auth::new(ssh_key, token)?;
    // A local source may belong to another user (the host's, seen from a
    // step's container): reading it is what the pipeline asked for.
    let source = std::path::Path::new(&args.repo);
    if source.is_dir() {
        auth = auth.trusting(
            &source
                .canonicalize()
                .unwrap_or_else(|_| source.to_path_buf()),
        )?;
    }
    let pr = args.pr.trim();
    if !pr.is_empty() && !pr.chars().all(|c| c.is_ascii_digit()) {
        bail!("--pr must be a pull request number, got `{pr}`");
    }
    let url = clone_url(&args.repo);
    let parent = out
        .parent()
        .filter(|p| !p.as_os_str().is_empty())
        .unwrap_or(std::path::Path::new("."));
    std::fs::create_dir_all(parent)
        .with_context(|| format!("cannot create {}", parent.display()))?;
    let depth = args.depth.to_string();
    let mut clone: Vec<&str> = vec!["clone", "--quiet", "--no-tags"];
    if args.depth > 0 {
        clone.extend(["--depth", &depth]);
    }
    if let Some(r) = args.git_ref.as_deref().filter(|r| !r.is_empty()) {
        clone.extend(["--branch", r]);
    }
    let out_s = out.to_string_lossy().into_owned();
    clone.extend([url.as_str(), out_s.as_str()]);
    git(parent, &clone, &auth).with_context(|| format!("cannot clone {}", args.repo))?;
    let base = git(out, &["rev-parse", "--abbrev-ref", "HEAD"], &auth)?;
    if !pr.is_empty() {
        let refspec = format!("refs/pull/{pr}/head:refs/remotes/origin/pr-{pr}");
        let mut fetch = vec!["fetch", "--quiet", "origin", refspec.as_str()];
        if args.depth > 0 {
            fetch.extend(["--depth", &depth]);
        }
        git(out, &fetch, &auth).with_context(|| {
            format!(
                "cannot fetch pull request #{pr} (refs/pull/{pr}/head) from {}",
                args.repo
            )
        })?;
        let head = format!("origin/pr-{pr}");
        if git(out, &["merge-base", "HEAD", &head], &auth).is_err() {
            // The shallow histories do not meet: fetch everything.
            git(out, &["fetch", "--quiet", "--unshallow", "origin"], &auth).ok();
            git(out, &["fetch", "--quiet", "origin", &refspec], &auth)?;
        }
        let msg = format!("Merge pull request #{pr} onto {base}");
        if let Err(e) = git(
            out,
            &["merge", "--no-ff", "--no-edit", "-m", &msg, &head],
            &auth,
        ) {
            let conflicts =
                git(out, &["diff", "--name-only", "--diff-filter=U"], &auth).unwrap_or_default();
            let _ = git(out, &["merge", "--abort"], &auth);
            if conflicts.is_empty() {
                return Err(e.context(format!("pull request #{pr} does not merge onto {base}")));
            }
            bail!(
                "pull request #{pr} does not merge cleanly onto {base}: conflicts in {}; rebase the pull request",
                conflicts.lines().collect::<Vec<_>>().join(", ")
            );
        }
    }
    let sha = git(out, &["rev-parse", "HEAD"], &auth)?;
    eprintln!(
        "Checked out {} at {sha} ({base}{})",
        args.repo,
        if pr.is_empty() {
            String::new()
        } else {
            format!(" + pull request #{pr}")
        }
    );
    Ok(())
}
