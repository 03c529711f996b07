//! Property tests of every parser that takes outside input: serve's request
//! bodies and the bot's webhooks (through their axum routers, no sockets),
//! update-data on arbitrary and mutated GitHub JSON (the real fixtures), the
//! model directory on truncated and corrupted files, and the registry's
//! authentication challenge and image references. None may panic; each
//! answers with its error (HTTP: a 4xx with a JSON message).
//!
//! A bounded number of cases runs with the suite; `KPIPE_FUZZ_CASES=N`
//! runs N per property (`steps/benches/fuzz.sh` runs 20,000).

use std::path::{Path, PathBuf};
use std::sync::{Arc, OnceLock};
use std::time::Duration;

use axum::body::Body;
use axum::http::Request;
use kpipe_oci::Reference;
use kpipe_oci::registry::challenge::Challenge;
use kpipe_steps::bot::signature::{self, Secrets};
use kpipe_steps::bot::{self, Bot, Predictor};
use kpipe_steps::data::{bulk, github_item, release_note};
use kpipe_steps::ml::data;
use kpipe_steps::ml::features::{FeatureConfig, Features};
use kpipe_steps::ml::metrics::Metrics;
use kpipe_steps::ml::model::{Manifest, Model};
use kpipe_steps::ml::net_config::NetConfig;
use kpipe_steps::ml::weights::Weights;
use kpipe_testkit::fuzz;
use proptest::prelude::*;
use serde_json::{Value, json};
use tower::ServiceExt;

/// Cases per property: 64 in the suite, `KPIPE_FUZZ_CASES` for long runs.
fn config() -> ProptestConfig {
    let cases = std::env::var("KPIPE_FUZZ_CASES")
        .ok()
        .and_then(|v| v.parse().ok())
        .unwrap_or(64);
    ProptestConfig {
        cases,
        failure_persistence: None,
        ..ProptestConfig::default()
    }
}

/// The fixture files `names` in `tests/fixtures/dir`.
fn fixtures(dir: &str, names: &[&str]) -> Vec<Vec<u8>> {
    names
        .iter()
        .map(|name| {
            let p = Path::new(env!("CARGO_MANIFEST_DIR"))
                .join("tests/fixtures")
                .join(dir)
                .join(name);
            std::fs::read(&p).unwrap_or_else(|e| panic!("{}: {e}", p.display()))
        })
        .collect()
}

/// Byte edits: (position, kind, byte). Kind 0 replaces, 1 inserts, 2
/// deletes, 3 truncates there.
fn edits() -> impl Strategy<Value = Vec<(usize, u8, u8)>> {
    prop::collection::vec((any::<usize>(), 0u8..4, any::<u8>()), 0..6)
}

fn mutate(mut bytes: Vec<u8>, edits: &[(usize, u8, u8)]) -> Vec<u8> {
    for &(at, kind, b) in edits {
        if bytes.is_empty() {
            bytes.push(b);
            continue;
        }
        let at = at % bytes.len();
        match kind {
            0 => bytes[at] = b,
            1 => bytes.insert(at, b),
            2 => {
                bytes.remove(at);
            }
            _ => bytes.truncate(at),
        }
    }
    bytes
}

/// JSON values of any shape, a few levels deep.
fn any_json() -> impl Strategy<Value = Value> {
    fuzz::any_json(fuzz::json_scalar(40), "[a-z_]{0,8}".boxed(), 3, 6)
}

fn runtime() -> tokio::runtime::Runtime {
    tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()
        .unwrap_or_else(|e| panic!("{e}"))
}

/// A small model fitted in process on the first bundled notes (no burn).
fn small_model() -> &'static Model {
    static MODEL: OnceLock<Model> = OnceLock::new();
    MODEL.get_or_init(|| {
        let notes = data::load(
            &Path::new(env!("CARGO_MANIFEST_DIR"))
                .join("../pipelines/kubernetes-analysis/data/release-notes-train-1.14-1.27.jsonl"),
        )
        .unwrap_or_else(|e| panic!("{e:#}"));
        let notes = &notes[..200];
        let docs: Vec<&str> = notes.iter().map(|n| n.text.as_str()).collect();
        let labels: Vec<bool> = notes.iter().map(|n| n.bug).collect();
        let config = FeatureConfig::kpipe();
        let (features, _) = Features::fit(&config, &docs, &labels);
        Model {
            manifest: Manifest::new(config, NetConfig::default(), 0.6),
            weights: Weights::patterned(features.dim(), 4),
            features,
        }
    })
}

