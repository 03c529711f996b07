//! Typed pieces of the strings a container sees: its command, arguments and
//! environment values, and memoization keys.
//!
//! Every backend renders pieces in its own syntax — Argo as
//! `{{inputs.parameters.NAME}}` and `/kpipe/inputs/NAME`, Kubeflow Pipelines
//! as `{{$.inputs.parameters['NAME']}}` and
//! `{{$.inputs.artifacts['NAME'].path}}`, the local runner as the value and
//! the local path — and none reads another's text.
//!
//! ## How pieces travel through a step's argument struct
//!
//! A step renders its arguments with [`ToArgs`](crate::ToArgs), from
//! `PathBuf`s and strings the [`Io`](crate::Io) hands it while it is wired.
//! So that a path or a run-time value keeps its identity through that
//! struct, `Io` hands out *tokens*: a piece written between two characters
//! of Unicode's supplementary private use area
//! ([`TOKEN_START`], [`TOKEN_END`]), which the compiler decodes back into
//! pieces right after `wire` returns ([`Pieces::decode`]). The tokens are
//! kpipe's own, private to one wiring, and never reach an output: a step may
//! join them with text (`format!("IN={}", path.display())`, `path.join(..)`)
//! and they come back as the same pieces in place.

use std::fmt;

/// Starts a token (U+F0000, supplementary private use area A).
pub const TOKEN_START: char = '\u{F0000}';
/// Ends a token (U+F0001).
pub const TOKEN_END: char = '\u{F0001}';

/// One piece of a run-time string.
#[derive(Clone, Debug, PartialEq, Eq, Hash)]
pub enum Piece {
    /// Text, as it is.
    Text(String),
    /// The value of the task's run-time input `NAME` (one of
    /// [`TaskNode::params`](crate::ir::TaskNode::params): a pipeline
    /// parameter, another step's output, the loop item …).
    Input(String),
    /// Where input artifact `NAME` is in the container.
    InputArtifact(String),
    /// Where the step writes output artifact `NAME`.
    OutputArtifact(String),
    /// Where the step writes output parameter `NAME`.
    OutputParam(String),
    /// The attempt number (0, 1, …) of a retried step.
    Retries,
    /// Kubeflow Pipelines v2's executor input (JSON); other targets leave
    /// out every argument that holds it.
    ExecutorInput,
}

impl Piece {
    fn tag(&self) -> (char, &str) {
        match self {
            Piece::Text(t) => ('t', t),
            Piece::Input(n) => ('v', n),
            Piece::InputArtifact(n) => ('i', n),
            Piece::OutputArtifact(n) => ('o', n),
            Piece::OutputParam(n) => ('p', n),
            Piece::Retries => ('r', ""),
            Piece::ExecutorInput => ('x', ""),
        }
    }

    /// The piece as a token [`Pieces::decode`] turns back into it (text is
    /// itself).
    pub fn token(&self) -> String {
        match self {
            Piece::Text(t) => t.clone(),
            other => {
                let (tag, name) = other.tag();
                format!("{TOKEN_START}{tag}{name}{TOKEN_END}")
            }
        }
    }
}

/// A run-time string: pieces joined.
#[derive(Clone, Debug, Default, PartialEq, Eq, Hash)]
pub struct Pieces(pub Vec<Piece>);

/// A token that does not decode: a step cut one apart, or text holds the
/// private-use characters kpipe reserves.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct BadToken {
    /// The whole string, tokens shown as `<?>`.
    pub text: String,
}

impl fmt::Display for BadToken {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(
            f,
            "`{}` holds a broken kpipe placeholder (a path or value from `Io`, cut apart or built by hand)",
            self.text
        )
    }
}

impl Pieces {
    /// Text only.
    pub fn text(text: impl Into<String>) -> Self {
        let text = text.into();
        if text.is_empty() {
            Self(Vec::new())
        } else {
            Self(vec![Piece::Text(text)])
        }
    }

    /// One piece.
    pub fn one(piece: Piece) -> Self {
        match piece {
            Piece::Text(t) => Self::text(t),
            p => Self(vec![p]),
        }
    }

    /// Appends a piece, merging adjacent text.
    pub fn push(&mut self, piece: Piece) {
        match (self.0.last_mut(), piece) {
            (_, Piece::Text(t)) if t.is_empty() => {}
            (Some(Piece::Text(last)), Piece::Text(t)) => last.push_str(&t),
            (_, p) => self.0.push(p),
        }
    }

    /// Appends all of `other`.
    pub fn extend(&mut self, other: Pieces) {
        for p in other.0 {
            self.push(p);
        }
    }

    /// The string as tokens ([`Piece::token`] of each piece).
    pub fn tokens(&self) -> String {
        self.0.iter().map(Piece::token).collect()
    }

