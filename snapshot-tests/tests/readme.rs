//! The README's DSL example and its YAML are the `hello` example, verbatim.

use kpipe_compiler::CompileOptions;

fn block_after<'a>(readme: &'a str, marker: &str) -> &'a str {
    let start = readme
        .find(marker)
        .unwrap_or_else(|| panic!("README lacks {marker}"));
    let rest = &readme[start..];
    let open = rest.find("```").unwrap_or(0);
    let body_start = open + rest[open..].find('\n').unwrap_or(0) + 1;
    let body_len = rest[body_start..].find("```").unwrap_or(0);
    &rest[body_start..body_start + body_len]
}

#[test]
fn readme_shows_the_hello_example_and_its_real_yaml() {
    let root = concat!(env!("CARGO_MANIFEST_DIR"), "/..");
    let readme = std::fs::read_to_string(format!("{root}/README.md")).unwrap_or_default();
    let source =
        std::fs::read_to_string(format!("{root}/examples/src/hello.rs")).unwrap_or_default();
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
