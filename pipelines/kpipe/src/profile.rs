//! A local profile: the parameter values and secrets a run on this machine
//! binds, where a cluster gets them from its run's parameters and its
//! Kubernetes secrets. A pipeline keeps its profile next to it (YAML,
//! embedded with [`Entry::local_profile`](crate::Entry::local_profile));
//! `run --local --profile FILE` reads another; `-p` and `--secret` win over
//! both.
//!
//! ```yaml
//! # kubernetes-analysis on a laptop: no pushes, no GitHub, CPU training
//! params:
//!   offline: true
//!   push: false
//! secrets:
//!   github-token: ~/.config/kpipe/github-token   # a file: one key, its name
//!   registry-auth/.dockerconfigjson: ~/.docker/config.json
//! ```
//!
//! A secret is a directory (each file one key, as a secret volume shows
//! it), a file (one key named after the file), or `NAME/KEY: FILE` (the key
//! named). A relative path is relative to the profile file (to the working
//! directory for `--secret`), and `~/` is the home directory.

use std::path::{Path, PathBuf};

use anyhow::{Context as _, bail};
use serde_json::Value;

/// What a local run binds.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct LocalProfile {
    /// Parameter values, by name.
    pub params: Vec<(String, String)>,
    /// Secrets: `NAME` or `NAME/KEY`, and the path that holds it.
    pub secrets: Vec<(String, PathBuf)>,
}

impl LocalProfile {
    /// Reads a profile's YAML; `source` names it in errors, `base` is where
    /// its relative paths start.
    pub fn parse(text: &str, source: &str, base: &Path) -> anyhow::Result<Self> {
        let doc = kpipe_compiler::lint::parse_yaml(text)
            .map_err(|e| anyhow::anyhow!("{source}: not valid YAML: {}", e.message))?;
        let mut profile = LocalProfile::default();
        let Some(map) = doc.as_object() else {
            if doc.is_null() {
                return Ok(profile);
            }
            bail!("{source}: a profile is a map with `params:` and `secrets:`");
        };
        for (key, value) in map {
            match key.as_str() {
                "params" => {
                    for (name, v) in entries(source, "params", value)? {
                        let text = match v {
                            Value::String(s) => s.clone(),
                            Value::Bool(_) | Value::Number(_) => v.to_string(),
                            Value::Null => String::new(),
                            _ => bail!(
                                "{source}: params.{name} is a list or map; a parameter's value is text, a number or true/false"
                            ),
                        };
                        profile.params.push((name.clone(), text));
                    }
                }
                "secrets" => {
                    for (name, v) in entries(source, "secrets", value)? {
                        let Some(path) = v.as_str() else {
                            bail!("{source}: secrets.{name} is not a path");
                        };
                        profile.secrets.push((name.clone(), expand(path, base)));
                    }
                }
                other => {
                    bail!("{source}: unknown key `{other}`; a profile has `params:` and `secrets:`")
                }
            }
        }
        Ok(profile)
    }

    /// Reads the profile file at `path`.
    pub fn read(path: &Path) -> anyhow::Result<Self> {
        let text = std::fs::read_to_string(path)
            .with_context(|| format!("cannot read the profile {}", path.display()))?;
        let base = path.parent().unwrap_or(Path::new("."));
        Self::parse(&text, &path.display().to_string(), base)
    }
}

fn entries<'a>(
    source: &str,
    section: &str,
    value: &'a Value,
) -> anyhow::Result<Vec<(&'a String, &'a Value)>> {
    match value {
        Value::Object(m) => Ok(m.iter().collect()),
        Value::Null => Ok(Vec::new()),
        _ => bail!("{source}: `{section}:` is a map of names to values"),
    }
}

/// `path` with `~/` expanded and a relative path joined to `base`.
pub(crate) fn expand(path: &str, base: &Path) -> PathBuf {
    if let Some(rest) = path.strip_prefix("~/")
        && let Some(home) = std::env::var_os("HOME")
    {
        return PathBuf::from(home).join(rest);
    }
    let p = PathBuf::from(path);
    if p.is_relative() { base.join(p) } else { p }
}

