"""Runs kubernetes-analysis's train task as KFP 2.17's launcher runs it, and
checks what it reports with kfp 2.17.3's own protos and artifact classes.

usage: python kfp_executor_check.py IR.yaml KPIPE_STEP DATA.jsonl WORKDIR

1. Builds the task's ExecutorInput as KFP 2.17's driver does
   (backend/src/v2/driver/driver.go, provisionOutputs): every output
   artifact of comp-train with its name, a minio:// URI and its type; and
   outputs.outputFile = the task root's output_metadata.json.
2. Fills in the container's args as the launcher does
   (backend/src/v2/component/launcher_v2.go, compileCmdAndArgs and
   getPlaceholders): `{{$}}` first, with the ExecutorInput JSON, then the
   artifact path placeholders (minio://B/K is read and written at
   WORKDIR/minio/B/K, as LocalPathForURI maps it to /minio/B/K). Any `{{`
   left over is a failure: the launcher would pass it to the step verbatim.
3. Runs KPIPE_STEP with those args (plus --max-epochs=2, to be quick).
4. Reads outputs.outputFile like the launcher (getExecutorOutputFile:
   protojson, strict) with json_format.ParseDict(ignore_unknown_fields=False)
   into ExecutorOutput; checks that every reported artifact is an output of
   the task, that no metadata value is null (StructValueToMLMDValue fails
   the task on one), and that the metadata is what kfp's own
   Metrics.log_metric, ClassificationMetrics.log_confusion_matrix and
   log_roc_curve write for the same numbers, as read back by kfp's local
   runner (kfp.local.executor_output_utils); and the shapes the UI
   validates (MetricsVisualizations.tsx, ROCCurveHelper.tsx).

Prints the problems and exits 1 on any; prints "executor output: ok" else.
Run by the ignored Rust test
`kfp_ir::train_reports_its_metrics_through_kfp_2_17s_executor_output`
(KPIPE_KFP2_PYTHON).
"""
import json
import os
import shutil
import subprocess
import sys

import yaml
from google.protobuf import json_format
from kfp import dsl
from kfp.local import executor_output_utils
from kfp.pipeline_spec import pipeline_spec_pb2 as pb2

TASK = "train"
BUCKET = "minio://mlpipeline/v2/artifacts/kubernetes-analysis/run-1"


# The string values of train's input parameters in this check.
PARAMETERS = {"device": "cpu"}


def local(workdir, uri):
    """LocalPathForURI, rooted at workdir."""
    assert uri.startswith("minio://"), uri
    return os.path.join(workdir, "minio", uri[len("minio://"):])


def executor_input(component, workdir, data):
    ei = pb2.ExecutorInput()
    dataset = ei.inputs.artifacts["dataset"].artifacts.add()
    dataset.name = "1"
    dataset.uri = f"{BUCKET}/update-data/1/dataset"
    dataset.type.schema_title = "system.Dataset"
    os.makedirs(os.path.dirname(local(workdir, dataset.uri)), exist_ok=True)
    shutil.copy(data, local(workdir, dataset.uri))
    # Its input parameters (the pipeline's `device`, on a CPU here), as the
    # driver passes them.
    for name in component.get("inputDefinitions", {}).get("parameters", {}):
        value = PARAMETERS.get(name)
        assert value is not None, f"no value for train's input parameter {name}"
        ei.inputs.parameter_values[name].string_value = value
    task_root = f"{BUCKET}/{TASK}/2"
    for name, spec in component["outputDefinitions"]["artifacts"].items():
        a = ei.outputs.artifacts[name].artifacts.add()
        a.name = name
        a.uri = f"{task_root}/{name}"
        json_format.ParseDict(spec["artifactType"], a.type)
    ei.outputs.output_file = os.path.join(local(workdir, task_root), "output_metadata.json")
    return ei


