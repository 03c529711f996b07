//! `kpipe-step bot`: the Prow external plugin that predicts `kind/bug` from a
//! pull request's (or issue's) release note, labels it and comments, like the
//! original kubernetes-analysis plugin.
//!
//! Prow's hook forwards GitHub's webhook (headers unchanged) to `/` or
//! `/hook`. The bot checks `X-Hub-Signature-256` (HMAC-SHA256, constant time;
//! SHA-1 is refused), `X-GitHub-Event` and the content type, answers 200 at
//! once and does the work in the background: extract the release note (same
//! extractor as update-data), predict (the served model, or in-process),
//! add/remove `kind/bug` at the threshold, create or edit its one comment
//! (marked `<!-- RELNOTE_PREDICTION -->`), delete it when the note is NONE,
//! and comment the error when something fails.

pub mod decide;
pub mod github;
pub mod signature;

use std::sync::Arc;

use anyhow::{Context, bail};
use axum::Router;
use axum::body::Bytes;
use axum::extract::rejection::BytesRejection;
use axum::extract::{DefaultBodyLimit, State};
use axum::http::{HeaderMap, StatusCode};
use axum::response::{IntoResponse, Response};
use axum::routing::post;
use kpipe_step_contract::BotArgs;
use serde_json::{Value, json};

use crate::data::release_note;
use crate::github::Token;
use crate::ml::model::Model;
use crate::serve::log;
use decide::{Action, Prediction, plan};
use signature::Secrets;

/// The largest webhook accepted.
pub const MAX_BODY: usize = 4 << 20;

/// How the bot predicts.
#[derive(Debug)]
pub enum Predictor {
    /// POST `{"text"}` to a KServe V1 `:predict` URL, read `{"result"}`.
    Remote {
        /// The predict URL.
        url: String,
    },
    /// A model in this process.
    Local(Box<Model>),
}

/// The bot's configuration and clients.
#[derive(Debug)]
pub struct Bot {
    /// HMAC secrets.
    pub secrets: Secrets,
    /// GitHub token.
    pub token: Token,
    /// GitHub API base URL.
    pub api: String,
    /// Prediction.
    pub predictor: Predictor,
    /// `--threshold`: decide at it instead of the model's own threshold.
    pub threshold: Option<f64>,
    /// Log instead of changing GitHub.
    pub dry_run: bool,
    /// HTTP client.
    pub http: reqwest::Client,
}

impl Bot {
    /// The note's probability, and the threshold to decide at: `--threshold`,
    /// else the model's (the served model reports it with each result).
    async fn predict(&self, note: &str) -> anyhow::Result<Prediction> {
        match &self.predictor {
            Predictor::Local(m) => Ok(Prediction {
                probability: m.predict(note),
                threshold: m.threshold(self.threshold),
            }),
            Predictor::Remote { url } => {
                let resp = self
                    .http
                    .post(url)
                    .json(&json!({"text": note}))
                    .send()
                    .await
                    .with_context(|| format!("cannot reach the model at {url}"))?;
                let status = resp.status();
                if !status.is_success() {
                    bail!("the model at {url} answered HTTP {}", status.as_u16());
                }
                let v: Value = resp
                    .json()
                    .await
                    .context("the model's answer is not JSON")?;
                let probability = v["result"].as_f64().with_context(|| {
                    format!("the model's answer has no numeric \"result\": {v}")
                })?;
                let threshold = match self.threshold {
                    Some(t) => t,
                    None => v["threshold"]
                        .as_f64()
                        .filter(|t| (0.0..=1.0).contains(t))
                        .with_context(|| {
                            format!(
                                "the model at {url} reports no \"threshold\" with its result (kpipe-step serve does): pass --threshold"
                            )
                        })?,
                };
                Ok(Prediction {
                    probability,
                    threshold,
                })
            }
        }
    }

    /// Handles one verified event; returns what it did (for logs and tests).
    pub async fn handle(&self, event: &str, payload: &Value) -> anyhow::Result<Vec<Action>> {
        let (item, action) = match event {
            "pull_request" => (
                &payload["pull_request"],
                payload["action"].as_str().unwrap_or(""),
            ),
            "issues" => (&payload["issue"], payload["action"].as_str().unwrap_or("")),
            _ => return Ok(Vec::new()),
        };
        let wanted = match event {
            "pull_request" => ["opened", "edited", "synchronize", "reopened"].contains(&action),
            _ => ["opened", "edited"].contains(&action),
        };
        // Every delivery the bot takes on ends in exactly one log line:
        // `ignored`, `handled` or `handling failed`.
        let ignore = |reason: &str| {
            log(
                "info",
                "ignored",
                json!({"event": event, "action": action, "number": item["number"], "reason": reason}),
            );
            Ok(Vec::new())
        };
        if !wanted {
            return ignore("the bot does not act on this action");
        }
        if item["merged"].as_bool() == Some(true) {
            return ignore("the pull request is merged");
        }
        let malformed = |what: &str| {
            log(
                "error",
                "handling failed",
                json!({"event": event, "action": action, "error": what}),
            );
            Err(anyhow::anyhow!("{what}"))
        };
        let Some(number) = item["number"].as_u64() else {
            return malformed("the event has no issue number");
        };
        let user = item["user"]["login"].as_str().unwrap_or("");
        let Some(repo_name) = payload["repository"]["full_name"].as_str() else {
            return malformed("the event has no repository");
        };
        let repo = github::Repo::new(
            self.http.clone(),
            &self.api,
            &self.token,
            repo_name,
            self.dry_run,
        );
        let result: anyhow::Result<Vec<Action>> = async {
            let note = item["body"].as_str().and_then(release_note::extract);
            let prediction = match &note {
                Some(n) => Some(self.predict(n).await.context("predicting the release note")?),
                None => None,
            };
            let state = repo.state(number).await.context("reading labels and comments")?;
            let actions = plan(user, prediction, &state);
            let probability = prediction.map(|p| p.probability);
            let threshold = prediction.map(|p| p.threshold);
            repo.apply(number, &actions).await.context("updating labels and comments")?;
            log("info", "handled", json!({"repo": repo_name, "number": number, "event": event, "action": action, "probability": probability, "threshold": threshold, "actions": actions.len()}));
            Ok(actions)
        }
        .await;
        match result {
            Ok(a) => Ok(a),
            Err(e) => {
                let text = format!("{e:#}");
                let comment = Action::CreateComment(decide::error_comment(&text));
                let existing = repo.state(number).await.ok().and_then(|s| s.comment);
                let act = match existing {
                    Some(id) => Action::EditComment(id, decide::error_comment(&text)),
                    None => comment,
                };
                let commented = match repo.apply(number, std::slice::from_ref(&act)).await {
                    Ok(()) => None,
                    Err(ce) => Some(format!("{ce:#}")),
                };
                // Logged last: the line means the bot is done with the delivery.
                log(
                    "error",
                    "handling failed",
                    json!({"repo": repo_name, "number": number, "error": text, "comment_error": commented}),
                );
                Err(e)
            }
        }
    }
}

