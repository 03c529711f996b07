//! Integration tests of the pipelines and the `kpipe` binary, one test binary.

/// `kpipe graph --format svg` in headless Chromium (ignored: needs Chromium).
mod browser;
/// `kpipe lint`, `compile` and `graph` as a user runs them.
mod cli;
/// `kpipe image build`: its errors; with the real tools (ignored), the step
/// image's digest, user, entrypoint, podman run, push and pulled base.
mod image;
/// What the fake Kubeflow Pipelines API servers of `submit_kfp` and
/// `submit_kfp_v2` share, and `kpipe submit|retry --kfp` against them.
mod kfp_fake;
/// Kubeflow Pipelines v2 IR: kubernetes-analysis against kfp's reference IR
/// and its Argo version, `kpipe lint` of IR files, kfp 2.17.3's own parsers.
mod kfp_ir;
/// The kubernetes-analysis pipeline against the original and Argo's schemas.
mod kubernetes_analysis;
/// `kpipe run --local` with the real step binary.
mod local_run;
/// `run --local --engine podman`: every step in its image (ignored: needs
/// podman; .ci/run runs them).
mod podman;
/// `kpipe prow`: the Prow config against Prow's schemas, and every job run.
mod prow;
/// The run report in headless Chromium (ignored: needs Chromium).
mod report;
/// `kpipe retry` of an Argo Workflow through the fake Kubernetes API server
/// of `submit_argo`.
mod retry_argo;
/// `kpipe retry --kfp` through the fake Kubeflow Pipelines API servers of
/// `submit_kfp_v2` and `submit_kfp`.
mod retry_kfp;
/// `kpipe new` end to end (ignored: builds a crate; .ci/run runs it).
mod scaffold;
/// `kpipe submit` to Argo through a fake Kubernetes API server.
mod submit_argo;
/// `kpipe submit --kfp --kfp-api v1` through a fake Kubeflow Pipelines API
/// server (v1beta1).
mod submit_kfp;
/// `kpipe submit --kfp` through a fake Kubeflow Pipelines API server
/// (v2beta1, the default).
mod submit_kfp_v2;
