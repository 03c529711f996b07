//! The GitHub REST calls of the bot (issue labels and comments).

use anyhow::{Context, bail};
use reqwest::{Method, Url};
use serde_json::{Value, json};

use super::decide::{Action, BUG_LABEL, MARKER, State};
use crate::github::Token;

/// A GitHub REST client for one repository.
#[derive(Clone, Debug)]
pub struct Repo {
    http: reqwest::Client,
    api: String,
    token: Token,
    /// OWNER/NAME.
    pub full_name: String,
    dry_run: bool,
}

impl Repo {
    /// A client for `full_name` at API base `api`.
    pub fn new(
        http: reqwest::Client,
        api: &str,
        token: &Token,
        full_name: &str,
        dry_run: bool,
    ) -> Self {
        Self {
            http,
            api: api.trim_end_matches('/').to_owned(),
            token: token.clone(),
            full_name: full_name.to_owned(),
            dry_run,
        }
    }

    /// `API/repos/OWNER/NAME/SEGMENTS…`, each segment percent-encoded
    /// (`kind/bug` is one segment: `kind%2Fbug`).
    fn endpoint(&self, segments: &[&str]) -> anyhow::Result<Url> {
        let mut url = Url::parse(&self.api)
            .with_context(|| format!("--github-api-url `{}` is not a URL", self.api))?;
        url.path_segments_mut()
            .map_err(|()| anyhow::anyhow!("--github-api-url `{}` cannot take a path", self.api))?
            .pop_if_empty()
            .push("repos")
            .extend(self.full_name.split('/'))
            .extend(segments);
        Ok(url)
    }

    async fn call(
        &self,
        method: Method,
        segments: &[&str],
        query: &[(&str, String)],
        body: Option<Value>,
    ) -> anyhow::Result<Value> {
        let url = self.endpoint(segments)?;
        let mut req = self
            .http
            .request(method.clone(), url.clone())
            .query(query)
            // GitHub's media type first; plain JSON is what its OpenAPI declares.
            .header(
                "accept",
                "application/vnd.github+json, application/json;q=0.9",
            )
            .header("x-github-api-version", "2022-11-28")
            .header("authorization", self.token.header_value()?);
        if let Some(b) = body {
            req = req.json(&b);
        }
        let resp = req
            .send()
            .await
            .with_context(|| format!("{method} {url}"))?;
        let status = resp.status();
        let text = resp.text().await.unwrap_or_default();
        if !status.is_success() {
            bail!(
                "GitHub answered {} to {method} {url}: {}",
                status.as_u16(),
                text.chars().take(300).collect::<String>()
            );
        }
        if text.trim().is_empty() {
            return Ok(Value::Null);
        }
        serde_json::from_str(&text)
            .with_context(|| format!("GitHub's answer to {method} {url} is not JSON"))
    }

    /// Labels and the bot's comment on issue/PR `number`.
    pub async fn state(&self, number: u64) -> anyhow::Result<State> {
        let number = number.to_string();
        let labels = self
            .call(Method::GET, &["issues", &number, "labels"], &[], None)
            .await?;
        let has_bug_label = labels
            .as_array()
            .into_iter()
            .flatten()
            .any(|l| l["name"].as_str() == Some(BUG_LABEL));
        let mut comment = None;
        for page in 1..=10 {
            let comments = self
                .call(
                    Method::GET,
                    &["issues", &number, "comments"],
                    &[("per_page", "100".to_owned()), ("page", page.to_string())],
                    None,
                )
                .await?;
            let list = comments.as_array().cloned().unwrap_or_default();
            comment = comment.or_else(|| {
                list.iter()
                    .find(|c| c["body"].as_str().is_some_and(|b| b.contains(MARKER)))
                    .and_then(|c| c["id"].as_u64())
            });
            if list.len() < 100 || comment.is_some() {
                break;
            }
        }
        Ok(State {
            has_bug_label,
            comment,
        })
    }

    /// Carries out `actions` on issue/PR `number` (logged only in dry-run).
    pub async fn apply(&self, number: u64, actions: &[Action]) -> anyhow::Result<()> {
        let issue = number.to_string();
        for a in actions {
            let what = format!("{a:?}");
            if self.dry_run {
                crate::serve::log(
                    "info",
                    "dry run: would",
                    json!({"repo": self.full_name, "number": number, "action": what}),
                );
                continue;
            }
            match a {
                Action::AddLabel => {
                    self.call(
                        Method::POST,
                        &["issues", &issue, "labels"],
                        &[],
                        Some(json!({"labels": [BUG_LABEL]})),
                    )
                    .await?;
                }
                Action::RemoveLabel => {
                    self.call(
                        Method::DELETE,
                        &["issues", &issue, "labels", BUG_LABEL],
                        &[],
                        None,
                    )
                    .await?;
                }
                Action::CreateComment(body) => {
                    self.call(
                        Method::POST,
                        &["issues", &issue, "comments"],
                        &[],
                        Some(json!({"body": body})),
                    )
                    .await?;
                }
                Action::EditComment(id, body) => {
                    self.call(
                        Method::PATCH,
                        &["issues", "comments", &id.to_string()],
                        &[],
                        Some(json!({"body": body})),
                    )
                    .await?;
                }
                Action::DeleteComment(id) => {
                    self.call(
                        Method::DELETE,
                        &["issues", "comments", &id.to_string()],
                        &[],
                        None,
                    )
                    .await?;
                }
            }
            crate::serve::log(
                "info",
                "applied",
                json!({"repo": self.full_name, "number": number, "action": what.split('(').next().unwrap_or("")}),
            );
        }
        Ok(())
    }
}
