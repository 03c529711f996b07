//! The non-root user a step image runs as: its `/etc/passwd` and
//! `/etc/group` lines and its home, as a layer over a base, whatever the
//! base (Debian's rootfs, a pulled CUDA image, one with no passwd at all).

use crate::layer::Entry;
use crate::rootfs::Inventory;

/// A user the image runs as.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct User {
    /// Numeric user id (and group id).
    pub uid: u32,
    /// Login name (when the base does not know the id yet).
    pub name: String,
    /// Home directory (when the base does not know the id yet).
    pub home: String,
}

impl User {
    /// UID 65532, `kpipe`, `/home/kpipe`: the user of kpipe's Containerfile
    /// (65532 is distroless' `nonroot`).
    pub fn kpipe() -> Self {
        Self {
            uid: 65532,
            name: "kpipe".to_owned(),
            home: "/home/kpipe".to_owned(),
        }
    }
}

/// The user as the base will know it, and the entries that make it so.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct UserLayer {
    /// The home directory (the base's, when it had the id already).
    pub home: String,
    /// What to put in a layer: `/etc/passwd` and `/etc/group` with the user
    /// added (unless the base had it), and the home directory it owns.
    pub entries: Vec<Entry>,
}

/// The layer adding `user` to a base that holds `base`'s files. A base that
/// has the id already keeps its entry (and its home); one whose name is
/// taken by another id gets `NAME-UID`; one without a passwd gets one with
/// root and the user.
pub fn user_layer(user: &User, base: &Inventory) -> UserLayer {
    let uid = user.uid.to_string();
    let field = |line: &str, i: usize| line.split(':').nth(i).map(str::to_owned);
    let passwd = base
        .passwd
        .clone()
        .unwrap_or_else(|| "root:x:0:0:root:/root:/bin/sh\n".to_owned());
    let group = base
        .group
        .clone()
        .unwrap_or_else(|| "root:x:0:\n".to_owned());
    let existing = passwd
        .lines()
        .find(|l| field(l, 2).as_deref() == Some(uid.as_str()));
    let mut entries = Vec::new();
    let home = match existing
        .and_then(|l| field(l, 5))
        .filter(|h| h.starts_with('/'))
    {
        Some(home) => home,
        None => {
            let taken =
                |text: &str, name: &str| text.lines().any(|l| field(l, 0).as_deref() == Some(name));
            let name = if taken(&passwd, &user.name) || taken(&group, &user.name) {
                format!("{}-{uid}", user.name)
            } else {
                user.name.clone()
            };
            let mut passwd = passwd.clone();
            if existing.is_none() {
                append_line(
                    &mut passwd,
                    &format!("{name}:x:{uid}:{uid}::{}:/bin/sh", user.home),
                );
            }
            entries.push(Entry::file("/etc/passwd", passwd.into_bytes(), 0o644));
            user.home.clone()
        }
    };
    if !group
        .lines()
        .any(|l| field(l, 2).as_deref() == Some(uid.as_str()))
    {
        let name = existing
            .and_then(|l| field(l, 0))
            .unwrap_or_else(|| user.name.clone());
        let name = if group
            .lines()
            .any(|l| field(l, 0).as_deref() == Some(name.as_str()))
        {
            format!("{name}-{uid}")
        } else {
            name
        };
        let mut group = group;
        append_line(&mut group, &format!("{name}:x:{uid}:"));
        entries.push(Entry::file("/etc/group", group.into_bytes(), 0o644));
    }
    entries.push(Entry::dir(home.clone(), 0o755).owned_by(user.uid.into(), user.uid.into()));
    UserLayer { home, entries }
}

fn append_line(text: &mut String, line: &str) {
    if !text.is_empty() && !text.ends_with('\n') {
        text.push('\n');
    }
    text.push_str(line);
    text.push('\n');
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::layer::Kind;

    fn text(layer: &UserLayer, path: &str) -> Option<String> {
        layer
            .entries
            .iter()
            .find(|e| e.path == path)
            .and_then(|e| match &e.kind {
                Kind::File(d) => Some(String::from_utf8_lossy(d).into_owned()),
                _ => None,
            })
    }

    #[test]
    fn debian_gets_the_user_appended() {
        let base = Inventory {
            passwd: Some("root:x:0:0:root:/root:/bin/bash\nnobody:x:65534:65534:nobody:/nonexistent:/usr/sbin/nologin\n".into()),
            group: Some("root:x:0:\nnogroup:x:65534:\n".into()),
            ..Inventory::default()
        };
        let l = user_layer(&User::kpipe(), &base);
        assert_eq!(l.home, "/home/kpipe");
        assert!(text(&l, "/etc/passwd").is_some_and(|p| p.ends_with("nologin\nkpipe:x:65532:65532::/home/kpipe:/bin/sh\n")));
        assert!(
            text(&l, "/etc/group")
                .is_some_and(|g| g.ends_with("nogroup:x:65534:\nkpipe:x:65532:\n"))
        );
        let home = l.entries.iter().find(|e| e.path == "/home/kpipe");
        assert!(home.is_some_and(|h| h.uid == 65532 && h.gid == 65532 && h.kind == Kind::Dir));
    }

    #[test]
    fn a_base_with_the_id_keeps_it_and_a_taken_name_is_suffixed() {
        let base = Inventory {
            passwd: Some(
                "root:x:0:0::/root:/bin/sh\nnonroot:x:65532:65532::/home/nonroot:/sbin/nologin"
                    .into(),
            ),
            group: Some("root:x:0:\nnonroot:x:65532:\n".into()),
            ..Inventory::default()
        };
        let l = user_layer(&User::kpipe(), &base);
        assert_eq!(l.home, "/home/nonroot");
        assert_eq!(l.entries.len(), 1, "only the home: {:?}", l.entries);
        let base = Inventory {
            passwd: Some("kpipe:x:1000:1000::/home/kpipe:/bin/sh\n".into()),
            group: None,
            ..Inventory::default()
        };
        let l = user_layer(&User::kpipe(), &base);
        assert!(
            text(&l, "/etc/passwd")
                .is_some_and(|p| p.ends_with("kpipe-65532:x:65532:65532::/home/kpipe:/bin/sh\n")),
            "{l:?}"
        );
        assert_eq!(
            text(&l, "/etc/group").as_deref(),
            Some("root:x:0:\nkpipe:x:65532:\n")
        );
    }
}
