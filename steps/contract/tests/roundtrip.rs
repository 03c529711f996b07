//! Every step's command line survives render → parse: the compiler side
//! (`ToArgs`) and the binary side (clap) agree on every field.
//!
//! Each case sets every field to a non-default value, so a field that
//! `to_args` forgets comes back as its default and fails the comparison.

use std::path::PathBuf;

use kpipe::ToArgs;
use kpipe_step_contract::*;

fn p(s: &str) -> PathBuf {
    PathBuf::from(s)
}

fn every_command() -> Vec<Command> {
    vec![
        Command::Checkout(CheckoutArgs {
            repo: "git@github.com:org/data.git".into(),
            pr: "123".into(),
            git_ref: Some("release-1.0".into()),
            out: p("/out/repo"),
            ssh_key: Some(p("/s/ssh/key")),
            token_file: Some(p("/s/token")),
            depth: 0,
        }),
        Command::UpdateApi(UpdateApiArgs {
            repo: "kubernetes/kubernetes".into(),
            store: p("/out/api"),
            from: Some(p("/in/repo/data/api")),
            api_url: "https://ghe.example.com/api/v3".into(),
            token_file: Some(p("/s/github/token")),
            full: true,
            offline: false,
        }),
        Command::UpdateApi(UpdateApiArgs {
            repo: "o/r".into(),
            store: p("/s"),
            from: None,
            api_url: GITHUB_API.into(),
            token_file: None,
            full: false,
            offline: true,
        }),
        Command::UpdateData(UpdateDataArgs {
            store: p("/in/api"),
            out: p("/out/dataset"),
        }),
        Command::Analyze(AnalyzeArgs::new(
            p("/in/d"),
            Chart::CreatedVsClosed,
            Subset::PullRequests,
            p("/out/a"),
        )),
        Command::Analyze(AnalyzeArgs::new(p("/d"), Chart::All, Subset::All, p("/o"))),
        Command::Train(TrainArgs {
            data: Some(p("/in/d")),
            out: Some(p("/out/m")),
            seed: 7,
            device: Device::Cuda,
            tune: true,
            eval: None,
            model: None,
            kfp_out: Some(p("/out")),
            kfp_metrics: Some(p("/out/m.json")),
            kfp_ui_metadata: None,
            layers: Some(3),
            units: Some(128),
            dropout: Some(0.35),
            max_epochs: Some(12),
        }),
        Command::Train(TrainArgs {
            data: None,
            out: None,
            seed: 1,
            device: Device::Auto,
            tune: false,
            eval: Some(p("/dev.jsonl")),
            model: Some(p("/m")),
            kfp_out: None,
            kfp_metrics: None,
            kfp_ui_metadata: Some(p("/ui.json")),
            layers: None,
            units: None,
            dropout: None,
            max_epochs: None,
        }),
        Command::Predict(PredictArgs {
            model: p("/m"),
            text: Some("--looks like a flag: fixes a crash".into()),
            test: false,
            threshold: Some(0.75),
        }),
        Command::Predict(PredictArgs {
            model: p("/m"),
            text: None,
            test: true,
            threshold: Some(0.5),
        }),
        Command::BuildImage(BuildImageArgs {
            model: p("/in/model"),
            base_binary: p("/bin/kpipe-step"),
            image: "localhost:5000/serving".into(),
            tags: vec!["abc123".into(), "v1".into()],
            pr: "42".into(),
            layout: p("/out/image"),
            push: true,
            registry_auth: Some(p("/s/registry/config.json")),
            plain_http: true,
        }),
        Command::CommitChanges(CommitChangesArgs {
            repo: p("/in/repo"),
            api_store: Some(p("/in/api")),
            dataset: Some(p("/in/dataset")),
            assets: Some(p("/in/assets")),
            model: Some(p("/in/model")),
            message: "Refresh: yes, on 2024-01-01 [skip]".into(),
            push: true,
            ssh_key: Some(p("/s/ssh")),
        }),
        Command::Rollout(RolloutArgs {
            image: "q.io/x/serving:abc".into(),
            name: "isvc".into(),
            namespace: "ml".into(),
            canary_percent: 25,
            timeout_seconds: 30,
            dry_run: true,
            poll_ms: Some(30),
        }),
        Command::Serve(ServeArgs {
            model: p("/m"),
            name: "m".into(),
            host: "127.0.0.1".into(),
            port: 9000,
            max_body_bytes: 1000,
            request_timeout_seconds: 3,
            threshold: Some(0.65),
        }),
        Command::Bot(BotArgs {
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
    let all = every_command();
    for expected in all {
        let args = expected.to_args();
        let parsed = match StepCli::parse_args(&args) {
            Ok(cli) => cli.command,
            Err(e) => panic!("{args:?} does not parse:\n{e}"),
        };
        assert_eq!(parsed, expected, "args: {args:?}");
    }
}

#[test]
fn every_subcommand_is_covered() {
    use clap::CommandFactory;
    let covered: std::collections::BTreeSet<&str> =
        every_command().iter().map(Command::name).collect();
    for sub in StepCli::command().get_subcommands() {
        assert!(
            covered.contains(sub.get_name()),
            "subcommand {} has no round-trip case",
            sub.get_name()
        );
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
            "--offline",
        ],
        vec!["rollout", "--image=x:y", "--canary-percent=0"],
        vec!["bot", "--hmac-secret-file=/h", "--github-token-file=/g"],
        vec!["no-such-step"],
    ] {
        assert!(
            StepCli::parse_args(&bad).is_err(),
            "{bad:?} should be rejected"
        );
    }
}
