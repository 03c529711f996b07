//! Retry strategies as KFP `retryPolicy`s: the same limit, and the backoff
//! durations as proto `Duration`s (`60s`, `0.5s`).

use std::time::Duration;

use super::spec::RetryPolicy;
use crate::ir::{Retry, RetryPolicy as ArgoPolicy};

/// The KFP retry policy of `r`, and the Argo policy KFP drops (KFP retries
/// when the container fails, Argo's `OnFailure`).
pub(crate) fn policy(r: &Retry) -> (RetryPolicy, Option<&'static str>) {
    let mut out = RetryPolicy {
        backoff_duration: None,
        backoff_factor: None,
        backoff_max_duration: None,
        max_retry_count: r.limit,
    };
    if let Some(b) = &r.backoff {
        out.backoff_duration = Some(proto_duration(b.duration));
        out.backoff_factor = Some(f64::from(b.factor));
        out.backoff_max_duration = b.max_duration.map(proto_duration);
    }
    let dropped = match r.policy {
        None | Some(ArgoPolicy::OnFailure) => None,
        Some(p) => Some(p.as_str()),
    };
    (out, dropped)
}

/// A proto `Duration` in its JSON form: seconds with up to nine fractional
/// digits (`90s`, `0.5s`).
pub(crate) fn proto_duration(d: Duration) -> String {
    let (secs, nanos) = (d.as_secs(), d.subsec_nanos());
    if nanos == 0 {
        format!("{secs}s")
    } else {
        let digits = format!("{nanos:09}");
        format!("{secs}.{}s", digits.trim_end_matches('0'))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn durations_become_proto_durations() {
        for (d, proto) in [
            (Duration::from_secs(10), "10s"),
            (Duration::from_secs(1800), "1800s"),
            (Duration::from_millis(500), "0.5s"),
            (Duration::from_millis(60_250), "60.25s"),
            (Duration::ZERO, "0s"),
        ] {
            assert_eq!(proto_duration(d), proto, "{d:?}");
        }
    }

    #[test]
    fn policies_other_than_on_failure_are_reported() {
        let r = Retry::limit(3).policy(ArgoPolicy::Always).backoff(
            Duration::from_secs(60),
            2,
            Some(Duration::from_secs(1800)),
        );
        let (p, dropped) = policy(&r);
        assert_eq!(p.max_retry_count, 3);
        assert_eq!(p.backoff_duration.as_deref(), Some("60s"));
        assert_eq!(p.backoff_factor, Some(2.0));
        assert_eq!(p.backoff_max_duration.as_deref(), Some("1800s"));
        assert_eq!(dropped, Some("Always"));
        let on_failure = Retry::limit(1).policy(ArgoPolicy::OnFailure);
        assert_eq!(policy(&on_failure).1, None);
    }
}
