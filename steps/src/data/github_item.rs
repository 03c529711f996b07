//! GitHub issue-list items (raw JSON) → typed [`Item`]s.
//!
//! Parses only the fields kpipe uses and borrows strings from the input
//! where JSON escapes allow, so no generic JSON tree is built.

use std::borrow::Cow;

use serde::Deserialize;

use super::dataset::{Item, Kind, Label};
use super::release_note;

#[derive(Debug, Deserialize)]
struct RawUser<'a> {
    #[serde(borrow)]
    login: Cow<'a, str>,
}

#[derive(Debug, Deserialize)]
struct RawLabel<'a> {
    #[serde(borrow)]
    name: Cow<'a, str>,
}

#[derive(Debug, Deserialize)]
struct RawPull<'a> {
    #[serde(default, borrow)]
    url: Option<Cow<'a, str>>,
    #[serde(default, borrow)]
    html_url: Option<Cow<'a, str>>,
    #[serde(default, borrow)]
    merged_at: Option<Cow<'a, str>>,
}

/// The fields of an issue-list item kpipe reads.
#[derive(Debug, Deserialize)]
pub struct RawItem<'a> {
    number: u64,
    #[serde(borrow)]
    title: Cow<'a, str>,
    #[serde(default, borrow)]
    user: Option<RawUser<'a>>,
    #[serde(default, borrow)]
    body: Option<&'a serde_json::value::RawValue>,
    #[serde(default, borrow)]
    labels: Vec<RawLabel<'a>>,
    #[serde(borrow)]
    created_at: Cow<'a, str>,
    #[serde(default, borrow)]
    closed_at: Option<Cow<'a, str>>,
    #[serde(default, borrow)]
    closed_by: Option<RawUser<'a>>,
    #[serde(default, borrow)]
    pull_request: Option<RawPull<'a>>,
}

impl RawItem<'_> {
    /// A pull request has a `pull_request` object with a URL: the legacy API
    /// put `pull_request` with null URLs on every issue.
    pub fn is_pull_request(&self) -> bool {
        self.pull_request
            .as_ref()
            .is_some_and(|p| p.url.is_some() || p.html_url.is_some())
    }

    /// The typed item (release note extracted for pull requests).
    pub fn into_item(self) -> Item {
        let pr = self.is_pull_request();
        Item {
            number: self.number,
            kind: if pr { Kind::PullRequest } else { Kind::Issue },
            title: self.title.into_owned(),
            user: self.user.map(|u| u.login.into_owned()).unwrap_or_default(),
            created_at: self.created_at.into_owned(),
            closed_at: self.closed_at.map(Cow::into_owned),
            closed_by: self.closed_by.map(|u| u.login.into_owned()),
            merged_at: self
                .pull_request
                .and_then(|p| p.merged_at)
                .map(Cow::into_owned),
            labels: self.labels.iter().map(|l| Label::parse(&l.name)).collect(),
            // Bodies are kept raw until needed: only pull requests' bodies are
            // unescaped, and only when they hold a release-note block.
            release_note: match self.body {
                Some(raw) if pr && raw.get().contains("```release-note") => {
                    serde_json::from_str::<Cow<'_, str>>(raw.get())
                        .ok()
                        .and_then(|b| release_note::extract(&b))
                }
                _ => None,
            },
        }
    }
}

/// Parses one raw item.
pub fn parse(json: &[u8]) -> Result<Item, serde_json::Error> {
    serde_json::from_slice::<RawItem<'_>>(json).map(RawItem::into_item)
}

/// Parses a JSON array of raw items.
pub fn parse_page(json: &[u8]) -> Result<Vec<Item>, serde_json::Error> {
    Ok(serde_json::from_slice::<Vec<RawItem<'_>>>(json)?
        .into_iter()
        .map(RawItem::into_item)
        .collect())
}
