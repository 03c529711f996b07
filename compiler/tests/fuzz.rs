//! Property tests of `kpipe lint` (`kpipe_compiler::lint`): the Argo schema
//! lint (v3.1.6, v3.5.14, v4.1.2), the structure checks and the KFP IR lint
//! fed arbitrary YAML text, arbitrary YAML trees, and mutations of every
//! compiled pipeline (the insta snapshots under `snapshot-tests/`): deleted,
//! misspelt and retyped keys, duplicated keys and tasks, cycles, truncated
//! text. None may panic; every problem has a path and a message; and a
//! mutation known to make a file invalid (a misspelt key, a duplicated task,
//! a cycle, …) must be reported, not merely survived.
//!
//! A bounded number of cases runs with the suite; `KPIPE_FUZZ_CASES=N` runs
//! N per property (`steps/benches/fuzz.sh` runs 20,000).

use std::path::Path;
use std::sync::OnceLock;

use kpipe_compiler::lint::{
    Format, LintIssue, SchemaVersion, lint, lint_any, lint_kfp, lint_kfp_documents, lint_value,
    parse_yaml_documents,
};
use proptest::prelude::*;
use serde_json::{Value, json};

/// Cases per property: 32 in the suite (a fixed seed: the suite does not
/// flake), `KPIPE_FUZZ_CASES` for long runs (a random seed each run).
fn config() -> ProptestConfig {
    let long: Option<u32> = std::env::var("KPIPE_FUZZ_CASES")
        .ok()
        .and_then(|v| v.parse().ok());
    ProptestConfig {
        cases: long.unwrap_or(32),
        failure_persistence: None,
        rng_seed: match long {
            Some(_) => proptest::test_runner::RngSeed::Random,
            None => proptest::test_runner::RngSeed::Fixed(0x006b_7069_7065),
        },
        ..ProptestConfig::default()
    }
}

/// One compiled pipeline: its snapshot name, text and what lints it.
#[derive(Debug)]
struct Compiled {
    name: String,
    text: String,
    format: Format,
    versions: Vec<SchemaVersion>,
}

impl Compiled {
    fn docs(&self) -> Vec<Value> {
        parse_yaml_documents(&self.text).expect("a compiled file parses")
    }

    /// Lints parsed documents as `kpipe lint` lints this file's text.
    fn lint_docs(&self, docs: &[Value]) -> Vec<LintIssue> {
        match self.format {
            Format::KfpIr => lint_kfp_documents(docs),
            Format::Argo => {
                let mut out = Vec::new();
                for &v in &self.versions {
                    match docs {
                        [doc] => out.extend(lint_value(doc, v)),
                        _ => out.extend(lint(&serde_json::to_string(docs).expect("JSON"), v)),
                    }
                }
                out
            }
        }
    }
}

/// Every compiled Argo manifest and KFP IR file among the snapshots.
fn corpus() -> &'static [Compiled] {
    static CORPUS: OnceLock<Vec<Compiled>> = OnceLock::new();
    CORPUS.get_or_init(|| {
        let dir = Path::new(env!("CARGO_MANIFEST_DIR")).join("../snapshot-tests/tests/snapshots");
        let mut out = Vec::new();
        let mut entries: Vec<_> = std::fs::read_dir(&dir)
            .expect("the snapshot directory")
            .map(|e| e.expect("a directory entry").path())
            .collect();
        entries.sort();
        for path in entries {
            let name = path
                .file_stem()
                .expect("a file name")
                .to_string_lossy()
                .into_owned();
            let snap = std::fs::read_to_string(&path).expect("a snapshot");
            // The insta header: `---`, metadata, `---`.
            let body = snap
                .strip_prefix("---\n")
                .and_then(|s| s.split_once("\n---\n"))
                .map(|(_, body)| body)
                .expect("an insta header");
            let (format, versions) = if body.starts_with("apiVersion: argoproj.io/") {
                let versions = if name.contains("argo4") {
                    vec![SchemaVersion::V4_1_2]
                } else {
                    vec![SchemaVersion::V3_1_6, SchemaVersion::V3_5_14]
                };
                (Format::Argo, versions)
            } else if name.ends_with("@kfp") && body.starts_with("components:") {
                // (`assert_pipelines!`'s IR; one that cannot compile for
                // KFP holds its errors instead)
                (Format::KfpIr, Vec::new())
            } else {
                continue;
            };
            let text = body.to_owned();
            out.push(Compiled {
                name,
                text,
                format,
                versions,
            });
        }
        // Real-world Argo files (the original pipeline, KFP 1.8's output).
        let reference = Path::new(env!("CARGO_MANIFEST_DIR"))
            .join("../pipelines/kubernetes-analysis/tests/fixtures/reference");
        for name in ["data_pipeline.yaml", "compiled-example.yaml"] {
            out.push(Compiled {
                name: name.to_owned(),
                text: std::fs::read_to_string(reference.join(name)).expect("a reference file"),
                format: Format::Argo,
                versions: SchemaVersion::ALL.to_vec(),
            });
        }
        out
    })
}

