//! Whole-pipeline checks; gathers every problem instead of stopping at the first.

use std::collections::{BTreeSet, HashMap};

use crate::diagnostic::{Diagnostic, DiagnosticKind};
use crate::ir::deps as graph;
use crate::ir::{Cond, EnvSource, Kind, Loop, PipelineData, TaskNode, Value};
use crate::location::Location;
use crate::names::{argo_name_problem, dns1123_label_problem, references};
use crate::options::{CompileOptions, OutputKind, Target};

/// Every problem of `d` compiled for `target` that every target shares, then
/// those that depend on the target's options (images, an Argo schedule). A
/// target's own limits (`kfp::check`) come on top.
pub(crate) fn validate(d: &PipelineData, target: &Target) -> Vec<Diagnostic> {
    let mut v = Validator { d, out: Vec::new() };
    v.pipeline();
    for t in &d.tasks {
        v.task(t, false);
    }
    for (i, t) in d.exits.iter().enumerate() {
        v.task(t, true);
        if i > 0 {
            v.push(
                DiagnosticKind::SeveralExitHandlers {
                    task: t.name.clone(),
                },
                t.location,
            );
        }
    }
    v.cycles();
    v.out.extend(crate::ir::step_host::unhosted(d));
    v.images(target.image());
    if let Target::Argo(o) = target {
        v.schedule(o);
    }
    v.out
}

struct Validator<'a> {
    d: &'a PipelineData,
    out: Vec<Diagnostic>,
}

