//! Every step's command line survives render → parse: the compiler side
//! (`ToArgs`) and the binary side (the step runtime's clap parser) agree on
//! every field, for every step `kpipe-step` registers.
//!
//! Each case sets every field to a non-default value, so a field that
//! `to_args` forgets comes back as its default and fails the comparison.

use std::path::PathBuf;

use kpipe::Arg;
use kpipe_runtime::StepArgs;
use kpipe_step_contract::*;

/// One step's arguments: renders them, parses them back as the step binary
/// does, and compares.
trait Case {
    fn name(&self) -> &'static str;
    fn round_trip(&self);
}

impl<A: StepArgs + PartialEq + std::fmt::Debug> Case for A {
    fn name(&self) -> &'static str {
        A::NAME
    }

    fn round_trip(&self) {
        let args = self.to_args();
        match kpipe_runtime::parse_args::<A>(&args) {
            Ok(parsed) => assert_eq!(&parsed, self, "args: {args:?}"),
            Err(e) => panic!("{args:?} does not parse:\n{e}"),
        }
    }
}

fn p(s: &str) -> PathBuf {
    PathBuf::from(s)
}

fn every_command() -> Vec<Box<dyn Case>> {
    vec![
        Box::new(CheckoutArgs {
            repo: "git@github.com:org/data.git".into(),
            pr: "123".into(),
            git_ref: Some("release-1.0".into()),
            out: p("/out/repo"),
            ssh_key: Some(p("/s/ssh/key")),
            token_file: Some(p("/s/token")),
            depth: 0,
        }),
        Box::new(UpdateApiArgs {
            repo: "kubernetes/kubernetes".into(),
            store: p("/out/api"),
            from: Some(p("/in/repo/data/api")),
            api_url: "https://ghe.example.com/api/v3".into(),
            token_file: Some(p("/s/github/token")),
            full: true,
            offline: Arg::new(false),
        }),
        Box::new(UpdateApiArgs {
            repo: "o/r".into(),
            store: p("/s"),
            from: None,
            api_url: GITHUB_API.into(),
            token_file: None,
            full: false,
            offline: Arg::new(true),
        }),
        Box::new(UpdateDataArgs {
            store: p("/in/api"),
            out: p("/out/dataset"),
        }),
        Box::new(AnalyzeArgs::new(
            p("/in/d"),
            Chart::CreatedVsClosed,
            Subset::PullRequests,
            p("/out/a"),
        )),
        Box::new(AnalyzeArgs::new(p("/d"), Chart::All, Subset::All, p("/o"))),
        Box::new(TrainArgs {
            data: Some(p("/in/d")),
            out: Some(p("/out/m")),
            seed: 7,
            device: Arg::new(Device::Cuda),
            tune: true,
            eval: None,
            model: None,
            kfp_out: Some(p("/out")),
            kfp_metrics: Some(p("/out/m.json")),
            kfp_ui_metadata: None,
            // KFP's executor input: JSON with spaces, quotes and braces.
            kfp_executor_input: Some(
                r#"{"outputs": {"outputFile": "/tmp/kfp outputs/o.json", "artifacts": {}}}"#.into(),
            ),
            layers: Some(3),
            units: Some(128),
            dropout: Some(0.35),
            max_epochs: Some(12),
        }),
        Box::new(TrainArgs {
            data: None,
            out: None,
            seed: 1,
            device: Arg::new(Device::Auto),
            tune: false,
            eval: Some(p("/dev.jsonl")),
            model: Some(p("/m")),
            kfp_out: None,
            kfp_metrics: None,
            kfp_ui_metadata: Some(p("/ui.json")),
            kfp_executor_input: None,
            layers: None,
            units: None,
            dropout: None,
            max_epochs: None,
        }),
        Box::new(PredictArgs {
            model: p("/m"),
            text: Some("--looks like a flag: fixes a crash".into()),
            test: false,
            threshold: Some(0.75),
        }),
        Box::new(PredictArgs {
            model: p("/m"),
            text: None,
            test: true,
            threshold: Some(0.5),
        }),
        Box::new(BuildImageArgs {
            model: p("/in/model"),
            base_binary: Some(p("/bin/kpipe-step")),
            image: "localhost:5000/serving".into(),
            tags: vec!["abc123".into(), "v1".into()],
            pr: "42".into(),
            layout: p("/out/image"),
            push: Arg::new(true),
            registry_auth: Some(p("/s/registry/config.json")),
            plain_http: true,
        }),
        Box::new(CommitChangesArgs {
            repo: p("/in/repo"),
            api_store: Some(p("/in/api")),
            dataset: Some(p("/in/dataset")),
            assets: Some(p("/in/assets")),
            model: Some(p("/in/model")),
            message: "Refresh: yes, on 2024-01-01 [skip]".into(),
            push: Arg::new(true),
            ssh_key: Some(p("/s/ssh")),
        }),
        Box::new(RolloutArgs {
            image: "q.io/x/serving:abc".into(),
            name: "isvc".into(),
            namespace: "ml".into(),
            canary_percent: 25,
            timeout_seconds: 30,
            dry_run: Arg::new(true),
            poll_ms: Some(30),
        }),
        Box::new(ServeArgs {
            model: p("/m"),
            name: "m".into(),
            host: "127.0.0.1".into(),
            port: 9000,
            max_body_bytes: 1000,
            request_timeout_seconds: 3,
            threshold: Some(0.65),
        }),
        Box::new(BotArgs {
            hmac_secret_file: p("/s/hmac"),
            github_token_file: p("/s/gh"),
            predict_url: Some("http://serve/v1/models/m:predict".into()),
            model: None,
            github_api_url: "http://localhost:4010".into(),
            threshold: Some(0.7),
            dry_run: true,
            host: "127.0.0.1".into(),
            port: 9999,
        }),
    ]
}

#[test]
fn every_step_round_trips() {
    for case in every_command() {
        case.round_trip();
    }
}

#[test]
fn every_registered_step_is_covered() {
    let covered: std::collections::BTreeSet<&str> =
        every_command().iter().map(|c| c.name()).collect();
    for name in kpipe_steps::steps().names() {
        assert!(covered.contains(name), "step {name} has no round-trip case");
    }
}

#[test]
fn parser_rejects_what_the_contract_forbids() {
    for bad in [
        vec!["analyze", "--data=/d", "--out=/o"],
        vec!["analyze", "--data=/d", "--all", "--created", "--out=/o"],
        vec!["train", "--seed=1"],
        vec!["train", "--eval=/x"],
        vec!["predict", "--model=/m"],
        vec!["predict", "--model=/m", "--test", "--", "text"],
        vec![
            "update-api",
            "--repo=o/r",
            "--store=/s",
            "--full",
            "--offline=maybe",
        ],
        vec!["rollout", "--image=x:y", "--canary-percent=0"],
        vec!["bot", "--hmac-secret-file=/h", "--github-token-file=/g"],
        vec!["no-such-step"],
    ] {
        let argv = std::iter::once("kpipe-step").chain(bad.iter().copied());
        assert!(
            kpipe_steps::steps()
                .command("kpipe-step")
                .try_get_matches_from(argv)
                .is_err(),
            "{bad:?} should be rejected"
        );
    }
}
