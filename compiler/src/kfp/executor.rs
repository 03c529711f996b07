//! A task's container as a KFP executor: its pieces rendered as KFP
//! placeholders, resources as KFP's resource fields.
//!
//! | IR                              | KFP v2                                            |
//! |---------------------------------|---------------------------------------------------|
//! | `Piece::Input(NAME)`            | `{{$.inputs.parameters['NAME']}}`                 |
//! | `Piece::InputArtifact(NAME)`    | `{{$.inputs.artifacts['NAME'].path}}`             |
//! | `Piece::OutputArtifact(NAME)`   | `{{$.outputs.artifacts['NAME'].path}}`            |
//! | `Piece::OutputParam(NAME)`      | `{{$.outputs.parameters['NAME'].output_file}}`    |
//! | `Piece::ExecutorInput`          | `{{$}}`                                           |
//! | `Piece::Retries`                | — (an error: KFP has no attempt number)           |
//!
//! Text is passed as it is; text that holds an Argo expression or names
//! kpipe's artifact directories (rather than one artifact) is an error, since
//! KFP would pass it on unchanged.

use super::spec::{Accelerator, Container, EnvVar, ResourceSpec};
use crate::diagnostic::KfpFeature;
use crate::ir::{EnvSource, INPUTS_ROOT, OUTPUTS_ROOT, Piece, Pieces, Resources, TaskNode};

/// KFP v2's placeholder of the executor input: its launcher replaces it with
/// the task's `ExecutorInput` as JSON ([`Io::kfp_executor_input`](crate::Io::kfp_executor_input)).
pub const KFP_EXECUTOR_INPUT: &str = "{{$}}";

/// The executor's container.
pub(crate) fn container(t: &TaskNode, image: &str) -> Result<Container, KfpFeature> {
    let mut env = Vec::new();
    for (name, source) in &t.settings.env {
        let EnvSource::Value(value) = source else {
            continue;
        };
        if value.0.contains(&Piece::Retries) {
            return Err(KfpFeature::Retries);
        }
        let Some(value) = value.as_text() else {
            return Err(KfpFeature::EnvFromValue { name: name.clone() });
        };
        check_text(&value, &format!("{name}={value}"))?;
        env.push(EnvVar {
            name: name.clone(),
            value,
        });
    }
    Ok(Container {
        args: t.args.iter().map(render).collect::<Result<_, _>>()?,
        command: t.command.iter().map(render).collect::<Result<_, _>>()?,
        env,
        image: image.to_owned(),
        resources: resources(&t.settings.resources)?,
    })
}

/// One argument with KFP's placeholders.
fn render(arg: &Pieces) -> Result<String, KfpFeature> {
    let whole = || arg.describe();
    arg.try_render(|p| {
        Ok(match p {
            Piece::Text(s) => {
                check_text(s, &whole())?;
                s.clone()
            }
            Piece::Input(n) => format!("{{{{$.inputs.parameters['{n}']}}}}"),
            Piece::InputArtifact(n) => format!("{{{{$.inputs.artifacts['{n}'].path}}}}"),
            Piece::OutputArtifact(n) => format!("{{{{$.outputs.artifacts['{n}'].path}}}}"),
            Piece::OutputParam(n) => format!("{{{{$.outputs.parameters['{n}'].output_file}}}}"),
            Piece::ExecutorInput => KFP_EXECUTOR_INPUT.to_owned(),
            Piece::Retries => return Err(KfpFeature::Retries),
        })
    })
}

/// Text KFP would pass on unchanged although it means something: an Argo
/// expression, or kpipe's artifact directories.
fn check_text(text: &str, arg: &str) -> Result<(), KfpFeature> {
    if let Some(expr) = expression(text) {
        return Err(KfpFeature::ArgoExpression { expr });
    }
    if mentions_root(text) {
        return Err(KfpFeature::UndeclaredPath {
            arg: arg.to_owned(),
        });
    }
    Ok(())
}

/// The first Argo `{{…}}` in `s` (KFP's own `{{$…}}` aside), if any.
fn expression(s: &str) -> Option<String> {
    let mut from = 0;
    while let Some(i) = s[from..].find("{{") {
        let start = from + i;
        let end = s[start..].find("}}").map_or(s.len(), |e| start + e + 2);
        if !s[start + 2..].starts_with('$') {
            return Some(s[start..end].to_owned());
        }
        from = end;
    }
    None
}

/// Where `path` stands as a whole path or a path prefix in `s`
/// (`/kpipe/inputs/repo` in `--from=/kpipe/inputs/repo/data`, not in
/// `/kpipe/inputs/repository`): byte ranges.
fn path_matches(s: &str, path: &str) -> Vec<(usize, usize)> {
    // A byte scan for the path's first byte, then a prefix compare: every
    // argument of every task passes here, and `str::find` sets up a
    // two-way searcher per call (a tenth of a whole compile's instructions).
    let (hay, needle) = (s.as_bytes(), path.as_bytes());
    let Some(&first) = needle.first() else {
        return Vec::new();
    };
    let mut found = Vec::new();
    let mut pos = 0;
    while let Some(offset) = hay[pos..].iter().position(|&b| b == first) {
        let i = pos + offset;
        if !hay[i..].starts_with(needle) {
            pos = i + 1;
            continue;
        }
        let end = i + needle.len();
        // A whole UTF-8 sequence matched, so `i` and `end` are char
        // boundaries; a byte of a multi-byte char is never a path byte.
        let before_ok = i == 0 || !is_path_byte(hay[i - 1]);
        let after_ok = end == hay.len() || !is_path_byte(hay[end]);
        if before_ok && after_ok {
            found.push((i, end));
        }
        pos = end;
    }
    found
}

