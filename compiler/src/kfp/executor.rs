//! A task's container as a KFP executor: kpipe's fixed artifact paths and
//! Argo parameter references become KFP placeholders, resources become KFP's
//! resource fields.
//!
//! | kpipe (Argo)                          | KFP v2                                            |
//! |---------------------------------------|---------------------------------------------------|
//! | `{{inputs.parameters.pr}}`            | `{{$.inputs.parameters['pr']}}`                   |
//! | `/kpipe/inputs/NAME…`                 | `{{$.inputs.artifacts['NAME'].path}}…`            |
//! | `/kpipe/outputs/NAME…`                | `{{$.outputs.artifacts['NAME'].path}}…`           |
//! | `/kpipe/outputs/NAME.param`           | `{{$.outputs.parameters['NAME'].output_file}}`    |

use super::spec::{Accelerator, Container, EnvVar, ResourceSpec};
use crate::ir::TaskNode;
use crate::kfp_feature::KfpFeature;
use crate::lifecycle::EnvSource;
use crate::param::Value;
use crate::resources::Resources;
use crate::step::{INPUTS_ROOT, OUTPUTS_ROOT};

/// The executor's container.
pub(crate) fn container(t: &TaskNode, image: &str) -> Result<Container, KfpFeature> {
    let table = path_table(t);
    let translate = |s: &String| translate(s, t, &table);
    let mut env = Vec::new();
    for (name, source) in &t.settings.env {
        let EnvSource::Value(Value::Literal(value)) = source else {
            continue;
        };
        if value.contains("{{inputs.parameters.") {
            return Err(KfpFeature::EnvFromValue { name: name.clone() });
        }
        if let Some(expr) = expression(value) {
            return Err(KfpFeature::ArgoExpression { expr });
        }
        if mentions_root(value) {
            return Err(KfpFeature::UndeclaredPath {
                arg: format!("{name}={value}"),
            });
        }
        env.push(EnvVar {
            name: name.clone(),
            value: value.clone(),
        });
    }
    Ok(Container {
        args: t.args.iter().map(translate).collect::<Result<_, _>>()?,
        command: t.command.iter().map(translate).collect::<Result<_, _>>()?,
        env,
        image: image.to_owned(),
        resources: resources(&t.settings.resources)?,
    })
}

/// Container path → placeholder, longest path first.
fn path_table(t: &TaskNode) -> Vec<(&str, String)> {
    let mut table: Vec<(&str, String)> = t
        .inputs
        .iter()
        .map(|i| {
            (
                i.path.as_str(),
                format!("{{{{$.inputs.artifacts['{}'].path}}}}", i.name),
            )
        })
        .chain(t.outputs.iter().map(|o| {
            (
                o.path.as_str(),
                format!("{{{{$.outputs.artifacts['{}'].path}}}}", o.name),
            )
        }))
        .chain(t.output_params.iter().map(|p| {
            (
                p.path.as_str(),
                format!("{{{{$.outputs.parameters['{}'].output_file}}}}", p.name),
            )
        }))
        .collect();
    table.sort_by(|a, b| b.0.len().cmp(&a.0.len()).then(a.0.cmp(b.0)));
    table
}

fn translate(s: &str, t: &TaskNode, table: &[(&str, String)]) -> Result<String, KfpFeature> {
    let mut out = s.to_owned();
    for (path, placeholder) in table {
        out = replace_path(&out, path, placeholder);
    }
    if mentions_root(&out) {
        return Err(KfpFeature::UndeclaredPath { arg: s.to_owned() });
    }
    // Argo's template-parameter references → KFP's.
    let mut result = String::with_capacity(out.len());
    let mut rest = out.as_str();
    while let Some(start) = rest.find("{{") {
        result.push_str(&rest[..start]);
        let after = &rest[start + 2..];
        let Some(end) = after.find("}}") else {
            return Err(KfpFeature::ArgoExpression {
                expr: rest[start..].to_owned(),
            });
        };
        let inner = &after[..end];
        match inner.strip_prefix("inputs.parameters.") {
            Some(name) if t.params.iter().any(|p| p.name == name) => {
                result.push_str(&format!("{{{{$.inputs.parameters['{name}']}}}}"));
            }
            _ if inner.starts_with('$') => result.push_str(&rest[start..start + end + 4]),
            _ => {
                return Err(KfpFeature::ArgoExpression {
                    expr: format!("{{{{{inner}}}}}"),
                });
            }
        }
        rest = &after[end + 2..];
    }
    result.push_str(rest);
    Ok(result)
}

/// The first `{{…}}` in `s`, if any.
fn expression(s: &str) -> Option<String> {
    let start = s.find("{{")?;
    let end = s[start..].find("}}").map_or(s.len(), |e| start + e + 2);
    Some(s[start..end].to_owned())
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

fn replace_path(s: &str, path: &str, with: &str) -> String {
    let mut out = String::with_capacity(s.len());
    let mut pos = 0;
    for (i, end) in path_matches(s, path) {
        out.push_str(&s[pos..i]);
        out.push_str(with);
        pos = end;
    }
    out.push_str(&s[pos..]);
    out
}

/// Whether `s` still names kpipe's input or output directory.
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
    fn paths_are_replaced_on_boundaries_only() {
        let p = "{{$.inputs.artifacts['repo'].path}}";
        assert_eq!(
            replace_path("--from=/kpipe/inputs/repo/data", "/kpipe/inputs/repo", p),
            format!("--from={p}/data")
        );
        assert_eq!(
            replace_path("/kpipe/inputs/repository", "/kpipe/inputs/repo", p),
            "/kpipe/inputs/repository"
        );
        assert_eq!(
            replace_path("/x/kpipe/inputs/repo", "/kpipe/inputs/repo", p),
            "/x/kpipe/inputs/repo"
        );
        assert_eq!(
            replace_path("a /kpipe/inputs/repo b", "/kpipe/inputs/repo", p),
            format!("a {p} b")
        );
        // A partial match first, a second occurrence, multi-byte neighbours.
        assert_eq!(
            replace_path(
                "/kpipe/in,/kpipe/inputs/repo:/kpipe/inputs/repo",
                "/kpipe/inputs/repo",
                p
            ),
            format!("/kpipe/in,{p}:{p}")
        );
        assert_eq!(
            replace_path("é/kpipe/inputs/repoé", "/kpipe/inputs/repo", p),
            format!("é{p}é")
        );
        assert_eq!(replace_path("", "/kpipe/inputs/repo", p), "");
        assert_eq!(path_matches("abc", ""), []);
        assert!(mentions_root("--kfp-out=/kpipe/outputs"));
        assert!(!mentions_root("--out=/kpipe/outputsx"));
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