/// A request through `router`: (status, JSON body or `Value::Null`).
fn call(rt: &tokio::runtime::Runtime, router: &axum::Router, req: Request<Body>) -> (u16, Value) {
    let resp = rt
        .block_on(router.clone().oneshot(req))
        .unwrap_or_else(|e| match e {});
    let status = resp.status().as_u16();
    let body = rt
        .block_on(axum::body::to_bytes(resp.into_body(), 1 << 24))
        .unwrap_or_default();
    (status, serde_json::from_slice(&body).unwrap_or(Value::Null))
}

fn serve_router() -> &'static (tokio::runtime::Runtime, axum::Router) {
    static ROUTER: OnceLock<(tokio::runtime::Runtime, axum::Router)> = OnceLock::new();
    ROUTER.get_or_init(|| {
        let app = kpipe_steps::serve::App::new("m", Duration::from_secs(5));
        app.set_model(small_model().clone());
        (
            runtime(),
            kpipe_steps::serve::router(Arc::new(app), 1 << 16),
        )
    })
}

fn predict(body: Vec<u8>) -> (u16, Value) {
    let (rt, router) = serve_router();
    let req = Request::builder()
        .method("POST")
        .uri("/v1/models/m:predict")
        .header("content-type", "application/json")
        .body(Body::from(body))
        .unwrap_or_else(|e| panic!("{e}"));
    call(rt, router, req)
}

/// Every answer of `:predict`: 200 with a probability per note, or a 4xx
/// with a JSON error.
fn check_prediction(status: u16, v: &Value) -> Result<(), TestCaseError> {
    match status {
        200 => {
            let probs: Vec<f64> = match (&v["result"], &v["predictions"]) {
                (Value::Number(p), _) => p.as_f64().into_iter().collect(),
                (_, Value::Array(ps)) => ps.iter().filter_map(Value::as_f64).collect(),
                _ => return Err(TestCaseError::fail(format!("200 without a result: {v}"))),
            };
            prop_assert!(probs.iter().all(|p| (0.0..=1.0).contains(p)), "{v}");
        }
        400 | 413 => prop_assert!(v["error"].is_string(), "{status} without an error: {v}"),
        _ => prop_assert!(false, "unexpected status {status}: {v}"),
    }
    Ok(())
}

proptest! {
    #![proptest_config(config())]

    #[test]
    fn serve_answers_any_bytes(body in prop::collection::vec(any::<u8>(), 0..400)) {
        let (status, v) = predict(body);
        check_prediction(status, &v)?;
    }

    #[test]
    fn serve_answers_any_json(v in any_json(), key in prop_oneof![
        Just("text".to_owned()), Just("instances".to_owned()), Just("inputs".to_owned()), "[a-z]{0,6}"
    ]) {
        let object = |value: Value| Value::Object([(key.clone(), value)].into_iter().collect());
        for body in [object(v.clone()), object(json!([v.clone(), {"text": v.clone()}])), v.clone()] {
            let (status, answer) = predict(body.to_string().into_bytes());
            check_prediction(status, &answer)?;
        }
    }

    #[test]
    fn serve_answers_mutated_requests(edits in edits()) {
        let valid = br#"{"instances":["Fixed a panic",{"text":"Added a flag"}],"text":"x"}"#;
        let (status, v) = predict(mutate(valid.to_vec(), &edits));
        check_prediction(status, &v)?;
    }

    #[test]
    fn serve_answers_any_path(segment in "[ -~]{0,30}") {
        let (rt, router) = serve_router();
        let path = format!("/v1/models/{}", segment.replace(['?', '#', ' ', '%'], "_"));
        let Ok(req) = Request::builder().method("POST").uri(&path).body(Body::from("{}")) else {
            return Ok(()); // not a URI the client could send
        };
        let (status, v) = call(rt, router, req);
        prop_assert!([200, 400, 404, 405, 501].contains(&status), "{path}: {status} {v}");
        if status != 200 {
            prop_assert!(v["error"].is_string(), "{path}: {v}");
        }
    }
}