fn pick(i: usize) -> &'static Compiled {
    let c = corpus();
    &c[i % c.len()]
}

/// Lints `text` as `kpipe lint` does (the format judged by content).
fn lint_text(text: &str, versions: &[SchemaVersion]) -> Vec<LintIssue> {
    // (`kpipe lint` checks Argo manifests against every version unless told.)
    let versions = if versions.is_empty() {
        &SchemaVersion::ALL[..]
    } else {
        versions
    };
    let (_, problems) = lint_any(text, versions);
    problems
}

/// Every problem says where and what.
fn well_formed(problems: &[LintIssue]) -> Result<(), TestCaseError> {
    for p in problems {
        prop_assert!(!p.path.trim().is_empty(), "a problem without a path: {p:?}");
        prop_assert!(
            !p.message.trim().is_empty(),
            "a problem without a message: {p:?}"
        );
    }
    Ok(())
}

/// JSON pointers of every node under `v` (the root excluded).
fn pointers(v: &Value, here: &str, out: &mut Vec<String>) {
    let children: Vec<(String, &Value)> = match v {
        Value::Object(o) => o
            .iter()
            .map(|(k, c)| (k.replace('~', "~0").replace('/', "~1"), c))
            .collect(),
        Value::Array(a) => a
            .iter()
            .enumerate()
            .map(|(i, c)| (i.to_string(), c))
            .collect(),
        _ => Vec::new(),
    };
    for (seg, child) in children {
        let p = format!("{here}/{seg}");
        out.push(p.clone());
        pointers(child, &p, out);
    }
}

fn unescape(seg: &str) -> String {
    seg.replace("~1", "/").replace("~0", "~")
}

/// The parent pointer and the last key of `pointer`.
fn split(pointer: &str) -> (&str, String) {
    let (parent, last) = pointer.rsplit_once('/').expect("a pointer below the root");
    (parent, unescape(last))
}

/// Maps whose keys are names, not fields: renaming a key there can be valid.
fn names_keys(parent_key: &str) -> bool {
    [
        // Argo / Kubernetes.
        "labels",
        "annotations",
        "nodeSelector",
        "limits",
        "requests",
        // a loop's items: free-form JSON objects
        "withItems",
        // KFP IR: components, tasks, executors, inputs and outputs by name,
        // and free-form values.
        "components",
        "tasks",
        "executors",
        "parameters",
        "artifacts",
        "defaultValue",
        "constant",
        "platforms",
    ]
    .contains(&parent_key)
}

/// The key of the object holding `pointer`'s parent (`""` at the top).
fn parent_key(docs: &Value, pointer: &str) -> String {
    let (parent, _) = split(pointer);
    match parent.rsplit_once('/') {
        Some((grand, last)) if !grand.is_empty() => {
            let key = unescape(last);
            // Inside a list: the list's own key.
            if docs.pointer(grand).is_some_and(Value::is_array) {
                split(grand).1
            } else {
                key
            }
        }
        _ => String::new(),
    }
}

/// A tree mutation: (kind, which node, a byte for variety).
type Edit = (u8, usize, u8);

fn edits() -> impl Strategy<Value = Vec<Edit>> {
    prop::collection::vec((0u8..3, any::<usize>(), any::<u8>()), 1..4)
}