impl Validator<'_> {
    fn push(&mut self, kind: DiagnosticKind, location: Location) {
        self.out.push(Diagnostic::new(kind, location));
    }

    fn label(&mut self, what: &'static str, name: &str, location: Location) {
        if let Some(reason) = dns1123_label_problem(name) {
            let name = name.to_owned();
            self.push(DiagnosticKind::InvalidName { what, name, reason }, location);
        }
    }

    fn argo_name(&mut self, what: &'static str, name: &str, location: Location) {
        if let Some(reason) = argo_name_problem(name) {
            let name = name.to_owned();
            self.push(DiagnosticKind::InvalidName { what, name, reason }, location);
        }
    }

    fn duplicates<'n>(
        &mut self,
        what: &'static str,
        items: impl IntoIterator<Item = (&'n str, Location)>,
    ) {
        let mut seen: HashMap<&str, Location> = HashMap::new();
        for (name, location) in items {
            match seen.get(name) {
                Some(&first) => self.push(
                    DiagnosticKind::Duplicate {
                        what,
                        name: name.to_owned(),
                        first,
                    },
                    location,
                ),
                None => {
                    seen.insert(name, location);
                }
            }
        }
    }

    fn declared(&self, name: &str) -> bool {
        self.d.params.iter().any(|p| p.name == name)
    }

    fn pipeline(&mut self) {
        let d = self.d;
        self.label("pipeline", &d.name, d.location);
        if d.tasks.is_empty() {
            self.push(
                DiagnosticKind::EmptyPipeline {
                    pipeline: d.name.clone(),
                },
                d.location,
            );
        }
        for p in &d.params {
            self.argo_name("parameter", &p.name, p.location);
        }
        self.duplicates(
            "parameter",
            d.params.iter().map(|p| (p.name.as_str(), p.location)),
        );
        for (vol, location) in &d.volumes {
            self.label("volume", &vol.name, *location);
        }
        self.duplicates(
            "volume",
            d.volumes.iter().map(|(v, l)| (v.name.as_str(), *l)),
        );
        self.duplicates(
            "step",
            d.tasks
                .iter()
                .chain(&d.exits)
                .map(|t| (t.name.as_str(), t.location)),
        );
    }

    /// A loop step's outputs are its items' outputs: read together
    /// (`Value::Collected`), never as one value; and only a loop's outputs
    /// are collected.
    fn loop_outputs(&mut self, t: &TaskNode) {
        let d = self.d;
        let looped = |task: usize| d.tasks.get(task).map(|p| p.settings.looped.is_some());
        for i in &t.inputs {
            if d.owns(i.from.pipeline, i.from.task) && looped(i.from.task) == Some(true) {
                self.push(
                    DiagnosticKind::LoopOutput {
                        task: t.name.clone(),
                        output: format!("{}.{}", i.from.task_name, i.from.output),
                        looped: true,
                        artifact: true,
                    },
                    t.location,
                );
            }
        }
        let mut values: Vec<(&Value, Location)> =
            t.params.iter().map(|p| (&p.value, p.location)).collect();
        if let Some((cond, location)) = &t.settings.when {
            values.extend(cond.values().into_iter().map(|v| (v, *location)));
        }
        if let Some((Loop::Param(v), location)) = &t.settings.looped {
            values.push((v, *location));
        }
        for (v, location) in values {
            for leaf in v.leaves() {
                let (o, collected) = match leaf {
                    Value::Output(o) => (o, false),
                    Value::Collected(o) => (o, true),
                    _ => continue,
                };
                if o.0.pipeline != d.id {
                    continue;
                }
                match looped(o.0.task) {
                    Some(producer_loops) if producer_loops != collected => self.push(
                        DiagnosticKind::LoopOutput {
                            task: t.name.clone(),
                            output: format!("{}.{}", o.0.task_name, o.0.output),
                            looped: producer_loops,
                            artifact: false,
                        },
                        location,
                    ),
                    _ => {}
                }
            }
        }
    }

    fn task(&mut self, t: &TaskNode, exit: bool) {
        let d = self.d;
        let task = || t.name.clone();
        self.label("step", &t.name, t.location);
        for i in &t.inputs {
            self.argo_name("artifact", &i.name, t.location);
            let own = d.owns(i.from.pipeline, i.from.task);
            if !own {
                self.push(
                    DiagnosticKind::ArtifactNotProduced {
                        task: task(),
                        input: i.name.clone(),
                        producer: format!("{}.{}", i.from.task_name, i.from.output),
                        producer_pipeline: i.from.pipeline_name.clone(),
                    },
                    t.location,
                );
            }
        }
        self.loop_outputs(t);
        if exit && !t.inputs.is_empty() {
            self.push(
                DiagnosticKind::ExitHandlerInputs { task: task() },
                t.location,
            );
        }
        for o in &t.outputs {
            self.argo_name("artifact", &o.name, t.location);
        }
        self.duplicates(
            "input artifact",
            t.inputs.iter().map(|i| (i.name.as_str(), t.location)),
        );
        self.duplicates(
            "output",
            t.outputs
                .iter()
                .map(|o| o.name.as_str())
                .chain(t.output_params.iter().map(|o| o.name.as_str()))
                .map(|n| (n, t.location)),
        );

        // Run-time values bound as template parameters.
        let mut uses_item = false;
        for p in &t.params {
            match &p.value {
                Value::Param(r) if r.0.pipeline != d.id || !self.declared(&r.0.name) => self.push(
                    DiagnosticKind::UndeclaredParam {
                        task: task(),
                        param: r.0.name.clone(),
                    },
                    p.location,
                ),
                Value::Output(o) if o.0.pipeline != d.id => self.push(
                    DiagnosticKind::ArtifactNotProduced {
                        task: task(),
                        input: p.name.clone(),
                        producer: format!("{}.{}", o.0.task_name, o.0.output),
                        producer_pipeline: o.0.pipeline_name.clone(),
                    },
                    p.location,
                ),
                Value::Item | Value::ItemField(_) => uses_item = true,
                _ => {}
            }
        }
        for bad in &t.bad_tokens {
            self.push(
                DiagnosticKind::BrokenPlaceholder {
                    task: task(),
                    text: bad.text.clone(),
                },
                t.location,
            );
        }
        // Argo expressions written as text in the command line and
        // environment (they reach Argo verbatim).
        let template_params: BTreeSet<&str> = t.params.iter().map(|p| p.name.as_str()).collect();
        let env_values = t.settings.env.iter().filter_map(|(_, s)| match s {
            EnvSource::Value(v) => Some(v),
            EnvSource::Secret { .. } => None,
        });
        let texts = t
            .command
            .iter()
            .chain(&t.args)
            .chain(env_values)
            .flat_map(|p| p.texts());
        let mut undeclared = BTreeSet::new();
        for text in texts {
            for name in references(text, "workflow.parameters") {
                if !self.declared(name) {
                    undeclared.insert(name.to_owned());
                }
            }
            for name in references(text, "inputs.parameters") {
                if !template_params.contains(name) {
                    undeclared.insert(name.to_owned());
                }
            }
            uses_item |= text.contains("{{item");
        }
        for param in undeclared {
            self.push(
                DiagnosticKind::UndeclaredParam {
                    task: task(),
                    param,
                },
                t.location,
            );
        }
        let retries_in = |v: &Value| v.leaves().contains(&&Value::Retries);
        if let Some((m, _)) = &t.settings.memoize
            && retries_in(&m.key)
        {
            self.retries(t, "memoization key");
        }
        if let Some((Loop::Param(v), _)) = &t.settings.looped
            && retries_in(v)
        {
            self.retries(t, "loop");
        }

        if let Some((cond, location)) = &t.settings.when {
            let mut unknown = BTreeSet::new();
            for v in cond.values().into_iter().flat_map(Value::leaves) {
                match v {
                    Value::Param(r) if r.0.pipeline != d.id || !self.declared(&r.0.name) => {
                        unknown.insert(r.0.name.clone());
                    }
                    Value::Item | Value::ItemField(_) => uses_item = true,
                    Value::Retries => self.retries(t, "`when` condition"),
                    _ => {}
                }
            }
            for param in unknown {
                self.push(
                    DiagnosticKind::WhenUnknownParam {
                        task: task(),
                        param,
                    },
                    *location,
                );
            }
            for detail in self.condition_types(cond) {
                self.push(
                    DiagnosticKind::ConditionType {
                        task: task(),
                        detail,
                    },
                    *location,
                );
            }
        }

        if let Some((Loop::Param(Value::Output(o)), location)) = &t.settings.looped
            && o.0.pipeline != d.id
        {
            self.push(
                DiagnosticKind::ArtifactNotProduced {
                    task: task(),
                    input: "withParam".to_owned(),
                    producer: format!("{}.{}", o.0.task_name, o.0.output),
                    producer_pipeline: o.0.pipeline_name.clone(),
                },
                *location,
            );
        }
        match &t.settings.looped {
            Some((Loop::Param(Value::Param(r)), location))
                if r.0.pipeline != d.id || !self.declared(&r.0.name) =>
            {
                self.push(
                    DiagnosticKind::UndeclaredParam {
                        task: task(),
                        param: r.0.name.clone(),
                    },
                    *location,
                );
            }
            None if uses_item => {
                self.push(DiagnosticKind::ItemWithoutLoop { task: task() }, t.location);
            }
            _ => {}
        }

        for (vol, location) in &t.settings.volumes {
            self.label("volume", &vol.name, *location);
        }
        for (mount, location) in &t.settings.mounts {
            let known = d.volumes.iter().any(|(v, _)| v.name == mount.volume)
                || t.settings
                    .volumes
                    .iter()
                    .any(|(v, _)| v.name == mount.volume);
            if !known {
                self.push(
                    DiagnosticKind::MountWithoutVolume {
                        task: task(),
                        volume: mount.volume.clone(),
                    },
                    *location,
                );
            }
        }
        for (link, location) in &t.after {
            if link.pipeline != d.id {
                self.push(
                    DiagnosticKind::ForeignDependency {
                        task: task(),
                        other: link.name.clone(),
                    },
                    *location,
                );
            }
        }
    }

    fn retries(&mut self, t: &TaskNode, place: &'static str) {
        let task = t.name.clone();
        self.push(
            DiagnosticKind::RetriesOutsideStep { task, place },
            t.location,
        );
    }

    /// Why each comparison of `cond` cannot hold as written: a parameter of
    /// another kind, a literal not of the comparison's kind, an ordering of
    /// text or booleans, or a condition of constants only that is false.
    fn condition_types(&self, cond: &Cond) -> Vec<String> {
        let mut out = Vec::new();
        for (op, kind, left, right) in cond.comparisons() {
            if op.orders() && matches!(kind, Kind::String | Kind::Bool) {
                out.push(format!(
                    "orders {kind} values with `{}`; only numbers have an order",
                    op.symbol()
                ));
            }
            for side in [left, right] {
                match side {
                    Value::Param(r) => {
                        if let Some(p) = self.d.param(&r.0.name)
                            && p.kind != kind
                        {
                            out.push(format!(
                                "compares {} parameter `{}` as {kind}",
                                p.kind, p.name
                            ));
                        }
                    }
                    Value::Literal(l) if kind.canonical(l).is_none() => out.push(format!(
                        "compares `{l}` as {kind}, and it is not {}",
                        kind.article_name()
                    )),
                    Value::Concat(_) if kind != Kind::String => {
                        out.push(format!("compares joined text as {kind}"))
                    }
                    _ => {}
                }
            }
        }
        let constant = cond
            .values()
            .into_iter()
            .flat_map(Value::leaves)
            .all(|v| matches!(v, Value::Literal(_)));
        if constant && out.is_empty() && cond.evaluate(&|_| None) == Ok(false) {
            out.push(format!(
                "`{}` compares constants only and is never true",
                cond.describe()
            ));
        }
        out
    }

    fn images(&mut self, image_override: Option<&str>) {
        for t in self.d.tasks.iter().chain(&self.d.exits) {
            if self.d.image_of(t, image_override).is_none() {
                let task = t.name.clone();
                self.push(DiagnosticKind::NoImage { task }, t.location);
            }
        }
    }

    /// A CronWorkflow needs a schedule, the pipeline's or `--schedule`.
    fn schedule(&mut self, options: &CompileOptions) {
        let d = self.d;
        if options.kind == OutputKind::CronWorkflow
            && options.schedule.is_none()
            && d.schedule.is_none()
        {
            let pipeline = d.name.clone();
            self.push(DiagnosticKind::NoSchedule { pipeline }, d.location);
        }
    }

    fn cycles(&mut self) {
        let deps = graph::dependencies(self.d);
        for cycle in graph::cycles(&deps) {
            let path = cycle
                .iter()
                .map(|&i| self.d.tasks[i].name.clone())
                .collect();
            let location = self.d.tasks[cycle[0]].location;
            self.push(DiagnosticKind::Cycle { path }, location);
        }
    }
}

