use insta::assert_snapshot;

/// The long help of `cmd` and of every subcommand under it, at any depth
/// (`kpipe-image-build`), named by their path.
fn render(mut cmd: clap::Command, prefix: &str) -> Vec<(String, String)> {
    cmd.build();
    let mut out = vec![(prefix.to_owned(), cmd.render_long_help().to_string())];
    for sub in cmd.get_subcommands() {
        if sub.get_name() == "help" {
            continue;
        }
        let name = format!("{prefix}-{}", sub.get_name());
        if sub.has_subcommands() {
            out.extend(render(sub.clone(), &name));
        } else {
            let mut sub = sub.clone();
            out.push((name, sub.render_long_help().to_string()));
        }
    }
    out
}

#[test]
fn kpipe_help() {
    for (name, text) in render(kpipe_pipelines::app().command(), "kpipe") {
        // `kpipe step` runs the examples' typed steps; `kpipe-step` is the
        // kubernetes-analysis step binary (below).
        let name = match name.strip_prefix("kpipe-step") {
            Some(rest) => format!("kpipe-examples-step{rest}"),
            None => name,
        };
        assert_snapshot!(name, text);
    }
}

#[test]
fn kpipe_step_help() {
    for (name, text) in render(kpipe_steps::steps().command("kpipe-step"), "kpipe-step") {
        assert_snapshot!(name, text);
    }
}
