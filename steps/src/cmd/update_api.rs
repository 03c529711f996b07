//! `kpipe-step update-api`: export or update the GitHub issues store.

use std::time::{Duration, Instant};

use anyhow::{Context, bail};
use indicatif::{ProgressBar, ProgressDrawTarget, ProgressStyle};
use kpipe_step_contract::UpdateApiArgs;

use crate::data::store::{self, Progress, Store, StoreState};
use crate::github::{Backoff, GithubClient, Token};

/// Runs `update-api`.
pub(super) fn run(args: UpdateApiArgs) -> anyhow::Result<()> {
    let Some((owner, name)) = args
        .repo
        .split_once('/')
        .filter(|(o, n)| !o.is_empty() && !n.is_empty() && !n.contains('/'))
    else {
        bail!("--repo must be OWNER/NAME, got `{}`", args.repo);
    };
    let store = Store::open(&args.store)?;
    if let Some(from) = &args.from
        && store.seed_from(from)?
    {
        eprintln!("Started from the store in {}", from.display());
    }
    let state = store.state()?;
    if let Some(s) = &state
        && s.repo != args.repo
    {
        bail!(
            "the store in {} holds {}, not {}; use another --store",
            args.store.display(),
            s.repo,
            args.repo
        );
    }
    if *args.offline.get() && args.full {
        bail!("--offline=true and --full contradict each other: a full export contacts GitHub");
    }
    if *args.offline.get() {
        return match state {
            Some(s) => {
                eprintln!(
                    "Offline: keeping the store as it is ({} items of {}, updated until {})",
                    s.items,
                    s.repo,
                    s.updated_until.as_deref().unwrap_or("never")
                );
                Ok(())
            }
            None => bail!(
                "--offline, but {} holds no store and --from gave none: nothing to keep",
                args.store.display()
            ),
        };
    }
    let token = Token::find(crate::secret::mounted(
        args.token_file.as_deref(),
        "GitHub token",
    ))?;
    if token.is_none() {
        eprintln!(
            "No GitHub token (--token-file or GITHUB_TOKEN): anonymous requests are limited to 60 per hour"
        );
    }
    let client = GithubClient::new(token, backoff_from_env())?;
    let progress = match store.progress()? {
        Some(p) if p.repo == args.repo => {
            eprintln!(
                "Resuming the unfinished update: {} pages ({} items) already stored",
                p.pages_done, p.items_fetched
            );
            p
        }
        Some(p) => bail!(
            "{} holds an unfinished update of {}; finish it or delete progress.json and pages/",
            args.store.display(),
            p.repo
        ),
        None => {
            let since = if args.full {
                None
            } else {
                state.as_ref().and_then(|s| s.updated_until.clone())
            };
            let api = args.api_url.trim_end_matches('/');
            let mut first_url = format!(
                "{api}/repos/{owner}/{name}/issues?state=all&sort=updated&direction=asc&per_page=100"
            );
            match &since {
                Some(t) => {
                    first_url.push_str("&since=");
                    first_url.push_str(t);
                    eprintln!("Updating {} since {t}", args.repo);
                }
                None => eprintln!("Exporting all issues and pull requests of {}", args.repo),
            }
            Progress {
                repo: args.repo.clone(),
                next_url: Some(first_url.clone()),
                first_url,
                pages_done: 0,
                pages_total: None,
                items_fetched: 0,
                first_etag: None,
                unchanged: false,
            }
        }
    };
    let runtime = tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()
        .context("cannot start the async runtime")?;
    let progress = runtime.block_on(fetch(&client, &store, progress, state.as_ref()))?;
    merge(&store, &progress, state.as_ref())
}

/// Test hook: `KPIPE_GITHUB_BACKOFF_MS` shortens retry waits.
fn backoff_from_env() -> Backoff {
    let mut b = Backoff::default();
    if let Some(ms) = std::env::var("KPIPE_GITHUB_BACKOFF_MS")
        .ok()
        .and_then(|v| v.parse().ok())
    {
        b.base = Duration::from_millis(ms);
        b.max = Duration::from_millis(ms.saturating_mul(8));
    }
    b
}