const HMAC: &str = "fuzz-secret";

fn the_bot() -> &'static (tokio::runtime::Runtime, Arc<Bot>) {
    static BOT: OnceLock<(tokio::runtime::Runtime, Arc<Bot>)> = OnceLock::new();
    BOT.get_or_init(|| {
        let rt = runtime();
        let bot = Arc::new(Bot {
            secrets: Secrets::parse(HMAC).unwrap_or_else(|e| panic!("{e:#}")),
            token: kpipe_steps::github::Token::new("fuzz-token"),
            // Refuses connections at once: handling fails fast and is logged.
            api: "http://127.0.0.1:1".to_owned(),
            predictor: Predictor::Local(Box::new(small_model().clone())),
            threshold: None,
            dry_run: true,
            http: kpipe_steps::http::client(Duration::from_secs(2))
                .unwrap_or_else(|e| panic!("{e:#}")),
        });
        (rt, bot)
    })
}

fn webhooks() -> &'static Vec<Vec<u8>> {
    static ALL: OnceLock<Vec<Vec<u8>>> = OnceLock::new();
    ALL.get_or_init(|| {
        fixtures(
            "webhooks",
            &[
                "issues_opened.payload.json",
                "issues_edited.payload.json",
                "pull_request_opened.payload.json",
                "pull_request_opened.with-null-body.json",
                "pull_request_synchronize.payload.json",
                "pull_request_closed.payload.json",
            ],
        )
    })
}

fn header_text() -> impl Strategy<Value = String> {
    prop_oneof![
        Just("pull_request".to_owned()),
        Just("issues".to_owned()),
        Just("ping".to_owned()),
        Just("application/json".to_owned()),
        "[ -~]{0,30}",
    ]
}

proptest! {
    #![proptest_config(config())]

    #[test]
    fn the_bot_answers_any_delivery(
        which in 0usize..6,
        edits in edits(),
        event in header_text(),
        content_type in header_text(),
        signing in 0u8..3,
        garbage in "[ -~]{0,40}",
    ) {
        let (rt, bot) = the_bot();
        let body = mutate(webhooks()[which].clone(), &edits);
        let sig = match signing {
            0 => signature::sign(HMAC.as_bytes(), &body),
            1 => signature::sign(b"another secret", &body),
            _ => garbage,
        };
        let mut req = Request::builder().method("POST").uri("/hook");
        for (name, value) in [
            ("x-github-event", &event),
            ("content-type", &content_type),
            ("x-hub-signature-256", &sig),
        ] {
            if !value.is_empty() {
                req = req.header(name, value.as_str());
            }
        }
        let req = req.body(Body::from(body)).unwrap_or_else(|e| panic!("{e}"));
        let router = bot::router(bot.clone());
        let (status, v) = call(rt, &router, req);
        prop_assert!([200, 400, 401, 413].contains(&status), "{status}: {v}");
        prop_assert!(v["message"].is_string(), "{status} without a message: {v}");
        if status == 200 {
            prop_assert_eq!(signing, 0, "accepted a bad signature");
        }
    }

    #[test]
    fn the_bot_handles_any_event_payload(
        which in 0usize..6,
        v in any_json(),
        field in prop_oneof![
            Just("action"), Just("number"), Just("body"), Just("merged"),
            Just("repository"), Just("user"), Just("pull_request"), Just("issue"),
        ],
        event in prop_oneof![Just("issues"), Just("pull_request")],
    ) {
        let (rt, bot) = the_bot();
        let mut payload: Value = serde_json::from_slice(&webhooks()[which]).unwrap_or(Value::Null);
        for item in ["pull_request", "issue"] {
            if let Some(o) = payload.get_mut(item).and_then(Value::as_object_mut) {
                o.insert(field.to_owned(), v.clone());
            }
        }
        if let Some(o) = payload.as_object_mut() {
            o.insert(field.to_owned(), v);
        }
        // Ok (ignored or handled) or an error: never a panic.
        let _ = rt.block_on(bot.handle(event, &payload));
    }

    #[test]
    fn hmac_secret_files_parse_or_fail(text in ".{0,200}") {
        let _ = Secrets::parse(&text);
    }
}

