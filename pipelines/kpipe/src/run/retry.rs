//! A template's `retryStrategy` as a local run applies it: which failures
//! are retried, how long to wait, when to stop.

use std::time::Duration;

use anyhow::{Context as _, bail};
use kpipe_compiler::argo::RetryStrategy;

use super::process::Failure;

/// A template's `retryStrategy`, as a local run applies it.
#[derive(Debug, PartialEq)]
pub(crate) struct Retry {
    pub(crate) limit: u32,
    policy: Policy,
    /// First delay; each next one is `factor` times longer.
    delay: Duration,
    factor: u32,
    /// No retry starts after this much time since the first attempt.
    max_duration: Option<Duration>,
}

/// Which failures Argo retries under each `retryPolicy`, read locally: a
/// program that exits non-zero or runs past its deadline *failed*; one that
/// cannot start is an *error*.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
enum Policy {
    Always,
    OnFailure,
    OnError,
}

impl Retry {
    pub(crate) fn of(strategy: Option<&RetryStrategy>) -> anyhow::Result<Self> {
        let Some(s) = strategy else {
            return Ok(Self {
                limit: 0,
                policy: Policy::OnFailure,
                delay: Duration::ZERO,
                factor: 1,
                max_duration: None,
            });
        };
        let limit = s
            .limit
            .parse()
            .with_context(|| format!("retryStrategy.limit `{}` is not a number", s.limit))?;
        let policy = match s.retry_policy.as_deref() {
            None | Some("OnFailure") => Policy::OnFailure,
            Some("Always") => Policy::Always,
            Some("OnError" | "OnTransientError") => Policy::OnError,
            Some(other) => bail!("unknown retryPolicy `{other}`"),
        };
        let (delay, factor, max_duration) = match &s.backoff {
            None => (Duration::ZERO, 1, None),
            Some(b) => (
                parse_duration(&b.duration)?,
                b.factor.parse().with_context(|| {
                    format!(
                        "retryStrategy.backoff.factor `{}` is not a number",
                        b.factor
                    )
                })?,
                b.max_duration.as_deref().map(parse_duration).transpose()?,
            ),
        };
        Ok(Self {
            limit,
            policy,
            delay,
            factor,
            max_duration,
        })
    }

    /// The wait before retrying after `attempt` (0-based) failed with
    /// `failure`, `elapsed` after the first attempt started; `Err` when it
    /// is not retried (with why, unless it is simply not retryable).
    pub(crate) fn next_delay(
        &self,
        attempt: u32,
        failure: &Failure,
        elapsed: Duration,
    ) -> Result<Duration, Option<String>> {
        if matches!(failure, Failure::Interrupted(_)) {
            return Err(None);
        }
        let retryable = match self.policy {
            Policy::Always => true,
            Policy::OnFailure => !matches!(failure, Failure::Start(_)),
            Policy::OnError => matches!(failure, Failure::Start(_)),
        };
        if !retryable || self.limit == 0 {
            return Err(None);
        }
        if attempt >= self.limit {
            return Err(Some(format!("after {} attempts", attempt + 1)));
        }
        let delay = self
            .delay
            .saturating_mul(self.factor.max(1).saturating_pow(attempt));
        if let Some(max) = self.max_duration
            && elapsed + delay > max
        {
            return Err(Some(format!(
                "no retry: the backoff's maxDuration {}s would pass",
                max.as_secs()
            )));
        }
        Ok(delay)
    }
}

