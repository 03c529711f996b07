//! Text analysis with scikit-learn's `TfidfVectorizer` semantics: lowercase,
//! then strip accents (NFKD, drop combining marks), then the `word` analyzer
//! (token pattern `(?u)\b\w\w+\b`, word n-grams) or the `char_wb` analyzer
//! (character n-grams inside space-padded words).
//!
//! The n-gram functions hand each gram to a callback as a borrowed `&str`
//! built in a reused buffer: the prediction path allocates nothing per gram.

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

/// A word character of Python's `re` `\w` (Unicode letters and numbers, `_`).
fn is_word(c: char) -> bool {
    c.is_alphanumeric() || c == '_'
}

/// Tokens of a preprocessed text: the maximal runs of word characters at
/// least two characters long — exactly what `\b\w\w+\b` matches.
pub fn tokens(text: &str) -> Vec<&str> {
    token_iter(text).collect()
}

/// [`tokens`], lazily: for a caller that needs only the first few.
pub fn token_iter(text: &str) -> impl Iterator<Item = &str> {
    let mut chars = text.char_indices().peekable();
    std::iter::from_fn(move || {
        loop {
            let (start, c) = chars.next()?;
            if !is_word(c) {
                continue;
            }
            let mut end = start + c.len_utf8();
            let mut n = 1usize;
            while let Some(&(i, c)) = chars.peek() {
                if !is_word(c) {
                    break;
                }
                end = i + c.len_utf8();
                n += 1;
                chars.next();
            }
            if n >= 2 {
                return Some(&text[start..end]);
            }
        }
    })
}

/// Calls `f` with every word n-gram of a preprocessed text, `min_n..=max_n`,
/// in scikit-learn's order.
pub fn for_each_word_ngram(text: &str, min_n: usize, max_n: usize, mut f: impl FnMut(&str)) {
    let toks = tokens(text);
    let mut buf = String::new();
    // No n-gram is longer than the text (and a damaged model's max_n of
    // billions must not loop billions of times).
    for n in min_n.max(1)..=max_n.min(toks.len()) {
        if n == 1 {
            toks.iter().for_each(|t| f(t));
            continue;
        }
        for w in toks.windows(n) {
            buf.clear();
            for (k, t) in w.iter().enumerate() {
                if k > 0 {
                    buf.push(' ');
                }
                buf.push_str(t);
            }
            f(&buf);
        }
    }
}

/// Calls `f` with every character n-gram inside space-padded words
/// (`char_wb`), in scikit-learn's order.
pub fn for_each_char_wb_ngram(text: &str, min_n: usize, max_n: usize, mut f: impl FnMut(&str)) {
    let mut padded = String::new();
    let mut bounds: Vec<usize> = Vec::new();
    for word in text.split_whitespace() {
        padded.clear();
        padded.push(' ');
        padded.push_str(word);
        padded.push(' ');
        bounds.clear();
        bounds.extend(padded.char_indices().map(|(i, _)| i));
        bounds.push(padded.len());
        let len = bounds.len() - 1;
        let gram = |from: usize, n: usize| &padded[bounds[from]..bounds[(from + n).min(len)]];
        for n in min_n.max(1)..=max_n {
            let mut offset = 0;
            f(gram(offset, n));
            while offset + n < len {
                offset += 1;
                f(gram(offset, n));
            }
            if offset == 0 {
                // a word shorter than n is counted once
                break;
            }
        }
    }
}

/// Calls `f` with the first `count` word tokens of a preprocessed text,
/// each tagged with its position (`0:fixed`, `1:kubelet`, …): how a release
/// note opens ("Fixed …", "Added …") says more about its kind than the same
/// word later in the note.
pub fn for_each_lead_word(text: &str, count: usize, mut f: impl FnMut(&str)) {
    use std::fmt::Write;
    let mut buf = String::new();
    for (i, t) in token_iter(text).take(count).enumerate() {
        buf.clear();
        // Writing into a String cannot fail.
        let _ = write!(buf, "{i}:{t}");
        f(&buf);
    }
}

/// Position-tagged lead words as owned strings (for fitting).
pub fn lead_words(text: &str, count: usize, out: &mut Vec<String>) {
    for_each_lead_word(text, count, |g| out.push(g.to_owned()));
}

/// Word n-grams as owned strings (for fitting).
pub fn word_ngrams(text: &str, min_n: usize, max_n: usize, out: &mut Vec<String>) {
    for_each_word_ngram(text, min_n, max_n, |g| out.push(g.to_owned()));
}

/// Character n-grams within words as owned strings (for fitting).
pub fn char_wb_ngrams(text: &str, min_n: usize, max_n: usize, out: &mut Vec<String>) {
    for_each_char_wb_ngram(text, min_n, max_n, |g| out.push(g.to_owned()));
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
    fn tokens_are_runs_of_two_or_more_word_characters() {
        assert_eq!(
            tokens("a kube-proxy, x_y z9 é1 -- ab"),
            ["kube", "proxy", "x_y", "z9", "é1", "ab"]
        );
        assert_eq!(tokens("ends-with-ab"), ["ends", "with", "ab"]);
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
    fn lead_words_are_the_first_tokens_tagged_with_their_position() {
        let mut out = Vec::new();
        lead_words(&preprocess("Fixed: a  kubelet crash (x) when"), 3, &mut out);
        assert_eq!(out, ["0:fixed", "1:kubelet", "2:crash"]);
        out.clear();
        lead_words("one", 3, &mut out);
        assert_eq!(out, ["0:one"]);
        out.clear();
        lead_words("a b", 3, &mut out);
        assert!(out.is_empty());
    }

    #[test]
    fn char_wb_pads_words_and_counts_short_words_once() {
        let mut out = Vec::new();
        char_wb_ngrams("ab  c", 2, 3, &mut out);
        assert_eq!(out, [" a", "ab", "b ", " ab", "ab ", " c", "c ", " c "]);
        out.clear();
        char_wb_ngrams("né", 2, 2, &mut out);
        assert_eq!(out, [" n", "né", "é "]);
    }
}
