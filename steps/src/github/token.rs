//! The GitHub token: read from a mounted secret file or `GITHUB_TOKEN`,
//! never printed (held as a [`SecretString`]).

use std::path::Path;

use crate::secret::{ExposeSecret, SecretString, read_secret_file};

/// A GitHub token.
#[derive(Clone, Debug)]
pub struct Token(SecretString);

impl Token {
    /// The token from `file` when given (it must exist), else `$GITHUB_TOKEN`,
    /// else none (anonymous requests: 60 per hour).
    pub fn find(file: Option<&Path>) -> anyhow::Result<Option<Self>> {
        if let Some(path) = file {
            return Self::read(path).map(Some);
        }
        Ok(std::env::var("GITHUB_TOKEN")
            .ok()
            .map(|t| SecretString::from(t.trim()))
            .filter(|t| !t.expose_secret().is_empty())
            .map(Self))
    }

    /// The token in the secret file `path` (it must exist and not be empty).
    pub fn read(path: &Path) -> anyhow::Result<Self> {
        read_secret_file(path, "the GitHub token").map(Self)
    }

    /// A token from a string (tests, other secret sources).
    pub fn new(token: impl Into<String>) -> Self {
        Self(SecretString::from(token.into()))
    }

    /// The `authorization` header value, marked sensitive.
    pub(crate) fn header_value(&self) -> anyhow::Result<reqwest::header::HeaderValue> {
        crate::http::sensitive_header(&format!("Bearer {}", self.0.expose_secret()))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn debug_never_shows_the_token() {
        let t = Token::new("ghp_secret");
        assert!(!format!("{t:?}").contains("ghp_secret"), "{t:?}");
        assert!(!format!("{:?}", Some(t)).contains("secret"));
    }
}
