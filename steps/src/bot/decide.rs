//! What the bot does for one event: a pure function from the event, the
//! prediction and the current labels/comments to GitHub actions.

/// The bot's comment marker (the original plugin's).
pub const MARKER: &str = "<!-- RELNOTE_PREDICTION -->";
/// The label the bot manages.
pub const BUG_LABEL: &str = "kind/bug";

/// One change on GitHub.
#[derive(Clone, Debug, PartialEq)]
pub enum Action {
    /// Add `kind/bug`.
    AddLabel,
    /// Remove `kind/bug`.
    RemoveLabel,
    /// Create the bot's comment.
    CreateComment(String),
    /// Replace the bot's comment (by id).
    EditComment(u64, String),
    /// Delete the bot's comment (by id).
    DeleteComment(u64),
}

/// What the bot knows about the issue or PR.
#[derive(Clone, Debug, Default)]
pub struct State {
    /// It carries `kind/bug`.
    pub has_bug_label: bool,
    /// The id of the bot's existing comment, if any.
    pub comment: Option<u64>,
}

/// A release note's bug probability and the threshold it is decided at.
#[derive(Clone, Copy, Debug, PartialEq)]
pub struct Prediction {
    /// Probability that the note is a bug.
    pub probability: f64,
    /// At or above it the note is a bug.
    pub threshold: f64,
}

/// The comment text (the original plugin's wording) plus the marker.
pub fn message(user: &str, probability: f64, threshold: f64, did: &str) -> String {
    format!(
        "Hey @{user} :wave:,\n\nI predicted that this release note qualifies as **{BUG_LABEL}** to **{:.2}%**.\n\nA release note with the {BUG_LABEL} needs a prediction rate with at least {:.0}%.\n\n{did}\n{MARKER}",
        probability * 100.0,
        threshold * 100.0
    )
}

/// The actions for a note's `prediction` (`None`: no release note, or
/// NONE — then only the bot's comment goes away).
pub fn plan(user: &str, prediction: Option<Prediction>, state: &State) -> Vec<Action> {
    let Some(Prediction {
        probability: p,
        threshold,
    }) = prediction
    else {
        return state
            .comment
            .map(Action::DeleteComment)
            .into_iter()
            .collect();
    };
    let mut actions = Vec::new();
    let mut did = "";
    if p >= threshold && !state.has_bug_label {
        actions.push(Action::AddLabel);
        did = "I added the label for you.";
    } else if p < threshold && state.has_bug_label {
        actions.push(Action::RemoveLabel);
        did = "I removed the label for you.";
    }
    let text = message(user, p, threshold, did);
    actions.push(match state.comment {
        Some(id) => Action::EditComment(id, text),
        None => Action::CreateComment(text),
    });
    actions
}

/// The comment reporting a failure (the original's wording).
pub fn error_comment(error: &str) -> String {
    format!("Unable to run prediction plugin:**\n{error}\n{MARKER}")
}

#[cfg(test)]
mod tests {
    use super::*;

    fn at(probability: f64) -> Option<Prediction> {
        Some(Prediction {
            probability,
            threshold: 0.6,
        })
    }

    fn state(label: bool, comment: Option<u64>) -> State {
        State {
            has_bug_label: label,
            comment,
        }
    }

    #[test]
    fn every_transition() {
        let add = plan("u", at(0.9), &state(false, None));
        assert_eq!(add[0], Action::AddLabel);
        assert!(
            matches!(&add[1], Action::CreateComment(t) if t.contains("**90.00%**") && t.contains("I added the label") && t.ends_with(MARKER))
        );
        let remove = plan("u", at(0.2), &state(true, Some(7)));
        assert_eq!(remove[0], Action::RemoveLabel);
        assert!(
            matches!(&remove[1], Action::EditComment(7, t) if t.contains("I removed the label"))
        );
        let keep = plan("u", at(0.9), &state(true, Some(7)));
        assert_eq!(keep.len(), 1);
        assert!(matches!(&keep[0], Action::EditComment(7, _)));
        let low = plan("u", at(0.1), &state(false, None));
        assert!(matches!(&low[..], [Action::CreateComment(t)] if t.contains("at least 60%")));
        assert_eq!(
            plan("u", None, &state(true, Some(9))),
            [Action::DeleteComment(9)]
        );
        assert_eq!(plan("u", None, &state(true, None)), []);
        assert_eq!(
            plan("u", at(0.6), &state(false, None))[0],
            Action::AddLabel,
            "the threshold counts as bug"
        );
    }
}
