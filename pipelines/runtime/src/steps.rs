//! Registering steps and running one: [`Steps`], [`StepArgs`],
//! [`parse_args`].

use std::ffi::OsString;
use std::panic::Location;
use std::path::Path;
use std::process::ExitCode;

use anyhow::Context as _;
use clap::{ArgMatches, Command, FromArgMatches};

use crate::{Context, LogFormat, ToArgs};

/// The arguments of a registered step: a clap struct whose
/// `#[derive(ToArgs)]` carries `#[kpipe(step = "NAME")]`.
pub trait StepArgs: clap::Args + FromArgMatches + ToArgs + 'static {
    /// The step's subcommand.
    const NAME: &'static str;

    /// The paths marked `#[kpipe(output)]`: the runtime creates their
    /// parent directories before the step runs.
    fn output_paths(&self) -> Vec<&Path>;
}

type RunFn = Box<dyn Fn(&ArgMatches, &mut Context) -> anyhow::Result<()>>;

struct Registered {
    name: &'static str,
    augment: fn(Command) -> Command,
    run: RunFn,
    location: &'static Location<'static>,
}

/// The steps a binary can run.
#[derive(Default)]
pub struct Steps {
    steps: Vec<Registered>,
}

impl std::fmt::Debug for Steps {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_list()
            .entries(self.steps.iter().map(|s| s.name))
            .finish()
    }
}

impl Steps {
    /// No steps yet.
    pub fn new() -> Self {
        Self::default()
    }

    /// Registers the step whose arguments are `A`, run by `run`.
    #[track_caller]
    pub fn step<A: StepArgs>(
        mut self,
        run: impl Fn(A, &mut Context) -> anyhow::Result<()> + 'static,
    ) -> Self {
        self.steps.push(Registered {
            name: A::NAME,
            augment: |cmd| A::augment_args(cmd),
            run: Box::new(move |matches, ctx| {
                let args = A::from_arg_matches(matches).map_err(|e| anyhow::anyhow!("{e}"))?;
                for out in args.output_paths() {
                    if let Some(dir) = out.parent().filter(|d| !d.as_os_str().is_empty()) {
                        std::fs::create_dir_all(dir).with_context(|| {
                            format!(
                                "cannot create {} for the output {}",
                                dir.display(),
                                out.display()
                            )
                        })?;
                    }
                }
                run(args, ctx)
            }),
            location: Location::caller(),
        });
        self
    }

    /// The registered step names, in registration order.
    pub fn names(&self) -> Vec<&'static str> {
        self.steps.iter().map(|s| s.name).collect()
    }

    /// True when no step is registered.
    pub fn is_empty(&self) -> bool {
        self.steps.is_empty()
    }

    /// Steps registered twice under one name, as error messages (what an
    /// app that hosts the steps refuses to start with).
    pub fn duplicates(&self) -> Vec<String> {
        let mut out = Vec::new();
        for (i, a) in self.steps.iter().enumerate() {
            if let Some(b) = self.steps[..i].iter().find(|b| b.name == a.name) {
                out.push(format!(
                    "two steps are registered as `{}` ({}:{} and {}:{}); give each its own `#[kpipe(step = \"…\")]` name",
                    a.name,
                    b.location.file(),
                    b.location.line(),
                    a.location.file(),
                    a.location.line()
                ));
            }
        }
        out
    }

    /// The command line: one subcommand per step under `name`.
    pub fn command(&self, name: &'static str) -> Command {
        let mut cmd = Command::new(name)
            .about("Runs one step of a pipeline (the program inside every step container)")
            .subcommand_required(true)
            .arg_required_else_help(true)
            .arg(
                clap::Arg::new("log-format")
                    .long("log-format")
                    .global(true)
                    .value_parser(["text", "json"])
                    .env("KPIPE_LOG_FORMAT")
                    .default_value("text")
                    .help("How the step logs: plain lines, or one JSON object a line"),
            );
        for s in &self.steps {
            cmd = cmd.subcommand((s.augment)(Command::new(s.name)));
        }
        cmd
    }

    /// Runs the step `matches` selected (the matches of [`Steps::command`],
    /// or of a command line that hosts it as a subcommand; `program` names
    /// that command in messages).
    pub fn dispatch(&self, program: &str, matches: &ArgMatches) -> ExitCode {
        let Some((name, sub)) = matches.subcommand() else {
            eprintln!("error: name a step; {program} --help lists them");
            return ExitCode::from(2);
        };
        let Some(step) = self.steps.iter().find(|s| s.name == name) else {
            eprintln!("error: unknown step `{name}`");
            return ExitCode::from(2);
        };
        let format = match matches.get_one::<String>("log-format").map(String::as_str) {
            Some("json") => LogFormat::Json,
            _ => LogFormat::Text,
        };
        let mut ctx = Context::new(step.name, format);
        match (step.run)(sub, &mut ctx) {
            Ok(()) => ExitCode::SUCCESS,
            Err(e) => {
                ctx.error(format_args!("{e:#}"));
                ExitCode::from(1)
            }
        }
    }

    /// Runs a standalone step binary called `program` (`program <step> …`)
    /// with the process's arguments.
    pub fn main(self, program: &'static str) -> ExitCode {
        self.main_from(program, std::env::args_os())
    }

    /// [`Steps::main`] with explicit arguments (the first is the program).
    pub fn main_from<I, T>(self, program: &'static str, args: I) -> ExitCode
    where
        I: IntoIterator<Item = T>,
        T: Into<OsString> + Clone,
    {
        if let Some(e) = self.duplicates().first() {
            eprintln!("error: {e}");
            return ExitCode::from(2);
        }
        let cmd = self.command(program).version(env!("CARGO_PKG_VERSION"));
        match cmd.try_get_matches_from(args) {
            Ok(m) => self.dispatch(program, &m),
            Err(e) => exit_for(&e),
        }
    }
}

