// One context.
use kpipe::Context;

#[kpipe::step]
fn generate(rows: i64, ctx: &mut Context, again: &mut Context) -> anyhow::Result<()> {
    ctx.info(rows);
    again.info(rows);
    Ok(())
}

fn main() {}
