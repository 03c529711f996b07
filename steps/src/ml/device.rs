//! Backend selection: the CPU backend always, CUDA with `--features cuda`.

use anyhow::bail;
use burn::backend::Autodiff;
use burn::backend::ndarray::{NdArray, NdArrayDevice};
use kpipe_step_contract::Device;

use super::fit::{Epoch, TrainSet, Trained, fit_epochs};
use super::net_config::NetConfig;

/// Runs one fit on the backend `device` selects.
pub fn fit_on_device(
    device: Device,
    set: &TrainSet<'_>,
    cfg: &NetConfig,
    seed: u64,
    on_epoch: &mut dyn FnMut(&Epoch),
) -> anyhow::Result<Trained> {
    match resolve(device)? {
        Device::Cuda => cuda::fit(set, cfg, seed, on_epoch),
        _ => fit_epochs::<Autodiff<NdArray<f32>>>(&NdArrayDevice::Cpu, set, cfg, seed, on_epoch),
    }
}

/// `auto` → CUDA when compiled in and a GPU answers, else CPU.
pub fn resolve(device: Device) -> anyhow::Result<Device> {
    match device {
        Device::Cpu => Ok(Device::Cpu),
        Device::Cuda if cuda::COMPILED => {
            if cuda::available() {
                Ok(Device::Cuda)
            } else {
                bail!(
                    "--device cuda: no CUDA device answered (is the NVIDIA driver installed and a GPU visible?)"
                )
            }
        }
        Device::Cuda => bail!(
            "--device cuda: this kpipe-step was built without CUDA; rebuild with `cargo build --release -p kpipe-steps --features cuda`"
        ),
        Device::Auto => Ok(if cuda::COMPILED && cuda::available() {
            Device::Cuda
        } else {
            Device::Cpu
        }),
    }
}

#[cfg(feature = "cuda")]
mod cuda {
    use burn::backend::{Autodiff, Cuda, cuda::CudaDevice};
    use burn::tensor::Tensor;

    use super::super::fit::{Epoch, TrainSet, Trained, fit_epochs};
    use super::super::net_config::NetConfig;

    pub(super) const COMPILED: bool = true;

    /// Whether a CUDA device can run a kernel (burn-cuda panics when none can).
    pub(super) fn available() -> bool {
        std::panic::catch_unwind(|| {
            let device = CudaDevice::default();
            Tensor::<Cuda, 1>::ones([1], &device)
                .into_data()
                .to_vec::<f32>()
                .is_ok()
        })
        .unwrap_or(false)
    }

    pub(super) fn fit(
        set: &TrainSet<'_>,
        cfg: &NetConfig,
        seed: u64,
        on_epoch: &mut dyn FnMut(&Epoch),
    ) -> anyhow::Result<Trained> {
        fit_epochs::<Autodiff<Cuda>>(&CudaDevice::default(), set, cfg, seed, on_epoch)
    }
}

#[cfg(not(feature = "cuda"))]
mod cuda {
    use super::super::fit::{Epoch, TrainSet, Trained};
    use super::super::net_config::NetConfig;

    pub(super) const COMPILED: bool = false;

    pub(super) fn available() -> bool {
        false
    }

    pub(super) fn fit(
        _: &TrainSet<'_>,
        _: &NetConfig,
        _: u64,
        _: &mut dyn FnMut(&Epoch),
    ) -> anyhow::Result<Trained> {
        anyhow::bail!("this kpipe-step was built without CUDA")
    }
}