/// Prints a clap error (or help) and returns its exit code: how
/// [`Steps::main`], and an app's command line that hosts the steps, end
/// when clap does not parse their arguments.
pub fn exit_for(e: &clap::Error) -> ExitCode {
    let _ = e.print();
    ExitCode::from(u8::try_from(e.exit_code()).unwrap_or(2))
}

/// Parses `args` (as rendered by [`ToArgs::to_args`]: subcommand first) back
/// into `A`, the way the step binary parses them. Round-trip tests compare
/// the result with the struct they rendered.
pub fn parse_args<A: StepArgs>(args: &[String]) -> Result<A, clap::Error> {
    let cmd = Command::new("step")
        .no_binary_name(true)
        .subcommand_required(true)
        .subcommand(A::augment_args(Command::new(A::NAME)));
    let matches = cmd.try_get_matches_from(args)?;
    match matches.subcommand() {
        Some((_, sub)) => A::from_arg_matches(sub),
        None => Err(clap::Error::raw(
            clap::error::ErrorKind::MissingSubcommand,
            format!("the arguments do not start with the step `{}`", A::NAME),
        )),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[derive(clap::Args, kpipe_derive::ToArgs, Clone, Debug, PartialEq)]
    #[kpipe(crate = "crate", step = "write")]
    struct WriteArgs {
        #[arg(long)]
        text: String,
        #[arg(long)]
        #[kpipe(output)]
        out: std::path::PathBuf,
    }

    fn write(args: WriteArgs, ctx: &mut Context) -> anyhow::Result<()> {
        if args.text == "fail" {
            anyhow::bail!("asked to fail");
        }
        ctx.write_param(&args.out, &args.text)
    }

    #[test]
    fn a_step_runs_with_its_output_directory_created() {
        let tmp = tempfile::tempdir().unwrap_or_else(|e| panic!("{e}"));
        let out = tmp.path().join("deep/dir/value.param");
        let steps = Steps::new().step(write);
        let code = steps.main_from(
            "t",
            [
                "t",
                "write",
                "--text=hello",
                &format!("--out={}", out.display()),
            ],
        );
        assert_eq!(code, ExitCode::SUCCESS);
        assert_eq!(std::fs::read_to_string(&out).unwrap_or_default(), "hello");
        let failed = Steps::new().step(write).main_from(
            "t",
            [
                "t",
                "write",
                "--text=fail",
                &format!("--out={}", out.display()),
            ],
        );
        assert_eq!(failed, ExitCode::from(1));
        let usage = Steps::new().step(write).main_from("t", ["t", "write"]);
        assert_eq!(usage, ExitCode::from(2));
    }

    #[test]
    fn two_steps_under_one_name_are_refused() {
        let steps = Steps::new().step(write).step(write);
        let dup = steps.duplicates();
        assert_eq!(dup.len(), 1);
        assert!(
            dup[0].starts_with("two steps are registered as `write`"),
            "{}",
            dup[0]
        );
        assert_eq!(steps.main_from("t", ["t", "write"]), ExitCode::from(2));
    }

    #[test]
    fn parse_args_reads_what_to_args_wrote() {
        let a = WriteArgs {
            text: "--x".into(),
            out: "/o".into(),
        };
        let back: WriteArgs = parse_args(&a.to_args()).unwrap_or_else(|e| panic!("{e}"));
        assert_eq!(back, a);
        assert!(parse_args::<WriteArgs>(&["other".to_owned()]).is_err());
    }
}
