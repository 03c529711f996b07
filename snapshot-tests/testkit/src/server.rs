//! Fake API servers and the files that point clients at them.

use std::net::SocketAddr;
use std::path::{Path, PathBuf};

use serde_json::Value;

/// Serves `app` on 127.0.0.1 (a free port) on its own runtime; the server
/// lives as long as the returned runtime.
pub fn serve(app: axum::Router) -> (SocketAddr, tokio::runtime::Runtime) {
    let rt = tokio::runtime::Builder::new_multi_thread()
        .worker_threads(1)
        .enable_all()
        .build()
        .unwrap_or_else(|e| panic!("cannot start a tokio runtime: {e}"));
    let listener = rt
        .block_on(tokio::net::TcpListener::bind("127.0.0.1:0"))
        .unwrap_or_else(|e| panic!("cannot bind 127.0.0.1:0: {e}"));
    let addr = listener
        .local_addr()
        .unwrap_or_else(|e| panic!("no local address: {e}"));
    rt.spawn(async move {
        let _ = axum::serve(listener, app).await;
    });
    (addr, rt)
}

/// The one file of a `multipart/form-data` upload.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct FormFile {
    /// The form field (`uploadfile`).
    pub field: String,
    /// The file's name as sent.
    pub file_name: String,
    /// Its content.
    pub content: String,
}

/// A strict reading of a one-part `multipart/form-data` body whose
/// `Content-Type` is `content_type`: anything else (another boundary,
/// more parts, a part without a file name) is an error saying what.
pub fn form_file(content_type: &str, body: &[u8]) -> Result<FormFile, String> {
    let boundary = content_type
        .strip_prefix("multipart/form-data; boundary=")
        .ok_or_else(|| format!("content type {content_type}"))?;
    let body = std::str::from_utf8(body).map_err(|e| e.to_string())?;
    let open = format!("--{boundary}\r\n");
    let close = format!("\r\n--{boundary}--\r\n");
    let inner = body
        .strip_prefix(&open)
        .and_then(|b| b.strip_suffix(&close))
        .ok_or("not one multipart part")?;
    let (head, content) = inner.split_once("\r\n\r\n").ok_or("no part headers")?;
    if content.contains(&format!("\r\n--{boundary}")) {
        return Err("more than one multipart part".into());
    }
    let disposition = head
        .lines()
        .find_map(|l| l.strip_prefix("Content-Disposition: form-data; "))
        .ok_or("no Content-Disposition")?;
    let attr = |key: &str| {
        disposition
            .split("; ")
            .find_map(|kv| kv.strip_prefix(&format!("{key}=\"")))
            .and_then(|v| v.strip_suffix('"'))
            .map(str::to_owned)
            .ok_or(format!("no {key} in {disposition}"))
    };
    Ok(FormFile {
        field: attr("name")?,
        file_name: attr("filename")?,
        content: content.to_owned(),
    })
}

/// Writes `dir/kubeconfig`: one cluster at `server`, no credentials.
pub fn kubeconfig(dir: &Path, server: &str) -> PathBuf {
    let path = dir.join("kubeconfig");
    std::fs::write(
        &path,
        format!(
            "apiVersion: v1\nkind: Config\nclusters:\n- name: test\n  cluster:\n    server: {server}\ncontexts:\n- name: test\n  context:\n    cluster: test\n    user: test\ncurrent-context: test\nusers:\n- name: test\n  user: {{}}\n"
        ),
    )
    .unwrap_or_else(|e| panic!("cannot write {}: {e}", path.display()));
    path
}

/// Applies a JSON merge patch (RFC 7386) to `target`: objects merge key by
/// key, `null` deletes a key, anything else replaces the value.
pub fn merge_patch(target: &mut Value, patch: &Value) {
    let Some(p) = patch.as_object() else {
        *target = patch.clone();
        return;
    };
    if !target.is_object() {
        *target = Value::Object(serde_json::Map::new());
    }
    if let Some(t) = target.as_object_mut() {
        for (k, v) in p {
            if v.is_null() {
                t.remove(k);
            } else {
                merge_patch(t.entry(k.clone()).or_insert(Value::Null), v);
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    /// The examples of RFC 7386, appendix A.
    #[test]
    fn merge_patch_follows_rfc_7386() {
        for (target, patch, result) in [
            (json!({"a":"b"}), json!({"a":"c"}), json!({"a":"c"})),
            (json!({"a":"b"}), json!({"b":"c"}), json!({"a":"b","b":"c"})),
            (json!({"a":"b"}), json!({"a":null}), json!({})),
            (
                json!({"a":"b","b":"c"}),
                json!({"a":null}),
                json!({"b":"c"}),
            ),
            (json!({"a":["b"]}), json!({"a":"c"}), json!({"a":"c"})),
            (json!({"a":"c"}), json!({"a":["b"]}), json!({"a":["b"]})),
            (
                json!({"a":{"b":"c"}}),
                json!({"a":{"b":"d","c":null}}),
                json!({"a":{"b":"d"}}),
            ),
            (json!({"a":[{"b":"c"}]}), json!({"a":[1]}), json!({"a":[1]})),
            (json!(["a", "b"]), json!(["c", "d"]), json!(["c", "d"])),
            (json!({"a":"b"}), json!(["c"]), json!(["c"])),
            (json!({"a":"foo"}), json!(null), json!(null)),
            (json!({"a":"foo"}), json!("bar"), json!("bar")),
            (json!({"e":null}), json!({"a":1}), json!({"e":null,"a":1})),
            (json!([1, 2]), json!({"a":"b","c":null}), json!({"a":"b"})),
            (
                json!({}),
                json!({"a":{"bb":{"ccc":null}}}),
                json!({"a":{"bb":{}}}),
            ),
        ] {
            let mut t = target.clone();
            merge_patch(&mut t, &patch);
            assert_eq!(t, result, "{target} + {patch}");
        }
    }

    #[test]
    fn a_form_file_is_read_strictly() {
        let ct = "multipart/form-data; boundary=XY";
        let body = "--XY\r\nContent-Disposition: form-data; name=\"uploadfile\"; filename=\"p.yaml\"\r\nContent-Type: application/x-yaml\r\n\r\na: 1\r\n--XY--\r\n";
        assert_eq!(
            form_file(ct, body.as_bytes()),
            Ok(FormFile {
                field: "uploadfile".into(),
                file_name: "p.yaml".into(),
                content: "a: 1".into(),
            })
        );
        assert!(form_file("application/json", body.as_bytes()).is_err());
        let two = body.replace("--XY--", "--XY\r\n\r\nmore\r\n--XY--");
        assert!(form_file(ct, two.as_bytes()).is_err());
        let nameless = body.replace("; filename=\"p.yaml\"", "");
        assert_eq!(
            form_file(ct, nameless.as_bytes()),
            Err("no filename in name=\"uploadfile\"".to_owned())
        );
    }
}