def resolve(args, ei, workdir):
    """compileCmdAndArgs: `{{$}}`, then each placeholder getPlaceholders makes."""
    placeholders = {}
    for name, lst in ei.inputs.artifacts.items():
        placeholders[f"{{{{$.inputs.artifacts['{name}'].path}}}}"] = local(workdir, lst.artifacts[0].uri)
        placeholders[f"{{{{$.inputs.artifacts['{name}'].uri}}}}"] = lst.artifacts[0].uri
    for name, lst in ei.outputs.artifacts.items():
        placeholders[f"{{{{$.outputs.artifacts['{name}'].path}}}}"] = local(workdir, lst.artifacts[0].uri)
        placeholders[f"{{{{$.outputs.artifacts['{name}'].uri}}}}"] = lst.artifacts[0].uri
    for name, value in ei.inputs.parameter_values.items():
        placeholders[f"{{{{$.inputs.parameters['{name}']}}}}"] = value.string_value
    whole = json_format.MessageToJson(ei, indent=None)
    out = []
    for arg in args:
        arg = arg.replace("{{$}}", whole)
        for key, value in placeholders.items():
            arg = arg.replace(key, value)
        out.append(arg)
    return out


def is_number(v):
    return isinstance(v, (int, float)) and not isinstance(v, bool)


def ui_problems(kind, metadata):
    """What the KFP v2 UI would reject or not show."""
    problems = []
    if kind == "system.Metrics":
        for key, value in metadata.items():
            if not is_number(value):
                problems.append(f"scalar metric {key} is {value!r}, not a number")
    if kind == "system.ClassificationMetrics":
        cm = metadata.get("confusionMatrix")
        if cm is None:
            problems.append("no confusionMatrix")
        else:
            specs, rows = cm.get("annotationSpecs", []), cm.get("rows", [])
            if not all(isinstance(s.get("displayName"), str) for s in specs):
                problems.append(f"annotationSpecs without displayName: {specs}")
            if len(specs) != len(rows) or any(len(r.get("row", [])) != len(rows) for r in rows):
                problems.append(f"confusionMatrix is not square with its labels: {cm}")
            if not all(is_number(x) for r in rows for x in r.get("row", [])):
                problems.append(f"confusionMatrix holds a non-number: {cm}")
        points = metadata.get("confidenceMetrics")
        if not isinstance(points, list) or not points:
            problems.append(f"confidenceMetrics is {points!r}, not a list of points")
        else:
            for p in points:
                if not all(is_number(p.get(k)) for k in ("confidenceThreshold", "falsePositiveRate", "recall")):
                    problems.append(f"ROC point {p} lacks a number")
                    break
    return problems


def sdk_problems(outputs, reported):
    """The metadata against what kfp's own artifact classes write."""
    problems = []
    metrics = outputs.get("mlpipeline-metrics")
    if not isinstance(metrics, dsl.Metrics):
        return [f"kfp reads mlpipeline-metrics as {type(metrics).__name__}, not Metrics"]
    expected = dsl.Metrics()
    for key, value in reported["mlpipeline-metrics"].items():
        expected.log_metric(key, value)
    if metrics.metadata != expected.metadata:
        problems.append(f"Metrics: {metrics.metadata} != {expected.metadata}")
    for key in ("accuracy", "roc-auc", "f1", "precision", "recall", "threshold"):
        if key not in metrics.metadata:
            problems.append(f"Metrics lacks {key}")
    classification = outputs.get("mlpipeline-ui-metadata")
    if not isinstance(classification, dsl.ClassificationMetrics):
        return problems + [
            f"kfp reads mlpipeline-ui-metadata as {type(classification).__name__}, not ClassificationMetrics"
        ]
    got = classification.metadata
    expected = dsl.ClassificationMetrics()
    expected.log_confusion_matrix(
        [s["displayName"] for s in got["confusionMatrix"]["annotationSpecs"]],
        [r["row"] for r in got["confusionMatrix"]["rows"]],
    )
    points = got["confidenceMetrics"]
    expected.log_roc_curve(
        fpr=[p["falsePositiveRate"] for p in points],
        tpr=[p["recall"] for p in points],
        threshold=[p["confidenceThreshold"] for p in points],
    )
    if got != expected.metadata:
        problems.append(f"ClassificationMetrics: {got} != what log_confusion_matrix and log_roc_curve write: {expected.metadata}")
    if [s["displayName"] for s in got["confusionMatrix"]["annotationSpecs"]] != ["not bug", "bug"]:
        problems.append(f"unexpected classes: {got['confusionMatrix']['annotationSpecs']}")
    return problems