/// A Go duration (`10s`, `1m30s`, `500ms`) or a number of seconds.
fn parse_duration(text: &str) -> anyhow::Result<Duration> {
    let bad = || anyhow::anyhow!("`{text}` is not a duration (e.g. 10s, 2m, 1h30m)");
    if let Ok(secs) = text.trim().parse::<f64>() {
        return (secs >= 0.0 && secs.is_finite())
            .then(|| Duration::from_secs_f64(secs))
            .ok_or_else(bad);
    }
    let mut total = Duration::ZERO;
    let mut rest = text.trim();
    if rest.is_empty() {
        return Err(bad());
    }
    while !rest.is_empty() {
        let num_len = rest
            .find(|c: char| !(c.is_ascii_digit() || c == '.'))
            .ok_or_else(bad)?;
        let value: f64 = rest[..num_len].parse().map_err(|_| bad())?;
        rest = &rest[num_len..];
        let unit_len = rest
            .find(|c: char| c.is_ascii_digit() || c == '.')
            .unwrap_or(rest.len());
        let seconds = match &rest[..unit_len] {
            "h" => 3600.0,
            "m" => 60.0,
            "s" => 1.0,
            "ms" => 1e-3,
            "us" | "µs" => 1e-6,
            "ns" => 1e-9,
            _ => return Err(bad()),
        };
        total += Duration::from_secs_f64(value * seconds);
        rest = &rest[unit_len..];
    }
    Ok(total)
}

#[cfg(test)]
mod tests {
    use super::*;
    use kpipe_compiler::argo::Backoff;

    fn strategy(
        limit: &str,
        policy: Option<&str>,
        backoff: Option<(&str, &str, Option<&str>)>,
    ) -> RetryStrategy {
        RetryStrategy {
            limit: limit.to_owned(),
            retry_policy: policy.map(str::to_owned),
            backoff: backoff.map(|(d, f, m)| Backoff {
                duration: d.to_owned(),
                factor: f.to_owned(),
                max_duration: m.map(str::to_owned),
            }),
        }
    }

    #[test]
    fn durations_parse_like_go() {
        for (text, secs) in [
            ("10s", 10.0),
            ("2m", 120.0),
            ("1h30m", 5400.0),
            ("500ms", 0.5),
            ("3", 3.0),
        ] {
            assert_eq!(
                parse_duration(text).ok(),
                Some(Duration::from_secs_f64(secs)),
                "{text}"
            );
        }
        for bad in ["", "10x", "s", "-1", "1h-"] {
            assert!(parse_duration(bad).is_err(), "{bad}");
        }
    }

    #[test]
    fn backoff_grows_by_its_factor_and_stops_at_the_limit_or_max_duration() {
        let r = Retry::of(Some(&strategy("3", None, Some(("1s", "2", Some("5s"))))))
            .unwrap_or_else(|e| panic!("{e:#}"));
        let fail = Failure::Exit("exit 1".into(), Some(1));
        assert_eq!(
            r.next_delay(0, &fail, Duration::ZERO),
            Ok(Duration::from_secs(1))
        );
        assert_eq!(
            r.next_delay(1, &fail, Duration::from_secs(1)),
            Ok(Duration::from_secs(2))
        );
        assert!(
            r.next_delay(2, &fail, Duration::from_secs(3)).is_err(),
            "3 + 4 > 5"
        );
        assert_eq!(
            r.next_delay(3, &fail, Duration::ZERO),
            Err(Some("after 4 attempts".to_owned()))
        );
    }

    #[test]
    fn policies_choose_what_is_retried() {
        let start = Failure::Start("no such file".into());
        let exit = Failure::Exit("exit 1".into(), Some(1));
        let timeout = Failure::Timeout("deadline".into());
        for (policy, retried) in [
            (None, [false, true, true]),
            (Some("OnFailure"), [false, true, true]),
            (Some("OnError"), [true, false, false]),
            (Some("OnTransientError"), [true, false, false]),
            (Some("Always"), [true, true, true]),
        ] {
            let r =
                Retry::of(Some(&strategy("1", policy, None))).unwrap_or_else(|e| panic!("{e:#}"));
            let got = [&start, &exit, &timeout].map(|f| r.next_delay(0, f, Duration::ZERO).is_ok());
            assert_eq!(got, retried, "{policy:?}");
        }
        assert!(Retry::of(Some(&strategy("x", None, None))).is_err());
        assert!(Retry::of(Some(&strategy("1", Some("Sometimes"), None))).is_err());
    }
}
