//! How the `kpipe` binary is linked on Linux, for a fast start (the
//! README's benchmark table, `pipelines/benches/compile-vs-kfp.sh`).
//!
//! - **Position-dependent (`-no-pie`).** A PIE `kpipe` starts by applying
//!   ~33,000 dynamic relocations: the loader writes every page of
//!   `.data.rel.ro` (vtables, panic locations, string tables: 535 KB), one
//!   copy-on-write page fault each, before `main` runs. Without PIE the
//!   linker resolves them once. The cost: the CLI's own code is not
//!   address-randomised (its libraries, heap and stack still are).
//!   `kpipe-step`, which serves network traffic in the containers, stays PIE.
//! - **Start-up functions first (`kpipe.order`, release builds).** The
//!   ~1,500 functions that `compile`, `lint`, `graph`, `--help` and
//!   `--version` run are scattered over 15 MB of code; every page fault maps
//!   64 KiB around it, so a compile touched ~60 windows (4 MiB of the
//!   7 MiB peak RSS). `kpipe.order` (made by
//!   `pipelines/benches/order-symbols.sh` from a callgrind run) lists them,
//!   and lld places them together. Symbols the build no longer has are
//!   skipped, so a stale list costs speed, never correctness. Used only
//!   when the linker accepts `--symbol-ordering-file` (lld, Rust's default
//!   linker on x86_64 Linux since 1.90): a probe link decides.
use std::path::{Path, PathBuf};
use std::process::Command;

fn main() {
    println!("cargo:rerun-if-changed=build.rs");
    println!("cargo:rerun-if-changed=kpipe.order");
    if std::env::var("CARGO_CFG_TARGET_OS").as_deref() != Ok("linux") {
        return;
    }
    println!("cargo:rustc-link-arg-bin=kpipe=-no-pie");
    let order = Path::new(env!("CARGO_MANIFEST_DIR")).join("kpipe.order");
    let release = std::env::var("PROFILE").as_deref() == Ok("release");
    if release && order.is_file() {
        let args = [
            format!("-Wl,--symbol-ordering-file={}", order.display()),
            "-Wl,--no-warn-symbol-ordering".to_owned(),
        ];
        if linker_accepts(&args) {
            for arg in args {
                println!("cargo:rustc-link-arg-bin=kpipe={arg}");
            }
        } else {
            println!(
                "cargo:warning=the linker does not take --symbol-ordering-file (not lld?): kpipe is linked without kpipe.order and starts slower"
            );
        }
    }
}

/// Whether an empty program links with `args` under this build's rustc,
/// target and flags.
fn linker_accepts(args: &[String]) -> bool {
    let (Ok(rustc), Ok(out), Ok(target)) = (
        std::env::var("RUSTC"),
        std::env::var("OUT_DIR"),
        std::env::var("TARGET"),
    ) else {
        return false;
    };
    let dir = PathBuf::from(out);
    let src = dir.join("probe.rs");
    if std::fs::write(&src, "fn main() {}\n").is_err() {
        return false;
    }
    let mut cmd = Command::new(rustc);
    if let Ok(flags) = std::env::var("CARGO_ENCODED_RUSTFLAGS") {
        cmd.args(flags.split('\u{1f}').filter(|f| !f.is_empty()));
    }
    cmd.arg("--target")
        .arg(&target)
        .arg("-o")
        .arg(dir.join("probe"))
        .arg(&src);
    for arg in args {
        cmd.arg("-C").arg(format!("link-arg={arg}"));
    }
    cmd.output().map(|o| o.status.success()).unwrap_or(false)
}
