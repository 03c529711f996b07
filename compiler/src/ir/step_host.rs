//! Which steps a step program runs. An app declares its own (and those of
//! step programs it knows), so a pipeline that adds a step nobody
//! registered fails to compile, at the line that added it, instead of
//! failing on the cluster with "unrecognized subcommand".

use crate::diagnostic::{Diagnostic, DiagnosticKind};
use crate::ir::PipelineData;

/// The steps (subcommands) a step program runs.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct StepHost {
    /// The program and its leading arguments (`["fraud", "step"]`).
    pub program: Vec<String>,
    /// Its steps.
    pub steps: Vec<String>,
}

/// Every task that runs the pipeline's step program with a step the
/// program does not run. Nothing when no host is declared for that
/// program, and nothing for tasks that run a command of their own.
pub(crate) fn unhosted(d: &PipelineData) -> Vec<Diagnostic> {
    let Some(host) = d.step_hosts.iter().find(|h| h.program == d.step_program) else {
        return Vec::new();
    };
    d.tasks
        .iter()
        .chain(&d.exits)
        .filter(|t| t.uses_step_program)
        .filter_map(|t| {
            let step = t.args.first().and_then(|a| a.as_text()).unwrap_or_default();
            (!host.steps.contains(&step)).then(|| {
                Diagnostic::new(
                    DiagnosticKind::UnregisteredStep {
                        task: t.name.clone(),
                        step,
                        program: host.program.join(" "),
                        hosted: host.steps.clone(),
                    },
                    t.location,
                )
            })
        })
        .collect()
}
