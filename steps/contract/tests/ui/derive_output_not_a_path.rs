// An output is one path.
#[derive(clap::Args, kpipe::ToArgs)]
#[kpipe(step = "s")]
struct Args {
    #[arg(long)]
    #[kpipe(output)]
    outs: Vec<std::path::PathBuf>,
}

fn main() {}
