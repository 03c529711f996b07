//! `#[derive(ToArgs)]`: every field shape renders as clap parses it back,
//! for hand-picked and for many seeded random values.

use std::path::PathBuf;

use kpipe::step::parse_args;
use kpipe::{Arg, StepArgs, ToArgs};

#[derive(clap::ValueEnum, Clone, Copy, Debug, PartialEq, Eq)]
enum Mode {
    Fast,
    VerySlow,
}

#[derive(clap::Args, kpipe::ToArgs, Clone, Debug, PartialEq, Default)]
struct Extra {
    /// A flattened flag.
    #[arg(long)]
    verbose: bool,
    /// A flattened option.
    #[arg(long)]
    level: Option<u8>,
}

#[derive(clap::Args, kpipe::ToArgs, Clone, Debug, PartialEq)]
#[kpipe(step = "every-shape")]
struct EveryShape {
    #[arg(long)]
    name: String,
    #[arg(long = "ref")]
    git_ref: Option<String>,
    #[arg(long)]
    rows: Arg<i64>,
    #[arg(long)]
    share: f64,
    #[arg(long, value_enum, default_value_t = Mode::Fast)]
    mode: Mode,
    #[arg(long)]
    #[kpipe(output)]
    out: PathBuf,
    #[arg(long)]
    #[kpipe(output)]
    report: Option<PathBuf>,
    #[arg(long)]
    dry_run: bool,
    #[arg(long = "no-color", action = clap::ArgAction::SetFalse)]
    color: bool,
    #[arg(short, action = clap::ArgAction::Count)]
    v: u8,
    #[arg(long = "tag")]
    tags: Vec<String>,
    #[arg(long, value_delimiter = ',')]
    ids: Option<Vec<u32>>,
    #[command(flatten)]
    extra: Extra,
    #[arg(skip)]
    skipped: u32,
    /// Positionals come last, after `--`.
    files: Vec<String>,
}

fn sample() -> EveryShape {
    EveryShape {
        name: "-starts-with-dash and spaces".into(),
        git_ref: Some(String::new()),
        rows: Arg::new(7),
        share: 0.25,
        mode: Mode::VerySlow,
        out: PathBuf::from("/kpipe/outputs/data"),
        report: None,
        dry_run: true,
        color: false,
        v: 2,
        tags: vec!["a".into(), "b=c".into()],
        ids: Some(vec![1, 2]),
        extra: Extra {
            verbose: true,
            level: Some(3),
        },
        skipped: 0,
        files: vec!["--looks-like-a-flag".into(), "x".into()],
    }
}

#[test]
fn every_shape_renders_canonically() {
    assert_eq!(
        sample().to_args(),
        [
            "every-shape",
            "--name=-starts-with-dash and spaces",
            "--ref=",
            "--rows=7",
            "--share=0.25",
            "--mode=very-slow",
            "--out=/kpipe/outputs/data",
            "--dry-run",
            "--no-color",
            "-v",
            "-v",
            "--tag=a",
            "--tag=b=c",
            "--ids=1",
            "--ids=2",
            "--verbose",
            "--level=3",
            "--",
            "--looks-like-a-flag",
            "x",
        ]
    );
}

#[test]
fn every_shape_round_trips() {
    let args = sample().to_args();
    let parsed: EveryShape = parse_args(&args).unwrap_or_else(|e| panic!("{args:?}: {e}"));
    assert_eq!(parsed, sample());
}

#[test]
fn outputs_and_name_come_from_the_attributes() {
    let s = sample();
    assert_eq!(EveryShape::NAME, "every-shape");
    assert_eq!(s.output_paths(), [PathBuf::from("/kpipe/outputs/data")]);
    let with_report = EveryShape {
        report: Some(PathBuf::from("/r.json")),
        ..sample()
    };
    assert_eq!(with_report.output_paths().len(), 2);
}

/// A tiny deterministic generator (no dependency for one test).
struct Rng(u64);
impl Rng {
    fn next(&mut self) -> u64 {
        self.0 = self
            .0
            .wrapping_mul(6_364_136_223_846_793_005)
            .wrapping_add(1_442_695_040_888_963_407);
        self.0 >> 33
    }
    fn text(&mut self) -> String {
        let alphabet = ['a', '-', '=', ' ', ',', 'é', '"', '/', '0', '\''];
        (0..self.next() % 6)
            .map(|_| alphabet[(self.next() % alphabet.len() as u64) as usize])
            .collect()
    }
}

#[test]
fn random_values_round_trip() {
    let mut rng = Rng(42);
    for _ in 0..500 {
        let maybe = |rng: &mut Rng| rng.next().is_multiple_of(2);
        let expected = EveryShape {
            name: rng.text(),
            git_ref: maybe(&mut rng).then(|| rng.text()),
            rows: Arg::new(rng.next() as i64 - (1 << 30)),
            share: (rng.next() % 1000) as f64 / 7.0,
            mode: if maybe(&mut rng) {
                Mode::Fast
            } else {
                Mode::VerySlow
            },
            out: PathBuf::from(format!("/o/{}", rng.text())),
            report: maybe(&mut rng).then(|| PathBuf::from(rng.text() + "r")),
            dry_run: maybe(&mut rng),
            color: maybe(&mut rng),
            v: (rng.next() % 4) as u8,
            // (clap reads a Vec option given no value as empty, so none or more)
            tags: (0..rng.next() % 3).map(|_| rng.text()).collect(),
            ids: maybe(&mut rng)
                .then(|| (0..1 + rng.next() % 3).map(|_| rng.next() as u32).collect()),
            extra: Extra {
                verbose: maybe(&mut rng),
                level: maybe(&mut rng).then(|| (rng.next() % 200) as u8),
            },
            skipped: 0,
            files: (0..rng.next() % 3).map(|_| rng.text()).collect(),
        };
        let args = expected.to_args();
        let parsed: EveryShape = parse_args(&args).unwrap_or_else(|e| panic!("{args:?}: {e}"));
        assert_eq!(parsed, expected, "{args:?}");
    }
}
