//! Argo retry strategies as KFP `retryPolicy`s: the same limit, backoff
//! durations converted from Argo's (seconds or Go durations: `1m`, `1h30m`)
//! to proto `Duration`s (`60s`, `5400s`).

use super::spec::RetryPolicy;
use crate::kfp_feature::KfpFeature;
use crate::retry::{Retry, RetryPolicy as ArgoPolicy};

/// The KFP retry policy of `r`, and the Argo policy KFP drops (KFP retries
/// when the container fails, Argo's `OnFailure`).
pub(crate) fn policy(r: &Retry) -> Result<(RetryPolicy, Option<&'static str>), KfpFeature> {
    let duration = |s: &str| {
        to_proto_duration(s).ok_or_else(|| KfpFeature::Duration {
            value: s.to_owned(),
        })
    };
    let mut out = RetryPolicy {
        backoff_duration: None,
        backoff_factor: None,
        backoff_max_duration: None,
        max_retry_count: r.limit,
    };
    if let Some(b) = &r.backoff {
        out.backoff_duration = Some(duration(&b.duration)?);
        out.backoff_factor = Some(f64::from(b.factor));
        out.backoff_max_duration = b.max_duration.as_deref().map(duration).transpose()?;
    }
    let dropped = match r.policy {
        None | Some(ArgoPolicy::OnFailure) => None,
        Some(p) => Some(p.as_str()),
    };
    Ok((out, dropped))
}

/// `10` (seconds), `90s`, `1m30s`, `1.5h`, `500ms` → `90s`, `1.5s` …; `None`
/// when `s` is not a non-negative duration.
pub(crate) fn to_proto_duration(s: &str) -> Option<String> {
    let s = s.trim();
    if s.is_empty() {
        return None;
    }
    let nanos: u128 = if s.bytes().all(|b| b.is_ascii_digit()) {
        s.parse::<u128>().ok()?.checked_mul(1_000_000_000)?
    } else {
        go_duration_nanos(s)?
    };
    let (secs, frac) = (nanos / 1_000_000_000, nanos % 1_000_000_000);
    Some(if frac == 0 {
        format!("{secs}s")
    } else {
        let digits = format!("{frac:09}");
        format!("{secs}.{}s", digits.trim_end_matches('0'))
    })
}

/// A Go `time.ParseDuration` string in nanoseconds (no sign: backoffs are
/// never negative).
fn go_duration_nanos(s: &str) -> Option<u128> {
    let mut total: u128 = 0;
    let mut rest = s;
    while !rest.is_empty() {
        let number_len = rest
            .find(|c: char| !(c.is_ascii_digit() || c == '.'))
            .unwrap_or(rest.len());
        let (number, after) = rest.split_at(number_len);
        let unit_len = after
            .find(|c: char| c.is_ascii_digit() || c == '.')
            .unwrap_or(after.len());
        let (unit, next) = after.split_at(unit_len);
        let scale: u128 = match unit {
            "ns" => 1,
            "us" | "µs" | "μs" => 1_000,
            "ms" => 1_000_000,
            "s" => 1_000_000_000,
            "m" => 60_000_000_000,
            "h" => 3_600_000_000_000,
            _ => return None,
        };
        let (whole, fraction) = number.split_once('.').unwrap_or((number, ""));
        if whole.is_empty() && fraction.is_empty() {
            return None;
        }
        let whole: u128 = if whole.is_empty() {
            0
        } else {
            whole.parse().ok()?
        };
        let mut value = whole.checked_mul(scale)?;
        let mut place = scale;
        for d in fraction.chars() {
            place /= 10;
            value += u128::from(d.to_digit(10)?) * place;
        }
        total = total.checked_add(value)?;
        rest = next;
    }
    Some(total)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn argo_durations_become_proto_durations() {
        for (argo, proto) in [
            ("10", "10s"),
            ("30s", "30s"),
            ("1m", "60s"),
            ("30m", "1800s"),
            ("1h30m", "5400s"),
            ("1.5h", "5400s"),
            ("500ms", "0.5s"),
            ("1m0.25s", "60.25s"),
            ("0s", "0s"),
        ] {
            assert_eq!(to_proto_duration(argo).as_deref(), Some(proto), "{argo}");
        }
        for bad in ["", "1d", "-1s", "s", "1.2.3s", "ten"] {
            assert_eq!(to_proto_duration(bad), None, "{bad}");
        }
    }

    #[test]
    fn policies_other_than_on_failure_are_reported() {
        let r = Retry::limit(3)
            .policy(ArgoPolicy::Always)
            .backoff("1m", 2, Some("30m"));
        let (p, dropped) = policy(&r).unwrap_or_else(|e| panic!("{e:?}"));
        assert_eq!(p.max_retry_count, 3);
        assert_eq!(p.backoff_duration.as_deref(), Some("60s"));
        assert_eq!(p.backoff_factor, Some(2.0));
        assert_eq!(p.backoff_max_duration.as_deref(), Some("1800s"));
        assert_eq!(dropped, Some("Always"));
        let on_failure = Retry::limit(1).policy(ArgoPolicy::OnFailure);
        assert_eq!(policy(&on_failure).map(|(_, d)| d), Ok(None));
        let bad = Retry::limit(1).backoff("soon", 2, None);
        assert_eq!(
            policy(&bad).map(|_| ()),
            Err(KfpFeature::Duration {
                value: "soon".into()
            })
        );
    }
}
