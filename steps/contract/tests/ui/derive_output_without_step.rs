// `#[kpipe(output)]` marks a step's output; a struct without a step has none.
#[derive(clap::Args, kpipe::ToArgs)]
struct Args {
    #[arg(long)]
    #[kpipe(output)]
    out: std::path::PathBuf,
}

fn main() {}
