// A loop over a list of strings gives string items, not floats.
use kpipe::{ParamWriter, Pipeline};

#[kpipe::step]
fn list(names: ParamWriter<Vec<String>>) -> anyhow::Result<()> {
    names.write(vec!["a".to_owned()])
}

#[kpipe::step]
fn train(rate: f64) -> anyhow::Result<()> {
    println!("{rate}");
    Ok(())
}

fn main() {
    let p = Pipeline::new("p");
    let list = p.add(List {});
    p.add(Train { rate: list.out.names.item() }).with_param(&list.out.names);
}
