//! Release-note extraction on real notes (the bundled labelled data) wrapped
//! in the Kubernetes pull request template, with LF and CRLF line ends, and
//! NONE variants.

use kpipe_steps::data::release_note::extract;

const TEMPLATE: &str = "<!--  Thanks for sending a pull request!  Here are some tips for you:\n\
1. If this is your first time, please read our contributor guidelines.\n-->\n\n\
#### What type of PR is this?\n\n/kind bug\n\n\
#### What this PR does / why we need it:\n\nSee the title.\n\n\
#### Which issue(s) this PR fixes:\n\nFixes #12345\n\n\
#### Does this PR introduce a user-facing change?\n\
<!--\nIf no, just write \"NONE\" in the release-note block below.\n\
If yes, a release note is required:\nEnter your extended release note in the block below.\n-->\n\
```release-note\n{NOTE}\n```\n\n\
#### Additional documentation e.g., KEPs (Kubernetes Enhancement Proposals), usage docs, etc.:\n\n\
<!--\nThis section can be blank if this pull request does not require a release note.\n-->\n\
```docs\n\n```\n";

fn notes() -> Vec<String> {
    let path = concat!(
        env!("CARGO_MANIFEST_DIR"),
        "/../pipelines/kubernetes-analysis/data/release-notes-train-1.14-1.27.jsonl"
    );
    std::fs::read_to_string(path)
        .expect("the training notes")
        .lines()
        .filter_map(|l| serde_json::from_str::<serde_json::Value>(l).ok())
        .filter_map(|v| v["text"].as_str().map(str::to_owned))
        .collect()
}

/// What the tooling keeps of a note: trimmed, a lone list item unlisted.
fn expected(note: &str) -> String {
    let n = note.replace("\r\n", "\n").trim().to_owned();
    if !n.contains('\n') {
        for p in ["- ", "* "] {
            if let Some(rest) = n.strip_prefix(p) {
                return rest.trim().to_owned();
            }
        }
    }
    n
}

#[test]
fn every_bundled_note_survives_the_pr_template() {
    let notes = notes();
    assert!(notes.len() > 4000);
    let mut checked = 0;
    for note in notes
        .iter()
        .filter(|n| !n.contains("```") && !n.to_lowercase().contains("action required"))
    {
        let body = TEMPLATE.replace("{NOTE}", note);
        assert_eq!(
            extract(&body).as_deref(),
            Some(expected(note).as_str()),
            "LF: {note:?}"
        );
        let crlf = body.replace('\n', "\r\n");
        assert_eq!(
            extract(&crlf).as_deref(),
            Some(expected(note).as_str()),
            "CRLF: {note:?}"
        );
        checked += 1;
    }
    assert!(checked > 4000, "{checked}");
}

#[test]
fn the_template_with_none_variants_has_no_note() {
    for none in [
        "NONE", "None", "none", "N/A", "n/a", "NA", "\"NONE\"", "'NONE'", "",
    ] {
        for body in [
            TEMPLATE.replace("{NOTE}", none),
            TEMPLATE.replace("{NOTE}", none).replace('\n', "\r\n"),
        ] {
            assert_eq!(extract(&body), None, "{none:?}");
        }
    }
    // The untouched template (a real PR that skipped the section) has no note.
    assert_eq!(
        extract(&TEMPLATE.replace("```release-note\n{NOTE}\n```", "```release-note\n\n```")),
        None
    );
}

#[test]
fn notes_starting_with_na_are_not_dropped() {
    let na: Vec<String> = notes()
        .into_iter()
        .filter(|n| n.to_lowercase().starts_with("na") && !n.contains('\n'))
        .collect();
    assert!(!na.is_empty(), "the data has notes starting with 'na'");
    for note in na {
        assert_eq!(
            extract(&TEMPLATE.replace("{NOTE}", &note)).as_deref(),
            Some(expected(&note).as_str())
        );
    }
}