/// Applies `edit` to `docs` (a JSON array of the file's documents); what it
/// did when the edit is known to make any file invalid.
fn apply(docs: &mut Value, (kind, at, byte): Edit) -> Option<String> {
    let mut all = Vec::new();
    pointers(docs, "", &mut all);
    // Below the document list itself.
    all.retain(|p| p.matches('/').count() >= 2);
    if all.is_empty() {
        return None;
    }
    let pointer = all[at % all.len()].clone();
    let (parent, key) = split(&pointer);
    let parent_is_object = docs.pointer(parent).is_some_and(Value::is_object);
    match kind {
        // Delete the node (a key or a list item).
        0 => {
            match docs.pointer_mut(parent) {
                Some(Value::Object(o)) => {
                    o.remove(&key);
                }
                Some(Value::Array(a)) => {
                    let i: usize = key.parse().expect("an index");
                    a.remove(i);
                }
                _ => {}
            }
            // The top-level keys every Argo manifest needs.
            (pointer.matches('/').count() == 2 && ["apiVersion", "kind"].contains(&key.as_str()))
                .then(|| format!("deleted {pointer}"))
        }
        // Misspell a key: append a letter or swap two.
        1 if parent_is_object => {
            let pk = parent_key(docs, &pointer);
            let mut chars: Vec<char> = key.chars().collect();
            if byte % 2 == 0 || chars.len() < 2 {
                chars.push((b'a' + byte % 26) as char);
            } else {
                let i = usize::from(byte) % (chars.len() - 1);
                chars.swap(i, i + 1);
            }
            let typo: String = chars.into_iter().collect();
            let Some(Value::Object(o)) = docs.pointer_mut(parent) else {
                return None;
            };
            if typo == key || o.contains_key(&typo) {
                return None;
            }
            let v = o.remove(&key).expect("the key");
            o.insert(typo.clone(), v);
            // Known invalid: a field of a schema message, not a name.
            (!names_keys(&pk) && !names_keys(&key))
                .then(|| format!("renamed {pointer} to `{typo}`"))
        }
        // Retype a scalar: a string becomes a list, anything else a string
        // or a number.
        _ => {
            let node = docs.pointer_mut(&pointer)?;
            *node = match node.take() {
                Value::String(s) => json!([s]),
                Value::Number(n) => Value::String(format!("x{n}")),
                Value::Bool(b) => json!([b]),
                Value::Null => json!(byte),
                // Containers: replaced by a scalar.
                _ => json!(byte),
            };
            None
        }
    }
}

/// Names a task of a DAG list (Argo) or map (KFP) at `tasks`.
fn task_names(tasks: &Value) -> Vec<String> {
    match tasks {
        Value::Array(a) => a
            .iter()
            .filter_map(|t| t.get("name").and_then(Value::as_str).map(str::to_owned))
            .collect(),
        Value::Object(o) => o.keys().cloned().collect(),
        _ => Vec::new(),
    }
}

/// Pointers of every DAG's task collection with at least `n` tasks.
fn dags(docs: &Value, n: usize) -> Vec<String> {
    let mut all = Vec::new();
    pointers(docs, "", &mut all);
    all.into_iter()
        .filter(|p| p.ends_with("/dag/tasks"))
        .filter(|p| docs.pointer(p).is_some_and(|t| task_names(t).len() >= n))
        .collect()
}

fn rejected(c: &Compiled, problems: &[LintIssue], what: &str) -> Result<(), TestCaseError> {
    prop_assert!(!problems.is_empty(), "{}: {what} was not reported", c.name);
    well_formed(problems)
}

#[test]
fn every_compiled_file_lints_clean() {
    assert!(corpus().len() >= 20, "{} compiled files", corpus().len());
    for c in corpus() {
        assert_eq!(c.lint_docs(&c.docs()), Vec::new(), "{}", c.name);
        assert_eq!(lint_text(&c.text, &c.versions), Vec::new(), "{}", c.name);
        assert_eq!(lint_any(&c.text, &c.versions).0, c.format, "{}", c.name);
    }
}

