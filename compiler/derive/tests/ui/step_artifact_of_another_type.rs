// An `Input<Csv>` takes a `&Artifact<Csv>`: a model is a type error at the field.
use kpipe::{ArtifactType, Input, Output, Pipeline};

enum Csv {}
impl ArtifactType for Csv {
    const KIND: &'static str = "csv";
}
enum Model {}
impl ArtifactType for Model {
    const KIND: &'static str = "model";
}

#[kpipe::step]
fn load(data: Output<Csv>) -> anyhow::Result<()> {
    data.write("x,y\n")
}

#[kpipe::step]
fn train(data: Input<Csv>, model: Output<Model>) -> anyhow::Result<()> {
    model.write(data.read_to_string()?)
}

fn main() {
    let p = Pipeline::new("p");
    let loaded = p.add(Load {});
    let first = p.add(Train { data: &loaded.out.data });
    p.add(Train { data: &first.out.model });
}
