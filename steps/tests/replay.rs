//! A local HTTP server that behaves like GitHub's issues listing, replaying
//! the recorded fixture items, with scripted failures.

use std::collections::VecDeque;
use std::net::SocketAddr;
use std::sync::{Arc, Mutex};
use std::time::{Duration, SystemTime, UNIX_EPOCH};

use axum::Router;
use axum::extract::{Query, State};
use axum::http::{HeaderMap, HeaderValue, StatusCode};
use axum::response::{IntoResponse, Response};
use axum::routing::get;
use serde_json::Value;

/// A scripted answer instead of the page.
#[derive(Clone, Debug, PartialEq, Eq)]
pub(crate) enum Fault {
    ServerError(u16),
    RateLimitReset,
    RetryAfter,
    Truncated,
    NotJson,
    Unauthorized,
    NotFound,
}

#[derive(Debug, Default)]
pub(crate) struct Script {
    /// Answers for the next requests, one each.
    pub(crate) next: VecDeque<Fault>,
    /// An answer for every request.
    pub(crate) always: Option<Fault>,
    /// Delay before answering a page.
    pub(crate) delay: Duration,
    /// Requests seen: (query, if-none-match, had authorization).
    pub(crate) seen: Vec<(String, Option<String>, bool)>,
}

pub(crate) struct Replay {
    pub(crate) addr: SocketAddr,
    pub(crate) script: Arc<Mutex<Script>>,
    pub(crate) items: Arc<Mutex<Vec<Value>>>,
    _runtime: tokio::runtime::Runtime,
}

pub(crate) const PAGE_SIZE: usize = 10;

fn fixture(name: &str) -> Value {
    let path = format!(
        "{}/tests/fixtures/github-api/{name}",
        env!("CARGO_MANIFEST_DIR")
    );
    serde_json::from_str(&std::fs::read_to_string(path).expect("a GitHub API fixture"))
        .unwrap_or(Value::Null)
}

/// Every fixture item, renumbered 1… and re-dated (updated_at ascending) so
/// they form one repository; shapes (legacy, modern, CRLF bodies) are kept.
pub(crate) fn fixture_items() -> Vec<Value> {
    let mut items = Vec::new();
    for f in [
        "pygithub-PyGithub-issues-2024.json",
        "pygithub-openFrameworks-issues-2018.json",
        "pygithub-PyGithub-issues-state-closed-type-2025.json",
        "pygithub-openFrameworks-issues-2012-legacy.json",
    ] {
        items.extend(fixture(f).as_array().cloned().unwrap_or_default());
    }
    for page in fixture("octokit-paginate-issues-normalized.json")
        .as_array()
        .cloned()
        .unwrap_or_default()
    {
        items.extend(page["body"].as_array().cloned().unwrap_or_default());
    }
    for (i, item) in items.iter_mut().enumerate() {
        item["number"] = Value::from(i as u64 + 1);
        item["updated_at"] = Value::from(format!("2020-01-01T{:02}:{:02}:00Z", i / 60, i % 60));
    }
    items
}

type Shared = (Arc<Mutex<Script>>, Arc<Mutex<Vec<Value>>>, String);

#[derive(serde::Deserialize)]
struct Params {
    page: Option<usize>,
    since: Option<String>,
}