fn is_path_byte(b: u8) -> bool {
    b.is_ascii_alphanumeric() || matches!(b, b'.' | b'_' | b'-')
}

/// Whether `s` names kpipe's input or output directory.
fn mentions_root(s: &str) -> bool {
    [INPUTS_ROOT, OUTPUTS_ROOT]
        .iter()
        .any(|root| !path_matches(s, root).is_empty())
}

/// CPU, memory and one accelerator (any extended resource, `vendor/name`).
fn resources(r: &Resources) -> Result<ResourceSpec, KfpFeature> {
    let mut spec = ResourceSpec::default();
    let mut accelerator: Option<(&str, &str)> = None;
    for (limit, map) in [(false, &r.requests), (true, &r.limits)] {
        for (name, quantity) in map {
            let slot = match (name.as_str(), limit) {
                ("cpu", false) => &mut spec.resource_cpu_request,
                ("cpu", true) => &mut spec.resource_cpu_limit,
                ("memory", false) => &mut spec.resource_memory_request,
                ("memory", true) => &mut spec.resource_memory_limit,
                (other, _) if other.contains('/') => {
                    match accelerator {
                        Some((n, _)) if n != other => {
                            return Err(KfpFeature::Resource {
                                name: other.to_owned(),
                                detail: format!(
                                    "is a second accelerator kind next to `{n}`; KFP takes one"
                                ),
                            });
                        }
                        Some((_, q)) if q != quantity => {
                            return Err(KfpFeature::Resource {
                                name: other.to_owned(),
                                detail: format!(
                                    "has request {q} and limit {quantity}; KFP takes one count"
                                ),
                            });
                        }
                        _ => accelerator = Some((other, quantity)),
                    }
                    continue;
                }
                (other, _) => {
                    return Err(KfpFeature::Resource {
                        name: other.to_owned(),
                        detail: "has no KFP resource field".to_owned(),
                    });
                }
            };
            *slot = Some(quantity.clone());
        }
    }
    if let Some((name, count)) = accelerator {
        if count.parse::<u64>().is_err() {
            return Err(KfpFeature::Resource {
                name: name.to_owned(),
                detail: format!("asks for `{count}`, not a whole number of devices"),
            });
        }
        spec.accelerator = Some(Accelerator {
            count: count.to_owned(),
            resource_count: count.to_owned(),
            resource_type: name.to_owned(),
            kind: name.to_owned(),
        });
    }
    Ok(spec)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn paths_are_found_on_boundaries_only() {
        let root = "/kpipe/inputs/repo";
        assert_eq!(
            path_matches("--from=/kpipe/inputs/repo/data", root),
            [(7, 25)]
        );
        assert_eq!(path_matches("/kpipe/inputs/repository", root), []);
        assert_eq!(path_matches("/x/kpipe/inputs/repo", root), []);
        assert_eq!(
            path_matches("/kpipe/in,/kpipe/inputs/repo:/kpipe/inputs/repo", root).len(),
            2
        );
        assert_eq!(path_matches("é/kpipe/inputs/repoé", root).len(), 1);
        assert_eq!(path_matches("abc", ""), []);
        assert!(mentions_root("--kfp-out=/kpipe/outputs"));
        assert!(!mentions_root("--out=/kpipe/outputsx"));
    }

    #[test]
    fn pieces_become_placeholders_and_argo_text_is_refused() {
        let arg = Pieces(vec![
            Piece::Text("--data=".into()),
            Piece::InputArtifact("dataset".into()),
            Piece::Text(",".into()),
            Piece::Input("pr".into()),
        ]);
        assert_eq!(
            render(&arg).as_deref(),
            Ok("--data={{$.inputs.artifacts['dataset'].path}},{{$.inputs.parameters['pr']}}")
        );
        assert_eq!(
            render(&Pieces::one(Piece::Retries)),
            Err(KfpFeature::Retries)
        );
        assert_eq!(
            render(&Pieces::text("{{workflow.name}}")),
            Err(KfpFeature::ArgoExpression {
                expr: "{{workflow.name}}".into()
            })
        );
        assert_eq!(render(&Pieces::text("{{$}}")).as_deref(), Ok("{{$}}"));
        assert!(matches!(
            render(&Pieces::text("--out=/kpipe/outputs/x")),
            Err(KfpFeature::UndeclaredPath { .. })
        ));
    }

    #[test]
    fn resources_map_to_kfp_fields() {
        let r = Resources::default()
            .request("cpu", "2")
            .limit("memory", "4Gi")
            .gpus(2);
        let spec = resources(&r).unwrap_or_default();
        assert_eq!(spec.resource_cpu_request.as_deref(), Some("2"));
        assert_eq!(spec.resource_memory_limit.as_deref(), Some("4Gi"));
        assert_eq!(
            spec.accelerator.map(|a| (a.resource_type, a.count)),
            Some(("nvidia.com/gpu".to_owned(), "2".to_owned()))
        );
        let two = Resources::default().gpus(1).limit("amd.com/gpu", "1");
        assert!(matches!(resources(&two), Err(KfpFeature::Resource { .. })));
        let disk = Resources::default().request("ephemeral-storage", "1Gi");
        assert!(
            matches!(resources(&disk), Err(KfpFeature::Resource { name, .. }) if name == "ephemeral-storage")
        );
    }
}
