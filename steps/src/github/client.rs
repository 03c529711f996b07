//! The HTTP side: one page at a time, with every failure GitHub can answer.

use std::time::{Duration, SystemTime, UNIX_EPOCH};

use reqwest::StatusCode;
use reqwest::header::{HeaderMap, HeaderValue};

use super::link::Links;
use super::token::Token;

/// How long to wait between retries of failed requests.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Backoff {
    /// First wait.
    pub base: Duration,
    /// Longest wait.
    pub max: Duration,
    /// Attempts per request before giving up.
    pub attempts: u32,
}

impl Default for Backoff {
    fn default() -> Self {
        Self {
            base: Duration::from_secs(1),
            max: Duration::from_secs(60),
            attempts: 7,
        }
    }
}

impl Backoff {
    /// The wait before retry number `retry` (0-based): base · 2^retry, capped.
    pub fn delay(&self, retry: u32) -> Duration {
        self.base
            .saturating_mul(2u32.saturating_pow(retry.min(20)))
            .min(self.max)
    }
}

/// One page of the issues listing.
#[derive(Clone, Debug)]
pub struct Page {
    /// The raw JSON array (verified to parse).
    pub body: Vec<u8>,
    /// Number of items on the page.
    pub items: usize,
    /// Pagination links.
    pub links: Links,
    /// The response's ETag, for a conditional re-read.
    pub etag: Option<String>,
    /// The server answered 304: the page is unchanged since `etag`.
    pub not_modified: bool,
}

/// A request failure that retrying will not fix.
#[derive(Debug, thiserror::Error)]
pub enum PageError {
    /// 401: the token is wrong or expired.
    #[error(
        "GitHub rejected the credentials (401 Bad credentials) for {url}: check --token-file or GITHUB_TOKEN"
    )]
    Unauthorized {
        /// The request.
        url: String,
    },
    /// 404: no such repository, or the token cannot see it.
    #[error(
        "GitHub answered 404 Not Found for {url}: the repository does not exist or the token cannot see it"
    )]
    NotFound {
        /// The request.
        url: String,
    },
    /// Another 4xx.
    #[error("GitHub refused {url}: HTTP {status}: {message}")]
    Refused {
        /// The request.
        url: String,
        /// Status code.
        status: u16,
        /// GitHub's message.
        message: String,
    },
    /// Retries exhausted.
    #[error("giving up on {url} after {attempts} attempts; last error: {last}")]
    Exhausted {
        /// The request.
        url: String,
        /// Attempts made.
        attempts: u32,
        /// The last failure.
        last: String,
    },
}

/// A GitHub REST client.
#[derive(Debug, Clone)]
pub struct GithubClient {
    http: reqwest::Client,
    token: Option<Token>,
    backoff: Backoff,
}

impl GithubClient {
    /// A client authenticating with `token` when given.
    pub fn new(token: Option<Token>, backoff: Backoff) -> anyhow::Result<Self> {
        if let Some(t) = &token {
            t.header_value()?; // fails here, not on every request
        }
        Ok(Self {
            http: crate::http::client(Duration::from_secs(120))?,
            token,
            backoff,
        })
    }

    /// Fetches one page, retrying what can be retried and waiting out rate
    /// limits. `etag` makes the request conditional. `say` receives one line
    /// per wait or retry.
    pub async fn page(
        &self,
        url: &str,
        etag: Option<&str>,
        say: &mut (dyn FnMut(&str) + Send),
    ) -> Result<Page, PageError> {
        let mut retries = 0u32;
        let mut rate_waits = 0u32;
        loop {
            let mut req = self
                .http
                .get(url)
                .header("accept", "application/vnd.github+json")
                .header("x-github-api-version", "2022-11-28");
            if let Some(Ok(a)) = self.token.as_ref().map(Token::header_value) {
                req = req.header("authorization", a);
            }
            if let Some(e) = etag {
                req = req.header("if-none-match", e);
            }
            let failure = match req.send().await {
                Err(e) => format!("network error: {}", error_chain(&e)),
                Ok(resp) => {
                    let status = resp.status();
                    let headers = resp.headers().clone();
                    match status {
                        StatusCode::NOT_MODIFIED => {
                            self.respect_primary_limit(&headers, say).await;
                            return Ok(Page {
                                body: Vec::new(),
                                items: 0,
                                links: link_header(&headers),
                                etag: etag.map(str::to_owned),
                                not_modified: true,
                            });
                        }
                        s if s.is_success() => match resp.bytes().await {
                            Err(e) => format!("reading the body failed: {}", error_chain(&e)),
                            Ok(body) => {
                                match serde_json::from_slice::<Vec<serde::de::IgnoredAny>>(&body) {
                                    Err(e) => {
                                        format!("the body is not a JSON array of items ({e})")
                                    }
                                    Ok(items) => {
                                        self.respect_primary_limit(&headers, say).await;
                                        return Ok(Page {
                                            body: body.to_vec(),
                                            items: items.len(),
                                            links: link_header(&headers),
                                            etag: header(&headers, "etag"),
                                            not_modified: false,
                                        });
                                    }
                                }
                            }
                        },
                        StatusCode::UNAUTHORIZED => {
                            return Err(PageError::Unauthorized {
                                url: url.to_owned(),
                            });
                        }
                        StatusCode::NOT_FOUND => {
                            return Err(PageError::NotFound {
                                url: url.to_owned(),
                            });
                        }
                        StatusCode::FORBIDDEN | StatusCode::TOO_MANY_REQUESTS => {
                            let body = resp.text().await.unwrap_or_default();
                            if let Some(wait) = rate_limit_wait(&headers) {
                                rate_waits += 1;
                                if rate_waits > 20 {
                                    return Err(PageError::Exhausted {
                                        url: url.to_owned(),
                                        attempts: rate_waits,
                                        last: "rate limited every time".to_owned(),
                                    });
                                }
                                say(&format!(
                                    "GitHub rate limit reached ({}): waiting {}s before retrying",
                                    status.as_u16(),
                                    wait.as_secs()
                                ));
                                tokio::time::sleep(wait).await;
                                continue;
                            }
                            if status == StatusCode::FORBIDDEN
                                && !body.to_ascii_lowercase().contains("rate limit")
                            {
                                return Err(PageError::Refused {
                                    url: url.to_owned(),
                                    status: 403,
                                    message: github_message(&body),
                                });
                            }
                            format!("rate limited ({}) without a reset time", status.as_u16())
                        }
                        s if s.is_server_error() => format!("HTTP {}", s.as_u16()),
                        s => {
                            let body = resp.text().await.unwrap_or_default();
                            return Err(PageError::Refused {
                                url: url.to_owned(),
                                status: s.as_u16(),
                                message: github_message(&body),
                            });
                        }
                    }
                }
            };
            if retries + 1 >= self.backoff.attempts {
                return Err(PageError::Exhausted {
                    url: url.to_owned(),
                    attempts: retries + 1,
                    last: failure,
                });
            }
            let wait = self.backoff.delay(retries);
            retries += 1;
            say(&format!(
                "{failure}; retry {retries}/{} in {:.1}s",
                self.backoff.attempts - 1,
                wait.as_secs_f64()
            ));
            tokio::time::sleep(wait).await;
        }
    }