fn api_pages() -> &'static Vec<Vec<u8>> {
    static ALL: OnceLock<Vec<Vec<u8>>> = OnceLock::new();
    ALL.get_or_init(|| {
        fixtures(
            "github-api",
            &[
                "octokit-paginate-issues-normalized.json",
                "pygithub-PyGithub-issues-2024.json",
                "pygithub-PyGithub-issues-state-closed-type-2025.json",
                "pygithub-openFrameworks-issues-2012-legacy.json",
                "pygithub-openFrameworks-issues-2018.json",
            ],
        )
    })
}

/// `update-data`'s two readers of a dump: serde over the whole page, and
/// the streaming splitter with a parser per item.
fn both_readers(
    bytes: &[u8],
) -> (
    Option<Vec<kpipe_steps::data::dataset::Item>>,
    Result<Vec<kpipe_steps::data::dataset::Item>, String>,
) {
    let page = github_item::parse_page(bytes).ok();
    let dir = tempfile::tempdir().unwrap_or_else(|e| panic!("{e}"));
    let path = dir.path().join("dump.json");
    std::fs::write(&path, bytes).unwrap_or_else(|e| panic!("{e}"));
    let dump = bulk::parse_dump(&path).map_err(|e| format!("{e:#}"));
    (page, dump)
}

proptest! {
    #![proptest_config(config())]

    #[test]
    fn update_data_reads_mutated_pages_like_serde(which in 0usize..5, edits in edits()) {
        let bytes = mutate(api_pages()[which].clone(), &edits);
        let (page, dump) = both_readers(&bytes);
        match (page, dump) {
            (Some(a), Ok(b)) => prop_assert_eq!(a, b),
            (None, Err(e)) => prop_assert!(e.contains("dump.json"), "the error names the file: {}", e),
            (Some(_), Err(e)) => prop_assert!(false, "serde reads it, the dump reader refuses: {}", e),
            (None, Ok(items)) => prop_assert!(false, "serde refuses it, the dump reader reads {} items", items.len()),
        }
    }

    /// The array's own syntax (what the streaming splitter checks itself):
    /// separators, trailing commas, what comes before and after.
    #[test]
    fn update_data_reads_any_array_layout(
        lead in prop_oneof![Just(""), Just(" \n"), Just("\u{feff}"), Just("x"), Just(",")],
        open in prop_oneof![Just("["), Just("[,"), Just("[ "), Just("{"), Just("")],
        mid in prop_oneof![Just(","), Just(""), Just(",,"), Just(" , "), Just(":"), Just("]["), Just(",1,"), Just(",\"s\",")],
        close in prop_oneof![Just("]"), Just(",]"), Just(""), Just("}"), Just(" ] ")],
        tail in prop_oneof![Just(""), Just("\n"), Just("]"), Just("[]"), Just(" x"), Just(","), Just("[{}]")],
        which in 0usize..5,
    ) {
        let page: Value = serde_json::from_slice(&api_pages()[which]).unwrap_or(Value::Null);
        let items = page.as_array().cloned().unwrap_or_default();
        let (a, b) = (items[0].to_string(), items[items.len() - 1].to_string());
        let text = format!("{lead}{open}{a}{mid}{b}{close}{tail}");
        let (page, dump) = both_readers(text.as_bytes());
        prop_assert_eq!(page.is_some(), dump.is_ok(), "{:?}: {:?}", text.chars().take(40).collect::<String>(), dump.err());
    }

    #[test]
    fn update_data_reads_any_json_array(items in prop::collection::vec(any_json(), 0..4), raw in prop::collection::vec(any::<u8>(), 0..64)) {
        let (page, dump) = both_readers(Value::from(items).to_string().as_bytes());
        prop_assert_eq!(page.is_some(), dump.is_ok());
        let (page, dump) = both_readers(&raw);
        prop_assert_eq!(page.is_some(), dump.is_ok(), "{:?}", String::from_utf8_lossy(&raw));
    }

    #[test]
    fn update_data_reads_any_item(which in 0usize..5, index in any::<usize>(), field in "[a-z_]{1,12}", v in any_json()) {
        let page: Value = serde_json::from_slice(&api_pages()[which]).unwrap_or(Value::Null);
        let items = page.as_array().cloned().unwrap_or_default();
        let mut item = items[index % items.len().max(1)].clone();
        item[field.as_str()] = v;
        let _ = github_item::parse(item.to_string().as_bytes());
    }

    #[test]
    fn release_notes_extract_from_any_body(body in ".{0,300}", note in ".{0,80}") {
        let _ = release_note::extract(&body);
        let _ = release_note::extract(&format!("{body}\r\n```release-note\r\n{note}\r\n```\r\n{body}"));
    }
}

