//! A TF-IDF vectorizer with scikit-learn `TfidfVectorizer` semantics:
//! vocabulary sorted by term, `min_df`/`max_df` document-frequency cuts,
//! smooth idf `ln((1 + n) / (1 + df)) + 1`, optional sublinear tf
//! `1 + ln(tf)`, rows L2-normalised. Computed in f64 like scikit-learn.

use std::collections::{BTreeMap, HashMap};

use rustc_hash::FxHashMap;

use serde::{Deserialize, Serialize};

use super::sparse::Csr;
use super::text;

/// How a vectorizer splits text into terms.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Analyzer {
    /// Word n-grams (token pattern `(?u)\b\w\w+\b`).
    Word,
    /// Character n-grams inside space-padded words.
    CharWb,
    /// The first `max_n` words, tagged with their position (`min_n` unused).
    Lead,
}

/// A document-frequency bound: an absolute count or a share of documents.
#[derive(Clone, Copy, Debug, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum DocFreq {
    /// At least/most this many documents.
    Count(usize),
    /// At least/most this share of documents (0.0–1.0).
    Share(f64),
}

impl DocFreq {
    fn documents(self, n: usize) -> usize {
        match self {
            DocFreq::Count(c) => c,
            DocFreq::Share(s) => (s * n as f64).round() as usize,
        }
    }
}

/// Vectorizer settings.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct TfidfConfig {
    /// Term kind.
    pub analyzer: Analyzer,
    /// Smallest n-gram.
    pub min_n: usize,
    /// Largest n-gram.
    pub max_n: usize,
    /// Drop terms in fewer documents.
    pub min_df: DocFreq,
    /// Drop terms in more documents.
    pub max_df: DocFreq,
    /// Use `1 + ln(tf)` instead of raw counts.
    pub sublinear_tf: bool,
}

impl TfidfConfig {
    /// The original project's settings: words, (1, 2)-grams, every term.
    pub fn words() -> Self {
        Self {
            analyzer: Analyzer::Word,
            min_n: 1,
            max_n: 2,
            min_df: DocFreq::Count(1),
            max_df: DocFreq::Share(1.0),
            sublinear_tf: false,
        }
    }
}

/// A fitted vectorizer: its settings, vocabulary (sorted) and idf weights.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct Tfidf {
    /// Settings.
    pub config: TfidfConfig,
    /// Terms, in column order (sorted).
    pub vocabulary: Vec<String>,
    /// Inverse document frequency of each term.
    pub idf: Vec<f64>,
    #[serde(skip)]
    index: TermIndex,
}

/// Term → column, keyed by a 64-bit hash of the term so a lookup is one
/// probe without a string comparison (the prediction path is bound by cache
/// misses). Terms whose hashes collide with another term's live in a string
/// map, so lookups stay exact; a term outside the vocabulary could only be
/// mistaken for one if its 64-bit hash equalled a vocabulary hash.
#[derive(Clone, Debug, Default, PartialEq)]
struct TermIndex {
    by_hash: FxHashMap<u64, u32>,
    collided: FxHashMap<String, u32>,
}

const COLLIDED: u32 = u32::MAX;

fn term_hash(term: &str) -> u64 {
    use std::hash::Hasher;
    let mut h = rustc_hash::FxHasher::default();
    h.write(term.as_bytes());
    h.write_u8(0xff);
    h.finish()
}

impl TermIndex {
    fn new(vocabulary: &[String]) -> Self {
        let mut by_hash: FxHashMap<u64, u32> = FxHashMap::default();
        by_hash.reserve(vocabulary.len());
        let mut collided = FxHashMap::default();
        for (i, t) in vocabulary.iter().enumerate() {
            let h = term_hash(t);
            match by_hash.insert(h, i as u32) {
                None => {}
                Some(prev) => {
                    by_hash.insert(h, COLLIDED);
                    if prev != COLLIDED {
                        collided.insert(vocabulary[prev as usize].clone(), prev);
                    }
                    collided.insert(t.clone(), i as u32);
                }
            }
        }
        Self { by_hash, collided }
    }

    fn get(&self, term: &str) -> Option<u32> {
        match self.by_hash.get(&term_hash(term)) {
            Some(&COLLIDED) => self.collided.get(term).copied(),
            other => other.copied(),
        }
    }
}

impl Tfidf {
    /// The terms of `doc` (preprocessed and analysed).
    pub fn analyze(config: &TfidfConfig, doc: &str) -> Vec<String> {
        let pre = text::preprocess(doc);
        let mut out = Vec::new();
        match config.analyzer {
            Analyzer::Word => text::word_ngrams(&pre, config.min_n, config.max_n, &mut out),
            Analyzer::CharWb => text::char_wb_ngrams(&pre, config.min_n, config.max_n, &mut out),
            Analyzer::Lead => text::lead_words(&pre, config.max_n, &mut out),
        }
        out
    }

    /// Learns vocabulary and idf from `docs`.
    pub fn fit<S: AsRef<str>>(config: TfidfConfig, docs: &[S]) -> Self {
        let mut df: HashMap<String, usize> = HashMap::new();
        for doc in docs {
            let mut terms = Self::analyze(&config, doc.as_ref());
            terms.sort_unstable();
            terms.dedup();
            for t in terms {
                *df.entry(t).or_insert(0) += 1;
            }
        }
        let n = docs.len();
        let (lo, hi) = (config.min_df.documents(n), config.max_df.documents(n));
        let kept: BTreeMap<String, usize> = df
            .into_iter()
            .filter(|(_, d)| *d >= lo && *d <= hi)
            .collect();
        let idf = kept
            .values()
            .map(|&d| ((1.0 + n as f64) / (1.0 + d as f64)).ln() + 1.0)
            .collect();
        Self::indexed(config, kept.into_keys().collect(), idf)
    }

