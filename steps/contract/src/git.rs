//! git as the steps and the local runs use it: one identity, one runner.
//!
//! kubernetes-analysis's data repository gets commits from `commit-changes`
//! inside the cluster and from `kpipe run --local` (which seeds a local data
//! repository); both commit as [`IDENTITY`] and run git through
//! [`command`] and [`output`]. Credentials are the step binary's business:
//! it adds them to the [`Command`] through the environment.

use std::path::Path;
use std::process::Command;

/// The author and committer of kpipe's commits (name, email), unless
/// `KPIPE_GIT_NAME` / `KPIPE_GIT_EMAIL` say otherwise.
pub const IDENTITY: (&str, &str) = ("kpipe", "kpipe@users.noreply.github.com");

/// [`IDENTITY`] with the environment's overrides.
pub fn identity() -> (String, String) {
    let var =
        |name: &str, default: &str| std::env::var(name).unwrap_or_else(|_| default.to_owned());
    (
        var("KPIPE_GIT_NAME", IDENTITY.0),
        var("KPIPE_GIT_EMAIL", IDENTITY.1),
    )
}

/// `git ARGS` in `dir`, committing as [`identity`] and never prompting for
/// credentials.
pub fn command(dir: &Path, args: &[&str]) -> Command {
    let (name, email) = identity();
    let mut cmd = Command::new("git");
    cmd.args(args)
        .current_dir(dir)
        .env("GIT_TERMINAL_PROMPT", "0")
        .env("GIT_AUTHOR_NAME", &name)
        .env("GIT_AUTHOR_EMAIL", &email)
        .env("GIT_COMMITTER_NAME", &name)
        .env("GIT_COMMITTER_EMAIL", &email);
    cmd
}

/// Runs `cmd` (made by [`command`] with `args`) and returns its standard
/// output, trimmed. On failure the error names the git subcommand and
/// carries git's own message, with `secret` (a token that reached git
/// through its environment) replaced by `<token>`.
pub fn output(mut cmd: Command, args: &[&str], secret: Option<&str>) -> anyhow::Result<String> {
    let out = cmd
        .output()
        .map_err(|e| anyhow::anyhow!("cannot run git ({e}): is it installed and on PATH?"))?;
    if !out.status.success() {
        let err = String::from_utf8_lossy(&out.stderr);
        let err = match secret {
            Some(s) if !s.is_empty() => err.replace(s, "<token>"),
            _ => err.into_owned(),
        };
        anyhow::bail!(
            "git {} failed: {}",
            args.first().copied().unwrap_or(""),
            err.trim()
        );
    }
    Ok(String::from_utf8_lossy(&out.stdout).trim().to_owned())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn commits_as_kpipe_and_reports_failures_without_the_secret() {
        let dir = std::env::temp_dir().join(format!("kpipe-contract-git-{}", std::process::id()));
        let _ = std::fs::remove_dir_all(&dir);
        std::fs::create_dir_all(&dir).unwrap_or_else(|e| panic!("{e}"));
        let run = |args: &[&str]| output(command(&dir, args), args, None);
        run(&["init", "-q", "-b", "main"]).unwrap_or_else(|e| panic!("{e:#}"));
        std::fs::write(dir.join("f"), "x").unwrap_or_else(|e| panic!("{e}"));
        run(&["add", "f"]).unwrap_or_else(|e| panic!("{e:#}"));
        run(&["commit", "-q", "-m", "one"]).unwrap_or_else(|e| panic!("{e:#}"));
        let who = run(&["log", "-1", "--format=%an <%ae> / %cn <%ce>"])
            .unwrap_or_else(|e| panic!("{e:#}"));
        let (name, email) = identity();
        assert_eq!(who, format!("{name} <{email}> / {name} <{email}>"));
        let args = ["fetch", "https://s3cr3t@127.0.0.1:1/nothing.git"];
        let err = output(command(&dir, &args), &args, Some("s3cr3t"))
            .err()
            .map(|e| format!("{e:#}"))
            .unwrap_or_default();
        assert!(err.starts_with("git fetch failed: "), "{err}");
        assert!(!err.contains("s3cr3t"), "{err}");
        let _ = std::fs::remove_dir_all(&dir);
    }
}