/// The small model saved once; cases copy it and damage one file.
fn saved_model() -> &'static PathBuf {
    static DIR: OnceLock<(tempfile::TempDir, PathBuf)> = OnceLock::new();
    &DIR.get_or_init(|| {
        let dir = tempfile::tempdir().unwrap_or_else(|e| panic!("{e}"));
        let path = dir.path().join("model");
        let metrics = Metrics::compute(&[0.9, 0.1], &[true, false], 0.5);
        small_model()
            .save(&path, &metrics, &[])
            .unwrap_or_else(|e| panic!("{e:#}"));
        (dir, path)
    })
    .1
}

const MODEL_FILES: [&str; 4] = [
    "kpipe-model.json",
    "vectorizers.json",
    "selector.json",
    "weights.bin",
];

proptest! {
    #![proptest_config(config())]

    /// A damaged file, and (`consistent`) one whose manifest checksum was
    /// updated to match: the parsers behind the checksum see the damage.
    #[test]
    fn the_model_loader_refuses_damaged_files(which in 0usize..4, edits in edits(), consistent in any::<bool>()) {
        let dir = tempfile::tempdir().unwrap_or_else(|e| panic!("{e}"));
        let model = dir.path().join("model");
        std::fs::create_dir_all(&model).unwrap_or_else(|e| panic!("{e}"));
        for entry in std::fs::read_dir(saved_model()).into_iter().flatten().flatten() {
            std::fs::copy(entry.path(), model.join(entry.file_name())).unwrap_or_else(|e| panic!("{e}"));
        }
        let name = MODEL_FILES[which];
        let damaged = mutate(std::fs::read(model.join(name)).unwrap_or_default(), &edits);
        std::fs::write(model.join(name), &damaged).unwrap_or_else(|e| panic!("{e}"));
        if consistent && name != "kpipe-model.json" {
            let path = model.join("kpipe-model.json");
            let mut manifest: Value = serde_json::from_slice(&std::fs::read(&path).unwrap_or_default()).unwrap_or(Value::Null);
            use sha2::Digest;
            manifest["sha256"][name] = json!(hex::encode(sha2::Sha256::digest(&damaged)));
            std::fs::write(&path, manifest.to_string()).unwrap_or_else(|e| panic!("{e}"));
        }
        match Model::load(&model) {
            Ok(m) => {
                for text in ["Fixed a kubelet panic", "", "Added a flag to kubectl --x"] {
                    let p = m.predict(text);
                    prop_assert!((0.0..=1.0).contains(&p), "{name}: loaded, predicts {p}");
                }
            }
            Err(e) => {
                let e = format!("{e:#}");
                prop_assert!(e.contains(&model.display().to_string()) || e.contains(name), "{name}: the error names no file: {e}");
            }
        }
    }
}