async fn fetch(
    client: &GithubClient,
    store: &Store,
    mut progress: Progress,
    state: Option<&StoreState>,
) -> anyhow::Result<Progress> {
    let bar = ProgressBar::with_draw_target(progress.pages_total, ProgressDrawTarget::stderr());
    bar.set_style(
        ProgressStyle::with_template("{spinner} {bar:30} page {pos}/{len} {msg} (ETA {eta})")
            .unwrap_or_else(|_| ProgressStyle::default_bar()),
    );
    bar.set_position(progress.pages_done);
    let started = Instant::now();
    let fetched_before = progress.items_fetched;
    while let Some(url) = progress.next_url.clone() {
        let etag = match state.and_then(|s| s.last_first_page.as_ref()) {
            Some((u, e)) if progress.pages_done == 0 && *u == url => Some(e.as_str()),
            _ => None,
        };
        let mut say = |line: &str| bar.suspend(|| eprintln!("{line}"));
        let page = client.page(&url, etag, &mut say).await?;
        if page.not_modified {
            eprintln!("Nothing changed since the last update (304 Not Modified)");
            progress.unchanged = true;
            progress.first_etag = page.etag;
            progress.next_url = None;
            store.save_progress(&progress)?;
            break;
        }
        let n = progress.pages_done + 1;
        store.write_page(n, &page.body)?;
        if n == 1 {
            progress.first_etag = page.etag.clone();
        }
        progress.pages_done = n;
        progress.items_fetched += page.items as u64;
        progress.next_url = page.links.next.clone();
        if let Some(last) = page.links.last_page() {
            progress.pages_total = Some(last.max(n));
        } else if progress.next_url.is_none() {
            progress.pages_total = Some(n);
        }
        store.save_progress(&progress)?;
        let rate = (progress.items_fetched - fetched_before) as f64
            / started.elapsed().as_secs_f64().max(1e-3);
        if let Some(t) = progress.pages_total {
            bar.set_length(t);
        }
        bar.set_position(n);
        bar.set_message(format!(
            "{} items, {rate:.0} items/s",
            progress.items_fetched
        ));
        if bar.is_hidden() {
            let total = progress
                .pages_total
                .map_or("?".to_owned(), |t| t.to_string());
            eprintln!(
                "page {n}/{total}: {} items so far ({rate:.0} items/s)",
                progress.items_fetched
            );
        }
    }
    bar.finish_and_clear();
    Ok(progress)
}

fn merge(store: &Store, progress: &Progress, state: Option<&StoreState>) -> anyhow::Result<()> {
    let mut items = store.items()?;
    let before = items.len();
    let mut changed = 0usize;
    for (i, page) in store.pages(progress.pages_done)?.iter().enumerate() {
        let list: Vec<serde_json::Value> = serde_json::from_slice(page).with_context(|| {
            format!(
                "stored page {} is not a JSON array; delete the store's progress.json to refetch",
                i + 1
            )
        })?;
        for item in list {
            if store::merge(&mut items, item)? {
                changed += 1;
            }
        }
    }
    let new_state = StoreState {
        format: store::FORMAT.to_owned(),
        version: store::VERSION,
        repo: progress.repo.clone(),
        items: items.len(),
        updated_until: store::updated_until(&items),
        last_first_page: progress
            .first_etag
            .clone()
            .map(|e| (progress.first_url.clone(), e))
            .or_else(|| state.and_then(|s| s.last_first_page.clone())),
    };
    store.commit(&items, &new_state)?;
    eprintln!(
        "Stored {} items of {} ({} new, {} updated), updated until {}",
        new_state.items,
        new_state.repo,
        items.len() - before,
        changed.saturating_sub(items.len() - before),
        new_state.updated_until.as_deref().unwrap_or("never")
    );
    Ok(())
}
