//! The GitHub token: read from a mounted secret file or `GITHUB_TOKEN`,
//! never printed (its `Debug` is redacted).

use std::fmt;
use std::path::Path;

use anyhow::{Context, bail};

/// A GitHub token.
#[derive(Clone)]
pub struct Token(String);

impl fmt::Debug for Token {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("Token(<redacted>)")
    }
}

impl Token {
    /// The token from `file` when given (it must exist), else `$GITHUB_TOKEN`,
    /// else none (anonymous requests: 60 per hour).
    pub fn find(file: Option<&Path>) -> anyhow::Result<Option<Self>> {
        if let Some(path) = file {
            let text = std::fs::read_to_string(path)
                .with_context(|| format!("cannot read the GitHub token file {}", path.display()))?;
            let t = text.trim();
            if t.is_empty() {
                bail!("the GitHub token file {} is empty", path.display());
            }
            return Ok(Some(Self(t.to_owned())));
        }
        Ok(std::env::var("GITHUB_TOKEN")
            .ok()
            .map(|t| t.trim().to_owned())
            .filter(|t| !t.is_empty())
            .map(Self))
    }

    /// A token from a string (tests, other secret sources).
    pub fn new(token: impl Into<String>) -> Self {
        Self(token.into())
    }

    pub(crate) fn header_value(&self) -> String {
        format!("Bearer {}", self.0)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn debug_never_shows_the_token() {
        let t = Token::new("ghp_secret");
        assert_eq!(format!("{t:?}"), "Token(<redacted>)");
        assert!(!format!("{:?}", Some(t)).contains("secret"));
    }
}
