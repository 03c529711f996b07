//! Kubernetes API errors as what the user should know and do.

/// What `kpipe submit` needs RBAC to grant.
const SUBMIT_GRANTS: &str =
    "create/list/watch/patch on workflows.argoproj.io and get/list on pods and pods/log";

/// Turns a kube error met while trying to `what` into a message that names
/// the cluster, the RBAC verbs or the configuration to fix.
pub(super) fn kube_error(e: kube::Error, cluster: &str, what: &str) -> anyhow::Error {
    kube_error_granting(e, cluster, what, SUBMIT_GRANTS)
}

/// [`kube_error`] for a command whose RBAC needs are `grants`.
pub(super) fn kube_error_granting(
    e: kube::Error,
    cluster: &str,
    what: &str,
    grants: &str,
) -> anyhow::Error {
    match &e {
        kube::Error::Api(s) => match s.code {
            401 => anyhow::anyhow!(
                "the Kubernetes API server at {cluster} rejected kpipe's credentials while trying to {what} (401 Unauthorized): {}; refresh the kubeconfig's user credentials",
                s.message
            ),
            403 => anyhow::anyhow!(
                "not allowed to {what} (403 Forbidden): {}; grant {grants}",
                s.message
            ),
            404 => anyhow::anyhow!(
                "cannot {what} (404 Not Found: {}): is Argo Workflows installed (the argoproj.io/v1alpha1 Workflow CRD) and does the namespace exist?",
                s.message
            ),
            _ => anyhow::anyhow!(
                "cannot {what}: the API server at {cluster} answered {} {}: {}",
                s.code,
                s.reason,
                s.message
            ),
        },
        _ => anyhow::Error::new(e).context(format!(
            "cannot reach the Kubernetes API server at {cluster} to {what}; check KUBECONFIG and its current context"
        )),
    }
}
