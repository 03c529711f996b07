"""The kubernetes-analysis pipeline's shape written with the kfp 1.8.22 SDK.

Nine ContainerOps with the same names, dependencies, parameters, secret
volumes, GPU limit and master-only conditions as kpipe's pipeline, compiled to
Argo YAML. `compile-vs-kfp.sh` times this against `kpipe compile`.
"""

import sys

import kfp
from kfp import dsl
from kubernetes.client import V1SecretVolumeSource, V1Volume, V1VolumeMount

IMAGE = "ghcr.io/kpipe/kpipe-step:0.1.0"
SERVING = "ghcr.io/kpipe/kubernetes-analysis-serving"


def step(name, args, inputs=None, outputs=None, mounts=()):
    op = dsl.ContainerOp(
        name=name,
        image=IMAGE,
        command=["kpipe-step"],
        arguments=args,
        artifact_argument_paths=[dsl.InputArgumentPath(a, path=p) for a, p in (inputs or [])],
        file_outputs=outputs or {},
    )
    for volume, path in mounts:
        op.add_volume(V1Volume(name=volume, secret=V1SecretVolumeSource(secret_name=volume)))
        op.container.add_volume_mount(V1VolumeMount(name=volume, mount_path=path, read_only=True))
    return op


@dsl.pipeline(name="Kubernetes Analysis", description="kpipe's pipeline shape, in kfp 1.8.22")
def kubernetes_analysis(pr: str = "", commit: str = ""):
    checkout = step("checkout", ["checkout", "--repo=git@github.com:kpipe/kubernetes-analysis-data.git", f"--pr={pr}", "--out=/kpipe/outputs/repo"],
                    outputs={"repo": "/kpipe/outputs/repo"}, mounts=[("ssh-key", "/kpipe/secrets/ssh")])
    api = step("update-api", ["update-api", "--repo=kubernetes/kubernetes", "--store=/kpipe/outputs/api"],
               inputs=[(checkout.outputs["repo"], "/kpipe/inputs/repo")], outputs={"api": "/kpipe/outputs/api"},
               mounts=[("github-token", "/kpipe/secrets/github")])
    api.set_retry(3)
    data = step("update-data", ["update-data", "--store=/kpipe/inputs/api", "--out=/kpipe/outputs/dataset"],
                inputs=[(api.outputs["api"], "/kpipe/inputs/api")], outputs={"dataset": "/kpipe/outputs/dataset"})
    assets = step("update-assets", ["analyze", "--data=/kpipe/inputs/dataset", "--all", "--out=/kpipe/outputs/assets"],
                  inputs=[(data.outputs["dataset"], "/kpipe/inputs/dataset")], outputs={"assets": "/kpipe/outputs/assets"})
    train = step("train", ["train", "--data=/kpipe/inputs/dataset", "--out=/kpipe/outputs/model"],
                 inputs=[(data.outputs["dataset"], "/kpipe/inputs/dataset")], outputs={"model": "/kpipe/outputs/model"})
    train.set_gpu_limit(1)
    test = step("predict-test", ["predict", "--model=/kpipe/inputs/model", "--test"],
                inputs=[(train.outputs["model"], "/kpipe/inputs/model")])
    image = step("build-image", ["build-image", "--model=/kpipe/inputs/model", f"--image={SERVING}", f"--tag={commit}", f"--pr={pr}", "--push"],
                 inputs=[(train.outputs["model"], "/kpipe/inputs/model")], mounts=[("registry-auth", "/kpipe/secrets/registry")])
    image.after(test)
    with dsl.Condition(pr == ""):
        commit_changes = step("commit-changes", ["commit-changes", "--repo=/kpipe/inputs/repo", "--push"],
                              inputs=[(checkout.outputs["repo"], "/kpipe/inputs/repo"), (api.outputs["api"], "/kpipe/inputs/api"),
                                      (data.outputs["dataset"], "/kpipe/inputs/dataset"), (assets.outputs["assets"], "/kpipe/inputs/assets"),
                                      (train.outputs["model"], "/kpipe/inputs/model")],
                              mounts=[("ssh-key", "/kpipe/secrets/ssh")])
        commit_changes.after(image)
        rollout = step("rollout", ["rollout", f"--image={SERVING}:{commit}", "--namespace=kubeflow"])
        rollout.after(commit_changes)


if __name__ == "__main__":
    kfp.compiler.Compiler().compile(kubernetes_analysis, sys.argv[1] if len(sys.argv) > 1 else "/dev/stdout")