/// JSON values of any shape, a few levels deep.
fn any_json() -> impl Strategy<Value = Value> {
    let leaf = prop_oneof![
        Just(Value::Null),
        any::<bool>().prop_map(Value::from),
        any::<i64>().prop_map(Value::from),
        any::<f64>().prop_map(|f| json!(f)),
        ".{0,20}".prop_map(Value::from),
        // Names that the lints look up.
        prop::sample::select(vec![
            "main",
            "a",
            "b",
            "{{tasks.a.outputs.result}}",
            "a && b"
        ])
        .prop_map(Value::from),
    ];
    leaf.prop_recursive(4, 48, 6, |inner| {
        prop_oneof![
            prop::collection::vec(inner.clone(), 0..5).prop_map(Value::from),
            prop::collection::btree_map(
                prop_oneof![
                    "[a-zA-Z]{0,8}",
                    prop::sample::select(vec![
                        "name",
                        "templates",
                        "dag",
                        "tasks",
                        "template",
                        "dependencies",
                        "depends",
                        "entrypoint",
                        "steps",
                        "arguments",
                        "artifacts",
                        "from",
                        "onExit",
                        "workflowTemplateRef",
                        "componentRef",
                        "dependentTasks",
                        "executorLabel",
                        "inputs",
                        "parameters",
                        "taskInfo",
                        "triggerPolicy",
                        "condition",
                        "container",
                        "image",
                        "executors",
                        "platforms",
                    ])
                    .prop_map(str::to_owned),
                ],
                inner,
                0..6
            )
            .prop_map(|m| Value::Object(m.into_iter().collect())),
        ]
    })
}

