//! Parameter values bound to a pipeline's declared parameters, worded the
//! same for every command that takes them (`run`, `submit` to Argo and to
//! KFP, and the Prow jobs, which `submit`).

use kpipe_compiler::ir::bind::{Bound, ParamSpec, bind};

/// Binds `-p` values (and any others in `given`) to `specs`, or an error
/// that starts with `source` (the pipeline or file) and lists every
/// problem.
pub(crate) fn bind_params(
    source: &str,
    specs: &[ParamSpec],
    given: &[(String, String)],
) -> anyhow::Result<Bound> {
    bind(specs, given).map_err(|errors| {
        let lines: Vec<String> = errors.0.iter().map(|e| format!("{source}: {e}")).collect();
        anyhow::anyhow!("{}", lines.join("\n"))
    })
}
