//! A GPU training step: CPU/memory requests, `nvidia.com/gpu`, a node
//! selector and toleration for GPU nodes, a secret as a file (with a file
//! mode) and as an environment variable, and scratch space. Run-time values
//! reach the step as arguments (`--epochs`), which both targets fill in;
//! Kubeflow Pipelines v2 cannot put one into an environment variable.

use kpipe::{ContainerStep, Pipeline, Resources, TaintEffect, Toleration, Volume};

/// The example pipeline.
pub fn pipeline() -> Pipeline {
    let p = Pipeline::new("gpu");
    p.description("a GPU step: resources, node selector, tolerations, secrets, env")
        .image("nvcr.io/nvidia/pytorch:24.08-py3");
    p.volume(Volume::secret("wandb", "wandb-credentials").default_mode(0o400));
    let epochs = p.int_param("epochs", 10);
    // A stand-in for `python train.py --epochs N` that runs anywhere,
    // including `kpipe run gpu --local` (which ignores the GPU request).
    p.add(
        ContainerStep::new(
            "train",
            [
                "sh",
                "-c",
                "echo \"training for $0 epochs on GPUs: ${NVIDIA_VISIBLE_DEVICES:-none visible}\"; \
                 test -d /secrets/wandb && echo 'wandb credentials mounted at /secrets/wandb'; \
                 echo checkpoint > /dev/shm/checkpoint && echo 'scratch space: /dev/shm'",
            ],
        )
        .arg(&epochs),
    )
    .resources(
        Resources::default()
            .request("cpu", "8")
            .request("memory", "32Gi")
            .limit("memory", "48Gi")
            .gpus(2),
    )
    .node_selector("cloud.google.com/gke-accelerator", "nvidia-tesla-a100")
    .toleration(Toleration::exists("nvidia.com/gpu").effect(TaintEffect::NoSchedule))
    .env("PYTHONUNBUFFERED", "1")
    .env_secret("HF_TOKEN", "huggingface", "token")
    .mount("wandb", "/secrets/wandb")
    .volume(Volume::memory_dir("shm", "16Gi"))
    .mount_writable("shm", "/dev/shm")
    .annotation("cluster-autoscaler.kubernetes.io/safe-to-evict", "false")
    .label("team", "ml");
    p
}