    /// After a success that used up the primary limit, waits for its reset.
    async fn respect_primary_limit(&self, headers: &HeaderMap, say: &mut (dyn FnMut(&str) + Send)) {
        if header(headers, "x-ratelimit-remaining").as_deref() == Some("0")
            && let Some(wait) = until_reset(headers)
        {
            say(&format!(
                "GitHub rate limit used up: waiting {}s for the reset",
                wait.as_secs()
            ));
            tokio::time::sleep(wait).await;
        }
    }
}

fn header(headers: &HeaderMap, name: &str) -> Option<String> {
    headers
        .get(name)
        .and_then(|v: &HeaderValue| v.to_str().ok())
        .map(str::to_owned)
}

fn link_header(headers: &HeaderMap) -> Links {
    header(headers, "link")
        .map(|h| Links::parse(&h))
        .unwrap_or_default()
}

/// Seconds until `x-ratelimit-reset` (plus one), if given and in the future.
fn until_reset(headers: &HeaderMap) -> Option<Duration> {
    let reset: u64 = header(headers, "x-ratelimit-reset")?.parse().ok()?;
    let now = SystemTime::now().duration_since(UNIX_EPOCH).ok()?.as_secs();
    Some(Duration::from_secs(reset.saturating_sub(now) + 1).min(Duration::from_secs(3700)))
}

/// How long a 403/429 asks us to wait: `retry-after` (secondary limit), or
/// the primary limit's reset when it is used up.
fn rate_limit_wait(headers: &HeaderMap) -> Option<Duration> {
    if let Some(s) = header(headers, "retry-after").and_then(|v| v.trim().parse::<u64>().ok()) {
        return Some(Duration::from_secs(s.min(3600)));
    }
    if header(headers, "x-ratelimit-remaining").as_deref() == Some("0") {
        return until_reset(headers);
    }
    None
}

fn github_message(body: &str) -> String {
    serde_json::from_str::<serde_json::Value>(body)
        .ok()
        .and_then(|v| v.get("message").and_then(|m| m.as_str()).map(str::to_owned))
        .unwrap_or_else(|| body.chars().take(200).collect())
}

fn error_chain(e: &dyn std::error::Error) -> String {
    let mut s = e.to_string();
    let mut cur = e.source();
    while let Some(c) = cur {
        s.push_str(": ");
        s.push_str(&c.to_string());
        cur = c.source();
    }
    s
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn backoff_doubles_and_caps() {
        let b = Backoff {
            base: Duration::from_millis(100),
            max: Duration::from_secs(1),
            attempts: 5,
        };
        let d: Vec<u128> = (0..6).map(|i| b.delay(i).as_millis()).collect();
        assert_eq!(d, [100, 200, 400, 800, 1000, 1000]);
    }

    #[test]
    fn rate_limit_headers() {
        let mut h = HeaderMap::new();
        h.insert("retry-after", HeaderValue::from_static("7"));
        assert_eq!(rate_limit_wait(&h), Some(Duration::from_secs(7)));
        let mut h = HeaderMap::new();
        h.insert("x-ratelimit-remaining", HeaderValue::from_static("0"));
        let reset = SystemTime::now()
            .duration_since(UNIX_EPOCH)
            .map(|d| d.as_secs() + 30)
            .unwrap_or(0);
        h.insert(
            "x-ratelimit-reset",
            HeaderValue::from_str(&reset.to_string()).unwrap_or(HeaderValue::from_static("0")),
        );
        let w = rate_limit_wait(&h).map(|d| d.as_secs()).unwrap_or(0);
        assert!((29..=32).contains(&w), "{w}");
        assert_eq!(rate_limit_wait(&HeaderMap::new()), None);
    }
}
