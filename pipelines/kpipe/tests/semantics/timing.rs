//! Retries as Argo's controller and Kubeflow Pipelines' backend schedule
//! them, read back from what each lowering wrote, to compare with
//! [`Retry::next_delay`](kpipe::Retry::next_delay):
//!
//! - Argo (`processNodeRetries`, workflow/controller/operator.go): stop once
//!   `maxDuration` has passed since the first attempt started, or when the
//!   wait `duration × factor^(attempts − 1)` would pass it; then the retry
//!   policy (unset: `OnFailure`) decides whether a `Failed` or an `Error`
//!   attempt is retried; then the limit (retries after the first attempt).
//!   Durations are Go durations, or a bare integer of seconds.
//! - KFP (backend/src/v2/compiler/argocompiler/container.go): the same
//!   retry, on Argo, from the `retryPolicy`: `maxRetryCount` the limit, the
//!   proto durations' whole seconds (`Duration.Seconds`: `0.5s` waits 0 s),
//!   the factor as its text, no retry policy (`OnFailure`).

use std::time::Duration;

use kpipe::compiler::ir::Attempt;
use serde_json::Value as Json;

/// A retry strategy as the controller reads it.
#[derive(Clone, Debug, PartialEq)]
pub(crate) struct Strategy {
    pub(crate) limit: u32,
    pub(crate) policy: String,
    pub(crate) duration: Option<Duration>,
    pub(crate) factor: Option<i32>,
    pub(crate) max_duration: Option<Duration>,
}

impl Strategy {
    /// An Argo template's `retryStrategy`.
    pub(crate) fn argo(s: &Json) -> Result<Strategy, String> {
        let backoff = &s["backoff"];
        Ok(Strategy {
            limit: int_or_string(&s["limit"])?,
            policy: s["retryPolicy"].as_str().unwrap_or("OnFailure").to_owned(),
            duration: backoff["duration"]
                .as_str()
                .map(argo_duration)
                .transpose()?,
            factor: match &backoff["factor"] {
                Json::Null => None,
                f => Some(i32::try_from(int_or_string(f)?).map_err(|e| e.to_string())?),
            },
            max_duration: backoff["maxDuration"]
                .as_str()
                .map(argo_duration)
                .transpose()?,
        })
    }

    /// A KFP task's `retryPolicy`, as KFP's backend hands it to Argo.
    pub(crate) fn kfp(p: &Json) -> Result<Strategy, String> {
        let seconds = |v: &Json| -> Result<Option<Duration>, String> {
            v.as_str()
                .map(|d| proto_duration(d).map(|d| Duration::from_secs(d.as_secs())))
                .transpose()
        };
        Ok(Strategy {
            limit: int_or_string(&p["maxRetryCount"])?,
            policy: "OnFailure".to_owned(),
            duration: seconds(&p["backoffDuration"])?,
            // `AnyStringPtr(float64)`: "2" for 2.0, and Argo reads it as an int.
            factor: p["backoffFactor"]
                .as_f64()
                .map(|f| {
                    format!("{f}")
                        .parse::<i32>()
                        .map_err(|e| format!("factor {f}: {e}"))
                })
                .transpose()?,
            max_duration: seconds(&p["backoffMaxDuration"])?,
        })
    }

    /// What the controller does after attempt `n` (0-based) went wrong as
    /// `attempt`, `elapsed` after the first attempt started: the wait
    /// before the next attempt, or why there is none.
    pub(crate) fn next(
        &self,
        n: u32,
        attempt: Attempt,
        elapsed: Duration,
    ) -> Result<Duration, &'static str> {
        let mut wait = Duration::ZERO;
        if self.duration.is_some() || self.max_duration.is_some() {
            if let Some(max) = self.max_duration
                && elapsed > max
            {
                return Err("Max duration limit exceeded");
            }
            let base = self
                .duration
                .ok_or("no base duration specified for retryStrategy")?;
            wait = match self.factor {
                Some(f) if f > 0 => base * f.unsigned_abs().pow(n),
                _ => base,
            };
            if let Some(max) = self.max_duration
                && elapsed + wait > max
            {
                return Err("Backoff would exceed max duration limit");
            }
        }
        let (on_failed, on_error) = match self.policy.as_str() {
            "Always" => (true, true),
            "OnError" => (false, true),
            "OnFailure" => (true, false),
            // Only errors of the cluster (API, pod deleted …): none here.
            "OnTransientError" => (false, false),
            _ => return Err("not a valid RetryPolicy"),
        };
        let retried = match attempt {
            Attempt::Failed => on_failed,
            Attempt::Errored => on_error,
        };
        if !retried {
            return Err("Node not set to be retried");
        }
        if n + 1 > self.limit {
            return Err("No more retries left");
        }
        Ok(wait)
    }
}

