//! Backend selection: the CPU backend always, CUDA with `--features cuda`.

use anyhow::bail;
use burn::backend::Autodiff;
use burn::backend::ndarray::{NdArray, NdArrayDevice};
use kpipe_step_contract::Device;

use super::network::{self, Epoch, NetConfig, Trained};
use super::sparse::Csr;

/// Trains with the backend `device` selects.
#[allow(clippy::too_many_arguments)]
pub fn train(
    device: Device,
    cfg: &NetConfig,
    x: &Csr,
    y: &[bool],
    train_rows: &[usize],
    val_rows: &[usize],
    seed: u64,
    on_epoch: &mut dyn FnMut(&Epoch),
) -> anyhow::Result<Trained> {
    match resolve(device)? {
        Device::Cuda => cuda::train(cfg, x, y, train_rows, val_rows, seed, on_epoch),
        _ => network::train::<Autodiff<NdArray<f32>>>(
            &NdArrayDevice::Cpu,
            cfg,
            x,
            y,
            train_rows,
            val_rows,
            seed,
            on_epoch,
        ),
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

    use super::super::network::{self, Epoch, NetConfig, Trained};
    use super::super::sparse::Csr;

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

    pub(super) fn train(
        cfg: &NetConfig,
        x: &Csr,
        y: &[bool],
        train_rows: &[usize],
        val_rows: &[usize],
        seed: u64,
        on_epoch: &mut dyn FnMut(&Epoch),
    ) -> anyhow::Result<Trained> {
        let device = CudaDevice::default();
        network::train::<Autodiff<Cuda>>(&device, cfg, x, y, train_rows, val_rows, seed, on_epoch)
    }
}

#[cfg(not(feature = "cuda"))]
mod cuda {
    use super::super::network::{Epoch, NetConfig, Trained};
    use super::super::sparse::Csr;

    pub(super) const COMPILED: bool = false;

    pub(super) fn available() -> bool {
        false
    }

    pub(super) fn train(
        _: &NetConfig,
        _: &Csr,
        _: &[bool],
        _: &[usize],
        _: &[usize],
        _: u64,
        _: &mut dyn FnMut(&Epoch),
    ) -> anyhow::Result<Trained> {
        anyhow::bail!("this kpipe-step was built without CUDA")
    }
}
