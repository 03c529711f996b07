// The derive follows clap's default names; other casings must be spelt out.
#[derive(clap::Args, kpipe::ToArgs)]
#[command(rename_all = "snake_case")]
#[kpipe(step = "s")]
struct Args {
    #[arg(long)]
    dry_run: bool,
}

fn main() {}
