//! The HTTP routes of the model server.

use std::sync::{Arc, OnceLock};
use std::time::{Duration, Instant};

use axum::Router;
use axum::body::{Body, Bytes};
use axum::extract::rejection::BytesRejection;
use axum::extract::{DefaultBodyLimit, Path, Request, State};
use axum::http::{StatusCode, header};
use axum::middleware::{self, Next};
use axum::response::{IntoResponse, Response};
use axum::routing::get;
use serde_json::{Value, json};

use super::metrics::Metrics;
use crate::ml::model::Model;

/// The server's state.
#[derive(Debug)]
pub struct App {
    name: String,
    model: OnceLock<Model>,
    metrics: Metrics,
    timeout: Duration,
    threshold: Option<f64>,
}

impl App {
    /// A server for model `name`; requests longer than `timeout` get 408.
    pub fn new(name: &str, timeout: Duration) -> Self {
        Self {
            name: name.to_owned(),
            model: OnceLock::new(),
            metrics: Metrics::default(),
            timeout,
            threshold: None,
        }
    }

    /// Decides at `threshold` instead of the model's own (`--threshold`).
    pub fn with_threshold(mut self, threshold: Option<f64>) -> Self {
        self.threshold = threshold;
        self
    }

    /// Installs the loaded model (readiness turns true).
    pub fn set_model(&self, model: Model) {
        let _ = self.model.set(model);
    }

    fn ready(&self) -> bool {
        self.model.get().is_some()
    }
}

type Shared = Arc<App>;

fn json(status: StatusCode, v: Value) -> Response {
    (
        status,
        [(header::CONTENT_TYPE, "application/json")],
        v.to_string(),
    )
        .into_response()
}

fn error(status: StatusCode, msg: impl Into<String>) -> Response {
    json(status, json!({"error": msg.into()}))
}

fn unknown_model(name: &str) -> Response {
    error(
        StatusCode::NOT_FOUND,
        format!("Model with name {name} does not exist."),
    )
}

/// The router, with body limit, timeout and metrics.
pub fn router(app: Shared, max_body_bytes: usize) -> Router {
    Router::new()
        .route(
            "/",
            get(|| async { json(StatusCode::OK, json!({"status": "alive"})) }),
        )
        .route("/v1/models", get(list_models))
        .route("/v1/models/{model}", get(model_ready).post(model_post))
        .route("/v2", get(server_metadata))
        .route(
            "/v2/health/live",
            get(|| async { json(StatusCode::OK, json!({"live": true})) }),
        )
        .route("/v2/health/ready", get(server_ready))
        .route("/v2/models/{model}/ready", get(v2_model_ready))
        .route("/metrics", get(metrics))
        .fallback(|| async { error(StatusCode::NOT_FOUND, "Not Found") })
        .method_not_allowed_fallback(|| async {
            error(StatusCode::METHOD_NOT_ALLOWED, "Method Not Allowed")
        })
        .layer(middleware::from_fn_with_state(app.clone(), observe))
        .layer(DefaultBodyLimit::max(max_body_bytes))
        .with_state(app)
}

async fn observe(State(app): State<Shared>, req: Request<Body>, next: Next) -> Response {
    let started = Instant::now();
    let path = req.uri().path().to_owned();
    let method = req.method().clone();
    let route = if path.ends_with(":predict") {
        0
    } else if path.starts_with("/v1/") || path.starts_with("/v2") || path == "/" {
        1
    } else {
        2
    };
    let in_flight = app.metrics.start();
    let resp = match tokio::time::timeout(app.timeout, next.run(req)).await {
        Ok(r) => r,
        Err(_) => error(
            StatusCode::REQUEST_TIMEOUT,
            format!("request timed out after {}s", app.timeout.as_secs()),
        ),
    };
    let status = resp.status().as_u16();
    let secs = started.elapsed().as_secs_f64();
    drop(in_flight);
    app.metrics.record(route, status, secs);
    if status >= 400 && path != "/favicon.ico" {
        super::log(
            if status >= 500 { "error" } else { "warn" },
            "request failed",
            json!({"method": method.as_str(), "path": path, "status": status, "latency_ms": secs * 1e3}),
        );
    }
    resp
}