    /// Reads back what [`Pieces::tokens`] (or [`Piece::token`]) wrote.
    pub fn decode(s: &str) -> Result<Pieces, BadToken> {
        let bad = || BadToken {
            text: s.replace([TOKEN_START, TOKEN_END], "<?>"),
        };
        let mut out = Pieces::default();
        let mut rest = s;
        while let Some(start) = rest.find([TOKEN_START, TOKEN_END]) {
            if !rest[start..].starts_with(TOKEN_START) {
                return Err(bad());
            }
            out.push(Piece::Text(rest[..start].to_owned()));
            let inner = &rest[start + TOKEN_START.len_utf8()..];
            let end = inner.find([TOKEN_START, TOKEN_END]).ok_or_else(bad)?;
            if !inner[end..].starts_with(TOKEN_END) {
                return Err(bad());
            }
            let mut chars = inner[..end].chars();
            let tag = chars.next().ok_or_else(bad)?;
            let name = chars.as_str().to_owned();
            out.push(match tag {
                'v' => Piece::Input(name),
                'i' => Piece::InputArtifact(name),
                'o' => Piece::OutputArtifact(name),
                'p' => Piece::OutputParam(name),
                'r' if name.is_empty() => Piece::Retries,
                'x' if name.is_empty() => Piece::ExecutorInput,
                _ => return Err(bad()),
            });
            rest = &inner[end + TOKEN_END.len_utf8()..];
        }
        out.push(Piece::Text(rest.to_owned()));
        Ok(out)
    }

    /// The literal text, when every piece is text.
    pub fn as_text(&self) -> Option<String> {
        self.0
            .iter()
            .map(|p| match p {
                Piece::Text(t) => Some(t.as_str()),
                _ => None,
            })
            .collect()
    }

    /// Whether a piece is [`Piece::ExecutorInput`].
    pub fn has_executor_input(&self) -> bool {
        self.0.contains(&Piece::ExecutorInput)
    }

    /// Renders every piece with `f`.
    pub fn render(&self, mut f: impl FnMut(&Piece) -> String) -> String {
        self.0.iter().map(&mut f).collect()
    }

    /// Renders every piece with `f`, stopping at the first error.
    pub fn try_render<E>(
        &self,
        mut f: impl FnMut(&Piece) -> Result<String, E>,
    ) -> Result<String, E> {
        self.0.iter().map(&mut f).collect()
    }

    /// The string for people: text as it is, each other piece named
    /// (`<input pr>`, `<input artifact repo>`, `<retries>` …).
    pub fn describe(&self) -> String {
        self.render(|p| match p {
            Piece::Text(t) => t.clone(),
            Piece::Input(n) => format!("<input {n}>"),
            Piece::InputArtifact(n) => format!("<input artifact {n}>"),
            Piece::OutputArtifact(n) => format!("<output artifact {n}>"),
            Piece::OutputParam(n) => format!("<output parameter {n}>"),
            Piece::Retries => "<retries>".to_owned(),
            Piece::ExecutorInput => "<KFP executor input>".to_owned(),
        })
    }

    /// The text pieces.
    pub fn texts(&self) -> impl Iterator<Item = &str> {
        self.0.iter().filter_map(|p| match p {
            Piece::Text(t) => Some(t.as_str()),
            _ => None,
        })
    }
}

impl From<&str> for Pieces {
    fn from(s: &str) -> Self {
        Pieces::text(s)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn tokens_decode_to_the_same_pieces_inside_text() {
        let pieces = Pieces(vec![
            Piece::Text("--from=".into()),
            Piece::InputArtifact("repo".into()),
            Piece::Text("/data:".into()),
            Piece::Input("pr".into()),
            Piece::OutputParam("n".into()),
            Piece::Retries,
            Piece::ExecutorInput,
            Piece::OutputArtifact("model".into()),
        ]);
        assert_eq!(Pieces::decode(&pieces.tokens()), Ok(pieces));
        let joined = format!(
            "IN={}; OUT={}",
            Piece::InputArtifact("a".into()).token(),
            Piece::OutputArtifact("b".into()).token()
        );
        assert_eq!(
            Pieces::decode(&joined),
            Ok(Pieces(vec![
                Piece::Text("IN=".into()),
                Piece::InputArtifact("a".into()),
                Piece::Text("; OUT=".into()),
                Piece::OutputArtifact("b".into()),
            ]))
        );
        assert_eq!(Pieces::decode(""), Ok(Pieces::default()));
        assert_eq!(Pieces::decode("plain é"), Ok(Pieces::text("plain é")));
    }

    #[test]
    fn broken_tokens_are_refused() {
        let token = Piece::InputArtifact("repo".into()).token();
        for bad in [
            token.trim_end_matches(TOKEN_END).to_owned(),
            format!("x{TOKEN_END}"),
            format!("{TOKEN_START}{TOKEN_START}i{TOKEN_END}"),
            format!("{TOKEN_START}q-name{TOKEN_END}"),
            format!("{TOKEN_START}rnot-empty{TOKEN_END}"),
            format!("{TOKEN_START}{TOKEN_END}"),
        ] {
            let err = Pieces::decode(&bad).err();
            assert!(
                err.as_ref().is_some_and(|e| !e.text.contains(TOKEN_START)),
                "{bad:?}: {err:?}"
            );
        }
    }
}
