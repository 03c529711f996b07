//! Root file systems: a tarball (mmdebstrap's) rewritten as a reproducible
//! layer, and what an image build needs to know of a base's files (its
//! users and groups, shared libraries and glibc version), read from the
//! rootfs or from a pulled image's layers.

use std::collections::BTreeSet;
use std::io::{self, Read, Write};

use anyhow::{Context, bail};
use flate2::{Compression, GzBuilder};

use crate::digest::HashingWriter;
use crate::layer::{GZIP_TYPE, Layer, TAR_TYPE, ZSTD_TYPE};
use crate::store::Store;

/// What a base image holds that a build checks against.
#[derive(Clone, Debug, Default, PartialEq, Eq, serde::Serialize, serde::Deserialize)]
pub struct Inventory {
    /// `/etc/passwd`, if the base has one.
    pub passwd: Option<String>,
    /// `/etc/group`, if the base has one.
    pub group: Option<String>,
    /// File names of the shared libraries (`libc.so.6`, `ld-linux-x86-64.so.2`).
    pub libraries: BTreeSet<String>,
    /// glibc's upstream version (`2.36`), from dpkg's status (`libc6`).
    pub glibc: Option<String>,
}

impl Inventory {
    /// Takes note of one file of a layer, applied in layer order (later
    /// layers win; a whiteout removes).
    fn note(
        &mut self,
        path: &str,
        contents: impl FnOnce() -> io::Result<String>,
    ) -> io::Result<()> {
        let name = path.rsplit('/').next().unwrap_or(path);
        match path {
            "etc/passwd" => self.passwd = Some(contents()?),
            "etc/group" => self.group = Some(contents()?),
            "etc/.wh.passwd" => self.passwd = None,
            "etc/.wh.group" => self.group = None,
            "etc/.wh..wh..opq" => (self.passwd, self.group) = (None, None),
            "var/lib/dpkg/status" => self.glibc = glibc_of(&contents()?),
            _ if (name.starts_with("lib") || name.starts_with("ld-")) && name.contains(".so") => {
                self.libraries.insert(name.to_owned());
            }
            _ => {}
        }
        Ok(())
    }

    /// Takes note of every file of an uncompressed layer tar.
    pub fn scan(&mut self, tar: impl Read) -> anyhow::Result<()> {
        let mut archive = tar::Archive::new(tar);
        for entry in archive.entries().context("cannot read a layer")? {
            let mut entry = entry.context("cannot read a layer")?;
            let path = entry.path().context("a layer has a bad path")?;
            let path = clean(&path.to_string_lossy()).to_owned();
            self.note(&path, || read_text(&mut entry))?;
        }
        Ok(())
    }

    /// Takes note of every file of a compressed layer as its media type
    /// says (gzip or plain tar).
    pub fn scan_layer(&mut self, layer: &Layer) -> anyhow::Result<()> {
        let reader = layer
            .blob
            .open()
            .with_context(|| format!("cannot read layer {}", layer.blob.digest))?;
        match layer.media_type.as_str() {
            GZIP_TYPE => self.scan(flate2::read::GzDecoder::new(reader)),
            TAR_TYPE => self.scan(reader),
            ZSTD_TYPE => bail!(
                "layer {} is zstd-compressed, which kpipe cannot read yet: choose a base image with gzip layers",
                layer.blob.digest
            ),
            other => bail!("layer {} has media type {other}, which kpipe cannot read", layer.blob.digest),
        }
        .with_context(|| format!("cannot read layer {}", layer.blob.digest))
    }
}

/// `libc6`'s upstream version (`2.36` of `2.36-9+deb12u10`) in dpkg's status.
fn glibc_of(status: &str) -> Option<String> {
    let stanza = status
        .split("\n\n")
        .find(|s| s.lines().any(|l| l == "Package: libc6"))?;
    let version = stanza.lines().find_map(|l| l.strip_prefix("Version: "))?;
    let upstream = version.split_once(':').map_or(version, |(_, v)| v);
    Some(upstream.split('-').next().unwrap_or(upstream).to_owned())
}

fn read_text(r: &mut impl Read) -> io::Result<String> {
    let mut bytes = Vec::new();
    r.read_to_end(&mut bytes)?;
    Ok(String::from_utf8_lossy(&bytes).into_owned())
}

/// A tar path without `./` or `/` in front.
fn clean(path: &str) -> &str {
    path.trim_start_matches("./").trim_start_matches('/')
}