def main():
    ir, step, data, workdir = sys.argv[1:5]
    with open(ir, encoding="utf-8") as f:
        spec = next(d for d in yaml.safe_load_all(f) if d is not None)
    component = spec["components"][f"comp-{TASK}"]
    container = spec["deploymentSpec"]["executors"][component["executorLabel"]]["container"]
    ei = executor_input(component, workdir, data)
    args = resolve(container["args"], ei, workdir)
    problems = [f"placeholder left for the step: {a}" for a in args if "{{" in a]
    if "--kfp-executor-input=" + json_format.MessageToJson(ei, indent=None) not in args:
        problems.append(f"train is not given the executor input: {container['args']}")
    if problems:
        print("\n".join(problems))
        return 1
    run = subprocess.run([step] + args + ["--max-epochs=2"], capture_output=True, text=True, timeout=600)
    if run.returncode != 0:
        print(f"{step} {TASK} failed ({run.returncode}):\n{run.stderr}")
        return 1
    path = ei.outputs.output_file
    if not os.path.isfile(path):
        print(f"no executor output at outputs.outputFile {path}:\n{run.stderr}")
        return 1
    with open(path, encoding="utf-8") as f:
        raw = json.load(f)
    executor_output = pb2.ExecutorOutput()
    try:
        json_format.ParseDict(raw, executor_output, ignore_unknown_fields=False)
    except Exception as e:  # noqa: BLE001 - the launcher would fail the task
        print(f"ExecutorOutput: {e}")
        return 1
    reported = {}
    for name, lst in raw.get("artifacts", {}).items():
        if name not in ei.outputs.artifacts:
            problems.append(f"reports artifact {name}, which is not an output of the task")
            continue
        kind = ei.outputs.artifacts[name].artifacts[0].type.schema_title
        artifact = lst["artifacts"][0]
        if artifact.get("uri", ei.outputs.artifacts[name].artifacts[0].uri) != ei.outputs.artifacts[name].artifacts[0].uri:
            problems.append(f"{name}: moves the artifact's URI to {artifact['uri']}")
        metadata = artifact.get("metadata", {})
        if "null" in json.dumps(metadata):
            problems.append(f"{name}: null in metadata, which the launcher cannot store: {metadata}")
        problems += [f"{name}: {p}" for p in ui_problems(kind, metadata)]
        reported[name] = metadata
    for name in ("mlpipeline-metrics", "mlpipeline-ui-metadata"):
        if name not in reported:
            problems.append(f"no metadata for {name}: {raw}")
    component_spec = pb2.ComponentSpec()
    json_format.ParseDict(component, component_spec)
    if not problems:
        outputs = executor_output_utils.get_outputs_from_executor_output(
            executor_output=executor_output,
            executor_input=ei,
            component_spec=component_spec,
        )
        problems += sdk_problems(outputs, reported)
    if problems:
        print("\n".join(problems))
        return 1
    m = reported["mlpipeline-metrics"]
    print(
        f"executor output: ok (accuracy {m['accuracy']:.3f}, roc-auc {m['roc-auc']:.3f}, "
        f"{len(reported['mlpipeline-ui-metadata']['confidenceMetrics'])} ROC points)"
    )
    return 0


if __name__ == "__main__":
    sys.exit(main())