async fn issues(
    State((script, items, base)): State<Shared>,
    Query(p): Query<Params>,
    headers: HeaderMap,
    uri: axum::http::Uri,
) -> Response {
    let (fault, delay) = {
        let mut s = script.lock().unwrap_or_else(|e| e.into_inner());
        s.seen.push((
            uri.query().unwrap_or("").to_owned(),
            headers
                .get("if-none-match")
                .and_then(|v| v.to_str().ok())
                .map(str::to_owned),
            headers.contains_key("authorization"),
        ));
        let f = s.next.pop_front().or_else(|| s.always.clone());
        (f, s.delay)
    };
    if !delay.is_zero() {
        tokio::time::sleep(delay).await;
    }
    let now = SystemTime::now()
        .duration_since(UNIX_EPOCH)
        .map(|d| d.as_secs())
        .unwrap_or(0);
    match fault {
        Some(Fault::ServerError(code)) => {
            return (
                StatusCode::from_u16(code).unwrap_or(StatusCode::BAD_GATEWAY),
                "upstream trouble",
            )
                .into_response();
        }
        Some(Fault::RateLimitReset) => {
            let mut h = HeaderMap::new();
            h.insert("x-ratelimit-remaining", HeaderValue::from_static("0"));
            h.insert("x-ratelimit-reset", HeaderValue::from(now + 1));
            return (
                StatusCode::FORBIDDEN,
                h,
                r#"{"message":"API rate limit exceeded"}"#,
            )
                .into_response();
        }
        Some(Fault::RetryAfter) => {
            let mut h = HeaderMap::new();
            h.insert("retry-after", HeaderValue::from_static("1"));
            return (
                StatusCode::TOO_MANY_REQUESTS,
                h,
                r#"{"message":"You have exceeded a secondary rate limit"}"#,
            )
                .into_response();
        }
        Some(Fault::Unauthorized) => {
            return (StatusCode::UNAUTHORIZED, r#"{"message":"Bad credentials"}"#).into_response();
        }
        Some(Fault::NotFound) => {
            return (StatusCode::NOT_FOUND, r#"{"message":"Not Found"}"#).into_response();
        }
        _ => {}
    }
    let all = items.lock().unwrap_or_else(|e| e.into_inner()).clone();
    let mut selected: Vec<Value> = all
        .into_iter()
        .filter(|i| match &p.since {
            Some(s) => i["updated_at"].as_str().unwrap_or("") >= s.as_str(),
            None => true,
        })
        .collect();
    selected.sort_by(|a, b| a["updated_at"].as_str().cmp(&b["updated_at"].as_str()));
    let page = p.page.unwrap_or(1).max(1);
    let pages = selected.len().div_ceil(PAGE_SIZE).max(1);
    let chunk: Vec<Value> = selected
        .into_iter()
        .skip((page - 1) * PAGE_SIZE)
        .take(PAGE_SIZE)
        .collect();
    let body = serde_json::to_string(&chunk).unwrap_or_default();
    let etag = format!(
        "W/\"{:x}\"",
        body.len() * 31
            + page * 7
            + chunk
                .first()
                .map_or(0, |c| c["number"].as_u64().unwrap_or(0) as usize)
    );
    if headers.get("if-none-match").and_then(|v| v.to_str().ok()) == Some(etag.as_str()) {
        return (StatusCode::NOT_MODIFIED, [("etag", etag)]).into_response();
    }
    let query_without_page: String = uri
        .query()
        .unwrap_or("")
        .split('&')
        .filter(|kv| !kv.starts_with("page="))
        .collect::<Vec<_>>()
        .join("&");
    let link = |n: usize| format!("<{base}{}?{query_without_page}&page={n}>", uri.path());
    let mut links = Vec::new();
    if page < pages {
        links.push(format!("{}; rel=\"next\"", link(page + 1)));
        links.push(format!("{}; rel=\"last\"", link(pages)));
    }
    let body = match fault {
        Some(Fault::Truncated) => body[..body.len() / 2].to_owned(),
        Some(Fault::NotJson) => "<html><body>Unicorn!</body></html>".to_owned(),
        _ => body,
    };
    let mut h = HeaderMap::new();
    if let Ok(v) = HeaderValue::from_str(&links.join(", ")) {
        h.insert("link", v);
    }
    if let Ok(v) = HeaderValue::from_str(&etag) {
        h.insert("etag", v);
    }
    h.insert("x-ratelimit-remaining", HeaderValue::from_static("4999"));
    h.insert(
        "content-type",
        HeaderValue::from_static("application/json; charset=utf-8"),
    );
    (StatusCode::OK, h, body).into_response()
}

impl Replay {
    pub(crate) fn start(items: Vec<Value>) -> Self {
        let runtime = match tokio::runtime::Builder::new_multi_thread()
            .worker_threads(1)
            .enable_all()
            .build()
        {
            Ok(r) => r,
            Err(e) => panic!("{e}"),
        };
        let listener = match runtime.block_on(tokio::net::TcpListener::bind("127.0.0.1:0")) {
            Ok(l) => l,
            Err(e) => panic!("{e}"),
        };
        let addr = match listener.local_addr() {
            Ok(a) => a,
            Err(e) => panic!("{e}"),
        };
        let script = Arc::new(Mutex::new(Script::default()));
        let items = Arc::new(Mutex::new(items));
        let app = Router::new()
            .route("/repos/{owner}/{repo}/issues", get(issues))
            .with_state((script.clone(), items.clone(), format!("http://{addr}")));
        runtime.spawn(async move {
            let _ = axum::serve(listener, app).await;
        });
        Self {
            addr,
            script,
            items,
            _runtime: runtime,
        }
    }

    pub(crate) fn url(&self) -> String {
        format!("http://{}", self.addr)
    }

    pub(crate) fn script(&self) -> std::sync::MutexGuard<'_, Script> {
        self.script.lock().unwrap_or_else(|e| e.into_inner())
    }
}
