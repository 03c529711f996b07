//! `kpipe lint`.

use std::io::Read;
use std::path::PathBuf;

use anyhow::Context;
use clap::Args;
use kpipe_compiler::lint::{self, Format, SchemaVersion};

use super::Outcome;

#[derive(Args, Debug)]
pub(crate) struct LintArgs {
    /// Argo YAML or Kubeflow Pipelines v2 IR files to check (`-` reads standard input); each file's kind is told by its content.
    #[arg(required = true, value_name = "FILE")]
    files: Vec<PathBuf>,
    /// Argo schema version to check Argo files against (v3.1.6, v3.5.14, v4.1.2) or `all`.
    #[arg(long, default_value = "v3.1.6", value_parser = parse_versions)]
    argo: Versions,
}

#[derive(Clone, Debug)]
struct Versions(Vec<SchemaVersion>);

fn parse_versions(s: &str) -> Result<Versions, String> {
    if s == "all" {
        return Ok(Versions(SchemaVersion::ALL.to_vec()));
    }
    SchemaVersion::parse(s)
        .map(|v| Versions(vec![v]))
        .ok_or_else(|| {
            let known: Vec<&str> = SchemaVersion::ALL.iter().map(|v| v.as_str()).collect();
            format!(
                "unknown Argo version `{s}`; use one of {} or all",
                known.join(", ")
            )
        })
}

pub(crate) fn run(args: &LintArgs) -> anyhow::Result<Outcome> {
    let mut failed = 0usize;
    for file in &args.files {
        let text = read(file)?;
        let (format, problems) = lint::lint_any(&text, &args.argo.0);
        let name = file.display();
        if problems.is_empty() {
            match format {
                Format::KfpIr => println!("{name}: ok (Kubeflow Pipelines v2 IR, KFP 2.17)"),
                Format::Argo => {
                    let versions: Vec<&str> = args.argo.0.iter().map(|v| v.as_str()).collect();
                    println!("{name}: ok (Argo {})", versions.join(", "));
                }
            }
        } else {
            failed += 1;
            for p in &problems {
                eprintln!("{name}: {p}");
            }
            eprintln!(
                "{name}: {} problem{}",
                problems.len(),
                if problems.len() == 1 { "" } else { "s" }
            );
        }
    }
    Ok(if failed == 0 {
        Outcome::Success
    } else {
        Outcome::Invalid
    })
}

fn read(file: &PathBuf) -> anyhow::Result<String> {
    if file.as_os_str() == "-" {
        let mut s = String::new();
        std::io::stdin()
            .read_to_string(&mut s)
            .context("cannot read standard input")?;
        return Ok(s);
    }
    std::fs::read_to_string(file).with_context(|| format!("cannot read {}", file.display()))
}