proptest! {
    #![proptest_config(config())]

    /// Any text: no panic, each problem with a path and a message.
    #[test]
    fn arbitrary_text(text in prop_oneof![
        any::<String>(),
        "([ \n\t:\\-\\[\\]{}'\"#&*!|>%@`,?a-z0-9]{0,12}\n?){0,12}",
    ]) {
        well_formed(&lint_text(&text, &SchemaVersion::ALL))?;
        well_formed(&lint_kfp(&text))?;
    }

    /// Any tree, as an Argo manifest of each kind, as KFP IR, and as text.
    #[test]
    fn arbitrary_trees(
        spec in any_json(),
        kind in prop::sample::select(vec!["Workflow", "WorkflowTemplate", "ClusterWorkflowTemplate", "CronWorkflow"]),
        ir in any_json(),
        tree in any_json(),
    ) {
        let doc = json!({"apiVersion": "argoproj.io/v1alpha1", "kind": kind, "spec": spec});
        let cron = json!({"apiVersion": "argoproj.io/v1alpha1", "kind": "CronWorkflow", "spec": {"workflowSpec": spec}});
        for v in SchemaVersion::ALL {
            well_formed(&lint_value(&doc, v))?;
            well_formed(&lint_value(&cron, v))?;
            well_formed(&lint_value(&tree, v))?;
        }
        let mut pipeline = json!({"pipelineInfo": {"name": "p"}, "root": ir});
        if let Value::Object(extra) = &tree {
            for (k, v) in extra {
                pipeline[k] = v.clone();
            }
        }
        well_formed(&lint_kfp_documents(std::slice::from_ref(&pipeline)))?;
        well_formed(&lint_kfp_documents(&[pipeline.clone(), tree.clone()]))?;
        let text = serde_json::to_string(&tree).expect("JSON");
        well_formed(&lint_text(&text, &SchemaVersion::ALL))?;
    }

    /// Deleted, misspelt and retyped keys in compiled files.
    #[test]
    fn mutated_trees(which in any::<usize>(), edits in edits()) {
        let c = pick(which);
        let mut docs = Value::Array(c.docs());
        let mut invalid = Vec::new();
        for &e in &edits {
            invalid.extend(apply(&mut docs, e));
        }
        let Value::Array(list) = docs else { unreachable!() };
        let problems = c.lint_docs(&list);
        well_formed(&problems)?;
        if !invalid.is_empty() {
            rejected(c, &problems, &invalid.join(", "))?;
        }
    }

    /// A task duplicated in a DAG (Argo: same name twice).
    #[test]
    fn duplicated_tasks(which in any::<usize>(), dag in any::<usize>(), task in any::<usize>()) {
        let c = pick(which);
        let mut docs = Value::Array(c.docs());
        let found = dags(&docs, 1);
        prop_assume!(!found.is_empty() && c.format == Format::Argo);
        let at = &found[dag % found.len()];
        let Some(Value::Array(tasks)) = docs.pointer_mut(at) else { unreachable!() };
        let copy = tasks[task % tasks.len()].clone();
        tasks.push(copy);
        let Value::Array(list) = docs else { unreachable!() };
        rejected(c, &c.lint_docs(&list), &format!("a duplicate task in {at}"))?;
    }

    /// A dependency back from a task's dependency (or on itself).
    #[test]
    fn cycles(which in any::<usize>(), dag in any::<usize>(), task in any::<usize>(), other in any::<usize>()) {
        let c = pick(which);
        let mut docs = Value::Array(c.docs());
        let found = dags(&docs, 1);
        prop_assume!(!found.is_empty());
        let at = found[dag % found.len()].clone();
        let tasks = docs.pointer_mut(&at).expect("the tasks");
        let names = task_names(tasks);
        let a = names[task % names.len()].clone();
        let b = names[other % names.len()].clone();
        // a depends on b and b on a (a on itself when they are the same).
        for (from, to) in [(&a, &b), (&b, &a)] {
            let t = match tasks {
                Value::Array(list) => list
                    .iter_mut()
                    .find(|t| t.get("name").and_then(Value::as_str) == Some(from))
                    .expect("the task"),
                _ => &mut tasks[from.as_str()],
            };
            let key = if c.format == Format::Argo { "dependencies" } else { "dependentTasks" };
            if t.get("depends").is_some() {
                // One of depends/dependencies per task in Argo.
                let d = t["depends"].as_str().unwrap_or("").to_owned();
                t["depends"] = json!(format!("({d}) && {to}"));
                continue;
            }
            let list = t.as_object_mut().expect("a task").entry(key).or_insert_with(|| json!([]));
            list.as_array_mut().expect("a list").push(json!(to));
        }
        let Value::Array(list) = docs else { unreachable!() };
        let problems = c.lint_docs(&list);
        rejected(c, &problems, &format!("the cycle {a} ⇄ {b} in {at}"))?;
        prop_assert!(
            problems.iter().any(|p| p.message.contains("cycle") || p.message.contains("depends on itself")),
            "{}: {problems:#?}", c.name
        );
    }

    /// A key's block repeated in the text (a duplicate key in its mapping).
    #[test]
    fn duplicated_keys(which in any::<usize>(), line in any::<usize>()) {
        let c = pick(which);
        let lines: Vec<&str> = c.text.lines().collect();
        // Lines `key:` or `key: value` (not list items, not block scalars' text).
        let keys: Vec<usize> = (0..lines.len())
            .filter(|&i| {
                let t = lines[i].trim_start();
                !t.starts_with('-') && !t.starts_with('#') && t.split_once(':').is_some_and(|(k, rest)| {
                    !k.is_empty() && !k.contains(' ') && (rest.is_empty() || rest.starts_with(' '))
                })
            })
            .collect();
        let i = keys[line % keys.len()];
        let indent = lines[i].len() - lines[i].trim_start().len();
        // The block: the key line and every deeper (or list) line after it.
        let mut end = i + 1;
        while end < lines.len() {
            let l = lines[end];
            let ind = l.len() - l.trim_start().len();
            if !l.trim().is_empty() && (ind < indent || (ind == indent && !l.trim_start().starts_with('-'))) {
                break;
            }
            end += 1;
        }
        // Inside a block scalar (`>-`, `|`) a "key" line is text: skip.
        prop_assume!(!(0..i).rev().take(3).any(|j| lines[j].trim_end().ends_with(['>', '|', '-']) && lines[j].contains(": ")));
        let mut out: Vec<&str> = lines[..end].to_vec();
        out.extend_from_slice(&lines[i..end]);
        out.extend_from_slice(&lines[end..]);
        let text = out.join("\n") + "\n";
        let problems = lint_text(&text, &c.versions);
        rejected(c, &problems, &format!("the duplicate key at line {}: {}", i + 1, lines[i]))?;
    }

    /// Truncated text: never a panic; cut before the templates (Argo) or the
    /// root DAG (KFP), always a problem.
    #[test]
    fn truncated_text(which in any::<usize>(), cut in any::<usize>()) {
        let c = pick(which);
        let mut at = cut % c.text.len();
        while !c.text.is_char_boundary(at) {
            at -= 1;
        }
        let problems = lint_text(&c.text[..at], &c.versions);
        well_formed(&problems)?;
        let needed = match c.format {
            Format::Argo => c.text.find("  templates:\n"),
            Format::KfpIr => c.text.find("\nroot:\n"),
        };
        if needed.is_some_and(|n| at <= n) {
            rejected(c, &problems, &format!("the text cut at byte {at}"))?;
        }
    }
}