/// Copies the secrets `given` (name or name/key, path) into `into/<name>/`,
/// one file per key, readable by the owner only; returns each secret's
/// directory. A path that does not exist is an error naming the secret.
pub(crate) fn stage_secrets(
    given: &[(String, PathBuf)],
    into: &dyn Fn(&str) -> PathBuf,
) -> anyhow::Result<std::collections::BTreeMap<String, PathBuf>> {
    let mut out = std::collections::BTreeMap::new();
    for (spec, path) in given {
        let (name, key) = match spec.split_once('/') {
            Some((n, k)) => (n, Some(k)),
            None => (spec.as_str(), None),
        };
        if name.is_empty() || key.is_some_and(|k| k.is_empty() || k.contains('/')) {
            bail!("--secret {spec}: name a secret as NAME or NAME/KEY");
        }
        let meta = std::fs::metadata(path).with_context(|| {
            format!(
                "secret `{name}`: {} does not exist (give a file or a directory of keys)",
                path.display()
            )
        })?;
        let dir = into(name);
        if !out.contains_key(name) && dir.exists() {
            std::fs::remove_dir_all(&dir)
                .with_context(|| format!("cannot clear {}", dir.display()))?;
        }
        std::fs::create_dir_all(&dir)
            .with_context(|| format!("cannot create {}", dir.display()))?;
        restrict(&dir, 0o700)?;
        let copy = |from: &Path, key: &str| -> anyhow::Result<()> {
            let to = dir.join(key);
            std::fs::copy(from, &to).with_context(|| {
                format!(
                    "secret `{name}`: cannot copy {} (key `{key}`)",
                    from.display()
                )
            })?;
            restrict(&to, 0o600)
        };
        match key {
            Some(key) if meta.is_file() => copy(path, key)?,
            Some(_) => bail!("--secret {spec}: {} is not a file", path.display()),
            None if meta.is_file() => {
                let key = path
                    .file_name()
                    .map(|f| f.to_string_lossy().into_owned())
                    .unwrap_or_else(|| name.to_owned());
                copy(path, &key)?;
            }
            None => {
                for e in std::fs::read_dir(path)
                    .with_context(|| format!("secret `{name}`: cannot list {}", path.display()))?
                {
                    let e = e?;
                    if e.file_type()?.is_file() {
                        copy(&e.path(), &e.file_name().to_string_lossy())?;
                    }
                }
            }
        }
        out.insert(name.to_owned(), dir);
    }
    Ok(out)
}

fn restrict(path: &Path, mode: u32) -> anyhow::Result<()> {
    crate::run::set_mode(path, mode)
        .with_context(|| format!("cannot set the mode of {}", path.display()))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn profiles_read_params_and_secrets_and_refuse_the_rest() {
        let p = LocalProfile::parse(
            "params:\n  offline: true\n  rows: 3\n  pr: ''\nsecrets:\n  token: tok.txt\n  abs/key: /etc/x\n",
            "p.yaml",
            Path::new("/base"),
        )
        .unwrap_or_else(|e| panic!("{e:#}"));
        assert_eq!(
            p.params,
            [
                ("offline".to_owned(), "true".to_owned()),
                ("pr".to_owned(), String::new()),
                ("rows".to_owned(), "3".to_owned())
            ]
        );
        assert_eq!(
            p.secrets,
            [
                ("abs/key".to_owned(), PathBuf::from("/etc/x")),
                ("token".to_owned(), PathBuf::from("/base/tok.txt"))
            ]
        );
        for (bad, says) in [
            ("param: {}", "unknown key `param`"),
            ("params: [1]", "`params:` is a map"),
            ("params:\n  a: [1]", "params.a is a list or map"),
            ("secrets:\n  a: 3", "secrets.a is not a path"),
            ("- a", "a profile is a map"),
            ("params: {", "not valid YAML"),
        ] {
            let err = LocalProfile::parse(bad, "p.yaml", Path::new("/"))
                .err()
                .map(|e| e.to_string())
                .unwrap_or_default();
            assert!(
                err.starts_with("p.yaml: ") && err.contains(says),
                "{bad}: {err}"
            );
        }
    }

    #[test]
    fn secrets_are_staged_as_keys_readable_by_the_owner_only() {
        let tmp = tempfile::tempdir().unwrap_or_else(|e| panic!("{e}"));
        let file = tmp.path().join("token");
        std::fs::write(&file, "s3cret").unwrap_or_else(|e| panic!("{e}"));
        let keys = tmp.path().join("keys");
        std::fs::create_dir(&keys).unwrap_or_else(|e| panic!("{e}"));
        std::fs::write(keys.join("a"), "1").unwrap_or_else(|e| panic!("{e}"));
        std::fs::write(keys.join("b"), "2").unwrap_or_else(|e| panic!("{e}"));
        let into = |name: &str| tmp.path().join("staged").join(name);
        let staged = stage_secrets(
            &[
                ("github".to_owned(), file.clone()),
                ("dir".to_owned(), keys.clone()),
                ("named/.dockerconfigjson".to_owned(), file.clone()),
            ],
            &into,
        )
        .unwrap_or_else(|e| panic!("{e:#}"));
        let read = |p: PathBuf| std::fs::read_to_string(p).unwrap_or_default();
        assert_eq!(read(staged["github"].join("token")), "s3cret");
        assert_eq!(read(staged["dir"].join("b")), "2");
        assert_eq!(read(staged["named"].join(".dockerconfigjson")), "s3cret");
        #[cfg(unix)]
        {
            use std::os::unix::fs::PermissionsExt;
            let mode = std::fs::metadata(staged["github"].join("token"))
                .map(|m| m.permissions().mode() & 0o777)
                .unwrap_or_default();
            assert_eq!(mode, 0o600);
        }
        let err = stage_secrets(&[("gone".to_owned(), tmp.path().join("nope"))], &into)
            .err()
            .map(|e| format!("{e:#}"))
            .unwrap_or_default();
        assert!(
            err.starts_with("secret `gone`: ") && err.contains("does not exist"),
            "{err}"
        );
    }
}
