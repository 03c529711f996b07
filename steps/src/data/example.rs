//! A labelled release note: what the data set's pull requests become for
//! training and evaluation (`ml` reads it; the data layer makes it).

/// One labelled release note.
#[derive(Clone, Debug, PartialEq)]
pub struct Example {
    /// Release-note text.
    pub text: String,
    /// Has `kind/bug`.
    pub bug: bool,
    /// Minor release it shipped in, when known (for reports).
    pub release: Option<String>,
    /// A key that sorts examples oldest first (release and PR number, or the
    /// merge date), when known: the newest examples form the validation split.
    pub order: Option<String>,
}
