// A repository checkout is not a GitHub API store.
use kpipe::Pipeline;
use kpipe_step_contract::{Checkout, UpdateData};

fn main() {
    let p = Pipeline::new("miswired");
    let checkout = p.add(Checkout::new("https://example.com/data.git"));
    p.add(UpdateData { store: &checkout.out.repo });
}