/// Copies the saved model to a temporary directory, lets `change` edit its
/// JSON parts, and updates their checksums: a model that is damaged but
/// consistent, as a buggy writer or a hand edit leaves it.
fn edited_model(change: impl FnOnce(&mut Value, &mut Value)) -> (tempfile::TempDir, PathBuf) {
    use sha2::Digest;
    let dir = tempfile::tempdir().unwrap_or_else(|e| panic!("{e}"));
    let model = dir.path().join("model");
    std::fs::create_dir_all(&model).unwrap_or_else(|e| panic!("{e}"));
    for entry in std::fs::read_dir(saved_model())
        .into_iter()
        .flatten()
        .flatten()
    {
        std::fs::copy(entry.path(), model.join(entry.file_name()))
            .unwrap_or_else(|e| panic!("{e}"));
    }
    let read = |name: &str| -> Value {
        serde_json::from_slice(&std::fs::read(model.join(name)).unwrap_or_default())
            .unwrap_or(Value::Null)
    };
    let (mut vectorizers, mut selector) = (read("vectorizers.json"), read("selector.json"));
    change(&mut vectorizers, &mut selector);
    let mut manifest = read("kpipe-model.json");
    for (name, v) in [
        ("vectorizers.json", vectorizers),
        ("selector.json", selector),
    ] {
        let bytes = v.to_string().into_bytes();
        manifest["sha256"][name] = json!(hex::encode(sha2::Sha256::digest(&bytes)));
        std::fs::write(model.join(name), bytes).unwrap_or_else(|e| panic!("{e}"));
    }
    std::fs::write(model.join("kpipe-model.json"), manifest.to_string())
        .unwrap_or_else(|e| panic!("{e}"));
    (dir, model)
}

proptest! {
    #![proptest_config(config())]

    /// Parts that parse but do not fit together: lengths, n-gram ranges,
    /// selected columns.
    #[test]
    fn the_model_loader_refuses_inconsistent_parts(op in 0u8..6, k in any::<usize>(), n in any::<u32>()) {
        let (_dir, model) = edited_model(|vectorizers, selector| {
            let blocks = vectorizers.as_array_mut().map_or(0, |b| b.len());
            let block = &mut vectorizers[k % blocks.max(1)];
            let shorten = |list: &mut Value| {
                if let Some(l) = list.as_array_mut() {
                    let keep = l.len().saturating_sub(1 + k % 3);
                    l.truncate(keep);
                }
            };
            match op {
                0 => shorten(&mut block["idf"]),
                1 => shorten(&mut block["vocabulary"]),
                2 => block["config"]["max_n"] = json!(u64::from(n) << 32),
                3 => block["config"]["min_n"] = json!(n),
                4 => selector["keep"] = json!([n, n, 0]),
                _ => {
                    let len = block["idf"].as_array().map_or(0, Vec::len);
                    block["idf"][k % len.max(1)] = json!(-f64::from(n));
                }
            }
        });
        match Model::load(&model) {
            Ok(m) => {
                // A note of the last terms of every block reaches the ends of
                // the vocabularies and idf lists.
                let last_terms: Vec<&str> = small_model()
                    .features
                    .vectorizers
                    .iter()
                    .flat_map(|v| v.vocabulary.iter().rev().take(5))
                    .map(|t| t.rsplit(':').next().unwrap_or(t))
                    .collect();
                let last_terms = last_terms.join(" ");
                for text in ["Fixed a kubelet panic in the node lifecycle controller", "", &last_terms] {
                    let p = m.predict(text);
                    prop_assert!((0.0..=1.0).contains(&p), "op {op}: loaded, predicts {p}");
                }
            }
            Err(e) => {
                let e = format!("{e:#}");
                prop_assert!(e.contains("model"), "op {op}: {e}");
            }
        }
    }
}

proptest! {
    #![proptest_config(config())]

    #[test]
    fn registry_challenges_parse_or_fail(header in "[ -~]{0,120}", edits in edits()) {
        let _ = Challenge::parse(&header);
        let docker_hub = br#"Bearer realm="https://auth.docker.io/token",service="registry.docker.io",scope="repository:library/alpine:pull,push""#;
        let mutated = mutate(docker_hub.to_vec(), &edits);
        let _ = Challenge::parse(&String::from_utf8_lossy(&mutated));
    }

    #[test]
    fn image_references_parse_or_fail(image in "[ -~]{0,60}") {
        if let Ok(r) = Reference::parse(&image) {
            prop_assert!(!r.repository.is_empty() && !r.domain.is_empty(), "{image}: {r:?}");
            let _ = r.is_loopback();
        }
    }
}
