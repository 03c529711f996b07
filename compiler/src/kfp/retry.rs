//! Retry strategies as KFP `retryPolicy`s: the same limit, and the backoff
//! durations as proto `Duration`s (`60s`, `0.5s`).
//!
//! KFP's backend runs the retry on Argo with the durations' whole seconds
//! (`argocompiler/container.go` passes `Duration.Seconds`): a fraction of a
//! second is a warned loss.

use std::time::Duration;

use super::spec::RetryPolicy;
use crate::diagnostic::KfpFeature;
use crate::ir::{Retry, RetryPolicy as ArgoPolicy};

/// The KFP retry policy of `r`, and what KFP loses of it: an Argo policy
/// other than `OnFailure` (KFP retries when the container fails), a backoff
/// with a fraction of a second.
pub(crate) fn policy(r: &Retry) -> (RetryPolicy, Vec<KfpFeature>) {
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
    let mut lost = Vec::new();
    match r.policy {
        None | Some(ArgoPolicy::OnFailure) => {}
        Some(p) => lost.push(KfpFeature::RetryPolicy { policy: p.as_str() }),
    }
    if let Some(b) = &r.backoff {
        let fractional = |d: Duration| d.subsec_nanos() != 0;
        if fractional(b.duration) || b.max_duration.is_some_and(fractional) {
            let mut durations = proto_duration(b.duration);
            if let Some(max) = b.max_duration {
                durations.push_str(&format!(", max {}", proto_duration(max)));
            }
            lost.push(KfpFeature::BackoffSeconds { durations });
        }
    }
    (out, lost)
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
        let (p, lost) = policy(&r);
        assert_eq!(p.max_retry_count, 3);
        assert_eq!(p.backoff_duration.as_deref(), Some("60s"));
        assert_eq!(p.backoff_factor, Some(2.0));
        assert_eq!(p.backoff_max_duration.as_deref(), Some("1800s"));
        assert_eq!(lost, [KfpFeature::RetryPolicy { policy: "Always" }]);
        let on_failure = Retry::limit(1).policy(ArgoPolicy::OnFailure);
        assert_eq!(policy(&on_failure).1, []);
    }

    #[test]
    fn a_backoff_with_a_fraction_of_a_second_is_reported() {
        let ms = Duration::from_millis;
        for (backoff, lost) in [
            ((ms(500), None), Some("0.5s")),
            ((ms(1000), Some(ms(2500))), Some("1s, max 2.5s")),
            ((ms(2000), Some(ms(60_000))), None),
        ] {
            let r = Retry::limit(2).backoff(backoff.0, 2, backoff.1);
            let expected: Vec<KfpFeature> = lost
                .map(|d| KfpFeature::BackoffSeconds {
                    durations: d.to_owned(),
                })
                .into_iter()
                .collect();
            assert_eq!(policy(&r).1, expected, "{backoff:?}");
        }
    }
}
