// Wiring the trained model where a data set is expected is a type error.
use kpipe::Pipeline;
use kpipe_step_contract::{Checkout, Device, Train, UpdateApi, UpdateData, GITHUB_API};

fn main() {
    let p = Pipeline::new("miswired");
    let checkout = p.add(Checkout::new("https://example.com/data.git"));
    let api = p.add(UpdateApi {
        checkout: &checkout.out.repo,
        github_repo: "o/r".into(),
        api_url: GITHUB_API.into(),
        token_file: None,
        full: false,
        offline: true.into(),
    });
    let data = p.add(UpdateData { store: &api.out.store });
    let first = p.add(Train { dataset: &data.out.dataset, seed: 1, device: Device::Cpu.into() });
    // A second model trained on the first model: rejected by rustc.
    p.add(Train { dataset: &first.out.model, seed: 2, device: Device::Cpu.into() });
}
