//! The SSH key git uses, as a private copy.
//!
//! OpenSSH refuses a private key file that others can read when the file
//! belongs to the user running it ("UNPROTECTED PRIVATE KEY FILE!", "bad
//! permissions"), and cannot parse a key whose last line has no newline
//! ("error in libcrypto"). A mounted Kubernetes secret gives both easily:
//! Kubeflow Pipelines v2 cannot set a secret volume's `defaultMode`, so its
//! files are 0644, and a secret created from a literal often lacks the final
//! newline. So git never sees the mounted file: [`SshKey::private_copy`]
//! copies it to a new file in the temporary directory (`TMPDIR`, else
//! `/tmp`) that only this user can read (0600), ending in a newline, and
//! removes that copy when the step is done.

use std::io::Write;
use std::path::Path;

use anyhow::{Context, bail};
use secrecy::{ExposeSecret, SecretSlice};

/// A private copy of an SSH private key, removed when dropped.
#[derive(Debug)]
pub struct SshKey {
    copy: tempfile::TempPath,
}

impl SshKey {
    /// Copies the key file `key` (a mounted secret, whatever its mode) to a
    /// file only this user can read.
    pub fn private_copy(key: &Path) -> anyhow::Result<Self> {
        let bytes = SecretSlice::from(std::fs::read(key).with_context(|| {
            format!(
                "cannot read the SSH key {}: mount the secret there or fix --ssh-key",
                key.display()
            )
        })?);
        let bytes = bytes.expose_secret();
        if bytes.iter().all(u8::is_ascii_whitespace) {
            bail!("the SSH key {} is empty", key.display());
        }
        // tempfile creates the file with mode 0600 (O_EXCL, a random name).
        let mut file = tempfile::Builder::new()
            .prefix("kpipe-ssh-key-")
            .tempfile()
            .with_context(|| {
                format!(
                    "cannot create a private copy of the SSH key in {} (set TMPDIR to a writable directory)",
                    std::env::temp_dir().display()
                )
            })?;
        file.write_all(bytes)
            .and_then(|()| match bytes.last() {
                Some(b'\n') => Ok(()),
                _ => file.write_all(b"\n"),
            })
            .and_then(|()| file.flush())
            .with_context(|| format!("cannot write the private copy {}", file.path().display()))?;
        Ok(Self {
            copy: file.into_temp_path(),
        })
    }

    /// The copy's path, for `ssh -i`.
    pub fn path(&self) -> &Path {
        &self.copy
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[cfg(unix)]
    fn mode(p: &Path) -> u32 {
        use std::os::unix::fs::PermissionsExt;
        std::fs::metadata(p)
            .map(|m| m.permissions().mode() & 0o777)
            .unwrap_or_else(|e| panic!("{}: {e}", p.display()))
    }

    #[test]
    #[cfg(unix)]
    fn a_key_others_can_read_is_copied_private_and_removed_after() {
        use std::os::unix::fs::PermissionsExt;
        let dir = tempfile::tempdir().unwrap_or_else(|e| panic!("{e}"));
        let key = dir.path().join("ssh-privatekey");
        let text = "-----BEGIN OPENSSH PRIVATE KEY-----\nb3Blbn\n-----END OPENSSH PRIVATE KEY-----";
        std::fs::write(&key, text).unwrap_or_else(|e| panic!("{e}"));
        std::fs::set_permissions(&key, std::fs::Permissions::from_mode(0o644))
            .unwrap_or_else(|e| panic!("{e}"));
        let copy = SshKey::private_copy(&key).unwrap_or_else(|e| panic!("{e:#}"));
        let path = copy.path().to_path_buf();
        assert_ne!(path, key);
        assert_eq!(mode(&path), 0o600);
        // The final newline OpenSSH needs is added; the original is untouched.
        assert_eq!(
            std::fs::read_to_string(&path).unwrap_or_default(),
            format!("{text}\n")
        );
        assert_eq!(mode(&key), 0o644);
        assert_eq!(std::fs::read_to_string(&key).unwrap_or_default(), text);
        drop(copy);
        assert!(!path.exists(), "the copy outlives its use");
        // A key that has its newline keeps its bytes.
        std::fs::write(&key, format!("{text}\n")).unwrap_or_else(|e| panic!("{e}"));
        let copy = SshKey::private_copy(&key).unwrap_or_else(|e| panic!("{e:#}"));
        assert_eq!(
            std::fs::read_to_string(copy.path()).unwrap_or_default(),
            format!("{text}\n")
        );
    }

    #[test]
    fn missing_and_empty_keys_say_which_file() {
        let dir = tempfile::tempdir().unwrap_or_else(|e| panic!("{e}"));
        let missing = dir.path().join("nope");
        let Err(e) = SshKey::private_copy(&missing) else {
            panic!("a missing key was copied");
        };
        assert!(
            format!("{e:#}").contains(&format!("cannot read the SSH key {}", missing.display())),
            "{e:#}"
        );
        let empty = dir.path().join("empty");
        std::fs::write(&empty, "\n").unwrap_or_else(|e| panic!("{e}"));
        let Err(e) = SshKey::private_copy(&empty) else {
            panic!("an empty key was copied");
        };
        assert!(e.to_string().contains("is empty"), "{e:#}");
    }
}
