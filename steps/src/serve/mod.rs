//! `kpipe-step serve`: the model over KServe's V1 protocol (plus V2 health),
//! on axum.
//!
//! | verb | path | answer |
//! |---|---|---|
//! | GET | `/` | `{"status":"alive"}` |
//! | GET | `/v1/models` | `{"models":[NAME]}` |
//! | GET | `/v1/models/NAME` | `{"name":NAME,"ready":bool}` |
//! | POST | `/v1/models/NAME:predict` | `{"text":…}` → `{"result":p,"bug":bool,"threshold":t}`; `{"instances"\|"inputs":[…]}` → `{"predictions":[…]}` |
//! | GET | `/v2/health/live`, `/v2/health/ready`, `/v2/models/NAME/ready` | V2 health |
//! | GET | `/metrics` | Prometheus text: request counts, latency histogram |
//!
//! `bug` decides at the threshold stored with the model, or `--threshold`.
//! Errors are `{"error": …}`: 400 bad input, 404 unknown model or path, 405
//! wrong verb, 408 timeout, 413 body too large, 503 not ready. The model
//! loads after the port opens, so readiness is false until it is in memory.
//! SIGTERM/SIGINT stop accepting connections and let in-flight requests end.

mod metrics;
mod routes;

pub use routes::{App, router};

use std::sync::Arc;
use std::time::Duration;

use anyhow::Context;
use kpipe_step_contract::ServeArgs;

use crate::ml::model::Model;

/// Writes one structured log line (JSON) to standard error.
pub fn log(level: &str, msg: &str, fields: serde_json::Value) {
    let mut line = serde_json::json!({"level": level, "msg": msg, "ts_ms": now_ms()});
    if let (Some(obj), serde_json::Value::Object(extra)) = (line.as_object_mut(), fields) {
        obj.extend(extra);
    }
    eprintln!("{line}");
}

/// Binds `host:port` and logs `listening` with the bound address (the
/// port chosen for `--port 0`) and `fields`.
pub async fn listen(
    host: &str,
    port: u16,
    fields: serde_json::Value,
) -> anyhow::Result<tokio::net::TcpListener> {
    let addr = format!("{host}:{port}");
    let listener = tokio::net::TcpListener::bind(&addr)
        .await
        .with_context(|| format!("cannot listen on {addr}"))?;
    let bound = listener.local_addr().map(|a| a.to_string()).unwrap_or(addr);
    let mut line = serde_json::json!({"addr": bound});
    if let (Some(obj), serde_json::Value::Object(extra)) = (line.as_object_mut(), fields) {
        obj.extend(extra);
    }
    log("info", "listening", line);
    Ok(listener)
}

fn now_ms() -> u128 {
    std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .map(|d| d.as_millis())
        .unwrap_or(0)
}

/// Runs `serve` until SIGTERM/SIGINT.
pub fn run(args: ServeArgs) -> anyhow::Result<()> {
    let runtime = tokio::runtime::Builder::new_multi_thread()
        .enable_all()
        .build()
        .context("cannot start the async runtime")?;
    runtime.block_on(serve(args))
}

async fn serve(args: ServeArgs) -> anyhow::Result<()> {
    let threshold = crate::ml::model::checked_threshold(args.threshold)?;
    let app = Arc::new(
        App::new(
            &args.name,
            Duration::from_secs(args.request_timeout_seconds.max(1)),
        )
        .with_threshold(threshold),
    );
    let listener = listen(
        &args.host,
        args.port,
        serde_json::json!({"model": args.name}),
    )
    .await?;
    // Load after binding: health answers (not ready) while the model loads.
    let loader = {
        let app = app.clone();
        let dir = args.model.clone();
        tokio::task::spawn_blocking(move || {
            let started = std::time::Instant::now();
            match Model::load(&dir) {
                Ok(model) => {
                    app.set_model(model);
                    log(
                        "info",
                        "model loaded",
                        serde_json::json!({"dir": dir.display().to_string(), "load_ms": started.elapsed().as_millis()}),
                    );
                    Ok(())
                }
                Err(e) => {
                    log(
                        "error",
                        "model failed to load",
                        serde_json::json!({"dir": dir.display().to_string(), "error": format!("{e:#}")}),
                    );
                    Err(e)
                }
            }
        })
    };
    let server = axum::serve(listener, router(app.clone(), args.max_body_bytes))
        .with_graceful_shutdown(shutdown());
    let server = tokio::spawn(async move { server.await });
    match loader.await {
        Ok(Ok(())) => {}
        Ok(Err(e)) => return Err(e.context("the model server cannot start")),
        Err(e) => anyhow::bail!("the model loader crashed: {e}"),
    }
    match server.await {
        Ok(r) => r.context("the HTTP server failed")?,
        Err(e) => anyhow::bail!("the HTTP server crashed: {e}"),
    }
    log("info", "stopped", serde_json::json!({}));
    Ok(())
}

/// Resolves on SIGTERM or SIGINT.
pub async fn shutdown() {
    let ctrl_c = async {
        let _ = tokio::signal::ctrl_c().await;
    };
    let term = async {
        match tokio::signal::unix::signal(tokio::signal::unix::SignalKind::terminate()) {
            Ok(mut s) => {
                s.recv().await;
            }
            Err(_) => std::future::pending::<()>().await,
        }
    };
    tokio::select! {
        () = ctrl_c => {},
        () = term => {},
    }
    log(
        "info",
        "shutting down: finishing in-flight requests",
        serde_json::json!({}),
    );
}