    fn indexed(config: TfidfConfig, vocabulary: Vec<String>, idf: Vec<f64>) -> Self {
        let index = TermIndex::new(&vocabulary);
        Self {
            config,
            vocabulary,
            idf,
            index,
        }
    }

    /// Rebuilds a fitted vectorizer from parts read from a model directory,
    /// checking that they fit together: one positive, finite idf per term.
    pub fn from_parts(
        config: TfidfConfig,
        vocabulary: Vec<String>,
        idf: Vec<f64>,
    ) -> Result<Self, String> {
        if idf.len() != vocabulary.len() {
            return Err(format!(
                "{} terms but {} idf weights",
                vocabulary.len(),
                idf.len()
            ));
        }
        if let Some(bad) = idf.iter().find(|v| !(v.is_finite() && **v > 0.0)) {
            return Err(format!("an idf weight is {bad}, not a positive number"));
        }
        Ok(Self::indexed(config, vocabulary, idf))
    }

    /// Number of features.
    pub fn len(&self) -> usize {
        self.vocabulary.len()
    }

    /// True without features.
    pub fn is_empty(&self) -> bool {
        self.vocabulary.is_empty()
    }

    /// One document as sorted (column, value) pairs, L2-normalised.
    pub fn transform_one(&self, doc: &str) -> Vec<(u32, f64)> {
        self.transform_preprocessed(&text::preprocess(doc))
    }

    /// [`Tfidf::transform_one`] of a document already through
    /// [`text::preprocess`] (which every block shares).
    pub fn transform_preprocessed(&self, pre: &str) -> Vec<(u32, f64)> {
        let mut hits: Vec<u32> = Vec::with_capacity(4 * pre.len());
        let mut hit = |gram: &str| {
            if let Some(i) = self.index.get(gram) {
                hits.push(i);
            }
        };
        let c = &self.config;
        match c.analyzer {
            Analyzer::Word => text::for_each_word_ngram(pre, c.min_n, c.max_n, &mut hit),
            Analyzer::CharWb => text::for_each_char_wb_ngram(pre, c.min_n, c.max_n, &mut hit),
            Analyzer::Lead => text::for_each_lead_word(pre, c.max_n, &mut hit),
        }
        hits.sort_unstable();
        let mut counts: Vec<(u32, f64)> = Vec::with_capacity(hits.len());
        for i in hits {
            match counts.last_mut() {
                Some((last, n)) if *last == i => *n += 1.0,
                _ => counts.push((i, 1.0)),
            }
        }
        let mut row: Vec<(u32, f64)> = counts
            .into_iter()
            .map(|(i, tf)| {
                let tf = if self.config.sublinear_tf {
                    1.0 + tf.ln()
                } else {
                    tf
                };
                (i, tf * self.idf[i as usize])
            })
            .collect();
        let norm = row.iter().map(|(_, v)| v * v).sum::<f64>().sqrt();
        if norm > 0.0 {
            for (_, v) in &mut row {
                *v /= norm;
            }
        }
        row
    }

    /// Documents as a CSR matrix.
    pub fn transform<S: AsRef<str>>(&self, docs: &[S]) -> Csr {
        let mut m = Csr::new(self.len());
        for d in docs {
            m.push_row(self.transform_one(d.as_ref()));
        }
        m
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn idf_and_norm_follow_scikit_learn() {
        let docs = ["fix crash", "fix leak", "add flag"];
        let v = Tfidf::fit(TfidfConfig::words(), &docs);
        assert_eq!(
            v.vocabulary,
            [
                "add",
                "add flag",
                "crash",
                "fix",
                "fix crash",
                "fix leak",
                "flag",
                "leak"
            ]
        );
        // df(fix) = 2 of 3: ln(4/3) + 1
        let fix = v.vocabulary.iter().position(|t| t == "fix").unwrap_or(0);
        assert!((v.idf[fix] - ((4.0f64 / 3.0).ln() + 1.0)).abs() < 1e-12);
        let row = v.transform_one("fix fix unknown");
        assert_eq!(row.len(), 1);
        assert!((row[0].1 - 1.0).abs() < 1e-12);
    }

    #[test]
    fn colliding_terms_stay_exact() {
        let vocab: Vec<String> = ["a", "b", "c"].iter().map(|s| (*s).to_owned()).collect();
        let mut idx = TermIndex::new(&vocab);
        // Force a collision: pretend "b" hashed like "a".
        let ha = term_hash("a");
        idx.by_hash.insert(ha, COLLIDED);
        idx.collided.insert("a".into(), 0);
        idx.collided.insert("b".into(), 1);
        assert_eq!(idx.get("a"), Some(0));
        assert_eq!(idx.get("c"), Some(2));
        assert_eq!(idx.get("zzz"), None);
    }

    #[test]
    fn document_frequency_cuts() {
        let docs = ["a1 b1", "a1 c1", "a1 d1"];
        let mut c = TfidfConfig::words();
        c.max_n = 1;
        c.min_df = DocFreq::Count(2);
        assert_eq!(Tfidf::fit(c.clone(), &docs).vocabulary, ["a1"]);
        c.min_df = DocFreq::Count(1);
        c.max_df = DocFreq::Share(0.5);
        assert_eq!(Tfidf::fit(c, &docs).vocabulary, ["b1", "c1", "d1"]);
    }
}