/// Rewrites the root file system tarball `input` as a gzip layer (at
/// `level`) in `store`: entries in the input's order (mmdebstrap sorts them
/// by name), owners, modes and links kept, every date the epoch, device
/// nodes and FIFOs dropped (a container runtime makes `/dev`), extended
/// attributes and user names dropped. Returns the layer and its inventory.
pub fn normalize(
    input: impl Read,
    store: &Store,
    level: u32,
) -> anyhow::Result<(Layer, Inventory)> {
    let blob = store.writer()?;
    let gz = GzBuilder::new()
        .mtime(0)
        .write(blob, Compression::new(level));
    let mut out = tar::Builder::new(HashingWriter::new(gz));
    out.mode(tar::HeaderMode::Deterministic);
    let mut inventory = Inventory::default();
    let mut archive = tar::Archive::new(input);
    for entry in archive
        .entries()
        .context("cannot read the root file system tarball")?
    {
        let mut entry = entry.context("cannot read the root file system tarball")?;
        let raw = entry
            .path()
            .context("the root file system has a bad path")?;
        let path = clean(&raw.to_string_lossy())
            .trim_end_matches('/')
            .to_owned();
        if path.is_empty() {
            continue;
        }
        let kind = entry.header().entry_type();
        let h = entry.header();
        let mut header = tar::Header::new_gnu();
        header.set_mode(h.mode().context("bad mode")?);
        header.set_uid(h.uid().context("bad uid")?);
        header.set_gid(h.gid().context("bad gid")?);
        header.set_mtime(0);
        header.set_entry_type(kind);
        let added = match kind {
            tar::EntryType::Regular | tar::EntryType::Continuous => {
                let mut data = Vec::with_capacity(entry.size() as usize);
                entry
                    .read_to_end(&mut data)
                    .with_context(|| format!("cannot read {path} in the root file system"))?;
                inventory.note(&path, || Ok(String::from_utf8_lossy(&data).into_owned()))?;
                header.set_entry_type(tar::EntryType::Regular);
                header.set_size(data.len() as u64);
                out.append_data(&mut header, &path, &data[..])
            }
            tar::EntryType::Directory => {
                header.set_size(0);
                out.append_data(&mut header, format!("{path}/"), io::empty())
            }
            tar::EntryType::Symlink | tar::EntryType::Link => {
                let target = entry
                    .link_name()
                    .context("bad link")?
                    .map(|t| t.to_string_lossy().into_owned())
                    .unwrap_or_default();
                let target = if kind == tar::EntryType::Link {
                    clean(&target).to_owned()
                } else {
                    target
                };
                inventory.note(&path, || Ok(String::new()))?;
                header.set_size(0);
                out.append_link(&mut header, &path, &target)
            }
            // Devices, FIFOs: the runtime provides /dev.
            _ => continue,
        };
        added.with_context(|| format!("cannot write {path} into the base layer"))?;
    }
    let hashing = out.into_inner().context("cannot finish the base layer")?;
    let (gz, diff_id, _) = hashing.finish();
    let mut blob = gz.finish().context("cannot finish the base layer")?;
    blob.flush().context("cannot write the base layer")?;
    let blob = blob.commit(None)?;
    Ok((
        Layer {
            blob,
            diff_id,
            media_type: GZIP_TYPE.to_owned(),
        },
        inventory,
    ))
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::layer::{Entry, tar as make_tar};

    #[test]
    fn dpkg_status_gives_glibcs_upstream_version() {
        let status = "Package: libc-bin\nVersion: 2.36-9\n\nPackage: libc6\nStatus: install ok installed\nVersion: 2.36-9+deb12u10\n\nPackage: zlib1g\nVersion: 1:1.2.13.dfsg-1\n";
        assert_eq!(glibc_of(status).as_deref(), Some("2.36"));
        assert_eq!(
            glibc_of("Package: libc6\nVersion: 1:2.39-0ubuntu8\n").as_deref(),
            Some("2.39")
        );
        assert_eq!(glibc_of("Package: musl\nVersion: 1.2\n"), None);
    }

    #[test]
    fn a_rootfs_is_normalised_and_inventoried() -> anyhow::Result<()> {
        // A rootfs as a tool writes it: `./` prefixes, dates, a device node.
        let mut input = tar::Builder::new(Vec::new());
        let mut add = |path: &str, kind: tar::EntryType, data: &[u8], mtime: u64| {
            let mut h = tar::Header::new_gnu();
            h.set_entry_type(kind);
            h.set_mode(if kind == tar::EntryType::Directory {
                0o755
            } else {
                0o644
            });
            h.set_mtime(mtime);
            h.set_uid(0);
            h.set_gid(0);
            h.set_size(data.len() as u64);
            input.append_data(&mut h, path, data)
        };
        add("./", tar::EntryType::Directory, b"", 5)?;
        add("./dev/", tar::EntryType::Directory, b"", 5)?;
        add("./dev/null", tar::EntryType::Char, b"", 5)?;
        add("./etc/", tar::EntryType::Directory, b"", 5)?;
        add(
            "./etc/passwd",
            tar::EntryType::Regular,
            b"root:x:0:0:root:/root:/bin/bash\n",
            7,
        )?;
        add(
            "./usr/lib/x86_64-linux-gnu/libc.so.6",
            tar::EntryType::Regular,
            b"ELF",
            7,
        )?;
        let input = input.into_inner()?;
        let tmp = tempfile::tempdir()?;
        let store = Store::new(tmp.path());
        let (layer, inventory) = normalize(&input[..], &store, 1)?;
        let (again, _) = normalize(&input[..], &store, 1)?;
        assert_eq!(layer.blob.digest, again.blob.digest, "reproducible");
        assert_eq!(
            inventory.passwd.as_deref(),
            Some("root:x:0:0:root:/root:/bin/bash\n")
        );
        assert_eq!(
            inventory.libraries.iter().collect::<Vec<_>>(),
            ["libc.so.6"]
        );
        let mut paths = Vec::new();
        let bytes = layer.blob.bytes()?;
        let mut archive = tar::Archive::new(flate2::read::GzDecoder::new(&bytes[..]));
        for e in archive.entries()? {
            let e = e?;
            assert_eq!(e.header().mtime()?, 0);
            paths.push(e.path()?.display().to_string());
        }
        assert_eq!(
            paths,
            [
                "dev/",
                "etc/",
                "etc/passwd",
                "usr/lib/x86_64-linux-gnu/libc.so.6"
            ]
        );
        // A later layer's whiteout removes the passwd it had.
        let mut inv = inventory.clone();
        inv.scan(&make_tar(&[Entry::file("/etc/.wh.passwd", Vec::new(), 0)])?[..])?;
        assert_eq!(inv.passwd, None);
        Ok(())
    }
}
