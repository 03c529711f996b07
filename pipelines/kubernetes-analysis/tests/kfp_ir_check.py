"""Checks Kubeflow Pipelines v2 IR files with kfp 2.17.3's own protos and loader.

usage: python kfp_ir_check.py FILE.yaml...

For each file: document 1 must parse strictly (json_format.ParseDict,
ignore_unknown_fields=False) into PipelineSpec and its deploymentSpec into
PipelineDeploymentConfig; document 2, when present, into PlatformSpec and each
Kubernetes executor entry into KubernetesExecutorConfig; and
kfp.components.load_component_from_file must load the file. Prints one line
per file and every problem; exits 1 when any file fails. Run by the ignored
Rust test `kfp_ir::every_ir_parses_with_kfp_2_17` (KPIPE_KFP2_PYTHON).
"""
import sys

import yaml
from google.protobuf import json_format
from kfp import components
from kfp.kubernetes import kubernetes_executor_config_pb2 as k8s_pb2
from kfp.pipeline_spec import pipeline_spec_pb2 as pb2

WANT = {"kfp": "2.17.3", "kfp-pipeline-spec": "2.17.3", "kfp-kubernetes": "2.17.3"}


def versions():
    from importlib.metadata import version

    return {name: version(name) for name in WANT}


def parse(doc, message, what, problems):
    try:
        json_format.ParseDict(doc, message, ignore_unknown_fields=False)
    except Exception as e:  # noqa: BLE001 - every parse error is a finding
        problems.append(f"{what}: {e}")


def check(path):
    problems = []
    with open(path, encoding="utf-8") as f:
        docs = [d for d in yaml.safe_load_all(f) if d is not None]
    if not docs or len(docs) > 2:
        return [f"expected 1 or 2 YAML documents, found {len(docs)}"]
    spec = docs[0]
    parse(spec, pb2.PipelineSpec(), "PipelineSpec", problems)
    parse(spec.get("deploymentSpec", {}), pb2.PipelineDeploymentConfig(),
          "deploymentSpec as PipelineDeploymentConfig", problems)
    if spec.get("schemaVersion") != "2.1.0":
        problems.append(f"schemaVersion is {spec.get('schemaVersion')!r}, not '2.1.0'")
    if len(docs) == 2:
        platform = docs[1]
        parse(platform, pb2.PlatformSpec(), "PlatformSpec", problems)
        executors = (platform.get("platforms", {}).get("kubernetes", {})
                     .get("deploymentSpec", {}).get("executors", {}))
        for label, config in executors.items():
            parse(config, k8s_pb2.KubernetesExecutorConfig(),
                  f"platform executor {label} as KubernetesExecutorConfig", problems)
            if label not in spec.get("deploymentSpec", {}).get("executors", {}):
                problems.append(f"platform executor {label} is not in deploymentSpec.executors")
    try:
        components.load_component_from_file(path)
    except Exception as e:  # noqa: BLE001
        problems.append(f"kfp.components.load_component_from_file: {e}")
    return problems


def main():
    found = versions()
    if found != WANT:
        print(f"need {WANT}, found {found}", file=sys.stderr)
        return 2
    failed = 0
    for path in sys.argv[1:]:
        problems = check(path)
        if problems:
            failed += 1
            print(f"{path}: FAILED")
            for p in problems:
                print(f"  {p}")
        else:
            print(f"{path}: ok")
    print(f"{len(sys.argv) - 1 - failed} of {len(sys.argv) - 1} IR files parse with kfp {WANT['kfp']}")
    return 1 if failed else 0


if __name__ == "__main__":
    sys.exit(main())