#[cfg(test)]
mod tests {
    use crate::diagnostic::DiagnosticKind;
    use crate::{CompileError, CompileOptions, ContainerStep, OutputKind, Pipeline, Target};

    /// `validate_for` fails exactly when `compile` fails, with the same
    /// diagnostics, for every target option that changes the checks.
    fn assert_agree(p: &Pipeline, options: &CompileOptions) -> Vec<DiagnosticKind> {
        let validated = p.validate_for(&Target::Argo(options.clone()));
        let compiled = p.compile(options);
        match (validated, compiled) {
            (Ok(warnings), Ok(_)) => {
                assert!(warnings.is_empty(), "Argo has no warnings: {warnings:?}");
                Vec::new()
            }
            (Err(v), Err(CompileError::Invalid(c))) => {
                assert_eq!(v, c, "validate and compile disagree for {options:?}");
                v.items().iter().map(|d| d.kind.clone()).collect()
            }
            (v, c) => panic!("validate {v:?} but compile {c:?} for {options:?}"),
        }
    }

    fn options(kind: OutputKind, image: Option<&str>, schedule: Option<&str>) -> CompileOptions {
        CompileOptions {
            kind,
            image: image.map(str::to_owned),
            schedule: schedule.map(str::to_owned),
            ..CompileOptions::default()
        }
    }

