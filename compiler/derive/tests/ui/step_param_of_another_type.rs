// An `i64` input takes an `i64`, a `&Param<i64>` or an `&OutputParam<i64>`:
// a float parameter is an error at the field.
use kpipe::Pipeline;

#[kpipe::step]
fn generate(rows: i64) -> anyhow::Result<()> {
    println!("{rows}");
    Ok(())
}

fn main() {
    let p = Pipeline::new("p");
    let share = p.float_param("share", 0.5);
    p.add(Generate { rows: &share });
}