async fn list_models(State(app): State<Shared>) -> Response {
    json(StatusCode::OK, json!({"models": [app.name]}))
}

async fn model_ready(State(app): State<Shared>, Path(model): Path<String>) -> Response {
    if model != app.name {
        return unknown_model(&model);
    }
    json(
        StatusCode::OK,
        json!({"name": app.name, "ready": app.ready()}),
    )
}

async fn v2_model_ready(State(app): State<Shared>, Path(model): Path<String>) -> Response {
    if model != app.name {
        return unknown_model(&model);
    }
    let status = if app.ready() {
        StatusCode::OK
    } else {
        StatusCode::SERVICE_UNAVAILABLE
    };
    json(status, json!({"name": app.name, "ready": app.ready()}))
}

async fn server_ready(State(app): State<Shared>) -> Response {
    let status = if app.ready() {
        StatusCode::OK
    } else {
        StatusCode::SERVICE_UNAVAILABLE
    };
    json(status, json!({"ready": app.ready()}))
}

async fn server_metadata() -> Response {
    json(
        StatusCode::OK,
        json!({"name": "kpipe", "version": env!("CARGO_PKG_VERSION"), "extensions": []}),
    )
}

async fn metrics(State(app): State<Shared>) -> Response {
    (
        StatusCode::OK,
        [(header::CONTENT_TYPE, "text/plain; version=0.0.4")],
        app.metrics.render(&app.name, app.ready()),
    )
        .into_response()
}

fn text_of(v: &Value) -> Option<&str> {
    match v {
        Value::String(s) => Some(s),
        Value::Object(o) => o.get("text").and_then(Value::as_str),
        _ => None,
    }
}

async fn model_post(
    State(app): State<Shared>,
    Path(segment): Path<String>,
    body: Result<Bytes, BytesRejection>,
) -> Response {
    let Some(name) = segment.strip_suffix(":predict") else {
        if segment.ends_with(":explain") {
            return error(
                StatusCode::NOT_IMPLEMENTED,
                "explain is not supported by this model",
            );
        }
        return error(
            StatusCode::METHOD_NOT_ALLOWED,
            "POST /v1/models/NAME:predict",
        );
    };
    if name != app.name {
        return unknown_model(name);
    }
    let body = match body {
        Ok(b) => b,
        Err(e) => return error(e.status(), e.body_text()),
    };
    let Some(model) = app.model.get() else {
        return error(
            StatusCode::SERVICE_UNAVAILABLE,
            format!("Model with name {name} is not ready."),
        );
    };
    let v: Value = match serde_json::from_slice(&body) {
        Ok(v) => v,
        Err(e) => {
            return error(
                StatusCode::BAD_REQUEST,
                format!("Unrecognized request format: {e}"),
            );
        }
    };
    if let Some(t) = v.get("text") {
        let Some(text) = t.as_str() else {
            return error(StatusCode::BAD_REQUEST, "\"text\" must be a string");
        };
        app.metrics.predicted(1);
        let p = model.predict(text);
        let t = model.threshold(app.threshold);
        return json(
            StatusCode::OK,
            json!({"result": p, "bug": p >= t, "threshold": t}),
        );
    }
    let instances = v.get("instances").or_else(|| v.get("inputs"));
    let Some(list) = instances.and_then(Value::as_array) else {
        return error(
            StatusCode::BAD_REQUEST,
            "expected {\"text\": \"…\"} or {\"instances\": [\"…\", …]}",
        );
    };
    let mut out = Vec::with_capacity(list.len());
    for (i, inst) in list.iter().enumerate() {
        let Some(text) = text_of(inst) else {
            return error(
                StatusCode::BAD_REQUEST,
                format!("instance {i} is neither a string nor {{\"text\": \"…\"}}"),
            );
        };
        out.push(model.predict(text));
    }
    app.metrics.predicted(out.len());
    json(StatusCode::OK, json!({"predictions": out}))
}
