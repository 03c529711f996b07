//! The README's DSL example and its YAML are the `hello` example, verbatim.

use kpipe_compiler::CompileOptions;

/// The body of the fenced block right after `marker`: the marker, then (on
/// the next line) an opening fence with a language, the body, a closing
/// fence. Anything else — no fence, text in between, an unclosed or empty
/// block — fails, naming the marker.
fn block_after<'a>(readme: &'a str, marker: &str) -> &'a str {
    let start = readme
        .find(marker)
        .unwrap_or_else(|| panic!("README lacks {marker}"));
    let rest = readme[start + marker.len()..]
        .strip_prefix('\n')
        .unwrap_or_else(|| panic!("{marker} is not on a line of its own"));
    let Some(after_fence) = rest.strip_prefix("```") else {
        panic!("the line after {marker} is not an opening ``` fence");
    };
    let (lang, body) = after_fence
        .split_once('\n')
        .unwrap_or_else(|| panic!("the block after {marker} ends at its fence"));
    assert!(
        !lang.trim().is_empty() && !lang.contains('`'),
        "the fence after {marker} names no language"
    );
    let end = body
        .find("\n```")
        .unwrap_or_else(|| panic!("the block after {marker} is not closed"));
    let body = &body[..end + 1];
    assert!(!body.trim().is_empty(), "the block after {marker} is empty");
    body
}

#[test]
fn block_after_rejects_malformed_fences() {
    let ok = "x\n<!-- m -->\n```rust\nfn a() {}\n```\n";
    assert_eq!(block_after(ok, "<!-- m -->"), "fn a() {}\n");
    for bad in [
        "<!-- m -->\n```rust\n```\n",
        "<!-- m -->\n```rust\nfn a() {}\n",
        "<!-- m -->\ntext\n```rust\nfn a() {}\n```\n",
        "<!-- m -->\n```\nfn a() {}\n```\n",
        "no marker",
    ] {
        assert!(
            std::panic::catch_unwind(|| block_after(bad, "<!-- m -->")).is_err(),
            "{bad:?}"
        );
    }
}

#[test]
fn readme_shows_the_hello_example_and_its_real_yaml() {
    let root = concat!(env!("CARGO_MANIFEST_DIR"), "/..");
    let readme = std::fs::read_to_string(format!("{root}/README.md")).expect("README.md");
    let source = std::fs::read_to_string(format!("{root}/examples/src/hello.rs"))
        .expect("examples/src/hello.rs");
    let code = block_after(&readme, "<!-- readme:hello-rust -->");
    assert!(
        source.contains(code.trim()),
        "README's Rust differs from examples/src/hello.rs"
    );
    let yaml = match kpipe_examples::hello::pipeline().compile(&CompileOptions::default()) {
        Ok(y) => y,
        Err(e) => panic!("{e}"),
    };
    assert_eq!(block_after(&readme, "<!-- readme:hello-yaml -->"), yaml);
}