    #[test]
    fn validate_and_compile_agree_on_images_and_schedules() {
        let p = Pipeline::new("no-image");
        p.add(ContainerStep::new("a", ["true"]));
        p.add(ContainerStep::new("b", ["true"]).image("alpine:3.20"));
        let no_image = vec![DiagnosticKind::NoImage { task: "a".into() }];
        let no_schedule = DiagnosticKind::NoSchedule {
            pipeline: "no-image".into(),
        };

        assert_eq!(
            assert_agree(&p, &options(OutputKind::Workflow, None, None)),
            no_image
        );
        assert_eq!(p.validate().map_err(|d| d.items().len()), Err(1));
        assert_eq!(
            assert_agree(&p, &options(OutputKind::Workflow, Some("busybox"), None)),
            []
        );
        let mut both = no_image.clone();
        both.push(no_schedule.clone());
        assert_eq!(
            assert_agree(&p, &options(OutputKind::CronWorkflow, None, None)),
            both
        );
        assert_eq!(
            assert_agree(
                &p,
                &options(OutputKind::CronWorkflow, Some("busybox"), None)
            ),
            [no_schedule]
        );
        assert_eq!(
            assert_agree(
                &p,
                &options(OutputKind::CronWorkflow, Some("busybox"), Some("0 3 * * *"))
            ),
            []
        );
        p.schedule(crate::Schedule::cron("0 4 * * *"));
        assert_eq!(
            assert_agree(
                &p,
                &options(OutputKind::CronWorkflow, Some("busybox"), None)
            ),
            []
        );
    }
}
