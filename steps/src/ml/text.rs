//! Text analysis with scikit-learn's `TfidfVectorizer` semantics: lowercase,
//! then strip accents (NFKD, drop combining marks), then the `word` analyzer
//! (token pattern `(?u)\b\w\w+\b`, word n-grams) or the `char_wb` analyzer
//! (character n-grams inside space-padded words).

use std::sync::OnceLock;

use regex::Regex;
use unicode_normalization::UnicodeNormalization;
use unicode_normalization::char::is_combining_mark;

/// Lowercases and strips accents like scikit-learn's `strip_accents='unicode'`.
pub fn preprocess(text: &str) -> String {
    let lower = text.to_lowercase();
    if lower.is_ascii() {
        return lower;
    }
    lower.nfkd().filter(|c| !is_combining_mark(*c)).collect()
}

fn token_pattern() -> &'static Regex {
    static RE: OnceLock<Regex> = OnceLock::new();
    RE.get_or_init(|| match Regex::new(r"\b\w\w+\b") {
        Ok(re) => re,
        Err(e) => panic!("kpipe bug: invalid built-in token pattern: {e}"),
    })
}

/// Tokens of a preprocessed text.
pub fn tokens(text: &str) -> Vec<&str> {
    token_pattern()
        .find_iter(text)
        .map(|m| m.as_str())
        .collect()
}

/// Word n-grams of a preprocessed text, `min_n..=max_n`, in scikit-learn's order.
pub fn word_ngrams(text: &str, min_n: usize, max_n: usize, out: &mut Vec<String>) {
    let toks = tokens(text);
    for n in min_n.max(1)..=max_n {
        if n == 1 {
            out.extend(toks.iter().map(|t| (*t).to_owned()));
        } else {
            out.extend(toks.windows(n).map(|w| w.join(" ")));
        }
    }
}

/// Character n-grams inside space-padded words (`char_wb`).
pub fn char_wb_ngrams(text: &str, min_n: usize, max_n: usize, out: &mut Vec<String>) {
    for word in text.split_whitespace() {
        let mut w: Vec<char> = Vec::with_capacity(word.len() + 2);
        w.push(' ');
        w.extend(word.chars());
        w.push(' ');
        for n in min_n.max(1)..=max_n {
            let mut offset = 0;
            out.push(w[offset..(offset + n).min(w.len())].iter().collect());
            while offset + n < w.len() {
                offset += 1;
                out.push(w[offset..offset + n].iter().collect());
            }
            if offset == 0 {
                // a word shorter than n is counted once
                break;
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn preprocess_lowercases_then_strips_accents() {
        assert_eq!(preprocess("Ünïcödé Café ǅ"), "unicode cafe dz");
        assert_eq!(preprocess("ASCII"), "ascii");
    }

    #[test]
    fn word_ngrams_follow_the_token_pattern() {
        let mut out = Vec::new();
        word_ngrams("fix a kube-proxy crash_2 x", 1, 2, &mut out);
        assert_eq!(
            out,
            [
                "fix",
                "kube",
                "proxy",
                "crash_2",
                "fix kube",
                "kube proxy",
                "proxy crash_2"
            ]
        );
    }

    #[test]
    fn char_wb_pads_words_and_counts_short_words_once() {
        let mut out = Vec::new();
        char_wb_ngrams("ab  c", 2, 3, &mut out);
        assert_eq!(out, [" a", "ab", "b ", " ab", "ab ", " c", "c ", " c "]);
    }
}