/// `limit`/`factor`: an int or a string holding one (`IntOrString`).
fn int_or_string(v: &Json) -> Result<u32, String> {
    match v {
        Json::Number(n) => n.as_u64().and_then(|n| u32::try_from(n).ok()),
        Json::String(s) => s.parse().ok(),
        _ => None,
    }
    .ok_or_else(|| format!("not a count: {v}"))
}

/// Argo's `ParseStringToDuration`: a bare integer is seconds, else a Go
/// duration.
pub(crate) fn argo_duration(s: &str) -> Result<Duration, String> {
    match s.parse::<u64>() {
        Ok(secs) => Ok(Duration::from_secs(secs)),
        Err(_) => go_duration(s),
    }
}

/// Go's `time.ParseDuration` (non-negative): `0`, or numbers with units
/// `ns`, `us`/`µs`, `ms`, `s`, `m`, `h`, e.g. `1h30m`, `1.5s`, `100ms`.
pub(crate) fn go_duration(s: &str) -> Result<Duration, String> {
    let bad = || format!("not a Go duration: `{s}`");
    if s == "0" {
        return Ok(Duration::ZERO);
    }
    let mut rest = s;
    let mut total = 0f64;
    if rest.is_empty() {
        return Err(bad());
    }
    while !rest.is_empty() {
        let digits = rest
            .find(|c: char| !(c.is_ascii_digit() || c == '.'))
            .ok_or_else(bad)?;
        let number: f64 = rest[..digits].parse().map_err(|_| bad())?;
        rest = &rest[digits..];
        let unit_len = rest
            .find(|c: char| c.is_ascii_digit() || c == '.')
            .unwrap_or(rest.len());
        let nanos = match &rest[..unit_len] {
            "ns" => 1.0,
            "us" | "µs" => 1e3,
            "ms" => 1e6,
            "s" => 1e9,
            "m" => 60e9,
            "h" => 3600e9,
            _ => return Err(bad()),
        };
        total += number * nanos;
        rest = &rest[unit_len..];
    }
    Ok(Duration::from_nanos(total.round() as u64))
}

/// A proto `Duration` in JSON: seconds with up to nine fractional digits and
/// an `s` (`60s`, `0.5s`).
pub(crate) fn proto_duration(s: &str) -> Result<Duration, String> {
    let bad = || format!("not a proto duration: `{s}`");
    let number = s.strip_suffix('s').ok_or_else(bad)?;
    let (secs, frac) = number.split_once('.').unwrap_or((number, ""));
    if frac.len() > 9 || !frac.chars().all(|c| c.is_ascii_digit()) {
        return Err(bad());
    }
    let secs: u64 = secs.parse().map_err(|_| bad())?;
    let nanos: u32 = if frac.is_empty() {
        0
    } else {
        format!("{frac:0<9}").parse().map_err(|_| bad())?
    };
    Ok(Duration::new(secs, nanos))
}

#[test]
fn durations_read_as_go_argo_and_protobuf_read_them() {
    for (text, d) in [
        ("100ms", Duration::from_millis(100)),
        ("1m30s", Duration::from_secs(90)),
        ("1.5s", Duration::from_millis(1500)),
        ("2h", Duration::from_secs(7200)),
        ("1500us", Duration::from_micros(1500)),
        ("0", Duration::ZERO),
    ] {
        assert_eq!(go_duration(text), Ok(d), "{text}");
    }
    assert_eq!(argo_duration("30"), Ok(Duration::from_secs(30)));
    for bad in ["", "1", "1x", "s", "1.5"] {
        assert!(go_duration(bad).is_err(), "{bad}");
    }
    assert_eq!(proto_duration("0.1s"), Ok(Duration::from_millis(100)));
    assert_eq!(proto_duration("60s"), Ok(Duration::from_secs(60)));
    assert_eq!(proto_duration("60.25s"), Ok(Duration::from_millis(60_250)));
    for bad in ["60", "1.0000000001s", "-1s", "x s"] {
        assert!(proto_duration(bad).is_err(), "{bad}");
    }
}