fn reply(status: StatusCode, msg: &str) -> Response {
    (
        status,
        [(axum::http::header::CONTENT_TYPE, "application/json")],
        json!({"message": msg}).to_string(),
    )
        .into_response()
}

async fn hook(
    State(bot): State<Arc<Bot>>,
    headers: HeaderMap,
    body: Result<Bytes, BytesRejection>,
) -> Response {
    let body = match body {
        Ok(b) => b,
        Err(e) => return reply(e.status(), &e.body_text()),
    };
    let header = |n: &str| headers.get(n).and_then(|v| v.to_str().ok()).unwrap_or("");
    let event = header("x-github-event").to_owned();
    if event.is_empty() {
        return reply(StatusCode::BAD_REQUEST, "missing X-GitHub-Event");
    }
    if !header("content-type").starts_with("application/json") {
        return reply(
            StatusCode::BAD_REQUEST,
            "content-type must be application/json",
        );
    }
    let signature = header("x-hub-signature-256");
    if signature.is_empty() {
        return reply(StatusCode::UNAUTHORIZED, "missing X-Hub-Signature-256");
    }
    // The repository picks the secret; parsing happens before trusting.
    let payload: Value = match serde_json::from_slice(&body) {
        Ok(v) => v,
        Err(_) => {
            let ok = signature::verify(signature, &body, &bot.secrets.for_repo(""));
            return reply(
                if ok {
                    StatusCode::BAD_REQUEST
                } else {
                    StatusCode::UNAUTHORIZED
                },
                if ok {
                    "the body is not JSON"
                } else {
                    "invalid signature"
                },
            );
        }
    };
    let repo = payload["repository"]["full_name"].as_str().unwrap_or("");
    if !signature::verify(signature, &body, &bot.secrets.for_repo(repo)) {
        log(
            "warn",
            "rejected a webhook with an invalid signature",
            json!({"event": event, "repo": repo}),
        );
        return reply(StatusCode::UNAUTHORIZED, "invalid signature");
    }
    match event.as_str() {
        "ping" => reply(StatusCode::OK, "pong"),
        "issues" | "pull_request" => {
            let bot = bot.clone();
            tokio::spawn(async move {
                let _ = bot.handle(&event, &payload).await;
            });
            reply(StatusCode::OK, "event received")
        }
        other => reply(
            StatusCode::BAD_REQUEST,
            &format!("unsupported event `{other}`"),
        ),
    }
}

/// The bot's router (`/` and `/hook`), with the body limit.
pub fn router(bot: Arc<Bot>) -> Router {
    Router::new()
        .route(
            "/",
            post(hook).get(|| async { reply(StatusCode::OK, "kpipe bot") }),
        )
        .route("/hook", post(hook))
        .layer(DefaultBodyLimit::max(MAX_BODY))
        .with_state(bot)
}

/// Runs `bot` until SIGTERM/SIGINT.
pub fn run(args: BotArgs) -> anyhow::Result<()> {
    let threshold = crate::ml::model::checked_threshold(args.threshold)?;
    let secrets = Secrets::read(&args.hmac_secret_file)?;
    let token = Token::read(&args.github_token_file)?;
    let predictor = match (&args.predict_url, &args.model) {
        (_, Some(dir)) => Predictor::Local(Box::new(Model::load(dir)?)),
        (Some(url), None) => Predictor::Remote { url: url.clone() },
        (None, None) => bail!("give --predict-url URL or --model DIR"),
    };
    let http = crate::http::client(std::time::Duration::from_secs(30))?;
    let bot = Arc::new(Bot {
        secrets,
        token,
        api: args.github_api_url.clone(),
        predictor,
        threshold,
        dry_run: args.dry_run,
        http,
    });
    let runtime = tokio::runtime::Builder::new_multi_thread()
        .enable_all()
        .build()
        .context("cannot start the async runtime")?;
    runtime.block_on(async move {
        let listener =
            crate::serve::listen(&args.host, args.port, json!({"dry_run": args.dry_run})).await?;
        axum::serve(listener, router(bot))
            .with_graceful_shutdown(crate::serve::shutdown())
            .await
            .context("the HTTP server failed")
    })
}
