//! What a dynamically linked binary needs at run time, from `ldd -v`: its
//! shared libraries (and the loader) with where this machine has them, and
//! the newest glibc symbol version it uses.

use std::path::{Path, PathBuf};
use std::process::Command;

use anyhow::bail;

/// A shared library a binary loads.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Library {
    /// Its file name (`libc.so.6`, `ld-linux-x86-64.so.2`).
    pub name: String,
    /// Where this machine has it.
    pub path: PathBuf,
}

/// What a binary needs.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct Needs {
    /// `false` when there is no `ldd` here: nothing could be checked.
    pub checked: bool,
    /// The libraries, the loader included; empty for a static binary.
    pub libraries: Vec<Library>,
    /// The newest `GLIBC_x.y` the binary itself asks for, as (x, y).
    pub glibc: Option<(u32, u32)>,
}

/// What `binary` needs (nothing for a static binary or a file that is not
/// one; `checked: false` without `ldd`). A library that this machine lacks
/// is an error.
pub fn needs(binary: &Path) -> anyhow::Result<Needs> {
    let Ok(out) = Command::new("ldd").arg("-v").arg(binary).output() else {
        return Ok(Needs::default());
    };
    let text = String::from_utf8_lossy(&out.stdout);
    if !out.status.success()
        || text.contains("not a dynamic executable")
        || text.contains("statically linked")
    {
        return Ok(Needs {
            checked: true,
            ..Needs::default()
        });
    }
    parse(binary, &text)
}

fn parse(binary: &Path, text: &str) -> anyhow::Result<Needs> {
    let (list, versions) = text
        .split_once("Version information:")
        .unwrap_or((text, ""));
    let mut libraries = Vec::new();
    for line in list.lines().map(str::trim).filter(|l| !l.is_empty()) {
        if line.contains("not found") {
            bail!(
                "{} needs a library that is not installed here: {line}",
                binary.display()
            );
        }
        let (name, path) = match line.split_once("=>") {
            Some((name, rhs)) => (name.trim(), rhs.split_whitespace().next().unwrap_or("")),
            None => {
                let path = line.split_whitespace().next().unwrap_or("");
                (path.rsplit('/').next().unwrap_or(path), path)
            }
        };
        if path.starts_with('/') {
            libraries.push(Library {
                name: name.to_owned(),
                path: PathBuf::from(path),
            });
        }
    }
    // The first block lists the binary's own needs (two tabs in), the
    // following ones its libraries'.
    let own = versions
        .lines()
        .skip_while(|l| l.trim().is_empty())
        .skip(1)
        .take_while(|l| l.starts_with("\t\t"));
    let glibc = own
        .filter_map(|l| l.split_once("(GLIBC_")?.1.split_once(')'))
        .filter_map(|(v, _)| {
            let mut parts = v.split('.').map(str::parse::<u32>);
            Some((
                parts.next()?.ok()?,
                parts.next().and_then(Result::ok).unwrap_or(0),
            ))
        })
        .max();
    Ok(Needs {
        checked: true,
        libraries,
        glibc,
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    const LDD: &str = "\tlinux-vdso.so.1 (0x00007fa9d08b4000)
\tlibgcc_s.so.1 => /lib/x86_64-linux-gnu/libgcc_s.so.1 (0x00007fa9d0883000)
\tlibc.so.6 => /lib/x86_64-linux-gnu/libc.so.6 (0x00007fa9d05c1000)
\t/lib64/ld-linux-x86-64.so.2 (0x00007fa9d08b6000)

\tVersion information:
\t./kpipe:
\t\tlibgcc_s.so.1 (GCC_4.2.0) => /lib/x86_64-linux-gnu/libgcc_s.so.1
\t\tlibc.so.6 (GLIBC_2.9) => /lib/x86_64-linux-gnu/libc.so.6
\t\tlibc.so.6 (GLIBC_2.34) => /lib/x86_64-linux-gnu/libc.so.6
\t\tlibc.so.6 (GLIBC_2.2.5) => /lib/x86_64-linux-gnu/libc.so.6
\t/lib/x86_64-linux-gnu/libgcc_s.so.1:
\t\tlibc.so.6 (GLIBC_2.35) => /lib/x86_64-linux-gnu/libc.so.6
";

    #[test]
    fn ldd_gives_libraries_the_loader_and_the_newest_glibc() -> anyhow::Result<()> {
        let n = parse(Path::new("./kpipe"), LDD)?;
        let names: Vec<_> = n.libraries.iter().map(|l| l.name.as_str()).collect();
        assert_eq!(
            names,
            ["libgcc_s.so.1", "libc.so.6", "ld-linux-x86-64.so.2"]
        );
        assert_eq!(
            n.libraries[2].path,
            Path::new("/lib64/ld-linux-x86-64.so.2")
        );
        assert_eq!(
            n.glibc,
            Some((2, 34)),
            "the binary's own needs, not libgcc's"
        );
        let missing = "\tlibfoo.so.1 => not found\n";
        let e = parse(Path::new("x"), missing).map_err(|e| e.to_string());
        assert!(e.is_err_and(|e| e.contains("libfoo.so.1 => not found")));
        Ok(())
    }

    #[test]
    fn this_test_binary_is_dynamic_or_ldd_is_missing() -> anyhow::Result<()> {
        let me = std::env::current_exe()?;
        let n = needs(&me)?;
        if n.checked && cfg!(target_env = "gnu") {
            assert!(n.libraries.iter().any(|l| l.name == "libc.so.6"), "{n:?}");
            assert!(n.glibc.is_some());
        }
        Ok(())
    }
}
